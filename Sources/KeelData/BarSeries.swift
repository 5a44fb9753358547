/// One symbol's bars, column by column: the layout the engine and the cache read fastest.
///
/// Times are UTC epoch milliseconds of each bar's open. Extra CSV columns are external signals
/// (`signal.NAME` in rules); a missing value is NaN.
public struct BarSeries: Sendable, Equatable {
    public var symbol: String
    public var time: [Int64] = []
    public var open: [Double] = []
    public var high: [Double] = []
    public var low: [Double] = []
    public var close: [Double] = []
    public var volume: [Double] = []
    /// Signal columns in file order.
    public var signalNames: [String] = []
    public var signals: [[Double]] = []

    public init(symbol: String, signalNames: [String] = []) {
        self.symbol = symbol
        self.signalNames = signalNames
        self.signals = signalNames.map { _ in [] }
    }

    public var count: Int { time.count }

    /// Appends another series' bars (same signal columns).
    public mutating func append(contentsOf other: BarSeries) {
        time += other.time
        open += other.open
        high += other.high
        low += other.low
        close += other.close
        volume += other.volume
        for index in signals.indices where index < other.signals.count { signals[index] += other.signals[index] }
    }

    /// Appends the bars of `range` of another series (same signal columns).
    public mutating func append(contentsOf other: BarSeries, range: Range<Int>) {
        time += other.time[range]
        open += other.open[range]
        high += other.high[range]
        low += other.low[range]
        close += other.close[range]
        volume += other.volume[range]
        for index in signals.indices where index < other.signals.count { signals[index] += other.signals[index][range] }
    }

    /// Drops the first `count` bars.
    public mutating func removeFirst(_ count: Int) {
        time.removeFirst(count)
        open.removeFirst(count)
        high.removeFirst(count)
        low.removeFirst(count)
        close.removeFirst(count)
        volume.removeFirst(count)
        for index in signals.indices { signals[index].removeFirst(count) }
    }

    /// Empties every column, keeping the storage for the next chunk.
    public mutating func removeAll(keepingCapacity: Bool) {
        time.removeAll(keepingCapacity: keepingCapacity)
        open.removeAll(keepingCapacity: keepingCapacity)
        high.removeAll(keepingCapacity: keepingCapacity)
        low.removeAll(keepingCapacity: keepingCapacity)
        close.removeAll(keepingCapacity: keepingCapacity)
        volume.removeAll(keepingCapacity: keepingCapacity)
        for index in signals.indices { signals[index].removeAll(keepingCapacity: keepingCapacity) }
    }

    public mutating func reserve(_ capacity: Int) {
        time.reserveCapacity(capacity)
        open.reserveCapacity(capacity)
        high.reserveCapacity(capacity)
        low.reserveCapacity(capacity)
        close.reserveCapacity(capacity)
        volume.reserveCapacity(capacity)
    }

    public mutating func append(time t: Int64, open o: Double, high h: Double, low l: Double, close c: Double,
                                volume v: Double, signals values: [Double] = []) {
        time.append(t)
        open.append(o)
        high.append(h)
        low.append(l)
        close.append(c)
        volume.append(v)
        for index in signals.indices { signals[index].append(index < values.count ? values[index] : .nan) }
    }
}
