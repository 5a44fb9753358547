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

        public init(symbol: String, side: Side, quantity: Double, entryTime: Int64, entryPrice: Double, markTime: Int64, markPrice: Double,
                    unrealizedPnl: Double) {
            (self.symbol, self.side, self.quantity, self.entryTime, self.entryPrice) = (symbol, side, quantity, entryTime, entryPrice)
            (self.markTime, self.markPrice, self.unrealizedPnl) = (markTime, markPrice, unrealizedPnl)
        }
    }

    public var strategy: String
    public var symbols: [String]
    public var capital: Double
    public var bars: Int
    public var firstTime: Int64
    public var lastTime: Int64
    public var finalEquity: Double
    /// Closed trades, when the run kept them (the default); the metrics count them either way.
    public var trades: [Trade]
    public var openPositions: [OpenPosition]
    public var equityCurve: [(time: Int64, equity: Double)]
    public var riskEvents: [Engine.RiskEvent]
    /// How many risk events there were, listed or not.
    public var riskEventCount: Int
    /// Every decision with the values it read; empty unless the run traced.
    public var decisions: [Engine.Decision]
    public var metrics: Metrics
    /// The bar size the strategy ran on, in seconds, and the data's own when it was resampled to
    /// it (equal otherwise); nil when unknown (a single bar).
    public var barSeconds: Int?
    public var dataBarSeconds: Int?

    public init(strategy: String, symbols: [String], capital: Double, bars: Int, firstTime: Int64, lastTime: Int64, finalEquity: Double,
                trades: [Trade], openPositions: [OpenPosition], equityCurve: [(time: Int64, equity: Double)], riskEvents: [Engine.RiskEvent],
                riskEventCount: Int, decisions: [Engine.Decision], metrics: Metrics) {
        (self.strategy, self.symbols, self.capital, self.bars, self.firstTime, self.lastTime) = (strategy, symbols, capital, bars, firstTime, lastTime)
        (self.finalEquity, self.trades, self.openPositions, self.equityCurve) = (finalEquity, trades, openPositions, equityCurve)
        (self.riskEvents, self.riskEventCount, self.decisions, self.metrics) = (riskEvents, riskEventCount, decisions, metrics)
    }
}

/// Replays historical bars through the engine: events in timestamp order across symbols, ties in
/// the universe's order (`Universe.order`), whatever order the sources come in. Bars arrive in chunks from each source, so a file streams from disk.
public enum Backtest {
    /// In-memory series (tests, generated data).
    public static func run(_ program: CompiledStrategy, feeds: [BarSeries], capital: Double, trace: Bool = false,
                           keepEquityCurve: Bool = false, keepTrades: Bool = true, precomputeRows: Int? = nil,
                           annualization: Double? = nil) throws -> BacktestResult {
        // A memory source never throws; a timeframe the bars cannot serve does (`Refusal`).
        try run(program, sources: feeds.map(MemoryBarSource.init), capital: capital, trace: trace, keepEquityCurve: keepEquityCurve,
                 keepTrades: keepTrades, precomputeRows: precomputeRows, annualization: annualization)
    }

    /// `precomputeRows` is how many bars of a symbol the evaluator computes at once (the bar-only
    /// part of the program); 1 steps every node bar by bar, as a live run does. The default keeps
    /// all evaluators' columns within about 16 MB.
    public static func run(_ program: CompiledStrategy, sources: [BarSource], capital: Double, trace: Bool = false,
                           keepEquityCurve: Bool = false, keepTrades: Bool = true, precomputeRows: Int? = nil,
                           annualization: Double? = nil, spool: ResultSpool? = nil,
                           progress: ((Double) -> Void)? = nil) throws -> BacktestResult {
        let order = Universe.order(named: program.settings.parsed.symbols.map(\.value), feed: sources.map(\.symbol))
        var sources = order.map { symbol in sources.first { $0.symbol == symbol }! }
        let timeframe = program.settings.parsed.timeframe
        let declared = timeframe?.value.seconds
        var resampledFrom: Int?
        if let declared { (sources, resampledFrom) = try TimeframePlan.apply(sources, timeframeSeconds: declared, declaredAt: timeframe?.range) }
        let feeds = Feeds(sources)
        let read = sources
        feeds.onRefill = progress.map { report in { report(read.map(\.fractionRead).reduce(0, +) / Double(max(1, read.count))) } }
        try feeds.start()
        // A file with a header and no rows (or only rows a policy skipped) is no data: never a run of nothing that exits 0.
        if let empty = sources.indices.first(where: { !feeds.positions[$0].live }) {
            throw Refusal(description: "\(sources[empty].symbol): the data has no bars")
        }
        let barSeconds = declared ?? inferBarSeconds(Array(feeds.chunks))
        let rows = precomputeRows ?? min(4_096, max(16, (1 << 21) / max(1, program.slotCount * sources.count)))
        let engine = Engine(program: program, symbols: sources.map(\.symbol),
                            options: .init(capital: capital, barSeconds: barSeconds, trace: trace, keepEquityCurve: keepEquityCurve,
                                          keepTrades: keepTrades, precomputeRows: rows, annualization: annualization))
        if let spool {
            engine.tradeSink = { spool.add($0) }
            engine.riskEventSink = { spool.add($0) }
        }
        // Which signal column of each source feeds each `signal.NAME` of the program.
        let signalColumns = sources.map { source in program.signalNames.map { source.signalNames.firstIndex(of: $0) } }
        var signals = [Double](repeating: .nan, count: program.signalNames.count)
        // Symbols with a bar at the current time, in the universe's order, and each one's bar, built
        // once and read by the four phases: buffers reused every step.
        let memory = LoopMemory()
        let active = memory.buffer(repeating: 0, count: sources.count)
        let bars = memory.buffer(repeating: BarInput(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, index: 0), count: sources.count)
        while let now = feeds.nextTime() {
            var count = 0
            for i in sources.indices where feeds.time(i) == now {
                active[count] = i
                count += 1
                bars[i] = feeds.bar(i)
            }
            let symbols = active[..<count]
            // The step order, as `Engine.timeStep` writes it for a live run, with the precompute
            // window in front of each indicator step (the runner's parity tests hold a live run equal to a backtest).
            engine.beginTime(now)
            for i in symbols { engine.exitsAtOpen(i, bars[i]) }
            for i in symbols { engine.entriesAtOpen(i, bars[i]) }
            for i in symbols {
                if !signals.isEmpty {
                    for (k, column) in signalColumns[i].enumerated() { signals[k] = column.map { feeds.signal(i, $0) } ?? .nan }
                }
                engine.marketStep(i, bars[i], signals: signals)
            }
            for i in symbols {
                // Precomputed only now: until its indicator step, a symbol's slots must still hold
                // the previous bar's values, which fills and sizing read.
                let position = feeds.positions[i]
                if rows > 1, position.row == position.precomputedEnd {
                    let window = position.row..<min(position.row + rows, position.count)
                    engine.precompute(i, feeds.chunks[i], rows: window, firstIndex: position.barIndex)
                    feeds.positions[i].precomputedEnd = window.upperBound
                }
                engine.indicatorStep(i, bars[i])
            }
            engine.rankStep()
            for i in symbols { engine.exitStep(i, bars[i]) }
            for i in symbols { engine.exitsAtClose(i, bars[i]) }
            for i in symbols { engine.entryStep(i, bars[i]) }
            engine.endTime(now)
            for i in symbols { try feeds.advance(i) }
        }
        var result = result(engine, feeds: feeds, barSeconds: barSeconds)
        (result.barSeconds, result.dataBarSeconds) = (barSeconds, resampledFrom ?? barSeconds)
        return result
    }

    private static func result(_ engine: Engine, feeds: Feeds, barSeconds: Int?) -> BacktestResult {
        engine.report(bars: feeds.barCount, firstTime: feeds.positions.compactMap(\.firstTime).min() ?? 0,
                      lastTime: feeds.positions.compactMap(\.lastTime).max() ?? 0, markTimes: feeds.positions.map(\.lastTime),
                      barSeconds: barSeconds)
    }

    /// Why a backtest refused its data before running (a timeframe its bars cannot serve).
    public typealias Refusal = TimeframePlan.Refusal

    /// The data's bar size when the strategy names no timeframe (`BarSizeInference`).
    public static func inferBarSeconds(_ feeds: [BarSeries]) -> Int? { BarSizeInference.seconds(feeds) }
}
