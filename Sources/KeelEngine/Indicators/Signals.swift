/// Conditions are series too: 1 true, 0 false, NaN no value (a rule reading NaN is false).

/// crosses_above(a, b): a[1] <= b[1] and a > b. crosses_below mirrors it.
package struct Cross: Sendable {
    package let above: Bool
    private var previousA = Double.nan
    private var previousB = Double.nan

    package init(above: Bool) { self.above = above }

    package mutating func update(_ a: Double, _ b: Double) -> Double {
        defer { (previousA, previousB) = (a, b) }
        guard !a.isNaN, !b.isNaN, !previousA.isNaN, !previousB.isNaN else { return .nan }
        let crossed = above ? previousA <= previousB && a > b : previousA >= previousB && a < b
        return crossed ? 1 : 0
    }
}

/// rising(x, n): x rose on each of the last n bars; falling(x, n) mirrors it.
package struct Monotone: Sendable {
    package let period: Int
    package let rising: Bool
    private var previous = Double.nan
    private var streak = 0
    private var seen = 0

    package init(period: Int, rising: Bool) {
        self.period = period
        self.rising = rising
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        defer { previous = x }
        seen += 1
        if !previous.isNaN { streak = (rising ? x > previous : x < previous) ? streak + 1 : 0 }
        return seen > period ? (streak >= period ? 1 : 0) : .nan
    }
}

/// barssince(condition): bars since the condition was last true; no value until it first is.
package struct BarsSince: Sendable {
    private var count = -1

    package init() {}

    package mutating func update(_ condition: Double) -> Double {
        if condition == 1 {
            count = 0
        } else if count >= 0 {
            count += 1
        }
        return count >= 0 ? Double(count) : .nan
    }
}

/// valuewhen(condition, value, occurrence): `value` on the bar the condition was true, `occurrence`
/// true bars back (0: the latest).
package struct ValueWhen: Sendable {
    private var captured: RingBuffer

    package init(occurrence: Int) { captured = RingBuffer(capacity: occurrence + 1) }

    package mutating func update(_ condition: Double, _ value: Double) -> Double {
        if condition == 1 { captured.push(value) }
        return captured.isFull ? captured.oldest : .nan
    }
}
