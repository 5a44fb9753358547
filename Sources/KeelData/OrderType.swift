/// The order types, and where each fills within a bar: the fill rule of the engine's simulated
/// broker and of the paper exchange behind `keel broker serve`, one rule for any price type. The
/// engine fills in binary64 (`OrderType`), the paper exchange in exact decimals
/// (`FillRule<Decimal>`); ExchangeTests holds the two equal on random bars.
public enum FillRule<Price: Comparable & Sendable>: Sendable, Equatable {
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
    /// extreme came after the trigger). Inlinable, and public rather than package: the engine calls
    /// it for every protective level on every bar, from another module, and this toolchain's
    /// default cross-module optimisation offers the bodies of public declarations only. As package
    /// it stayed a call, unspecialised for the engine's doubles: 59 instructions a bar of a
    /// 370,000-trade run, and the reason the engine once kept a copy of this rule of its own.
    @inlinable @inline(__always)
    public func fill(buying: Bool, open: Price, high: Price, low: Price) -> Price? {
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

/// The engine's order types: the fill rule in binary64.
public typealias OrderType = FillRule<Double>
