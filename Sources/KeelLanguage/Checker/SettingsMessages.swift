/// Every message of the checker about a strategy's declarations and settings: params and lets,
/// rules that must be conditions, protective levels, allocation and sizing, costs, risk limits.
extension DiagnosticMessage {
    /// The largest bar count a setting takes, as the messages write it.
    static let maxBarsText = "1,000,000,000"

    // Declarations and rules

    static func paramAndLet(_ name: String) -> Self { .init("duplicate-name", "'\(name)' is both a param and a let; rename one") }

    static func unknownParam(_ name: String, declared: [String]) -> Self {
        .init("unknown-param",
              "a value is given for param '\(name)', which the strategy does not declare\(Suggestions.didYouMean(name, in: declared))")
    }

    static func nonConstantParam(_ name: String) -> Self {
        .init("non-constant-param", "param '\(name)' must be a constant such as 10, 2.5, 5% or true")
    }

    static func letCycle(_ name: String) -> Self {
        .init("let-cycle", "'\(name)' refers to itself through its own definition; a let must not depend on itself")
    }

    static func conditionExpected(_ what: String, numeric type: KeelType) -> Self {
        .init("type-mismatch", "\(what) is a condition, but this is a \(type); compare it, e.g. 'rsi(close, 14) < 30'")
    }

    static func conditionExpected(_ what: String, found: KeelType) -> Self { .init("type-mismatch", "\(what) is a condition, not a \(found)") }

    // Protective levels

    static func levelType(_ what: String, found: KeelType) -> Self {
        .init("type-mismatch", "\(what) is a percent such as 5% or a price expression, not a \(found)")
    }

    static func levelNotPositive(_ what: String) -> Self { .init("invalid-value", "\(what) must be above 0%") }

    static func stopLossNeverTriggers(fraction: Double) -> Self {
        .init("invalid-value", "a stop-loss of \(ExpressionPrinter.format(fraction * 100))% or more can never trigger on a long")
    }

    static let takeProfitCloseNotPositive = Self("invalid-value", "take_profit 'close' must be above 0%")

    static let invalidTimeStop = Self("invalid-value",
                                      "'time_stop:' is a positive duration such as '40 bars' or '5d', at most \(maxBarsText) bars")

    // Constants

    static func nonConstantSetting(_ what: String) -> Self { .init("non-constant-setting", "\(what) must be a constant (a literal or a param)") }

    static func settingType(_ what: String, expected types: [KeelType], found: KeelType) -> Self {
        let example = types.contains(.percent) ? "such as 5%" : "such as 10"
        return .init("type-mismatch", "\(what) is a \(types.map(\.description).joined(separator: " or ")) \(example), not a \(found)")
    }

    static func countBelowOne(_ what: String) -> Self { .init("invalid-value", "\(what) is a whole number of at least 1") }

    // Allocation and sizing

    static let lotNotPositive = Self("invalid-value", "allocation.lot must be above 0")

    static func rankType(_ found: KeelType) -> Self { .init("type-mismatch", "allocation.rank orders the universe by a number, not a \(found)") }

    static let rankNeedsTop = Self("missing-key", "allocation.rank needs 'top:', how many of the best-ranked symbols to hold")

    static let topNeedsRank = Self("missing-key", "allocation.top needs 'rank:', the expression that orders the universe")

    static let sizingExpected = Self("invalid-sizing", "allocation.size is a sizing rule such as percent_of_equity(10%), risk(1%) or equal_weight")

    /// `hint` is a did-you-mean or the list of rules.
    static func unknownSizing(_ name: String, hint: String) -> Self { .init("invalid-sizing", "no sizing rule '\(name)'; \(hint)") }

    static func sizingArity(_ name: String, usage: String) -> Self {
        .init("invalid-sizing", "wrong number of arguments to \(name); write e.g. \(usage)")
    }

    static func sizingNotPositive(_ name: String) -> Self { .init("invalid-sizing", "\(name)(...) takes positive values") }

    static func sizingLookback(_ name: String) -> Self {
        .init("invalid-sizing", "\(name)'s lookback is a whole number of bars from 2 to \(BuiltinTable.maxWindow)")
    }

    static func riskSizingWithoutStop(fraction: Double) -> Self {
        .init("risk-sizing-without-stop",
              "risk(\(ExpressionPrinter.format(fraction * 100))%) sizes by the loss at the stop, but there is no stop_loss")
    }

    static let kellyFraction = Self("invalid-sizing", "kelly's fraction is at most 1 (full Kelly); 0.5 is half Kelly")

    // Costs and risk

    static func negativeCost(_ what: String) -> Self { .init("invalid-value", "\(what) cannot be negative") }

    static let sessionStart = Self("invalid-value", "session_start is a UTC time of day such as \"13:30\"")

    static let cooldownNotBars = Self("invalid-value", "cooldown counts bars, e.g. '5 bars'")

    static let cooldownTooLong = Self("invalid-value", "cooldown is at most \(maxBarsText) bars")

    static func negativeLimit(_ limit: RiskLimit) -> Self { .init("invalid-value", "risk.\(limit.rawValue) cannot be negative") }

    static func limitBars(_ limit: RiskLimit) -> Self {
        .init("invalid-value", "risk.\(limit.rawValue) is a whole number of bars up to \(maxBarsText)")
    }

    static func limitCount(_ limit: RiskLimit) -> Self { .init("invalid-value", "risk.\(limit.rawValue) is a whole number from 1 to 100,000") }
}
