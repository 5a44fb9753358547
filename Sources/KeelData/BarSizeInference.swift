/// The bar size of data that does not say it: the most common gap between consecutive bars among
/// the first 200 of each symbol (the shorter gap on a tie). Missing bars and weekends make longer
/// gaps, but rarely the most common one. A backtest and a live run infer it the same way.
package struct BarSizeInference: Sendable {
    package static let barsPerSymbol = 200
    private var counts: [Int64: Int] = [:]
    private var previous: [Int64?]
    private var seen: [Int]

    package init(symbols: Int) {
        previous = Array(repeating: nil, count: symbols)
        seen = Array(repeating: 0, count: symbols)
    }

    /// A bar of `symbol` (an index) at `time`, epoch milliseconds; bars past the first 200 are ignored.
    package mutating func add(symbol: Int, time: Int64) {
        guard seen[symbol] < Self.barsPerSymbol else { return }
        seen[symbol] += 1
        if let last = previous[symbol] { counts[time - last, default: 0] += 1 }
        previous[symbol] = time
    }

    /// Gaps counted so far.
    package var gapCount: Int { counts.values.reduce(0, +) }

    /// The smallest gap, in seconds: data is coarser than a timeframe only when even this is longer.
    package var smallestSeconds: Int? { counts.keys.filter { $0 > 0 }.min().map { Int($0 / 1_000) } }

    /// In seconds; nil before any symbol has two bars.
    package var seconds: Int? {
        counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }.map { Int($0.key / 1_000) }
    }

    package static func seconds(_ series: [BarSeries]) -> Int? { BarSizeInference(series).seconds }

    package init(_ series: [BarSeries]) {
        self.init(symbols: series.count)
        for (s, feed) in series.enumerated() {
            for row in 0..<min(feed.count, Self.barsPerSymbol) { add(symbol: s, time: feed.time[row]) }
        }
    }
}
