import KeelLanguage

/// Every lint rule, in the order `keel rules` lists them.
public enum RuleRegistry {
    public static let all: [any LintRule] = [
        StopRequiredRule(), StopTooWideRule(), ShortNotAllowedRule(), PositionTooLargeRule(),
        MaxPositionsOverProfileRule(), RiskLimitOffRule(), RiskLimitLoosenedRule(),
        TakeProfitTooManyStepsRule(), TooManyExitsRule(), TakeProfitOverHundredRule(), TakeProfitOrderRule(),
        TakeProfitWrongSideRule(), NoExitRule(),
        ConstantConditionRule(), SelfComparisonRule(), ExitEqualsEntryRule(), FloatEqualityRule(),
        ImpossibleThresholdRule(), PercentExpectedRule(), WindowOfOneRule(),
        UnusedParamRule(), UnusedLetRule(), TooManyParamsRule(), UnknownSymbolRule(), MissingDescriptionRule(),
        ZeroFeesRule(), ZeroSlippageRule(), FillAtCloseRule(), WarmupExceedsHistoryRule(),
    ]

    public static func rule(_ id: String) -> (any LintRule)? { all.first { $0.id == id } }

    public static var ids: [String] { all.map(\.id) }
}
