/// A fixed-capacity window of the latest values; sized once, never reallocated while streaming.
public struct RingBuffer: Sendable {
    private var storage: [Double]
    private var head = 0
    public private(set) var count = 0

    public init(capacity: Int) {
        storage = [Double](repeating: .nan, count: max(1, capacity))
    }

    public var capacity: Int { storage.count }
    public var isFull: Bool { count == storage.count }

    /// Adds a value; returns the one it pushed out when the window was full.
    @discardableResult
    public mutating func push(_ value: Double) -> Double? {
        let evicted: Double? = isFull ? storage[head] : nil
        storage[head] = value
        head = head + 1 == storage.count ? 0 : head + 1
        count = min(count + 1, storage.count)
        return evicted
    }

    /// The value `ago` pushes back: 0 is the newest.
    public subscript(ago ago: Int) -> Double {
        precondition(ago < count)
        let index = head - 1 - ago
        return storage[index >= 0 ? index : index + storage.count]
    }

    /// The oldest value held.
    public var oldest: Double { self[ago: count - 1] }
}

/// A running sum with Neumaier compensation: adding and removing values keeps it within an ulp or
/// two of the exact window sum, where a plain running sum drifts over millions of bars.
public struct CompensatedSum: Sendable {
    private var sum = 0.0
    private var compensation = 0.0

    public init() {}

    public mutating func add(_ value: Double) {
        let total = sum + value
        compensation += abs(sum) >= abs(value) ? (sum - total) + value : (value - total) + sum
        sum = total
    }

    public var value: Double { sum + compensation }
}
