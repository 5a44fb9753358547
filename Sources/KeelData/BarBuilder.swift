/// Turns one symbol's quotes into bars of a fixed length, each aligned to its time boundary
/// (a 5-minute bar covers [10:05, 10:10) and carries 10:05 as its time). A bar closes when time
/// reaches its end: a quote, a bar or a heartbeat at or after the boundary.
package struct BarBuilder: Sendable {
    package struct Bar: Sendable, Equatable {
        package var time: Int64
        package var open, high, low, close, volume: Double

        package init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
            (self.time, self.open, self.high, self.low, self.close, self.volume) = (time, open, high, low, close, volume)
        }
    }

    package let periodMilliseconds: Int64
    package private(set) var building: Bar?
    /// The bar being built holds bar events (finer bars resampled), not only quotes: the end of a
    /// file stream completes it, as it completes the open step.
    package private(set) var holdsBars = false

    package init(periodMilliseconds: Int64) {
        precondition(periodMilliseconds > 0)
        self.periodMilliseconds = periodMilliseconds
    }

    /// The start of the bar that holds `time`.
    package func boundary(_ time: Int64) -> Int64 {
        let p = periodMilliseconds
        return time >= 0 ? time / p * p : (time - p + 1) / p * p
    }

    /// Adds a quote; returns the bar it closed, if it opens a new one. A quote older than the bar
    /// being built is the caller's to refuse (`isLate`).
    package mutating func add(time: Int64, price: Double, size: Double) -> Bar? {
        let start = boundary(time)
        var closed: Bar?
        if let bar = building, bar.time != start { closed = bar; building = nil; holdsBars = false }
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

    /// Adds a bar finer than the period: the open of the first, the extremes, the close of the
    /// last, volumes summed. Returns the bar it closed, if it starts a new one.
    package mutating func add(_ bar: Bar) -> Bar? {
        let start = boundary(bar.time)
        var closed: Bar?
        if let building, building.time != start { closed = building; self.building = nil }
        if var merged = building {
            merged.high = max(merged.high, bar.high)
            merged.low = min(merged.low, bar.low)
            merged.close = bar.close
            merged.volume += bar.volume
            building = merged
        } else {
            building = Bar(time: start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        holdsBars = true
        return closed
    }

    /// Closes the bar being built, whatever the time: the end of a file stream.
    package mutating func finish() -> Bar? {
        defer { building = nil; holdsBars = false }
        return building
    }

    package func isLate(_ time: Int64) -> Bool { building.map { time < $0.time } ?? false }

    /// Closes the bar being built if `time` is at or past its end.
    package mutating func close(at time: Int64) -> Bar? {
        guard let bar = building, time >= bar.time + periodMilliseconds else { return nil }
        building = nil
        holdsBars = false
        return bar
    }
}
