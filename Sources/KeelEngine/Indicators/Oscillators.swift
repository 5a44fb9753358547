/// Two values that differ only by rounding noise (relative 1e-12) count as equal: a range or a change
/// of that size is an artefact of floating point, not of the market.
@inline(__always)
func isFlat(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= 1e-12 * max(abs(a), abs(b))
}

/// Relative strength index with Wilder's smoothing, seeded with the simple mean of the first
/// `period` changes (TA-Lib). Where prices never changed it is 50 (TA-Lib says 0).
package struct RSI: Sendable {
    package let period: Int
    private var previous = Double.nan
    private var gain = 0.0
    private var loss = 0.0
    private var changes = 0

    package init(period: Int) { self.period = period }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        defer { previous = x }
        guard !previous.isNaN else { return .nan }
        let change = x - previous
        changes += 1
        let n = Double(period)
        if changes <= period {
            if change < 0 { loss -= change } else { gain += change }
            guard changes == period else { return .nan }
            gain /= n
            loss /= n
        } else {
            gain *= n - 1
            loss *= n - 1
            if change < 0 { loss -= change } else { gain += change }
            gain /= n
            loss /= n
        }
        let total = gain + loss
        return total == 0 ? 50 : 100 * (gain / total)
    }
}

/// Stochastic oscillator: %K over `period` bars smoothed by an SMA of `smooth`, and %D an SMA of %K.
package struct Stochastic: Sendable {
    private var highs: RollingExtreme
    private var lows: RollingExtreme
    private var smoothK: SMA
    private var d: SMA

    package init(period: Int, dPeriod: Int, smooth: Int) {
        highs = RollingExtreme(period: period, highest: true)
        lows = RollingExtreme(period: period, highest: false)
        smoothK = SMA(period: smooth)
        d = SMA(period: dPeriod)
    }

    package mutating func update(high: Double, low: Double, close: Double) -> (k: Double, d: Double) {
        let hh = highs.update(high)
        let ll = lows.update(low)
        guard !hh.isNaN, !close.isNaN else { return (.nan, .nan) }
        let raw = isFlat(hh, ll) ? 0 : (close - ll) / (hh - ll) * 100
        let k = smoothK.update(raw)
        return (k, d.update(k))
    }
}

/// MACD: ema(fast) - ema(slow), its EMA signal line and the histogram. As in TA-Lib the fast EMA
/// is seeded on the same bar as the slow one (it skips the first slow - fast values).
package struct MACD: Sendable {
    private var fast: EMA
    private var slow: EMA
    private var signal: EMA
    private var skip: Int

    package init(fast: Int, slow: Int, signal: Int) {
        let (f, s) = fast <= slow ? (fast, slow) : (slow, fast)
        self.fast = EMA(period: f)
        self.slow = EMA(period: s)
        self.signal = EMA(period: signal)
        skip = s - f
    }

    package mutating func update(_ x: Double) -> (macd: Double, signal: Double, histogram: Double) {
        guard !x.isNaN else { return (.nan, .nan, .nan) }
        let s = slow.update(x)
        let f: Double
        if skip > 0 {
            skip -= 1
            f = .nan
        } else {
            f = fast.update(x)
        }
        guard !s.isNaN else { return (.nan, .nan, .nan) }
        let line = f - s
        let signalValue = signal.update(line)
        return (signalValue.isNaN ? .nan : line, signalValue, line - signalValue)
    }
}

/// Commodity channel index of the typical price. The mean deviation needs the whole window: O(period).
package struct CCI: Sendable {
    package let period: Int
    private var window: RingBuffer
    private var mean: SMA

    package init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period)
        mean = SMA(period: period)
    }

    package mutating func update(high: Double, low: Double, close: Double) -> Double {
        let typical = (high + low + close) / 3
        window.push(typical)
        let average = mean.update(typical)
        guard !average.isNaN else { return .nan }
        var deviation = 0.0
        for ago in 0..<period { deviation += abs(window[ago: ago] - average) }
        deviation /= Double(period)
        return deviation == 0 ? 0 : (typical - average) / (0.015 * deviation)
    }
}

/// Money flow index, 0-100; 0 when no money has flowed in the window.
package struct MFI: Sendable {
    package let period: Int
    private var flows: RingBuffer
    private var previousTypical = Double.nan
    private var positive = 0.0
    private var negative = 0.0

    package init(period: Int) {
        self.period = period
        flows = RingBuffer(capacity: period)
    }

    package mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let typical = (high + low + close) / 3
        defer { previousTypical = typical }
        guard !previousTypical.isNaN else { return .nan }
        let money = typical * volume
        // Signed flow: positive on a rising typical price, negative on a falling one, 0 unchanged
        // (a change at rounding-noise level, from summing high, low and close, is no change).
        let change = isFlat(typical, previousTypical) ? 0 : typical - previousTypical
        let flow = change > 0 ? money : change < 0 ? -money : 0
        if let old = flows.push(flow) {
            if old > 0 { positive -= old } else { negative += old }
        }
        if flow > 0 { positive += flow } else { negative -= flow }
        guard flows.isFull else { return .nan }
        let total = positive + negative
        return total == 0 ? 0 : 100 * (positive / total)
    }
}

/// Williams %R, -100 (at the low) to 0 (at the high).
package struct WilliamsR: Sendable {
    private var highs: RollingExtreme
    private var lows: RollingExtreme

    package init(period: Int) {
        highs = RollingExtreme(period: period, highest: true)
        lows = RollingExtreme(period: period, highest: false)
    }

    package mutating func update(high: Double, low: Double, close: Double) -> Double {
        let hh = highs.update(high)
        let ll = lows.update(low)
        guard !hh.isNaN else { return .nan }
        return isFlat(hh, ll) ? 0 : (hh - close) / (hh - ll) * -100
    }
}

/// `x - x[period]` (momentum, change) and `x / x[period] - 1` (roc, pct_change, as a fraction).
package struct Difference: Sendable {
    package let period: Int
    package let ratio: Bool
    private var window: RingBuffer

    package init(period: Int, ratio: Bool) {
        self.period = period
        self.ratio = ratio
        window = RingBuffer(capacity: period + 1)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        window.push(x)
        guard window.isFull else { return .nan }
        let then = window.oldest
        guard ratio else { return x - then }
        return then == 0 ? .nan : x / then - 1
    }
}
