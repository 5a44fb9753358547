/// On-balance volume, starting from the first bar's volume (TA-Lib).
package struct OBV: Sendable {
    private var previousClose = Double.nan
    private var total = 0.0

    package init() {}

    package mutating func update(close: Double, volume: Double) -> Double {
        if previousClose.isNaN {
            total = volume
        } else if close > previousClose {
            total += volume
        } else if close < previousClose {
            total -= volume
        }
        previousClose = close
        return total
    }
}

/// Volume-weighted average of the typical price since the session began (UTC midnight, or
/// `sessionStart` seconds after it). With no volume yet in the session it is the typical price.
package struct SessionVWAP: Sendable {
    private let sessionStartMilliseconds: Int64
    private var session: Int64 = .min
    private var priced = 0.0
    private var volumes = 0.0

    package init(sessionStartSeconds: Int = 0) {
        sessionStartMilliseconds = Int64(sessionStartSeconds) * 1_000
    }

    package mutating func update(high: Double, low: Double, close: Double, volume: Double, time: Int64) -> Double {
        let day = Int64(86_400_000)
        let shifted = time - sessionStartMilliseconds
        let current = shifted >= 0 ? shifted / day : (shifted - day + 1) / day
        if current != session {
            session = current
            priced = 0
            volumes = 0
        }
        let typical = (high + low + close) / 3
        priced += typical * volume
        volumes += volume
        return volumes == 0 ? typical : priced / volumes
    }
}

/// Chaikin money flow: sum of money-flow volume over sum of volume, n bars; 0 without volume.
package struct ChaikinMoneyFlow: Sendable {
    private var ratio: WindowRatio

    package init(period: Int) { ratio = WindowRatio(period: period) }

    package mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let multiplier = high == low ? 0 : ((close - low) - (high - close)) / (high - low)
        return ratio.update(multiplier * volume, volume) ?? 0
    }
}
