/// True range: max(high, previous close) - min(low, previous close); no value on the first bar.
package struct TrueRange: Sendable {
    private var previousClose = Double.nan

    package init() {}

    package mutating func update(high: Double, low: Double, close: Double) -> Double {
        defer { previousClose = close }
        guard !previousClose.isNaN else { return .nan }
        return max(high, previousClose) - min(low, previousClose)
    }
}

/// Average true range, Wilder's smoothing seeded with the mean of the first `period` true ranges.
package struct ATR: Sendable {
    private var range = TrueRange()
    private var average: RMA

    package init(period: Int) { average = RMA(period: period) }

    package mutating func update(high: Double, low: Double, close: Double) -> Double {
        average.update(range.update(high: high, low: low, close: close))
    }
}

/// Directional movement (+DI, -DI) and the average directional index, as TA-Lib computes them:
/// Wilder sums of +DM, -DM and true range over the first period - 1 changes, then smoothed.
package struct DirectionalMovement: Sendable {
    package let period: Int
    private var previousHigh = Double.nan
    private var previousLow = Double.nan
    private var previousClose = Double.nan
    private var plusDM = 0.0
    private var minusDM = 0.0
    private var range = 0.0
    private var changes = 0
    private var dxSum = 0.0
    private var dxCount = 0
    private var adx = Double.nan

    package init(period: Int) { self.period = period }

    package mutating func update(high: Double, low: Double, close: Double) -> (plus: Double, minus: Double, adx: Double) {
        defer { (previousHigh, previousLow, previousClose) = (high, low, close) }
        guard !previousHigh.isNaN else { return (.nan, .nan, .nan) }
        changes += 1
        let up = high - previousHigh, down = previousLow - low
        let trueRange = max(high, previousClose) - min(low, previousClose)
        let n = Double(period)
        if changes >= period {
            plusDM -= plusDM / n
            minusDM -= minusDM / n
            range -= range / n
        }
        if down > 0 && up < down {
            minusDM += down
        } else if up > 0 && up > down {
            plusDM += up
        }
        range += trueRange
        guard changes >= period else { return (.nan, .nan, .nan) }
        let plus = range == 0 ? 0 : 100 * (plusDM / range)
        let minus = range == 0 ? 0 : 100 * (minusDM / range)
        let sum = plus + minus
        let dx: Double? = range == 0 || sum == 0 ? nil : 100 * (abs(minus - plus) / sum)
        if adx.isNaN {
            dxSum += dx ?? 0
            dxCount += 1
            if dxCount == period { adx = dxSum / n }
        } else if let dx {
            adx = (adx * (n - 1) + dx) / n
        }
        return (plus, minus, adx)
    }
}

/// Supertrend: an ATR band around hl2 that only tightens while the trend lasts and flips when the
/// close crosses it. Starts in a downtrend (the line on the upper band), as TradingView does.
package struct Supertrend: Sendable {
    private let multiplier: Double
    private var atr: ATR
    private var upper = Double.nan
    private var lower = Double.nan
    private var previousClose = Double.nan
    private var direction = -1.0

    package init(period: Int, multiplier: Double) {
        self.multiplier = multiplier
        atr = ATR(period: period)
    }

    package mutating func update(high: Double, low: Double, close: Double) -> (line: Double, direction: Double) {
        let range = atr.update(high: high, low: low, close: close)
        defer { previousClose = close }
        guard !range.isNaN else { return (.nan, .nan) }
        let middle = (high + low) / 2
        let basicUpper = middle + multiplier * range
        let basicLower = middle - multiplier * range
        if upper.isNaN {
            (upper, lower) = (basicUpper, basicLower)
        } else {
            let wasUp = direction > 0
            upper = basicUpper < upper || previousClose > upper ? basicUpper : upper
            lower = basicLower > lower || previousClose < lower ? basicLower : lower
            direction = wasUp ? (close < lower ? -1 : 1) : (close > upper ? 1 : -1)
        }
        return (direction > 0 ? lower : upper, direction)
    }
}
