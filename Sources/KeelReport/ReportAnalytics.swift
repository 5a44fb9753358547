import Foundation
import KeelData
import KeelEngine
import KeelLanguage

/// The figures a report draws that the backtest does not print: computed here, from the equity
/// curve, the trades and the bars, so the browser only draws.
enum ReportAnalytics {
    typealias Point = (time: Int64, equity: Double)

    /// The last equity of each UTC day (every point when the bars are a day or longer): the
    /// series rolling ratios, exposure and calendar returns are read from.
    static func dailyCloses(_ curve: [Point]) -> [Point] {
        var days: [Point] = []
        for point in curve {
            if let last = days.last, day(last.time) == day(point.time) { days[days.count - 1] = point } else { days.append(point) }
        }
        return days
    }

    static func day(_ time: Int64) -> Int64 { time >= 0 ? time / 86_400_000 : (time + 1) / 86_400_000 - 1 }

    /// (year, month) of a UTC time (Howard Hinnant's civil-from-days).
    static func yearMonth(_ time: Int64) -> (year: Int, month: Int) {
        let z = Int(day(time)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month)
    }

    /// A calendar period's return: its last equity over the one before it (the capital for the first).
    struct PeriodReturn: Equatable {
        var year: Int
        /// 1...12, or 0 for a whole year.
        var month: Int
        var value: Double
    }

    static func calendarReturns(_ curve: [Point], capital: Double) -> (months: [PeriodReturn], years: [PeriodReturn]) {
        var months: [PeriodReturn] = [], years: [PeriodReturn] = []
        var monthStart = capital, yearStart = capital
        var current: (year: Int, month: Int)?
        var last = capital
        func close(_ period: (year: Int, month: Int), yearEnds: Bool) {
            months.append(PeriodReturn(year: period.year, month: period.month, value: last / monthStart - 1))
            monthStart = last
            if yearEnds {
                years.append(PeriodReturn(year: period.year, month: 0, value: last / yearStart - 1))
                yearStart = last
            }
        }
        for point in curve {
            let period = yearMonth(point.time)
            if let open = current, open != period { close(open, yearEnds: open.year != period.year) }
            current = period
            last = point.equity
        }
        if let open = current { close(open, yearEnds: true) }
        return (months, years)
    }

    /// Rolling Sharpe and volatility of daily returns over `window` days, annualised by the days per
    /// year the curve observed (252 for weekdays, 365 for crypto); the first value at day `window`.
    static func rolling(_ days: [Point], window: Int) -> (times: [Int64], sharpe: [Double], volatility: [Double]) {
        guard days.count > window + 1, let first = days.first, let last = days.last, last.time > first.time else { return ([], [], []) }
        let perYear = Double(days.count - 1) / (Double(last.time - first.time) / 1_000 / (365.25 * 86_400))
        let returns = zip(days.dropFirst(), days).map { $0.equity / $1.equity - 1 }
        var times: [Int64] = [], sharpe: [Double] = [], volatility: [Double] = []
        var sum = 0.0, squares = 0.0
        for (i, r) in returns.enumerated() {
            sum += r
            squares += r * r
            if i >= window {
                sum -= returns[i - window]
                squares -= returns[i - window] * returns[i - window]
            }
            guard i >= window - 1 else { continue }
            let mean = sum / Double(window)
            let sd = (max(0, squares - Double(window) * mean * mean) / Double(window - 1)).squareRoot()
            times.append(days[i + 1].time)
            volatility.append(sd * perYear.squareRoot())
            sharpe.append(sd > 1e-12 ? mean / sd * perYear.squareRoot() : .nan)
        }
        return (times, sharpe, volatility)
    }

    /// Gross exposure (the value of every position over equity) at each of `days`: positions from
    /// the trades (entry to exit) and the ones still open, marked at each symbol's last close.
    static func exposure(at days: [Point], trades: [Trade], open: [BacktestResult.OpenPosition], bars: [BarSeries]) -> [Double] {
        guard !bars.isEmpty else { return [] }
        let symbols = Dictionary(bars.enumerated().map { ($1.symbol, $0) }, uniquingKeysWith: { a, _ in a })
        // (time, symbol, signed quantity change), applied in time order.
        var changes: [(time: Int64, symbol: Int, delta: Double)] = []
        for t in trades {
            guard let s = symbols[t.symbol] else { continue }
            let signed = t.side == .long ? t.quantity : -t.quantity
            changes.append((t.entryTime, s, signed))
            changes.append((t.exitTime, s, -signed))
        }
        for p in open {
            guard let s = symbols[p.symbol] else { continue }
            changes.append((p.entryTime, s, p.side == .long ? p.quantity : -p.quantity))
        }
        changes.sort { $0.time < $1.time }
        var held = [Double](repeating: 0, count: bars.count)
        var rows = [Int](repeating: 0, count: bars.count)
        var next = 0
        return days.map { point in
            while next < changes.count, changes[next].time <= point.time {
                held[changes[next].symbol] += changes[next].delta
                next += 1
            }
            var gross = 0.0
            for (s, series) in bars.enumerated() where abs(held[s]) > 1e-12 {
                while rows[s] + 1 < series.count, series.time[rows[s] + 1] <= point.time { rows[s] += 1 }
                if series.count > 0, series.time[rows[s]] <= point.time { gross += abs(held[s]) * series.close[rows[s]] }
            }
            return point.equity > 0 ? gross / point.equity : .nan
        }
    }

    /// Each symbol's share of the result: realised P&L, open P&L, trades and wins.
    struct Contribution {
        var symbol: String
        var realized = 0.0
        var unrealized = 0.0
        var trades = 0
        var wins = 0
        var fees = 0.0
    }

    static func contributions(symbols: [String], trades: [Trade], open: [BacktestResult.OpenPosition]) -> [Contribution] {
        var bySymbol = Dictionary(uniqueKeysWithValues: symbols.map { ($0, Contribution(symbol: $0)) })
        for t in trades {
            bySymbol[t.symbol, default: Contribution(symbol: t.symbol)].realized += t.pnl
            bySymbol[t.symbol]!.trades += 1
            bySymbol[t.symbol]!.fees += t.fees
            if t.pnl > 0 { bySymbol[t.symbol]!.wins += 1 }
        }
        for p in open { bySymbol[p.symbol, default: Contribution(symbol: p.symbol)].unrealized += p.unrealizedPnl }
        return symbols.compactMap { bySymbol[$0] }
    }
}
