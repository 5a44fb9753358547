/// A fixed-capacity window of the latest values; sized once, never reallocated while streaming.
package struct RingBuffer: Sendable {
    private var storage: [Double]
    private var head = 0
    package private(set) var count = 0

    package init(capacity: Int) {
        storage = [Double](repeating: .nan, count: max(1, capacity))
    }

    package var capacity: Int { storage.count }
    package var isFull: Bool { count == storage.count }

    /// Adds a value; returns the one it pushed out when the window was full.
    @discardableResult
    package mutating func push(_ value: Double) -> Double? {
        let evicted: Double? = isFull ? storage[head] : nil
        storage[head] = value
        head = head + 1 == storage.count ? 0 : head + 1
        count = min(count + 1, storage.count)
        return evicted
    }

    /// The value `ago` pushes back: 0 is the newest.
    package subscript(ago ago: Int) -> Double {
        precondition(ago < count)
        let index = head - 1 - ago
        return storage[index >= 0 ? index : index + storage.count]
    }

    /// The oldest value held.
    package var oldest: Double { self[ago: count - 1] }
}

/// A running sum with Neumaier compensation: adding and removing values keeps it within an ulp or
/// two of the exact window sum, where a plain running sum drifts over millions of bars.
package struct CompensatedSum: Sendable {
    private var sum = 0.0
    private var compensation = 0.0

    package init() {}

    package mutating func add(_ value: Double) {
        let total = sum + value
        compensation += abs(sum) >= abs(value) ? (sum - total) + value : (value - total) + sum
        sum = total
    }

    package var value: Double { sum + compensation }
}
