/// A value with the source range it was read from.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var range: SourceRange

    public init(_ value: Value, _ range: SourceRange) {
        self.value = value
        self.range = range
    }
}

public enum ProfileName: String, Sendable, CaseIterable {
    case conservative, balanced, aggressive, degen
}

public enum FillTiming: String, Sendable, CaseIterable {
    case nextOpen = "next_open"
    case close
}

public enum IntrabarPolicy: String, Sendable, CaseIterable {
    case stopFirst = "stop_first"
    case targetFirst = "target_first"
    case nearestFirst = "nearest_first"
}

public enum Side: String, Sendable, CaseIterable, Codable {
    case long, short
}

/// A named constant under `params:`; overridable from the command line and in sweeps.
public struct ParamDecl: Sendable {
    public var name: String
    public var nameRange: SourceRange
    /// The value the strategy runs with: the param itself, or its `default:`.
    public var value: Expr
    /// The values research may try (`keel optimize`, `keel walkforward`), when declared.
    public var space: ParamSpace?
}

/// A param's search space: `{default: 10, range: [5, 50], step: 5}` or `{default: 5%, choices: [2%, 5%, 10%]}`.
public struct ParamSpace: Sendable {
    public enum Kind: Sendable {
        case range(low: Expr, high: Expr, step: Expr?)
        case choices([Expr])
    }

    public var kind: Kind
    /// The `range:` or `choices:` value, where a problem with the space is reported.
    public var range: SourceRange
}

/// A named series under `let:`, computed once per bar and shared.
public struct LetDecl: Sendable {
    public var name: String
    public var nameRange: SourceRange
    public var expr: Expr
}

/// `entry:` or `exit:`: one condition per side.
public struct SideRules: Sendable {
    public var long: Expr?
    public var short: Expr?
    public var range: SourceRange?

    public init(long: Expr? = nil, short: Expr? = nil, range: SourceRange? = nil) {
        self.long = long
        self.short = short
        self.range = range
    }

    public subscript(side: Side) -> Expr? {
        side == .long ? long : short
    }

    public var all: [(Side, Expr)] {
        Side.allCases.compactMap { side in self[side].map { (side, $0) } }
    }
}

/// `stop_loss:` as written; the checker decides whether `level` is a percent or a price.
public struct StopLossSpec: Sendable {
    public var level: Expr
    public var trailing: Bool
    public var range: SourceRange
}

/// One step of the take-profit ladder: at `at` (a percent from the entry, or a price), close
/// `close` of what remains.
public struct TakeProfitStep: Sendable {
    public var at: Expr
    public var close: Expr?
    public var range: SourceRange
}

public struct Allocation: Sendable {
    /// A sizing call: `percent_of_equity(10%)`, `risk(1%)`, `equal_weight`, ...
    public var size: Expr?
    public var lot: Expr?
    public var maxPositions: Expr?
    /// Ranks the universe; the top `top` symbols are held.
    public var rank: Expr?
    public var top: Expr?
    public var range: SourceRange?

    public init() {}
}

/// Fees: a percent of traded value, a fixed amount per unit, and a fixed amount per order.
public struct FeesSpec: Sendable {
    public var percent: Expr?
    public var perUnit: Expr?
    public var perOrder: Expr?
    public var range: SourceRange
}

/// Slippage: a fraction of price (bps or percent), or a number of ticks of a given size.
public struct SlippageSpec: Sendable {
    public var fraction: Expr?
    public var ticks: Expr?
    public var tickSize: Expr?
    public var range: SourceRange
}

public struct ExecutionSpec: Sendable {
    public var fill: Located<FillTiming>?
    public var fees: FeesSpec?
    public var slippage: SlippageSpec?
    public var intrabar: Located<IntrabarPolicy>?
    public var range: SourceRange?

    public init() {}
}

/// One entry under `risk:`: a limit of the profile tightened, loosened, or turned `off`.
public struct RiskOverride: Sendable {
    public enum Setting: Sendable {
        case off
        case value(Expr)
        case flag(Bool)
        case text(String)
    }

    public var limit: RiskLimit
    public var setting: Setting
    public var keyRange: SourceRange
    public var valueRange: SourceRange
}

/// A strategy file read into its parts, before names and types are checked.
public struct ParsedStrategy: Sendable {
    public var file: SourceFile
    public var formatVersion: Located<Int>?
    public var name: Located<String>?
    public var description: Located<String>?
    public var symbols: [Located<String>] = []
    public var symbolsRange: SourceRange?
    public var timeframe: Located<DurationLiteral>?
    public var profile: Located<ProfileName>?
    public var params: [ParamDecl] = []
    public var lets: [LetDecl] = []
    public var entry = SideRules()
    public var exit = SideRules()
    public var stopLoss: StopLossSpec?
    public var takeProfit: [TakeProfitStep] = []
    public var takeProfitRange: SourceRange?
    public var timeStop: Expr?
    public var allocation = Allocation()
    public var execution = ExecutionSpec()
    public var risk: [RiskOverride] = []
    /// Promotion gates: what the research evidence must show before the strategy trades live.
    public var gates: [Located<Gate>] = []
    /// Top-level keys in file order, with their ranges.
    public var keys: [String: SourceRange] = [:]
    public var nodeCount: Int = 0
    /// Expressions whose text did not parse; their syntax error is reported, so the checker does not
    /// also complain that they have the wrong type.
    public var brokenExpressions: Set<ExprID> = []

    public init(file: SourceFile) {
        self.file = file
    }

    public var profileName: ProfileName { profile?.value ?? .balanced }

    /// Every expression in the file with the role it plays, in file order.
    public var expressions: [(role: ExpressionRole, expr: Expr)] {
        var all: [(ExpressionRole, Expr)] = []
        all += params.map { (.param($0.name), $0.value) }
        all += lets.map { (.letBinding($0.name), $0.expr) }
        all += entry.all.map { (.entry($0.0), $0.1) }
        all += exit.all.map { (.exit($0.0), $0.1) }
        if let stop = stopLoss { all.append((.stopLoss, stop.level)) }
        for step in takeProfit {
            all.append((.takeProfitLevel, step.at))
            if let close = step.close { all.append((.takeProfitClose, close)) }
        }
        if let timeStop { all.append((.timeStop, timeStop)) }
        for (role, expr) in [(ExpressionRole.sizing, allocation.size), (.lot, allocation.lot),
                             (.maxPositions, allocation.maxPositions), (.rank, allocation.rank), (.top, allocation.top)] {
            if let expr { all.append((role, expr)) }
        }
        if let fees = execution.fees {
            for (role, expr) in [(ExpressionRole.feePercent, fees.percent), (.feePerUnit, fees.perUnit), (.feePerOrder, fees.perOrder)] {
                if let expr { all.append((role, expr)) }
            }
        }
        if let slippage = execution.slippage {
            for (role, expr) in [(ExpressionRole.slippage, slippage.fraction), (.slippageTicks, slippage.ticks), (.tickSize, slippage.tickSize)] {
                if let expr { all.append((role, expr)) }
            }
        }
        for override in risk {
            if case .value(let expr) = override.setting { all.append((.risk(override.limit), expr)) }
        }
        return all.sorted { $0.1.range.start < $1.1.range.start }
    }
}

/// Where an expression sits in a strategy; decides what type it must have.
public enum ExpressionRole: Sendable, Hashable {
    case param(String), letBinding(String)
    case entry(Side), exit(Side)
    case stopLoss, takeProfitLevel, takeProfitClose, timeStop
    case sizing, lot, maxPositions, rank, top
    case feePercent, feePerUnit, feePerOrder, slippage, slippageTicks, tickSize
    case risk(RiskLimit)

    /// Whether the value may change bar by bar (a rule) or must fold to a constant (a setting).
    public var isSeries: Bool {
        switch self {
        case .letBinding, .entry, .exit, .rank: true
        case .stopLoss, .takeProfitLevel: true
        default: false
        }
    }
}
