/// The order types, and where each fills within a bar: the fill rule of the engine's simulated
/// broker, in binary64 (`FillRule` below is the same rule for the paper exchange's decimals).
public enum OrderType: Sendable, Equatable {
    case market
    /// Fills at the limit or better.
    case limit(Double)
    /// Becomes a market order when the price reaches the stop.
    case stop(Double)
    /// Becomes a limit order at `limit` when the price reaches `stop`.
    case stopLimit(stop: Double, limit: Double)

    /// The fill price within a bar, or nil when the order does not fill.
    ///
    /// A gap through a price fills at the open. Within the bar, a stop-limit triggered at its stop
    /// fills at the better of the stop and the limit when the stop is inside the limit; otherwise it
    /// fills at the limit if the bar then reaches it (the bar's path is not known: it is assumed the
    /// extreme came after the trigger). Inlinable, and public rather than package: the engine calls
    /// it for every protective level on every bar, from another module, and this toolchain's
    /// default cross-module optimisation offers the bodies of public declarations only (as package,
    /// it was a call: 59 instructions a bar of a 370,000-trade run; now inlined, 5% fewer in all).
    @inlinable @inline(__always)
    public func fill(buying: Bool, open: Double, high: Double, low: Double) -> Double? {
        switch self {
        case .market:
            return open
        case .limit(let price):
            if buying ? open <= price : open >= price { return open }
            return (buying ? low <= price : high >= price) ? price : nil
        case .stop(let price):
            if buying ? open >= price : open <= price { return open }
            return (buying ? high >= price : low <= price) ? price : nil
        case .stopLimit(let stop, let limit):
            // The stop's trigger, as `.stop` fills, written out: a recursive call kept the whole
            // function from being inlined into the engine's stops (a call per level per bar).
            let triggered: Double
            if buying ? open >= stop : open <= stop {
                triggered = open
            } else if buying ? high >= stop : low <= stop {
                triggered = stop
            } else {
                return nil
            }
            if buying ? triggered <= limit : triggered >= limit { return triggered }
            return (buying ? low <= limit : high >= limit) ? limit : nil
        }
    }
}

/// The same rule for any price type: the paper exchange behind `keel broker serve` fills in exact
/// decimals (`FillRule<Decimal>`). The engine keeps its own binary64 copy (`OrderType`): called
/// through this generic from another module it was not specialized (the profile showed the
/// unspecialized `fill` under the engine's stops), and the engine checks its levels on every bar.
/// A test holds the two equal on random bars (ExchangeTests).
package enum FillRule<Price: Comparable & Sendable>: Sendable, Equatable {
    case market
    /// Fills at the limit or better.
    case limit(Price)
    /// Becomes a market order when the price reaches the stop.
    case stop(Price)
    /// Becomes a limit order at `limit` when the price reaches `stop`.
    case stopLimit(stop: Price, limit: Price)

    /// The fill price within a bar, or nil when the order does not fill.
    ///
    /// A gap through a price fills at the open. Within the bar, a stop-limit triggered at its stop
    /// fills at the better of the stop and the limit when the stop is inside the limit; otherwise it
    /// fills at the limit if the bar then reaches it (the bar's path is not known: it is assumed the
    /// extreme came after the trigger). Inlinable: the engine calls it for every protective level
    /// on every bar, from another module.
    @inlinable
    package func fill(buying: Bool, open: Price, high: Price, low: Price) -> Price? {
        switch self {
        case .market:
            return open
        case .limit(let price):
            if buying ? open <= price : open >= price { return open }
            return (buying ? low <= price : high >= price) ? price : nil
        case .stop(let price):
            if buying ? open >= price : open <= price { return open }
            return (buying ? high >= price : low <= price) ? price : nil
        case .stopLimit(let stop, let limit):
            let triggered: Price
            if buying ? open >= stop : open <= stop {
                triggered = open
            } else if buying ? high >= stop : low <= stop {
                triggered = stop
            } else {
                return nil
            }
            if buying ? triggered <= limit : triggered >= limit { return triggered }
            return (buying ? low <= limit : high >= limit) ? limit : nil
        }
    }
}
