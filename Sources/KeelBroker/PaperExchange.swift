import Foundation
import KeelData

/// The simulated broker behind `keel broker serve`: an account, a book of working orders, and the
/// engine's own fill rule (`FillRule` in KeelData; the step order, docs/backtest.md) applied in
/// exact decimals. A market order fills at the open of the next bar of its symbol; a limit or stop
/// fills when a bar reaches its price, at the open when the bar gaps through it. A bracket's legs
/// are armed when its entry fills and checked on that same bar; when a stop and a target of one
/// OCO group are both reached in one bar, the stop fills first. A value type: the server keeps it
/// behind a lock. docs/trading-api.md describes every rule.
package struct PaperExchange: Sendable {
    /// A refusal: the HTTP status it is answered with and the API's error.
    package struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        package var status: Int
        package var error: APIError
        package var description: String { "\(status) \(error.code): \(error.message)" }

        init(_ status: Int, _ code: String, _ message: String, _ details: [String: String] = [:]) {
            self.status = status
            error = APIError(code: code, message: message, details: details)
        }

        package static func invalid(_ field: FieldError) -> Rejection {
            Rejection(400, field.code, field.message, ["field": field.field])
        }
    }

    /// What the book keeps beside each order's public record.
    struct Working: Sendable {
        /// The request it was made from, for idempotent resubmission; nil for bracket legs and closes.
        var request: NewOrder?
        var createdMs: Int64
        var updatedMs: Int64
        /// The best close since a trailing stop started (highest for a sell, lowest for a buy).
        var water: Decimal?
        /// The UTC day a `DAY` order lives in, by market time.
        var day: Int64?
        /// Has seen a bar without filling: a limit filling later adds liquidity.
        var rested = false
        /// A stop-limit whose stop was reached: a limit from then on.
        var triggered = false
        /// A bracket entry's legs.
        var legs: [Int] = []
    }

    struct Holding: Sendable {
        var id: String
        /// Signed: below zero is short.
        var quantity: Decimal
        var entry: Decimal
        var realized: Decimal
        var leverage: Decimal
        var openedMs: Int64
        var updatedMs: Int64
    }

    package internal(set) var cash: Amount
    var orders: [Order] = []
    var working: [Working] = []
    var index: [String: Int] = [:]
    var byClientId: [String: Int] = [:]
    var trades: [Trade] = []
    var tradeTimes: [Int64] = []
    var holdings: [String: Holding] = [:]
    var lastPrice: [String: Decimal] = [:]
    var realized: Decimal = 0
    /// Every bar it was fed, per symbol in time order, for `GET /bars`; and the last quote of each.
    package internal(set) var history: [String: [HeldBar]] = [:]
    package internal(set) var quotes: [String: HeldQuote] = [:]
    /// The time of the last bar or quote fed: the broker's heartbeat and its market clock.
    package internal(set) var lastEventTime: Int64?
    var nextOrder = 1, nextTrade = 1, nextPosition = 1, nextClose = 1
    /// The largest leverage an order may ask for, and what an order without one gets.
    package let maxLeverage: Amount
    /// Commission per fill, as a fraction of its notional.
    package let commissionRate: Amount
    /// Injected faults, counted down as they strike: the next orders refused, the next market fills halved.
    package var rejectNext = 0
    package var partialNext = 0

    /// The largest quantity and price one order may carry: far past any real order.
    package static let maxQuantity = Decimal(string: "1e12")!
    package static let maxPrice = Decimal(string: "1e15")!

    /// The symbols it lists (`--symbols`); nil: those it has had a bar of. An order for any other
    /// is refused, as a broker refuses an asset it does not list: one it cannot price would rest forever.
    package let assets: Set<String>?

    package init(cash: Amount, leverage: Amount = Amount(2), commissionRate: Amount = .zero, symbols: Set<String>? = nil) {
        self.cash = cash
        maxLeverage = leverage
        self.commissionRate = commissionRate
        assets = symbols
    }

    // MARK: Submitting

    /// Places an order; `created` is false when the same order was sent again under its client
    /// order id and the one there is is answered.
    package mutating func submit(_ request: NewOrder, now: Int64) throws(Rejection) -> (order: Order, created: Bool) {
        do { try Self.validate(request) } catch { throw .invalid(error) }
        if let id = request.clientOrderId, let existing = byClientId[id] {
            guard working[existing].request == request else {
                throw Rejection(409, "DUPLICATE_CLIENT_ORDER_ID", "an order with client_order_id '\(id)' exists with other fields; query it instead of sending another",
                                ["client_order_id": id, "order_id": orders[existing].id])
            }
            return (orders[existing], false)
        }
        try checkListed(request.symbol)
        let i = record(request, now: now)
        var refused = refusal(of: request, recorded: orders[i].id)
        if refused == nil, rejectNext > 0 {
            rejectNext -= 1
            refused = Rejection(422, "INSUFFICIENT_MARGIN", "simulated rejection (injected fault)")
        }
        if let refusal = refused {
            reject(i, refusal, now: now)
            var rejection = refusal
            rejection.error.details["order_id"] = orders[i].id
            throw rejection
        }
        return (orders[i], true)
    }

    /// What a body may not say, whatever the market: a 400 naming the field.
    static func validate(_ r: NewOrder) throws(FieldError) {
        guard !r.symbol.isEmpty, r.symbol.count <= 40 else { throw FieldError("symbol", "symbol is 1 to 40 characters") }
        if let id = r.clientOrderId, id.isEmpty || id.count > 128 { throw FieldError("client_order_id", "client_order_id is 1 to 128 characters") }
        if let group = r.ocoGroupId, group.isEmpty || group.count > 128 { throw FieldError("oco_group_id", "oco_group_id is 1 to 128 characters") }
        guard r.quantity.value > 0, r.quantity.value <= maxQuantity else {
            throw FieldError("quantity", "quantity must be above 0 and at most 1000000000000, not \(r.quantity)")
        }
        for (name, price) in [("limit_price", r.limitPrice), ("stop_price", r.stopPrice), ("stop_loss", r.stopLoss), ("take_profit", r.takeProfit),
                              ("trailing_distance", r.trailingDistance), ("leverage", r.leverage)] {
            if let price, !(price.value > 0 && price.value <= maxPrice) { throw FieldError(name, "\(name) must be above 0 and at most 1e15, not \(price)") }
        }
        let type = r.orderType
        func needs(_ field: String, _ value: Amount?, _ wanted: Bool) throws(FieldError) {
            if wanted, value == nil { throw FieldError(field, "a \(type.rawValue) order needs \(field)") }
            if !wanted, value != nil { throw FieldError(field, "a \(type.rawValue) order takes no \(field)") }
        }
        try needs("limit_price", r.limitPrice, type == .limit || type == .stopLimit)
        try needs("stop_price", r.stopPrice, type == .stop || type == .stopLimit)
        if type == .trailingStop {
            try needs("trailing_distance", r.trailingDistance, true)
            if r.stopLoss != nil || r.takeProfit != nil { throw FieldError("stop_loss", "a TRAILING_STOP order is an exit; it takes no stop_loss or take_profit") }
        } else if r.trailingDistance != nil, r.stopLoss != nil {
            throw FieldError("trailing_distance", "on an entry, trailing_distance makes the bracket's stop-loss trail: give it or stop_loss, not both")
        }
        if r.trailingType != nil, r.trailingDistance == nil { throw FieldError("trailing_type", "trailing_type goes with trailing_distance") }
        if r.trailingType == .percent, let d = r.trailingDistance, d.value >= 100 {
            throw FieldError("trailing_distance", "a PERCENT trailing distance is below 100, not \(d)")
        }
        if r.postOnly {
            guard type == .limit else { throw FieldError("post_only", "post_only goes with LIMIT orders") }
            guard r.timeInForce == .gtc || r.timeInForce == .day else { throw FieldError("post_only", "a post_only order rests: GTC or DAY, not \(r.timeInForce.rawValue)") }
        }
        if r.reduceOnly, r.stopLoss != nil || r.takeProfit != nil || (r.trailingDistance != nil && type != .trailingStop) {
            throw FieldError("reduce_only", "a reduce_only order cannot carry a bracket: a bracket protects a position it opens")
        }
    }

    func checkListed(_ symbol: String) throws(Rejection) {
        if let assets {
            guard assets.contains(symbol) else {
                throw Rejection(422, "UNKNOWN_SYMBOL", "'\(symbol.prefix(40))' is not listed here; the broker lists \(assets.sorted().joined(separator: ", "))",
                                ["symbol": symbol])
            }
        } else if lastPrice[symbol] == nil {
            throw Rejection(422, "UNKNOWN_SYMBOL", """
                '\(symbol.prefix(40))' has no market data here yet: post its bars to /sim/bars first, or start the broker with --symbols
                """, ["symbol": symbol])
        }
    }

    /// Why the market refuses a well-formed order (422), if it does; the order is then recorded as REJECTED.
    func refusal(of r: NewOrder, recorded id: String? = nil) -> Rejection? {
        let leverage = r.leverage?.value ?? maxLeverage.value
        if leverage > maxLeverage.value {
            return Rejection(422, "LEVERAGE_EXCEEDED", "leverage \(r.leverage!) is above this account's \(maxLeverage)", ["max_leverage": maxLeverage.description])
        }
        let last = lastPrice[r.symbol]
        let held = holdings[r.symbol]?.quantity ?? 0
        if r.reduceOnly, r.side == .sell ? held <= 0 : held >= 0 {
            return Rejection(422, "REDUCE_ONLY_REJECTED", "a reduce_only \(r.side.rawValue) needs a \(r.side == .sell ? "long" : "short") position in \(r.symbol) to reduce")
        }
        if r.postOnly, let last, let limit = r.limitPrice?.value, r.side == .buy ? limit >= last : limit <= last {
            return Rejection(422, "POST_ONLY_WOULD_TAKE", "a post_only \(r.side.rawValue) limit at \(r.limitPrice!) would fill at once against the last price \(Amount(last))")
        }
        // A bracket's stop sits on the losing side of its entry and its target on the winning side.
        if let entry = r.limitPrice?.value ?? r.stopPrice?.value ?? last {
            let buying = r.side == .buy
            if let stop = r.stopLoss?.value, buying ? stop >= entry : stop <= entry {
                return Rejection(422, "INVALID_PRICE", "a \(r.side.rawValue) bracket's stop_loss \(Amount(stop)) must be \(buying ? "below" : "above") the entry \(Amount(entry))")
            }
            if let target = r.takeProfit?.value, buying ? target <= entry : target >= entry {
                return Rejection(422, "INVALID_PRICE", "a \(r.side.rawValue) bracket's take_profit \(Amount(target)) must be \(buying ? "above" : "below") the entry \(Amount(entry))")
            }
        }
        // Every order that opens or adds to a position, long or short, must fit the free margin: the
        // part of a sell beyond the units held is a short sale (selling 100,000 while long 1 opens 99,999).
        // The orders still working count as if they filled (`marginAtWorst`): ten orders sent before
        // a bar cannot each spend the same margin.
        if !r.reduceOnly, let price = last ?? r.limitPrice?.value ?? r.stopPrice?.value {
            let committed = marginAtWorst(excluding: id)
            let needed = marginAtWorst(plus: r, price: price, excluding: id) - committed
            let free = account.equity.value - committed
            if needed > free {
                let free = max(0, free)
                return Rejection(422, "INSUFFICIENT_MARGIN", "\(r.side.rawValue) \(r.quantity) \(r.symbol) needs margin \(Amount(needed)); \(Amount(free)) is available",
                                 ["margin_required": Amount(needed).description, "margin_available": Amount(free).description])
            }
        }
        return nil
    }

    /// The margin the positions would take at worst, whichever of the working orders fill (and
    /// `extra`): an OCO fill or a cancel can leave any of them, in any order. Per symbol, all its
    /// buys filling and none of its sells, or the other way, at the symbol's last price, over the
    /// lowest leverage among the holding and those orders (a fill re-margins the whole position at
    /// its order's leverage). Reduce-only orders never add to a position, so they never count.
    func marginAtWorst(plus extra: NewOrder? = nil, price extraPrice: Decimal = 0, excluding id: String? = nil) -> Decimal {
        var book: [String: (held: Decimal, buys: Decimal, sells: Decimal, leverage: Decimal, price: Decimal)] = [:]
        for (symbol, h) in holdings { book[symbol] = (h.quantity, 0, 0, h.leverage, lastPrice[symbol] ?? h.entry) }
        func add(_ symbol: String, _ side: Side, _ quantity: Decimal, _ leverage: Decimal?, price: Decimal?) {
            let lever = leverage ?? maxLeverage.value
            var b = book[symbol] ?? (0, 0, 0, lever, lastPrice[symbol] ?? price ?? 0)
            if side == .buy { b.buys += quantity } else { b.sells += quantity }
            b.leverage = min(b.leverage, lever)
            book[symbol] = b
        }
        for o in orders where !o.status.isFinal && !o.reduceOnly && o.id != id {
            add(o.symbol, o.side, o.quantity.value - o.filledQuantity.value, o.leverage?.value, price: o.limitPrice?.value ?? o.stopPrice?.value)
        }
        if let r = extra, !r.reduceOnly { add(r.symbol, r.side, r.quantity.value, r.leverage?.value, price: extraPrice) }
        return book.values.reduce(Decimal(0)) { total, b in
            total + max((b.held + b.buys).magnitude, (b.held - b.sells).magnitude) * b.price / b.leverage
        }
    }

    mutating func record(_ r: NewOrder, now: Int64) -> Int {
        let order = Order(id: "O\(nextOrder)", clientOrderId: r.clientOrderId, symbol: r.symbol, side: r.side, orderType: r.orderType, quantity: r.quantity,
                          filledQuantity: .zero, limitPrice: r.limitPrice, stopPrice: r.stopPrice, timeInForce: r.timeInForce, status: .pending,
                          stopLoss: r.stopLoss, takeProfit: r.takeProfit, reduceOnly: r.reduceOnly, postOnly: r.postOnly, ocoGroupId: r.ocoGroupId,
                          trailingDistance: r.trailingDistance, trailingType: r.trailingDistance.map { _ in r.trailingType ?? .absolute },
                          leverage: r.reduceOnly ? nil : (r.leverage ?? maxLeverage), createdAt: isoTime(now), updatedAt: isoTime(now))
        var state = Working(request: r, createdMs: now, updatedMs: now)
        if r.timeInForce == .day, let market = lastEventTime { state.day = Self.utcDay(market) }
        if r.orderType == .trailingStop { state.water = lastPrice[r.symbol] }
        let i = insert(order, state)
        if r.orderType == .trailingStop { updateTrailingStop(i) }
        return i
    }

    mutating func insert(_ order: Order, _ state: Working) -> Int {
        nextOrder += 1
        orders.append(order)
        working.append(state)
        index[order.id] = orders.count - 1
        if let id = order.clientOrderId { byClientId[id] = orders.count - 1 }
        return orders.count - 1
    }

    mutating func reject(_ i: Int, _ rejection: Rejection, now: Int64) {
        finish(i, .rejected, reason: "\(rejection.error.code): \(rejection.error.message)", at: now)
    }

    /// Ends a working order.
    mutating func finish(_ i: Int, _ status: OrderStatus, reason: String?, at time: Int64) {
        orders[i].status = status
        orders[i].reason = reason
        touch(i, time)
    }

    mutating func touch(_ i: Int, _ time: Int64) {
        working[i].updatedMs = time
        orders[i].updatedAt = isoTime(time)
    }

    static func utcDay(_ milliseconds: Int64) -> Int64 { milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000 }
}

/// A bar the paper broker was fed.
package struct HeldBar: Sendable, Equatable {
    package var time: Int64
    package var open: Double
    package var high: Double
    package var low: Double
    package var close: Double
    package var volume: Double

    package init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        (self.time, self.open, self.high, self.low, self.close, self.volume) = (time, open, high, low, close, volume)
    }
}

/// The last trade or quote of a symbol the paper broker was fed.
package struct HeldQuote: Sendable, Equatable {
    package var time: Int64
    package var price: Double
    package var size: Double
}
