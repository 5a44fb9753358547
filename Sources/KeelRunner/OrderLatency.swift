import Foundation

/// How long an order took to leave the engine: from the arrival of the event that decided it (the
/// read that returned its line) to the end of the commit that made it durable, the moment a live
/// run may send it. Kept as a histogram, so a run of days holds a fixed 4 KB: 8 buckets per power
/// of two of microseconds, each within 1/8 of its value.
package struct OrderLatency: Sendable {
    private var counts = [Int](repeating: 0, count: 64 * 8)
    package private(set) var count = 0

    package init() {}

    package mutating func record(microseconds: Int64) {
        counts[Self.bucket(max(0, microseconds))] += 1
        count += 1
    }

    /// The smallest value in microseconds at or below which `fraction` of the orders fall (the
    /// bucket's upper bound); nil before any order.
    package func percentile(_ fraction: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(count)).rounded(.up)))
        var seen = 0
        for (index, n) in counts.enumerated() {
            seen += n
            if seen >= rank { return Self.upperBound(index) }
        }
        return nil
    }

    /// Values below 8 µs have a bucket each; above, a power of two splits into 8.
    static func bucket(_ value: Int64) -> Int {
        guard value >= 8 else { return Int(value) }
        let power = 63 - value.leadingZeroBitCount
        return (power - 2) * 8 + Int((value >> (power - 3)) & 7)
    }

    static func upperBound(_ bucket: Int) -> Int64 {
        guard bucket >= 8 else { return Int64(bucket) }
        let (power, step) = (bucket / 8 + 2, Int64(bucket % 8))
        return ((8 + step + 1) << (power - 3)) - 1
    }

    /// `p50 1.2 ms, p99 3.4 ms over 812 orders`, for the run's last log line.
    package var summary: String? {
        guard let p50 = percentile(0.5), let p99 = percentile(0.99) else { return nil }
        func ms(_ microseconds: Int64) -> String {
            let value = Double(microseconds) / 1_000
            return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
        }
        return "p50 \(ms(p50)), p99 \(ms(p99)) over \(count) order\(count == 1 ? "" : "s")"
    }
}
