import Foundation

/// Performance figures of a backtest. Definitions (also in the README):
/// - `total_return`: final equity / capital - 1.
/// - `cagr`: (final / capital)^(1 / years) - 1, years from the first to the last bar's time.
/// - `sharpe`, `sortino`: mean per-bar return of equity over its standard deviation (Sortino: over
///   the root mean square of the negative returns), times sqrt(bars per year); no risk-free rate.
///   Bars per year come from the bar size: 365 days of seconds over the bar's seconds.
/// - `max_drawdown`: the largest fall of equity from a running peak, as a fraction.
/// - `win_rate`: winning closed trades over closed trades; `profit_factor`: gross profit over gross loss.
/// - `exposure`: share of symbol-bars on which a position was open.
/// - `buy_and_hold`: the average return of holding each symbol from its first to its last close.
public struct Metrics: Sendable {
    public var totalReturn = 0.0
    public var cagr = 0.0
    public var sharpe = 0.0
    public var sortino = 0.0
    public var maxDrawdown = 0.0
    public var winRate = 0.0
    public var profitFactor = 0.0
    public var tradeCount = 0
    public var exposure = 0.0
    public var buyAndHold = 0.0

    public init() {}

    static func compute(_ stats: EquityStatistics, capital: Double, trades: TradeStatistics, barSeconds: Int?,
                        exposure: Double, buyAndHold: Double) -> Metrics {
        var m = Metrics()
        let final = stats.lastEquity ?? capital
        m.totalReturn = final / capital - 1
        if let first = stats.firstTime, let last = stats.lastTime, last > first, final > 0 {
            let years = Double(last - first) / 1_000 / (365.25 * 86_400)
            m.cagr = pow(final / capital, 1 / years) - 1
        }
        m.maxDrawdown = stats.maxDrawdown
        if stats.count > 1 {
            let deviation = (stats.squaredDeviations / Double(stats.count - 1)).squareRoot()
            let downside = (stats.downsideSquares / Double(stats.count)).squareRoot()
            let annual = (Double(365 * 86_400) / Double(barSeconds ?? 86_400)).squareRoot()
            m.sharpe = deviation > 0 ? stats.mean / deviation * annual : 0
            m.sortino = downside > 0 ? stats.mean / downside * annual : 0
        }
        m.tradeCount = trades.count
        m.winRate = trades.count == 0 ? 0 : Double(trades.wins) / Double(trades.count)
        m.profitFactor = trades.grossLoss > 0 ? trades.grossProfit / trades.grossLoss : (trades.grossProfit > 0 ? .infinity : 0)
        m.exposure = exposure
        m.buyAndHold = buyAndHold
        return m
    }
}

/// What the metrics need of the closed trades, accumulated as they close: the trades themselves
/// are kept only when the output lists them.
public struct TradeStatistics: Sendable {
    public private(set) var count = 0
    public private(set) var wins = 0
    public private(set) var grossProfit = 0.0
    /// As a positive amount.
    public private(set) var grossLoss = 0.0

    mutating func record(pnl: Double) {
        count += 1
        if pnl > 0 {
            wins += 1
            grossProfit += pnl
        } else if pnl < 0 {
            grossLoss -= pnl
        }
    }
}

/// What the metrics need of the equity curve, accumulated as it is made: memory stays constant
/// however many bars a run has. One point per distinct time (the last equity of that time).
public struct EquityStatistics: Sendable {
    private let capital: Double
    private var pending: (time: Int64, equity: Double)?
    private var previous: Double
    private var peak: Double
    private(set) var firstTime: Int64?
    private(set) var lastTime: Int64?
    private(set) var lastEquity: Double?
    private(set) var count = 0
    /// Welford's running mean and sum of squared deviations of per-step returns.
    private(set) var mean = 0.0
    private(set) var squaredDeviations = 0.0
    private(set) var downsideSquares = 0.0
    private(set) var maxDrawdown = 0.0

    init(capital: Double) {
        self.capital = capital
        previous = capital
        peak = capital
    }

    mutating func record(time: Int64, equity: Double) {
        if let point = pending, point.time != time { commit(point) }
        pending = (time, equity)
    }

    /// Commits the last point; the statistics are complete after it.
    mutating func finish() {
        if let point = pending { commit(point) }
        pending = nil
    }

    private mutating func commit(_ point: (time: Int64, equity: Double)) {
        if firstTime == nil { firstTime = point.time }
        lastTime = point.time
        lastEquity = point.equity
        let r = previous > 0 ? point.equity / previous - 1 : 0
        previous = point.equity
        count += 1
        let delta = r - mean
        mean += delta / Double(count)
        squaredDeviations += delta * (r - mean)
        downsideSquares += min(0, r) * min(0, r)
        peak = max(peak, point.equity)
        maxDrawdown = max(maxDrawdown, peak > 0 ? 1 - point.equity / peak : 0)
    }
}
