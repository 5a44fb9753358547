import KeelData
import KeelEngine
import KeelLanguage
import KeelStore

/// The scalars of a run's result (bars, times, equity, metrics), kept with the run as one flat
/// JSON object and rewritten by every commit. Numbers are written in Swift's shortest
/// round-tripping form and read back correctly rounded, so they come back bit for bit.
struct RunSummary {
    var bars: Int
    var firstTime: Int64
    var lastTime: Int64
    var finalEquity: Double
    var riskEventCount: Int
    var metrics: [(String, Double)]
    /// The bar size the run trades and the stream's own (they differ when bars are resampled); absent from older summaries.
    var barSeconds: Int?
    var dataBarSeconds: Int?

    /// What every stored summary holds; the other metrics came later and read as NaN from older stores.
    static let requiredMetrics = ["total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "profit_factor", "trade_count",
                                  "exposure", "buy_and_hold"]

    init(_ result: BacktestResult) {
        bars = result.bars
        firstTime = result.firstTime
        lastTime = result.lastTime
        finalEquity = result.finalEquity
        riskEventCount = result.riskEventCount
        metrics = result.metrics.named
        (barSeconds, dataBarSeconds) = (result.barSeconds, result.dataBarSeconds)
    }

    func encoded() -> String {
        // Infinity (a profit factor with no losing trade) is kept as text; JSON has no number for it.
        func number(_ x: Double) -> JSON.Value { x.isNaN ? .null : x.isInfinite ? .string(x > 0 ? "inf" : "-inf") : .number(x) }
        let fields: [(String, JSON.Value)] = [("bars", .int(bars)), ("first_time", .int(Int(firstTime))), ("last_time", .int(Int(lastTime))),
                                              ("final_equity", number(finalEquity)), ("risk_event_count", .int(riskEventCount))]
            + metrics.map { ($0.0, number($0.1)) }
            + [("bar_seconds", barSeconds.map { .int($0) } ?? .null), ("data_bar_seconds", dataBarSeconds.map { .int($0) } ?? .null)]
        return JSON.encode(.object(fields), pretty: false)
    }

    init?(decoding text: String) {
        guard let fields = try? EventLine.object(Array(text.utf8)) else { return nil }
        func value(_ key: String) -> Double? {
            switch fields[key]?.token {
            case .number(let digits)?: DecimalParser.parse(String(digits))
            case .string("inf")?: .infinity
            case .string("-inf")?: -.infinity
            case .literal("null")?: .nan
            default: nil
            }
        }
        guard let bars = value("bars"), let first = value("first_time"), let last = value("last_time"), let equity = value("final_equity"),
              let events = value("risk_event_count") else { return nil }
        (self.bars, firstTime, lastTime, finalEquity, riskEventCount) = (Int(bars), Int64(first), Int64(last), equity, Int(events))
        for name in Self.requiredMetrics where value(name) == nil { return nil }
        metrics = Metrics().named.compactMap { name, _ in value(name).map { (name, $0) } }
        (barSeconds, dataBarSeconds) = (value("bar_seconds").flatMap { $0.isNaN ? nil : Int($0) },
                                        value("data_bar_seconds").flatMap { $0.isNaN ? nil : Int($0) })
    }

    var result: Metrics { Metrics(named: Dictionary(metrics, uniquingKeysWith: { a, _ in a })) }
}

/// A stored run in the backtest's result contract: what `keel runs show` prints.
package enum RunReport {
    package enum Failure: Error, CustomStringConvertible {
        case noRun(String, known: [String])
        case noSummary(String)

        package var description: String {
            switch self {
            case .noRun(let id, let known):
                "no run '\(id)' in the store" + (known.isEmpty ? " (it has none)" : "; it has: \(known.joined(separator: ", "))")
            case .noSummary(let id): "run '\(id)' has not committed a step yet"
            }
        }
    }

    /// The final equity a stored summary records.
    package static func finalEquity(summary: String) -> Double? { RunSummary(decoding: summary)?.finalEquity }

    package static func result(_ store: KeelStore, run id: String, includeEquity: Bool = false) throws -> BacktestResult {
        guard let run = try store.run(id) else { throw Failure.noRun(id, known: try store.runs().map(\.id)) }
        guard let text = run.summary, let summary = RunSummary(decoding: text) else { throw Failure.noSummary(id) }
        let (trades, open, risk) = (try store.trades(run: id), try store.positions(run: id), try store.riskEvents(run: id))
        var result = BacktestResult(strategy: run.strategyName, symbols: run.symbols, capital: run.capital, bars: summary.bars,
                                    firstTime: summary.firstTime, lastTime: summary.lastTime, finalEquity: summary.finalEquity, trades: trades,
                                    openPositions: open, equityCurve: includeEquity ? try store.equity(run: id) : [], riskEvents: risk,
                                    riskEventCount: summary.riskEventCount, decisions: [], metrics: summary.result)
        (result.barSeconds, result.dataBarSeconds) = (summary.barSeconds ?? run.barSeconds, summary.dataBarSeconds ?? run.barSeconds)
        return result
    }
}
