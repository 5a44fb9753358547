/// What the engine trades by: a checked strategy's resolved settings (universe, bar size, sizing,
/// costs, fills, time stop, risk), without its syntax tree or source text. The compiled program
/// carries this; its protective levels are compiled into the program itself.
public struct TradingSettings: Sendable {
    /// The universe as written under `symbols:`, in its order.
    public var symbols: [String]
    /// The declared bar size, with where it is written (a refusal names that place).
    public var timeframe: Located<DurationLiteral>?
    public var timeStop: TimeStop?
    public var sizing: Sizing
    public var lot: Double
    public var maxPositions: Int?
    public var rankTop: Int?
    public var fill: FillTiming
    public var intrabar: IntrabarPolicy
    public var costs: ExecutionCosts
    public var risk: EffectiveRisk

    public var profile: RiskProfile { risk.profile }

    public init(_ checked: CheckedStrategy) {
        symbols = checked.parsed.symbols.map(\.value)
        timeframe = checked.parsed.timeframe
        (timeStop, sizing, lot, maxPositions, rankTop) = (checked.timeStop, checked.sizing, checked.lot, checked.maxPositions, checked.rankTop)
        (fill, intrabar, costs, risk) = (checked.fill, checked.intrabar, checked.costs, checked.risk)
    }
}
