/// Moving averages. Every `update` takes the next value and returns the indicator's value on that
/// bar, or NaN while it has no value yet. A NaN input (an upstream indicator still warming up) is
/// skipped, so nested indicators warm up exactly as the checker computes.

/// Simple moving average.
package struct SMA: Sendable {
    package let period: Int
    private var window: RingBuffer
    private var sum = CompensatedSum()

    package init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        if let old = window.push(x) { sum.add(-old) }
        sum.add(x)
        return window.isFull ? sum.value / Double(period) : .nan
    }
}

/// Exponential moving average seeded with the simple average of its first `period` values (TA-Lib).
package struct EMA: Sendable {
    package let period: Int
    private let k: Double
    private var seed = 0.0
    private var seen = 0
    private var value = Double.nan

    package init(period: Int, alpha: Double? = nil) {
        self.period = period
        k = alpha ?? 2 / Double(period + 1)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        seen += 1
        if seen < period {
            seed += x
            return .nan
        }
        if seen == period {
            value = (seed + x) / Double(period)
        } else {
            value = (x - value) * k + value
        }
        return value
    }
}

/// Wilder's moving average (RMA, SMMA): alpha = 1 / period, seeded with a simple average.
package struct RMA: Sendable {
    package let period: Int
    private var seed = 0.0
    private var seen = 0
    private var value = Double.nan

    package init(period: Int) { self.period = period }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        seen += 1
        if seen < period {
            seed += x
            return .nan
        }
        value = seen == period ? (seed + x) / Double(period) : (value * Double(period - 1) + x) / Double(period)
        return value
    }
}

/// Linearly weighted moving average, newest weight `period`; O(1) with a running plain and weighted sum.
package struct WMA: Sendable {
    package let period: Int
    private var window: RingBuffer
    private var sum = 0.0
    private var weighted = 0.0

    package init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        let filled = window.count
        if let old = window.push(x) {
            weighted += Double(period) * x - sum
            sum += x - old
        } else {
            weighted += Double(filled + 1) * x
            sum += x
        }
        return window.isFull ? weighted / (Double(period * (period + 1)) / 2) : .nan
    }
}

/// Double EMA: 2 * ema - ema(ema).
package struct DEMA: Sendable {
    private var first: EMA
    private var second: EMA

    package init(period: Int) {
        first = EMA(period: period)
        second = EMA(period: period)
    }

    package mutating func update(_ x: Double) -> Double {
        let e1 = first.update(x)
        let e2 = second.update(e1)
        return e2.isNaN ? .nan : 2 * e1 - e2
    }
}

/// Triple EMA: 3 * ema - 3 * ema(ema) + ema(ema(ema)).
package struct TEMA: Sendable {
    private var first: EMA
    private var second: EMA
    private var third: EMA

    package init(period: Int) {
        first = EMA(period: period)
        second = EMA(period: period)
        third = EMA(period: period)
    }

    package mutating func update(_ x: Double) -> Double {
        let e1 = first.update(x)
        let e2 = second.update(e1)
        let e3 = third.update(e2)
        return e3.isNaN ? .nan : 3 * e1 - 3 * e2 + e3
    }
}

/// Hull moving average: wma(2 * wma(x, n/2) - wma(x, n), floor(sqrt(n))).
package struct HMA: Sendable {
    private var half: WMA
    private var full: WMA
    private var smooth: WMA

    package init(period: Int) {
        half = WMA(period: max(1, period / 2))
        full = WMA(period: period)
        smooth = WMA(period: max(1, Int(Double(period).squareRoot())))
    }

    package mutating func update(_ x: Double) -> Double {
        let a = half.update(x)
        let b = full.update(x)
        return b.isNaN ? .nan : smooth.update(2 * a - b)
    }
}

/// Sum of one series over sum of another, over a window: NaN until full, nil when the second sums to 0.
package struct WindowRatio: Sendable {
    private var numerator: SMA
    private var denominator: SMA

    package init(period: Int) {
        numerator = SMA(period: period)
        denominator = SMA(period: period)
    }

    package mutating func update(_ top: Double, _ bottom: Double) -> Double? {
        let n = numerator.update(top)
        let d = denominator.update(bottom)
        if d.isNaN { return .nan }
        return d == 0 ? nil : n / d
    }
}

/// Volume-weighted moving average: sum(x * volume) / sum(volume); x itself while the window has no volume.
package struct VWMA: Sendable {
    private var ratio: WindowRatio

    package init(period: Int) { ratio = WindowRatio(period: period) }

    package mutating func update(_ x: Double, volume: Double) -> Double {
        guard !x.isNaN else { return .nan }
        return ratio.update(x * volume, volume) ?? x
    }
}

/// Kaufman's adaptive moving average, as TA-Lib computes it: the efficiency ratio over `period`
/// bars scales a smoothing constant between the fast and slow EMA constants.
package struct KAMA: Sendable {
    package let period: Int
    private let fastest: Double
    private let slowest: Double
    private var window: RingBuffer
    private var noise = 0.0
    private var value = Double.nan

    package init(period: Int, fast: Int = 2, slow: Int = 30) {
        self.period = period
        fastest = 2 / Double(fast + 1)
        slowest = 2 / Double(slow + 1)
        window = RingBuffer(capacity: period + 1)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        let previous = window.count > 0 ? window[ago: 0] : Double.nan
        let evicted = window.push(x)
        if !previous.isNaN { noise += abs(x - previous) }
        if let evicted { noise -= abs(window.oldest - evicted) }
        guard window.isFull else { return .nan }
        if value.isNaN { value = previous }
        let direction = x - window.oldest
        let ratio = noise <= direction || noise == 0 ? 1.0 : abs(direction / noise)
        let constant = ratio * (fastest - slowest) + slowest
        value = (x - value) * (constant * constant) + value
        return value
    }
}
