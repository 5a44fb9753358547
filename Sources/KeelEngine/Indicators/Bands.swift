/// Bollinger bands: sma(x, n) plus and minus k population standard deviations.
package struct BollingerBands: Sendable {
    private let k: Double
    private var stats: RollingVariance

    package init(period: Int, k: Double) {
        self.k = k
        stats = RollingVariance(period: period)
    }

    package mutating func update(_ x: Double) -> (upper: Double, middle: Double, lower: Double) {
        let (mean, variance) = stats.update(x)
        let width = k * variance.squareRoot()
        return (mean + width, mean, mean - width)
    }
}

/// Keltner channel: ema(close, n) plus and minus k * atr(atrPeriod).
package struct KeltnerChannel: Sendable {
    private let k: Double
    private var middle: EMA
    private var atr: ATR

    package init(period: Int, k: Double, atrPeriod: Int) {
        self.k = k
        middle = EMA(period: period)
        atr = ATR(period: atrPeriod)
    }

    package mutating func update(high: Double, low: Double, close: Double) -> (upper: Double, middle: Double, lower: Double) {
        let m = middle.update(close)
        let range = atr.update(high: high, low: low, close: close)
        guard !m.isNaN, !range.isNaN else { return (.nan, .nan, .nan) }
        return (m + k * range, m, m - k * range)
    }
}

/// Donchian channel: highest high and lowest low of n bars (this bar included), and their midpoint.
package struct DonchianChannel: Sendable {
    private var highs: RollingExtreme
    private var lows: RollingExtreme

    package init(period: Int) {
        highs = RollingExtreme(period: period, highest: true)
        lows = RollingExtreme(period: period, highest: false)
    }

    package mutating func update(high: Double, low: Double) -> (upper: Double, middle: Double, lower: Double) {
        let upper = highs.update(high)
        let lower = lows.update(low)
        return (upper, (upper + lower) / 2, lower)
    }
}
