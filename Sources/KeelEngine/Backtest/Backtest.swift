import KeelData
import KeelLanguage

/// A finished backtest: what `keel backtest --format json` prints.
public struct BacktestResult: Sendable {
    public struct OpenPosition: Sendable {
        public var symbol: String
        public var side: Side
        public var quantity: Double
        public var entryTime: Int64
        public var entryPrice: Double
        public var markTime: Int64
        public var markPrice: Double
        public var unrealizedPnl: Double
    }

    public var strategy: String
    public var symbols: [String]
    public var capital: Double
    public var bars: Int
    public var firstTime: Int64
    public var lastTime: Int64
    public var finalEquity: Double
    public var trades: [Trade]
    public var openPositions: [OpenPosition]
    public var equityCurve: [(time: Int64, equity: Double)]
    public var riskEvents: [Engine.RiskEvent]
    /// Every decision with the values it read; empty unless the run traced.
    public var decisions: [Engine.Decision]
    public var metrics: Metrics
}

/// Replays historical bars through the engine: events in timestamp order across symbols, ties in
/// the universe's order.
public enum Backtest {
    public static func run(_ program: CompiledStrategy, feeds: [BarSeries], capital: Double, trace: Bool = false,
                           keepEquityCurve: Bool = false) -> BacktestResult {
        let barSeconds = program.settings.parsed.timeframe?.value.seconds ?? inferBarSeconds(feeds)
        let engine = Engine(program: program, symbols: feeds.map(\.symbol),
                            options: .init(capital: capital, barSeconds: barSeconds, trace: trace, keepEquityCurve: keepEquityCurve))
        // Which signal column of each feed feeds each `signal.NAME` of the program.
        let signalColumns = feeds.map { feed in program.signalNames.map { feed.signalNames.firstIndex(of: $0) } }
        var cursors = [Int](repeating: 0, count: feeds.count)
        var signals = [Double](repeating: .nan, count: program.signalNames.count)
        // Symbols with a bar at the current time, in the universe's order; reused every step.
        var active: [Int] = []
        active.reserveCapacity(feeds.count)
        var count = 0
        func bar(_ i: Int) -> BarInput {
            let feed = feeds[i], row = cursors[i]
            return BarInput(time: feed.time[row], open: feed.open[row], high: feed.high[row], low: feed.low[row],
                            close: feed.close[row], volume: feed.volume[row], index: row)
        }
        while true {
            var now = Int64.max
            for (i, feed) in feeds.enumerated() where cursors[i] < feed.count { now = min(now, feed.time[cursors[i]]) }
            guard now != .max else { break }
            active.removeAll(keepingCapacity: true)
            for (i, feed) in feeds.enumerated() where cursors[i] < feed.count && feed.time[cursors[i]] == now { active.append(i) }
            engine.beginTime(now)
            for i in active {
                for (k, column) in signalColumns[i].enumerated() { signals[k] = column.map { feeds[i].signals[$0][cursors[i]] } ?? .nan }
                engine.marketStep(i, bar(i), signals: signals)
            }
            for i in active { engine.indicatorStep(i, bar(i)) }
            engine.rankStep()
            for i in active { engine.exitStep(i, bar(i)) }
            for i in active { engine.entryStep(i, bar(i)) }
            engine.endTime(now)
            for i in active { cursors[i] += 1 }
            count += active.count
        }
        return result(engine, feeds: feeds, capital: capital, bars: count, barSeconds: barSeconds)
    }

    private static func result(_ engine: Engine, feeds: [BarSeries], capital: Double, bars: Int, barSeconds: Int?) -> BacktestResult {
        var open: [BacktestResult.OpenPosition] = []
        for (index, book) in engine.books.enumerated() {
            guard let p = book.position, let last = feeds[index].time.last else { continue }
            open.append(.init(symbol: engine.symbols[index], side: p.side, quantity: p.quantity, entryTime: p.entryTime,
                              entryPrice: p.entryPrice, markTime: last, markPrice: book.lastClose,
                              unrealizedPnl: p.sign * p.quantity * (book.lastClose - p.entryPrice) - p.entryFees))
        }
        let first = feeds.compactMap(\.time.first).min() ?? 0
        let last = feeds.compactMap(\.time.last).max() ?? 0
        let exposure = bars == 0 ? 0 : Double(engine.books.reduce(0) { $0 + $1.barsInMarket }) / Double(bars)
        let buyAndHold = feeds.isEmpty ? 0 : feeds.reduce(0.0) { total, feed in
            guard let a = feed.close.first, let b = feed.close.last, a > 0 else { return total }
            return total + (b / a - 1)
        } / Double(feeds.count)
        var statistics = engine.statistics
        statistics.finish()
        let metrics = Metrics.compute(statistics, capital: capital, trades: engine.trades, barSeconds: barSeconds,
                                      exposure: exposure, buyAndHold: buyAndHold)
        return BacktestResult(strategy: engine.program.name, symbols: engine.symbols, capital: capital, bars: bars, firstTime: first,
                              lastTime: last, finalEquity: engine.equity, trades: engine.trades, openPositions: open,
                              equityCurve: engine.equityCurve, riskEvents: engine.riskEvents, decisions: engine.decisions,
                              metrics: metrics)
    }

    /// The most common gap between the first bars, when the strategy names no timeframe.
    static func inferBarSeconds(_ feeds: [BarSeries]) -> Int? {
        var counts: [Int64: Int] = [:]
        for feed in feeds {
            for i in 1..<min(feed.count, 200) where feed.count > 1 { counts[feed.time[i] - feed.time[i - 1], default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value }.map { Int($0.key / 1_000) }
    }
}
