import KeelEngine
import KeelResearch

/// The statistics table of a report: every metric Keel computes (`Metrics.named`, docs/metrics.md),
/// how it reads, and its one-line definition for the hover.
enum MetricGlossary {
    enum Unit { case percent, ratio, count, duration, perYear, money }

    struct Entry {
        let name: String
        let label: String
        let unit: Unit
        let definition: String

        /// Whether more is better, for a sweep's "best" point: the search's own rule (`Objective`).
        var higherIsBetter: Bool { name != "annualization" && !Objective.lowerIsBetter.contains(name) }
    }

    static let entries: [Entry] = [
        Entry(name: "total_return", label: "Total return", unit: .percent, definition: "Final equity over the starting capital, minus 1."),
        Entry(name: "cagr", label: "CAGR", unit: .percent, definition: "Compound annual growth: (final / capital)^(1 / years) - 1, years of 365.25 days."),
        Entry(name: "sharpe", label: "Sharpe", unit: .ratio, definition: "Mean per-step return over its sample standard deviation, times sqrt(periods per year); no risk-free rate."),
        Entry(name: "sortino", label: "Sortino", unit: .ratio, definition: "Mean per-step return over the root mean square of the negative returns, times sqrt(periods per year)."),
        Entry(name: "volatility", label: "Volatility", unit: .percent, definition: "Sample standard deviation of per-step returns, times sqrt(periods per year)."),
        Entry(name: "calmar", label: "Calmar", unit: .ratio, definition: "CAGR over the maximum drawdown (0 without a drawdown)."),
        Entry(name: "annualization", label: "Periods per year", unit: .perYear, definition: "What the ratios are annualised by: the data's observed bars per year, or --annualization."),
        Entry(name: "max_drawdown", label: "Max drawdown", unit: .percent, definition: "The largest fall of equity from its running peak: 1 - equity / peak."),
        Entry(name: "average_drawdown", label: "Avg drawdown", unit: .percent, definition: "The mean of the deepest point of each drawdown period."),
        Entry(name: "max_drawdown_duration_seconds", label: "Longest drawdown", unit: .duration, definition: "From a point at the running peak to the next point back at it (or the last point)."),
        Entry(name: "average_drawdown_duration_seconds", label: "Avg drawdown length", unit: .duration, definition: "The mean length of the drawdown periods."),
        Entry(name: "trade_count", label: "Trades", unit: .count, definition: "Closed trades; each take-profit step that closes part of a position is one."),
        Entry(name: "win_rate", label: "Win rate", unit: .percent, definition: "The share of closed trades with P&L above 0."),
        Entry(name: "profit_factor", label: "Profit factor", unit: .ratio, definition: "Gross profit over gross loss of closed trades' P&L (infinite with no loss)."),
        Entry(name: "best_trade", label: "Best trade", unit: .percent, definition: "The highest trade return: P&L net of both fees over the entry value."),
        Entry(name: "worst_trade", label: "Worst trade", unit: .percent, definition: "The lowest trade return: P&L net of both fees over the entry value."),
        Entry(name: "average_trade", label: "Avg trade", unit: .percent, definition: "Geometric mean of trade returns: exp(mean log(1 + r)) - 1."),
        Entry(name: "expectancy", label: "Expectancy", unit: .percent, definition: "Arithmetic mean of trade returns."),
        Entry(name: "sqn", label: "SQN", unit: .ratio, definition: "Van Tharp's system quality number: sqrt(n) x mean P&L / its sample standard deviation."),
        Entry(name: "kelly", label: "Kelly", unit: .ratio, definition: "W - (1 - W) / (average win / average loss), from closed trades' P&L."),
        Entry(name: "average_trade_duration_seconds", label: "Avg trade length", unit: .duration, definition: "Mean time from entry to exit of closed trades."),
        Entry(name: "max_trade_duration_seconds", label: "Longest trade", unit: .duration, definition: "The longest time from entry to exit of a closed trade."),
        Entry(name: "exposure", label: "Exposure (symbol-bars)", unit: .percent, definition: "The share of symbol-bars whose close found a position open."),
        Entry(name: "exposure_time", label: "Exposure (time)", unit: .percent, definition: "The share of time steps during which any position was open (backtesting.py's Exposure Time)."),
        Entry(name: "buy_and_hold", label: "Buy and hold", unit: .percent, definition: "The mean over the symbols of last close / first close - 1."),
    ]

    /// A value as the table shows it; the cell keeps the exact number beside it.
    static func display(_ value: Double, _ unit: Unit) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        switch unit {
        case .percent: return ResultFormat.format(value * 100, 2) + "%"
        case .ratio: return ResultFormat.format(value, 3)
        case .count: return String(Int(value))
        case .perYear: return ResultFormat.format(value, 1)
        case .money: return grouped(value)
        case .duration: return ResultFormat.duration(value)
        }
    }

    /// 1234567.891 as "1,234,567.89".
    static func grouped(_ value: Double) -> String {
        let text = ResultFormat.format(value, 2)
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        guard let dot = body.firstIndex(of: ".") else { return text }
        var whole = String(body[..<dot])
        var out = ""
        while whole.count > 3 {
            out = "," + whole.suffix(3) + out
            whole.removeLast(3)
        }
        return (negative ? "-" : "") + whole + out + body[dot...]
    }
}
