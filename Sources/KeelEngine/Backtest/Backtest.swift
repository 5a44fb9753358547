import KeelData
import KeelLanguage

/// A finished backtest: what `keel backtest --format json` prints.
public struct BacktestResult: Sendable {
    /// An open position marked to market; its JSON as `Trade`'s.
    public struct OpenPosition: Sendable, Equatable, Encodable {
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

        private enum CodingKeys: String, CodingKey {
            case symbol, side, quantity
            case entryTime = "entry_time", entryPrice = "entry_price", markTime = "mark_time", markPrice = "mark_price", unrealizedPnl = "unrealized_pnl"
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
    /// The date range asked for (`--from`, `--to`); unbounded when none was.
    public var range = DateRange()
    /// Bars each symbol's indicators warmed up on before the range (`warmupNeeded` at most).
    public var warmupBars: [Int] = []
    /// The strategy's static warm-up: bars before its rules all have values.
    public var warmupNeeded = 0
    /// Each symbol's file and how it was read; nil for bars given in memory.
    public var dataFiles: [DataOrigin?] = []
    /// The bar size the strategy ran on, in seconds, and the data's own when it was resampled to
    /// it (equal otherwise); nil when unknown (a single bar).
    public var barSeconds: Int?
    public var dataBarSeconds: Int?
    /// Quiet bars the run took (QuietBars.swift): with one symbol, bars taken in bulk; with more,
    /// time steps taken as quiet ones. How much of the run the fast paths covered.
    public var quietBars = 0

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
                           annualization: Double? = nil, range: DateRange = DateRange(),
                           carried: [BacktestResult.OpenPosition] = []) throws -> BacktestResult {
        // A memory source never throws; a timeframe the bars cannot serve does (`Refusal`).
        try run(program, sources: feeds.map(MemoryBarSource.init), capital: capital, trace: trace, keepEquityCurve: keepEquityCurve,
                 keepTrades: keepTrades, precomputeRows: precomputeRows, annualization: annualization, range: range, carried: carried)
    }

    /// `precomputeRows` is how many bars of a symbol the evaluator computes at once (the bar-only
    /// part of the program); 1 steps every node bar by bar, as a live run does. The default keeps
    /// all evaluators' columns within about 16 MB. A bounded `range` trades only its bars; up to
    /// the strategy's warm-up of bars before it feed the indicators first (`Engine.warmUp`).
    /// `carried` positions (an earlier run's open positions, walk-forward's `--carry`) are taken
    /// at their mark price after the warm-up, before the first bar traded; `capital` includes them.
    public static func run(_ program: CompiledStrategy, sources: [BarSource], capital: Double, trace: Bool = false,
                           keepEquityCurve: Bool = false, keepTrades: Bool = true, precomputeRows: Int? = nil,
                           annualization: Double? = nil, spool: ResultSpool? = nil, range: DateRange = DateRange(),
                           carried: [BacktestResult.OpenPosition] = [], progress: ((Double) -> Void)? = nil) throws -> BacktestResult {
        let order = Universe.order(named: program.settings.symbols, feed: sources.map(\.symbol))
        var sources = order.map { symbol in sources.first { $0.symbol == symbol }! }
        let timeframe = program.settings.timeframe
        let declared = timeframe?.value.seconds
        var resampledFrom: Int?
        if let declared { (sources, resampledFrom) = try TimeframePlan.apply(sources, timeframeSeconds: declared, declaredAt: timeframe?.range) }
        // The range cuts the bars the strategy runs on: after any resampling to its timeframe.
        let ranged = range.isBounded ? sources.map { RangedBarSource($0, range: range, warmup: program.warmup) } : []
        if range.isBounded { sources = ranged }
        let feeds = Feeds(sources)
        let read = sources
        feeds.onRefill = progress.map { report in { report(read.map(\.fractionRead).reduce(0, +) / Double(max(1, read.count))) } }
        try feeds.start()
        // A file with a header and no rows (or only rows a policy skipped) is no data: never a run of nothing that exits 0.
        if let empty = ranged.first(where: { $0.firstInRange == nil }) { throw outside(empty) }
        if let empty = sources.indices.first(where: { !feeds.positions[$0].live }) {
            throw Refusal(description: "\(sources[empty].symbol): the data has no bars")
        }
        let barSeconds = declared ?? inferBarSeconds(Array(feeds.chunks))
        let rows = precomputeRows ?? min(4_096, max(16, (1 << 21) / max(1, program.slotCount * sources.count)))
        // The bar-only part of the program, `rows` bars of a symbol at a time, within its chunk.
        let nextWindow: Engine.NextWindow? = rows == 1 ? nil : { [unowned feeds] i in
            let position = feeds.positions[i]
            return (feeds.chunks[i], position.row..<min(position.row + rows, position.count), position.barIndex)
        }
        let engine = Engine(program: program, symbols: sources.map(\.symbol),
                            options: .init(capital: capital, barSeconds: barSeconds, trace: trace, keepEquityCurve: keepEquityCurve,
                                          keepTrades: keepTrades, precomputeRows: rows, annualization: annualization),
                            nextWindow: nextWindow)
        if let spool {
            engine.tradeSink = { spool.add($0) }
            engine.riskEventSink = { spool.add($0) }
        }
        // Which signal column of each source feeds each `signal.NAME` of the program.
        let signalColumns = sources.map { source in program.signalNames.map { source.signalNames.firstIndex(of: $0) } }
        let readsSignals = !program.signalNames.isEmpty
        /// Puts every bar of time `now` into the engine's next step.
        @inline(__always) func stage(_ now: Int64) {
            for i in sources.indices where feeds.time(i) == now {
                engine.stage(i, feeds.bar(i))
                if readsSignals {
                    for (k, column) in signalColumns[i].enumerated() { engine.stageSignal(i, k, column.map { feeds.signal(i, $0) } ?? .nan) }
                }
            }
        }
        @inline(__always) func advance(_ now: Int64) throws {
            for i in sources.indices where feeds.time(i) == now { try feeds.advance(i) }
        }
        // A range's warm-up first: the bars before it feed the indicators and nothing else.
        let tradingFrom = range.from ?? .min
        while let now = feeds.nextTime(), now < tradingFrom {
            stage(now)
            engine.warmUp(now)
            try advance(now)
        }
        for position in carried {
            guard let index = engine.symbols.firstIndex(of: position.symbol) else {
                throw Refusal(description: "the carried \(position.symbol) position has no bars here")
            }
            engine.inherit(index, side: position.side, quantity: position.quantity, price: position.markPrice, time: position.markTime)
        }
        // One symbol's quiet bars (nothing pending, no rule firing, no level reached) are taken in bulk (QuietBars.swift).
        let quiet = engine.takesQuietBars, bulk = quiet && sources.count == 1
        var quietBars = 0
        while let now = feeds.nextTime() {
            if bulk {
                let taken = feeds.withUpcoming(0) { engine.stepQuietBars($0) }
                if taken > 0 {
                    quietBars += taken
                    try feeds.skip(0, taken)
                    continue
                }
            }
            stage(now)
            if quiet, !bulk, engine.stepQuietly(now) {
                quietBars += 1
            } else {
                engine.step(now)
            }
            try advance(now)
        }
        let firstTime = ranged.isEmpty ? feeds.positions.compactMap(\.firstTime).min() : ranged.compactMap(\.firstInRange).min()
        var result = engine.report(bars: feeds.barCount - ranged.map(\.warmupBars).reduce(0, +), firstTime: firstTime ?? 0,
                                   lastTime: feeds.positions.compactMap(\.lastTime).max() ?? 0, markTimes: feeds.positions.map(\.lastTime),
                                   barSeconds: barSeconds)
        (result.barSeconds, result.dataBarSeconds) = (barSeconds, resampledFrom ?? barSeconds)
        (result.range, result.warmupBars, result.warmupNeeded) = (range, ranged.map(\.warmupBars), program.warmup)
        result.dataFiles = sources.map(\.origin)
        result.quietBars = quietBars
        return result
    }

    /// The refusal of a source with no bar inside the range, naming the data's own period.
    private static func outside(_ source: RangedBarSource) -> Refusal {
        let asked = [source.range.fromText.map { "--from \($0)" }, source.range.toText.map { "--to \($0)" }].compactMap { $0 }.joined(separator: " ")
        let held = source.firstSeen.map { first in
            "; its bars run from \(TimestampParser.format(first))" + (source.lastSeen.map { " to \(TimestampParser.format($0))" } ?? "")
        } ?? ""
        return Refusal(description: "\(source.symbol): no bars in \(asked)\(held)")
    }

    /// Why a backtest refused its data before running (a timeframe its bars cannot serve).
    public typealias Refusal = TimeframePlan.Refusal

    /// The data's bar size when the strategy names no timeframe (`BarSizeInference`).
    public static func inferBarSeconds(_ feeds: [BarSeries]) -> Int? { BarSizeInference.seconds(feeds) }
}
