import KeelData

/// Each source's current chunk and where the replay stands in it. Per-source positions live in a
/// buffer of plain values the feeds own: the replay touches them on every bar, and arrays in a
/// `var` would cost a uniqueness check and reference counting on each touch.
final class Feeds {
    struct Position {
        /// Row of the current bar in the chunk, and the chunk's length.
        var row = 0
        var count = 0
        /// The current bar's time, while the source is live.
        var time: Int64 = 0
        var live = true
        /// Bars read so far: `bar_index`.
        var barIndex = 0
        var firstTime: Int64?
        var lastTime: Int64?
    }

    let sources: [BarSource]
    /// Owns `chunks` and `positions`, read on every bar (`LoopMemory` says why).
    private let memory = LoopMemory()
    let chunks: UnsafeMutableBufferPointer<BarSeries>
    let positions: UnsafeMutableBufferPointer<Position>
    /// Called after each chunk is read (progress).
    var onRefill: (() -> Void)?

    init(_ sources: [BarSource]) {
        self.sources = sources
        chunks = memory.buffer(sources.map { BarSeries(symbol: $0.symbol, signalNames: $0.signalNames) })
        positions = memory.buffer(repeating: Position(), count: sources.count)
    }

    func start() throws {
        for i in sources.indices { try refill(i) }
    }

    private func refill(_ i: Int) throws {
        // A source may hand out an empty chunk (every row of it skipped) before more bars.
        var live = try sources[i].next(into: &chunks[i])
        while live && chunks[i].count == 0 { live = try sources[i].next(into: &chunks[i]) }
        positions[i].live = live
        positions[i].row = 0
        positions[i].count = chunks[i].count
        if positions[i].live {
            positions[i].time = chunks[i].time[0]
            if positions[i].firstTime == nil { positions[i].firstTime = positions[i].time }
        }
        onRefill?()
    }

    /// The earliest time of any live source's current bar; nil when all are done.
    func nextTime() -> Int64? {
        var now = Int64.max, any = false
        for i in positions.indices where positions[i].live {
            any = true
            now = min(now, positions[i].time)
        }
        return any ? now : nil
    }

    func time(_ i: Int) -> Int64? { positions[i].live ? positions[i].time : nil }

    @inline(__always)
    func bar(_ i: Int) -> BarInput {
        let row = positions[i].row
        return BarInput(time: positions[i].time, open: chunks[i].open[row], high: chunks[i].high[row], low: chunks[i].low[row],
                        close: chunks[i].close[row], volume: chunks[i].volume[row], index: positions[i].barIndex)
    }

    func signal(_ i: Int, _ column: Int) -> Double { chunks[i].signals[column][positions[i].row] }

    func advance(_ i: Int) throws {
        positions[i].lastTime = positions[i].time
        positions[i].row += 1
        positions[i].barIndex += 1
        if positions[i].row == positions[i].count {
            try refill(i)
        } else {
            positions[i].time = chunks[i].time[positions[i].row]
        }
    }

    /// Source `i`'s bars from the current one to the end of its chunk, for the engine to read ahead.
    func withUpcoming<Result>(_ i: Int, _ body: (Engine.UpcomingBars) -> Result) -> Result {
        let rows = positions[i].row..<positions[i].count
        return chunks[i].time.withUnsafeBufferPointer { time in
            chunks[i].open.withUnsafeBufferPointer { open in
                chunks[i].high.withUnsafeBufferPointer { high in
                    chunks[i].low.withUnsafeBufferPointer { low in
                        chunks[i].close.withUnsafeBufferPointer { close in
                            body(Engine.UpcomingBars(time: .init(rebasing: time[rows]), open: .init(rebasing: open[rows]),
                                                     high: .init(rebasing: high[rows]), low: .init(rebasing: low[rows]),
                                                     close: .init(rebasing: close[rows])))
                        }
                    }
                }
            }
        }
    }

    /// Moves past `count` bars of source `i`'s current chunk at once (bars the engine took in bulk).
    func skip(_ i: Int, _ count: Int) throws {
        precondition(count >= 1 && positions[i].row + count <= positions[i].count)
        positions[i].row += count - 1
        positions[i].barIndex += count - 1
        positions[i].time = chunks[i].time[positions[i].row]
        try advance(i)
    }

    var barCount: Int { positions.reduce(0) { $0 + $1.barIndex } }
}
