/// A constant known at check time. Percents and bps are stored as fractions.
public enum ConstValue: Sendable, Equatable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case duration(DurationLiteral)

    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

/// What the checker knows about one expression node.
public struct NodeInfo: Sendable {
    public var type: KeelType
    public var constant: ConstValue?
    /// Bars (of the strategy's timeframe) before the node has a value.
    public var warmup: Int
    /// Reads the position or the account, so it cannot be computed ahead of the portfolio.
    public var positional: Bool

    public init(type: KeelType, constant: ConstValue? = nil, warmup: Int = 0, positional: Bool = false) {
        self.type = type
        self.constant = constant
        self.warmup = warmup
        self.positional = positional
    }

    static let error = NodeInfo(type: .error)
}

/// How a stop-loss level was written.
public enum StopLevel: Sendable {
    /// A fraction of the entry price (`5%` is 0.05).
    case percent(Double)
    /// A price expression, evaluated at each close.
    case price(Expr)
}

public struct ResolvedStopLoss: Sendable {
    public var level: StopLevel
    public var trailing: Bool
    public var range: SourceRange
}

public struct ResolvedTakeProfit: Sendable {
    /// A fraction above the entry (below for shorts), or a price expression.
    public var level: StopLevel
    /// Share of what remains to close, as a fraction.
    public var closeFraction: Double
    public var range: SourceRange
}

public enum Sizing: Sendable, Equatable {
    case percentOfEquity(Double)
    case fixed(Double)
    case risk(Double)
    case volatilityTarget(Double, lookback: Int)
    case kelly(Double, lookback: Int)
    case equalWeight
}

public enum TimeStop: Sendable, Equatable {
    case bars(Int)
    case seconds(Int)
}

public struct ExecutionCosts: Sendable, Equatable {
    public var feeFraction = 0.0
    public var feePerUnit = 0.0
    public var feePerOrder = 0.0
    public var slippageFraction = 0.0
    public var slippageTicks = 0.0
    public var tickSize = 0.0
    public init() {}
}

/// A strategy whose names, types, windows and settings are known: the compiler's input.
public struct CheckedStrategy: Sendable {
    public var parsed: ParsedStrategy
    public var info: [ExprID: NodeInfo] = [:]
    /// Bars of warm-up each rule needs, by role.
    public var ruleWarmups: [ExpressionRole: Int] = [:]
    public var paramValues: [String: ConstValue] = [:]
    /// Each param's search space, when it declares one (`range:` or `choices:`).
    public var paramSpaces: [String: ResolvedSpace] = [:]
    public var paramUses: [String: Int] = [:]
    public var letUses: [String: Int] = [:]
    public var referencedSymbols: [Located<String>] = []
    public var referencedTimeframes: [Located<DurationLiteral>] = []
    public var signalNames: Set<String> = []

    public var stopLoss: ResolvedStopLoss?
    public var takeProfit: [ResolvedTakeProfit] = []
    public var timeStop: TimeStop?
    /// Without `allocation.size`, each position takes the profile's largest position share.
    public var sizing: Sizing
    public var lot: Double = 1
    public var maxPositions: Int?
    public var rankTop: Int?
    public var fill: FillTiming = .nextOpen
    public var intrabar: IntrabarPolicy = .stopFirst
    public var costs = ExecutionCosts()
    public var risk: EffectiveRisk

    public init(parsed: ParsedStrategy, profile: RiskProfile) {
        self.parsed = parsed
        self.risk = EffectiveRisk(profile: profile)
        self.sizing = .percentOfEquity(profile.maxPosition)
    }

    public var profile: RiskProfile { risk.profile }

    /// Bars before every rule can be evaluated.
    public var warmup: Int { ruleWarmups.values.max() ?? 0 }

    public func type(of expr: Expr) -> KeelType { info[expr.id]?.type ?? .error }
    public func constant(of expr: Expr) -> ConstValue? { info[expr.id]?.constant }
}
