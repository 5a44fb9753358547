/// Bars of a source aggregated to a longer bar, each aligned to its time boundary as `BarBuilder`
/// aligns quotes (an hour bar covers [10:00, 11:00) and carries 10:00 as its time): the open of the
/// first bar, the highest high, the lowest low, the close of the last, the volumes summed, and each
/// signal column's value on the last bar. The last bar of the data is handed out as far as the
/// data goes.
package final class ResampledBarSource: BarSource {
    package let symbol: String
    package let signalNames: [String]
    private let source: BarSource
    /// Bars read from the source but not yet aggregated (the first chunk, read before wrapping).
    private var input: BarSeries
    private var inputRow = 0
    /// The bar being built (`BarBuilder` merges the bars) and the signal values of its last bar.
    private var builder: BarBuilder
    private var signals: [Double] = []
    private var sourceDone = false

    /// `first`: a chunk already read from `source`, aggregated before anything else it gives.
    package init(_ source: BarSource, periodMilliseconds: Int64, first: BarSeries? = nil) {
        precondition(periodMilliseconds > 0)
        self.source = source
        symbol = source.symbol
        signalNames = source.signalNames
        input = first ?? BarSeries(symbol: source.symbol, signalNames: source.signalNames)
        builder = BarBuilder(periodMilliseconds: periodMilliseconds)
    }

    package var fractionRead: Double { source.fractionRead }

    package func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        if chunk.signals.count != signalNames.count { chunk = BarSeries(symbol: symbol, signalNames: signalNames) }
        while chunk.count == 0 {
            // At or past the end of what was read: a source may empty the chunk when it says it has
            // no more (Keel's cache does), so the row can be past a count of 0.
            if inputRow >= input.count {
                let more = try !sourceDone && source.next(into: &input)
                if !more {
                    sourceDone = true
                    if let bar = builder.finish() { emit(bar, signals, into: &chunk) }
                    return chunk.count > 0
                }
                inputRow = 0
                continue
            }
            while inputRow < input.count {
                add(inputRow, into: &chunk)
                inputRow += 1
            }
        }
        return true
    }

    private func add(_ row: Int, into chunk: inout BarSeries) {
        let bar = BarBuilder.Bar(time: input.time[row], open: input.open[row], high: input.high[row], low: input.low[row],
                                 close: input.close[row], volume: input.volume[row])
        if let closed = builder.add(bar) { emit(closed, signals, into: &chunk) }
        signals = input.signals.map { $0[row] }
    }

    private func emit(_ bar: BarBuilder.Bar, _ signals: [Double], into chunk: inout BarSeries) {
        chunk.append(time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, signals: signals)
    }
}

extension ResampledBarSource {
    package var origin: DataOrigin? { source.origin }
}
