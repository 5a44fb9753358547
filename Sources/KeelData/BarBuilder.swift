/// Turns one symbol's quotes into bars of a fixed length, each aligned to its time boundary
/// (a 5-minute bar covers [10:05, 10:10) and carries 10:05 as its time). A bar closes when time
/// reaches its end: a quote, a bar or a heartbeat at or after the boundary.
public struct BarBuilder: Sendable {
    public struct Bar: Sendable, Equatable {
        public var time: Int64
        public var open, high, low, close, volume: Double
    }

    public let periodMilliseconds: Int64
    public private(set) var building: Bar?

    public init(periodMilliseconds: Int64) {
        precondition(periodMilliseconds > 0)
        self.periodMilliseconds = periodMilliseconds
    }

    /// The start of the bar that holds `time`.
    public func boundary(_ time: Int64) -> Int64 {
        let p = periodMilliseconds
        return time >= 0 ? time / p * p : (time - p + 1) / p * p
    }

    /// Adds a quote; returns the bar it closed, if it opens a new one. A quote older than the bar
    /// being built is the caller's to refuse (`isLate`).
    public mutating func add(time: Int64, price: Double, size: Double) -> Bar? {
        let start = boundary(time)
        var closed: Bar?
        if let bar = building, bar.time != start { closed = bar; building = nil }
        if var bar = building {
            bar.high = max(bar.high, price)
            bar.low = min(bar.low, price)
            bar.close = price
            bar.volume += size
            building = bar
        } else {
            building = Bar(time: start, open: price, high: price, low: price, close: price, volume: size)
        }
        return closed
    }

    public func isLate(_ time: Int64) -> Bool { building.map { time < $0.time } ?? false }

    /// Closes the bar being built if `time` is at or past its end.
    public mutating func close(at time: Int64) -> Bar? {
        guard let bar = building, time >= bar.time + periodMilliseconds else { return nil }
        building = nil
        return bar
    }
}
