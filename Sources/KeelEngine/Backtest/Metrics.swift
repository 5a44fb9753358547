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

    static func compute(equity curve: [(time: Int64, equity: Double)], capital: Double, trades: [Trade], barSeconds: Int?,
                        exposure: Double, buyAndHold: Double) -> Metrics {
        var m = Metrics()
        let final = curve.last?.equity ?? capital
        m.totalReturn = final / capital - 1
        if let first = curve.first?.time, let last = curve.last?.time, last > first, final > 0 {
            let years = Double(last - first) / 1_000 / (365.25 * 86_400)
            m.cagr = pow(final / capital, 1 / years) - 1
        }
        var returns: [Double] = []
        var previous = capital, peak = capital
        for point in curve {
            returns.append(previous > 0 ? point.equity / previous - 1 : 0)
            previous = point.equity
            peak = max(peak, point.equity)
            m.maxDrawdown = max(m.maxDrawdown, peak > 0 ? 1 - point.equity / peak : 0)
        }
        if returns.count > 1 {
            let mean = returns.reduce(0, +) / Double(returns.count)
            let deviation = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)).squareRoot()
            let downside = (returns.map { min(0, $0) * min(0, $0) }.reduce(0, +) / Double(returns.count)).squareRoot()
            let annual = (Double(365 * 86_400) / Double(barSeconds ?? 86_400)).squareRoot()
            m.sharpe = deviation > 0 ? mean / deviation * annual : 0
            m.sortino = downside > 0 ? mean / downside * annual : 0
        }
        m.tradeCount = trades.count
        let wins = trades.filter { $0.pnl > 0 }
        m.winRate = trades.isEmpty ? 0 : Double(wins.count) / Double(trades.count)
        let profit = wins.reduce(0) { $0 + $1.pnl }
        let loss = -trades.filter { $0.pnl < 0 }.reduce(0) { $0 + $1.pnl }
        m.profitFactor = loss > 0 ? profit / loss : (profit > 0 ? .infinity : 0)
        m.exposure = exposure
        m.buyAndHold = buyAndHold
        return m
    }
}
