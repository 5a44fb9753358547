import Foundation
import Keel
import KeelData
import KeelRunner
import KeelStore

/// A paper or live run beside the backtest of the same strategy on the same bars: the bars are the
/// run's own accepted bar events, so a difference is the run's (a restart, an operator's halt, a
/// broker's fill), never the data's.
public struct RunComparison: Sendable {
    public var backtest: BacktestResult
    /// The first time step whose equity differs by more than a cent, with both values.
    public var firstDivergence: (time: Int64, run: Double, backtest: Double)?
    /// Trades both have, equal in every field, from the first on.
    public var matchingTrades: Int
    /// The first trades that differ (at most 50), index by index; nil where one side has none.
    public var differingTrades: [(index: Int, run: Trade?, backtest: Trade?)]

    public init(run: BacktestResult, backtest: BacktestResult) {
        self.backtest = backtest
        let backtestEquity = Dictionary(backtest.equityCurve.map { ($0.time, $0.equity) }, uniquingKeysWith: { _, last in last })
        firstDivergence = run.equityCurve.lazy.compactMap { point -> (Int64, Double, Double)? in
            guard let other = backtestEquity[point.time], abs(other - point.equity) > 0.005 else { return nil }
            return (point.time, point.equity, other)
        }.first
        let pairs = max(run.trades.count, backtest.trades.count)
        var matching = 0
        while matching < min(run.trades.count, backtest.trades.count), run.trades[matching] == backtest.trades[matching] { matching += 1 }
        matchingTrades = matching
        differingTrades = (matching..<pairs).prefix(50).compactMap { i in
            let a = i < run.trades.count ? run.trades[i] : nil, b = i < backtest.trades.count ? backtest.trades[i] : nil
            return a == b ? nil : (i, a, b)
        }
    }

    /// A run's report: its result, the bars it accepted, and the backtest of its strategy on them.
    /// Throws `RunReport.Failure` for an unknown run or one without a summary yet.
    package static func report(store: KeelStore, run id: String, command: [String]) throws -> BacktestReport {
        var result = try RunReport.result(store, run: id, includeEquity: true)
        // The decisions the run stored, with their readings: the trade detail's "why".
        result.decisions = try store.decisions(run: id).map { stored in
            let readings = (try? JSONReader.foundationObject(Array(stored.readings.utf8)) as? [String: Any]) ?? [:]
            return Engine.Decision(time: stored.time, symbol: stored.symbol, action: stored.action, side: Side(rawValue: stored.side) ?? .long,
                                   rule: stored.rule, values: readings.keys.sorted().map { ($0, (readings[$0] as? NSNumber)?.doubleValue ?? .nan) })
        }
        guard let run = try store.run(id) else { throw RunReport.Failure.noRun(id, known: []) }
        var notes: [String] = []
        let strategy = try? LoadedStrategy(path: run.strategyPath ?? "\(id).yaml", text: run.strategySource)
        var series = Dictionary(uniqueKeysWithValues: run.symbols.map { ($0, BarSeries(symbol: $0)) })
        var quotes = 0
        for event in try store.events(run: id) where event.status == "accepted" {
            switch try? EventLine.parse(event.line) {
            case .bar(let symbol, let time, let open, let high, let low, let close, let volume)?:
                series[symbol]?.append(time: time, open: open, high: high, low: low, close: close, volume: volume)
            case .quote?: quotes += 1
            default: break
            }
        }
        let bars = run.symbols.compactMap { series[$0] }.filter { $0.count > 0 }
        var report = BacktestReport(result: result, bars: bars, strategy: strategy,
                                    manifest: ReportManifest(command: command, strategyPath: run.strategyPath, strategyText: run.strategySource))
        report.title = "\(run.mode) run \(id)"
        if quotes > 0 { notes.append("This run was fed \(quotes) quotes, which it built into bars: the backtest beside it needs bar events, and is left out.") }
        if let strategy, quotes == 0, bars.count == run.symbols.count {
            do {
                let backtest = try Backtest.run(strategy.program, feeds: bars, capital: run.capital, keepEquityCurve: true, keepTrades: true)
                report.comparison = RunComparison(run: result, backtest: backtest)
            } catch {
                notes.append("The backtest of this run's strategy on its bars could not run: \(error)")
            }
        } else if strategy == nil {
            notes.append("The run's strategy no longer compiles with this Keel: no backtest beside it.")
        }
        report.notes = notes
        return report
    }
}
