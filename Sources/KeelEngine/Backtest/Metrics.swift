import Foundation

/// Performance figures of a backtest, each defined in `docs/metrics.md`. Returns are per time
/// step of the equity curve (one point per distinct bar time); fractions, not percents.
public struct Metrics: Sendable {
    public var totalReturn = 0.0
    public var cagr = 0.0
    /// Annualised with `annualization` periods per year, no risk-free rate.
    public var sharpe = 0.0
    public var sortino = 0.0
    /// Standard deviation of per-step returns, annualised.
    public var volatility = 0.0
    /// CAGR over the maximum drawdown.
    public var calmar = 0.0
    /// Periods per year the ratios were annualised with: the data's observed bars per year, or `--annualization`.
    public var annualization = 0.0
    public var maxDrawdown = 0.0
    /// The mean of the deepest point of each drawdown period (backtesting.py's `Avg. Drawdown`).
    public var averageDrawdown = 0.0
    /// Seconds from a peak to the recovery (or to the last bar when unrecovered): the longest, the mean.
    public var maxDrawdownDuration = 0.0
    public var averageDrawdownDuration = 0.0
    public var winRate = 0.0
    public var profitFactor = 0.0
    public var tradeCount = 0
    /// Trade returns (P&L net of fees over the entry value): best, worst, geometric mean, arithmetic mean.
    public var bestTrade = 0.0
    public var worstTrade = 0.0
    public var averageTrade = 0.0
    public var expectancy = 0.0
    /// Van Tharp's system quality number: sqrt(n) * mean P&L / its standard deviation.
    public var sqn = 0.0
    /// W - (1 - W) / (average win / average loss), from the closed trades' P&L.
    public var kelly = 0.0
    /// Seconds from entry to exit of closed trades: the mean, the longest.
    public var averageTradeDuration = 0.0
    public var maxTradeDuration = 0.0
    /// Keel's exposure: the share of symbol-bars whose close found a position open.
    public var exposure = 0.0
    /// backtesting.py's `Exposure Time`: the share of time steps during which any position was open.
    public var exposureTime = 0.0
    public var buyAndHold = 0.0

    public init() {}

    /// Every metric by its JSON name, in the order the output lists them.
    public var named: [(String, Double)] {
        [("total_return", totalReturn), ("cagr", cagr), ("sharpe", sharpe), ("sortino", sortino), ("volatility", volatility),
         ("calmar", calmar), ("annualization", annualization), ("max_drawdown", maxDrawdown), ("average_drawdown", averageDrawdown),
         ("max_drawdown_duration_seconds", maxDrawdownDuration), ("average_drawdown_duration_seconds", averageDrawdownDuration),
         ("win_rate", winRate), ("profit_factor", profitFactor), ("trade_count", Double(tradeCount)), ("best_trade", bestTrade),
         ("worst_trade", worstTrade), ("average_trade", averageTrade), ("expectancy", expectancy), ("sqn", sqn), ("kelly", kelly),
         ("average_trade_duration_seconds", averageTradeDuration), ("max_trade_duration_seconds", maxTradeDuration),
         ("exposure", exposure), ("exposure_time", exposureTime), ("buy_and_hold", buyAndHold)]
    }

    /// The inverse of `named`; a metric missing from `values` (a summary stored by an older Keel) is NaN.
    public init(named values: [String: Double]) {
        func v(_ name: String) -> Double { values[name] ?? .nan }
        (totalReturn, cagr, sharpe, sortino, volatility) = (v("total_return"), v("cagr"), v("sharpe"), v("sortino"), v("volatility"))
        (calmar, annualization, maxDrawdown, averageDrawdown) = (v("calmar"), v("annualization"), v("max_drawdown"), v("average_drawdown"))
        (maxDrawdownDuration, averageDrawdownDuration) = (v("max_drawdown_duration_seconds"), v("average_drawdown_duration_seconds"))
        (winRate, profitFactor, tradeCount) = (v("win_rate"), v("profit_factor"), values["trade_count"].map { Int($0) } ?? 0)
        (bestTrade, worstTrade, averageTrade, expectancy) = (v("best_trade"), v("worst_trade"), v("average_trade"), v("expectancy"))
        (sqn, kelly, averageTradeDuration) = (v("sqn"), v("kelly"), v("average_trade_duration_seconds"))
        (maxTradeDuration, exposure, exposureTime, buyAndHold) = (v("max_trade_duration_seconds"), v("exposure"), v("exposure_time"), v("buy_and_hold"))
    }

    /// Periods per year: the equity curve's intervals over its span in years of 365.25 days (about
    /// 252 for weekday daily bars, 365 for crypto, per bar for intraday); from the bar size over
    /// 365 days when the span says nothing (under two points).
    static func observedPeriodsPerYear(_ stats: EquityStatistics, barSeconds: Int?) -> Double {
        if let first = stats.firstTime, let last = stats.lastTime, last > first, stats.count > 1 {
            return Double(stats.count - 1) / (Double(last - first) / 1_000 / (365.25 * 86_400))
        }
        return Double(365 * 86_400) / Double(barSeconds ?? 86_400)
    }

    /// The metrics of an equity curve made by several runs one after another (walk-forward's
    /// stitched out-of-sample equity): the curve's own statistics, the trades' statistics, and
    /// exposure, exposure time and buy and hold as the caller weighs them across the runs.
    package static func of(curve: [(time: Int64, equity: Double)], capital: Double, trades: [Trade], barSeconds: Int?,
                           annualization: Double?, exposure: Double, exposureTime: Double, buyAndHold: Double) -> Metrics {
        var stats = EquityStatistics(capital: capital)
        for point in curve { stats.record(time: point.time, equity: point.equity) }
        stats.finish()
        var tradeStats = TradeStatistics()
        for t in trades {
            tradeStats.record(pnl: t.pnl, returnFraction: t.pnl / (t.quantity * t.entryPrice), duration: t.exitTime - t.entryTime)
        }
        return compute(stats, capital: capital, trades: tradeStats, barSeconds: barSeconds, annualization: annualization,
                       exposure: exposure, exposureTime: exposureTime, buyAndHold: buyAndHold)
    }

    static func compute(_ stats: EquityStatistics, capital: Double, trades: TradeStatistics, barSeconds: Int?, annualization: Double?,
                        exposure: Double, exposureTime: Double, buyAndHold: Double) -> Metrics {
        var m = Metrics()
        let final = stats.lastEquity ?? capital
        m.totalReturn = final / capital - 1
        if let first = stats.firstTime, let last = stats.lastTime, last > first, final > 0 {
            let years = Double(last - first) / 1_000 / (365.25 * 86_400)
            m.cagr = pow(final / capital, 1 / years) - 1
        }
        m.maxDrawdown = stats.maxDrawdown
        m.calmar = m.maxDrawdown > 0 ? m.cagr / m.maxDrawdown : 0
        m.annualization = annualization ?? observedPeriodsPerYear(stats, barSeconds: barSeconds)
        if stats.count > 1 {
            let deviation = (stats.squaredDeviations / Double(stats.count - 1)).squareRoot()
            let downside = (stats.downsideSquares / Double(stats.count)).squareRoot()
            let annual = m.annualization.squareRoot()
            m.sharpe = deviation > 0 ? stats.mean / deviation * annual : 0
            m.sortino = downside > 0 ? stats.mean / downside * annual : 0
            m.volatility = deviation * annual
        }
        let periods = stats.drawdownPeriods
        m.averageDrawdown = periods.count > 0 ? periods.depthSum / Double(periods.count) : 0
        m.maxDrawdownDuration = Double(periods.longest) / 1_000
        m.averageDrawdownDuration = periods.count > 0 ? Double(periods.durationSum) / 1_000 / Double(periods.count) : 0
        m.tradeCount = trades.count
        m.winRate = trades.count == 0 ? 0 : Double(trades.wins) / Double(trades.count)
        m.profitFactor = trades.grossLoss > 0 ? trades.grossProfit / trades.grossLoss : (trades.grossProfit > 0 ? .infinity : 0)
        trades.fill(&m)
        m.exposure = exposure
        m.exposureTime = exposureTime
        m.buyAndHold = buyAndHold
        return m
    }
}

/// What the metrics need of the closed trades, accumulated as they close: the trades themselves
/// are kept only when the output lists them.
package struct TradeStatistics: Sendable {
    package private(set) var count = 0
    package private(set) var wins = 0
    package private(set) var losses = 0
    package private(set) var grossProfit = 0.0
    /// As a positive amount.
    package private(set) var grossLoss = 0.0
    private var best = -Double.infinity
    private var worst = Double.infinity
    private var returnSum = 0.0
    /// Sum of log(1 + r); nil once a trade lost everything (the geometric mean is then 0, as backtesting.py has it).
    private var logReturnSum: Double? = 0
    /// Welford's running mean and squared deviations of P&L, for the SQN.
    private var pnlMean = 0.0
    private var pnlSquares = 0.0
    private var durationSum: Int64 = 0
    private var longest: Int64 = 0

    /// `returnFraction`: P&L net of fees over the entry value; `duration` in milliseconds.
    mutating func record(pnl: Double, returnFraction: Double, duration: Int64) {
        count += 1
        if pnl > 0 {
            wins += 1
            grossProfit += pnl
        } else if pnl < 0 {
            losses += 1
            grossLoss -= pnl
        }
        best = max(best, returnFraction)
        worst = min(worst, returnFraction)
        returnSum += returnFraction
        logReturnSum = returnFraction > -1 ? logReturnSum.map { $0 + log1p(returnFraction) } : nil
        let delta = pnl - pnlMean
        pnlMean += delta / Double(count)
        pnlSquares += delta * (pnl - pnlMean)
        durationSum += duration
        longest = max(longest, duration)
    }

    func fill(_ m: inout Metrics) {
        guard count > 0 else { return }
        let n = Double(count)
        (m.bestTrade, m.worstTrade, m.expectancy) = (best, worst, returnSum / n)
        m.averageTrade = logReturnSum.map { exp($0 / n) - 1 } ?? 0
        let deviation = count > 1 ? (pnlSquares / (n - 1)).squareRoot() : 0
        m.sqn = deviation > 0 ? n.squareRoot() * pnlMean / deviation : 0
        let winRate = Double(wins) / n
        if wins > 0, losses > 0 {
            m.kelly = winRate - (1 - winRate) / ((grossProfit / Double(wins)) / (grossLoss / Double(losses)))
        } else {
            m.kelly = wins > 0 ? 1 : 0
        }
        m.averageTradeDuration = Double(durationSum) / 1_000 / n
        m.maxTradeDuration = Double(longest) / 1_000
    }
}

/// What the metrics need of the equity curve, accumulated as it is made: memory stays constant
/// however many bars a run has. One point per distinct time (the last equity of that time).
package struct EquityStatistics: Sendable {
    /// Drawdown periods: from a point at the running peak to the next one after a fall, or to the
    /// last point when the fall has not recovered.
    struct DrawdownPeriods: Sendable {
        var count = 0
        var depthSum = 0.0
        var durationSum: Int64 = 0
        var longest: Int64 = 0

        mutating func close(depth: Double, duration: Int64) {
            count += 1
            depthSum += depth
            durationSum += duration
            longest = max(longest, duration)
        }
    }

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
    private(set) var drawdownPeriods = DrawdownPeriods()
    /// The time of the last point at the peak, and the deepest fall since (0: at the peak).
    private var peakTime: Int64?
    private var depth = 0.0

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
        if depth > 0, let peakTime, let lastTime { drawdownPeriods.close(depth: depth, duration: lastTime - peakTime) }
        depth = 0
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
        let fall = peak > 0 ? 1 - point.equity / peak : 0
        maxDrawdown = max(maxDrawdown, fall)
        if fall <= 0 {
            if depth > 0, let peakTime { drawdownPeriods.close(depth: depth, duration: point.time - peakTime) }
            (peakTime, depth) = (point.time, 0)
        } else {
            if peakTime == nil { peakTime = point.time }
            depth = max(depth, fall)
        }
    }
}
