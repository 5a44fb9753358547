import KeelData

/// The simulated broker behind `keel broker serve`: an account, resting orders, and a matching rule
/// that is the engine's own (`OrderType.fill` in KeelData; the step order, docs/backtest.md). A market order fills at the open of the next bar
/// of its symbol; a limit or stop fills when a bar reaches its price, at the open when the bar gaps
/// through it. A bracket's legs are armed when its entry fills and checked on that same bar; when
/// a stop and a target are both reached in one bar, the stop fills first. The first leg to fill
/// cancels the other. A value type: the server keeps it behind a lock.
package struct PaperExchange: Sendable {
    package struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        package var code: String
        package var message: String
        /// Refused after validation: the order is recorded as `rejected` and its id is used.
        package var recorded: Bool
        package var description: String { "\(code): \(message)" }
    }

    package enum Listing: String, Sendable { case open, closed, all }

    package private(set) var cash: Double
    /// Orders in creation order; legs are orders of their own, with a parent.
    private var orders: [BrokerOrder] = []
    private var index: [String: Int] = [:]
    private var byClientId: [String: Int] = [:]
    private var legs: [Int: [Int]] = [:]
    /// An OCO pair's other order.
    private var sibling: [Int: Int] = [:]
    private var fills: [BrokerFill] = []
    private var holdings: [String: (qty: Double, avg: Double)] = [:]
    private var lastPrice: [String: Double] = [:]
    /// Every bar it was fed, per symbol in time order, for `GET /bars`; and the last quote of each.
    package private(set) var history: [String: [HeldBar]] = [:]
    package private(set) var quotes: [String: HeldQuote] = [:]
    /// The time of the last bar or quote fed: the broker's heartbeat.
    package private(set) var lastEventTime: Int64?
    private var nextOrder = 1, nextFill = 1, nextClose = 1
    /// Buying power is equity times this (a margin account's 2 by default).
    package var leverage: Double
    /// Injected faults, counted down as they strike: the next orders refused, the next market fills halved.
    package var rejectNext = 0
    package var partialNext = 0

    /// The largest quantity one order may ask for: far past any real order, and well inside exact
    /// binary64 integers (`qty: 1e308` was taken).
    package static let maxQuantity = 1e12

    /// The symbols it lists (`--symbols`); nil: those it has had a bar of. An order for any other
    /// is refused, as a broker refuses an asset it does not list: one it cannot price would rest forever.
    package let assets: Set<String>?

    package init(cash: Double, leverage: Double = 2, symbols: Set<String>? = nil) {
        self.cash = cash
        self.leverage = leverage
        assets = symbols
    }

    // MARK: Orders

    package mutating func submit(_ request: OrderRequest, now: Int64) throws(Rejection) -> BrokerOrder {
        try validate(request)
        let orderClass = request.orderClass ?? .simple
        if rejectNext > 0 {
            rejectNext -= 1
            record(request, orderClass: orderClass, status: .rejected, now: now)
            throw Rejection(code: "insufficient_buying_power", message: "simulated rejection (injected fault)", recorded: true)
        }
        // Every order that opens or adds to a position, long or short, must fit the buying power: the
        // part of a sell beyond the units held is a short sale (selling 100,000 while long 1 opens 99,999).
        if let price = lastPrice[request.symbol] ?? request.limitPrice {
            let held = holdings[request.symbol]?.qty ?? 0
            let opening = request.side == .buy ? max(0, request.qty + min(0, held)) : max(0, request.qty - max(0, held))
            let power = max(0, equity) * leverage - grossExposure
            if opening * price > power + 1e-9 {
                record(request, orderClass: orderClass, status: .rejected, now: now)
                throw Rejection(code: "insufficient_buying_power",
                                message: "\(request.side.rawValue) \(request.qty) \(request.symbol) needs \(opening * price); buying power is \(power)",
                                recorded: true)
            }
        }
        let parent = record(request, orderClass: orderClass, status: .new, now: now)
        switch orderClass {
        case .simple: break
        case .bracket:
            let exitSide: OrderSide = request.side == .buy ? .sell : .buy
            var children: [Int] = []
            if let target = request.takeProfit {
                children.append(addLeg(of: parent, suffix: "tp", side: exitSide, type: .limit, limit: target.limitPrice, stop: nil, now: now))
            }
            if let stop = request.stopLoss {
                children.append(addLeg(of: parent, suffix: "sl", side: exitSide, type: .stop, limit: nil, stop: stop.stopPrice, now: now))
            }
            legs[parent] = children
            if children.count == 2 { (sibling[children[0]], sibling[children[1]]) = (children[1], children[0]) }
        case .oco:
            let stop = addLeg(of: parent, suffix: "sl", side: request.side, type: .stop, limit: nil, stop: request.stopLoss!.stopPrice, now: now)
            orders[stop].status = .new
            legs[parent] = [stop]
            (sibling[parent], sibling[stop]) = (stop, parent)
        }
        return render(parent)
    }

    private func validate(_ r: OrderRequest) throws(Rejection) {
        func refuse(_ code: String, _ message: String) -> Rejection { Rejection(code: code, message: message, recorded: false) }
        guard !r.clientOrderId.isEmpty, r.clientOrderId.count <= 128 else {
            throw refuse("invalid_client_order_id", "client_order_id is required, at most 128 characters")
        }
        guard byClientId[r.clientOrderId] == nil else {
            throw refuse("duplicate_client_order_id", "an order with client_order_id '\(r.clientOrderId)' exists; query it instead of sending it again")
        }
        guard !r.symbol.isEmpty else { throw refuse("invalid_symbol", "symbol is required") }
        if let assets {
            guard assets.contains(r.symbol) else {
                throw refuse("unknown_symbol", "'\(r.symbol.prefix(40))' is not listed here; the broker lists \(assets.sorted().joined(separator: ", "))")
            }
        } else if lastPrice[r.symbol] == nil {
            throw refuse("unknown_symbol", """
                '\(r.symbol.prefix(40))' has no market data here yet: post its bars to /v2/sim/bars first, or start the broker with --symbols
                """)
        }
        guard r.qty > 0, r.qty <= Self.maxQuantity else {
            throw refuse("invalid_qty", "qty must be a positive number of at most \(Int(Self.maxQuantity)), not \(r.qty)")
        }
        for (name, price) in [("limit_price", r.limitPrice), ("stop_price", r.stopPrice), ("take_profit.limit_price", r.takeProfit?.limitPrice),
                              ("stop_loss.stop_price", r.stopLoss?.stopPrice)] {
            if let price, !(price > 0 && price.isFinite) { throw refuse("invalid_price", "\(name) must be a positive number, not \(price)") }
        }
        switch r.type {
        case .market: break
        case .limit where r.limitPrice == nil: throw refuse("invalid_order", "a limit order needs limit_price")
        case .stop where r.stopPrice == nil: throw refuse("invalid_order", "a stop order needs stop_price")
        default: break
        }
        switch r.orderClass ?? .simple {
        case .simple:
            guard r.takeProfit == nil, r.stopLoss == nil else { throw refuse("invalid_order", "take_profit and stop_loss need order_class bracket or oco") }
        case .bracket:
            guard r.takeProfit != nil || r.stopLoss != nil else { throw refuse("invalid_order", "a bracket needs take_profit, stop_loss or both") }
            // A buy's stop sits below its entry and its target above; a sell's the other way round.
            if let entry = r.limitPrice ?? lastPrice[r.symbol] {
                let buying = r.side == .buy
                if let stop = r.stopLoss?.stopPrice, buying ? stop >= entry : stop <= entry {
                    throw refuse("invalid_order", "a \(r.side.rawValue) bracket's stop_loss.stop_price \(stop) must be \(buying ? "below" : "above") the entry \(entry)")
                }
                if let target = r.takeProfit?.limitPrice, buying ? target <= entry : target >= entry {
                    throw refuse("invalid_order", "a \(r.side.rawValue) bracket's take_profit.limit_price \(target) must be \(buying ? "above" : "below") the entry \(entry)")
                }
            }
        case .oco:
            guard r.type == .limit, r.stopLoss != nil else {
                throw refuse("invalid_order", "an oco order is a limit (the target) with stop_loss.stop_price (the stop)")
            }
        }
    }

    @discardableResult
    private mutating func record(_ r: OrderRequest, orderClass: OrderClass, status: OrderStatus, now: Int64) -> Int {
        let order = BrokerOrder(id: "O\(nextOrder)", clientOrderId: r.clientOrderId, symbol: r.symbol, side: r.side, type: r.type,
                                orderClass: orderClass, qty: r.qty, limitPrice: r.limitPrice, stopPrice: r.stopPrice, status: status,
                                createdAt: now, updatedAt: now)
        nextOrder += 1
        return insert(order)
    }

    private mutating func addLeg(of parent: Int, suffix: String, side: OrderSide, type: OrderType, limit: Double?, stop: Double?, now: Int64) -> Int {
        let p = orders[parent]
        let leg = BrokerOrder(id: "O\(nextOrder)", clientOrderId: "\(p.clientOrderId)-\(suffix)", symbol: p.symbol, side: side, type: type,
                              orderClass: p.orderClass, qty: p.qty, limitPrice: limit, stopPrice: stop, status: .held, parentId: p.id,
                              createdAt: now, updatedAt: now)
        nextOrder += 1
        return insert(leg)
    }

    private mutating func insert(_ order: BrokerOrder) -> Int {
        orders.append(order)
        index[order.id] = orders.count - 1
        byClientId[order.clientOrderId] = orders.count - 1
        return orders.count - 1
    }

    package func order(id: String) -> BrokerOrder? { index[id].map(render) }

    package func order(clientOrderId: String) -> BrokerOrder? { byClientId[clientOrderId].map(render) }

    /// Top-level orders (legs inside their parent), oldest first.
    package func orders(_ listing: Listing) -> [BrokerOrder] {
        orders.indices.filter { i in
            guard orders[i].parentId == nil else { return false }
            let open = isOpen(i) || (legs[i] ?? []).contains(where: isOpen)
            return listing == .all || (listing == .open) == open
        }.map(render)
    }

    private func isOpen(_ i: Int) -> Bool { !orders[i].status.isFinal }

    package mutating func cancel(id: String, now: Int64) throws(Rejection) -> BrokerOrder {
        guard let i = index[id] else { throw Rejection(code: "not_found", message: "no order \(id)", recorded: false) }
        guard isOpen(i) || (legs[i] ?? []).contains(where: isOpen) else {
            throw Rejection(code: "order_not_cancelable", message: "order \(id) is \(orders[i].status.rawValue)", recorded: false)
        }
        cancelTree(i, now: now)
        return render(i)
    }

    package mutating func cancelAll(now: Int64) -> [BrokerOrder] {
        let open = orders.indices.filter { orders[$0].parentId == nil && (isOpen($0) || (legs[$0] ?? []).contains(where: isOpen)) }
        for i in open { cancelTree(i, now: now) }
        return open.map(render)
    }

    private mutating func cancelTree(_ i: Int, now: Int64) {
        for j in [i] + (legs[i] ?? []) where isOpen(j) {
            orders[j].status = .canceled
            orders[j].updatedAt = now
        }
    }

    /// A market order for the whole position, filled at the symbol's next bar.
    package mutating func closePosition(_ symbol: String, now: Int64) throws(Rejection) -> BrokerOrder {
        guard let held = holdings[symbol], held.qty != 0 else {
            throw Rejection(code: "position_not_found", message: "no open position in \(symbol)", recorded: false)
        }
        let id = "close-\(symbol)-\(nextClose)"
        nextClose += 1
        return try submit(OrderRequest(symbol: symbol, qty: abs(held.qty), side: held.qty > 0 ? .sell : .buy, clientOrderId: id), now: now)
    }

    package var openSymbols: [String] { holdings.filter { $0.value.qty != 0 }.keys.sorted() }

    // MARK: State

    package var positions: [BrokerPosition] {
        openSymbols.map { s in BrokerPosition(symbol: s, qty: holdings[s]!.qty, avgEntryPrice: holdings[s]!.avg, marketPrice: lastPrice[s]) }
    }

    package func position(_ symbol: String) -> BrokerPosition? { positions.first { $0.symbol == symbol } }

    package var equity: Double {
        holdings.reduce(cash) { total, entry in total + entry.value.qty * (lastPrice[entry.key] ?? entry.value.avg) }
    }

    private var grossExposure: Double {
        holdings.reduce(0) { total, entry in total + abs(entry.value.qty) * (lastPrice[entry.key] ?? entry.value.avg) }
    }

    package var account: BrokerAccount { BrokerAccount(cash: cash, equity: equity, status: "active") }

    /// Fills after the one named, oldest first; all of them without a cursor.
    package func fills(after cursor: String?, limit: Int = 500) -> [BrokerFill] {
        let start = cursor.flatMap { c in fills.firstIndex { $0.id == c }.map { $0 + 1 } } ?? 0
        return Array(fills[start...].prefix(limit))
    }

    // MARK: Matching

    /// A bar of `symbol` reaches the book: every working order of the symbol is checked against it.
    /// Returns the fills it made.
    @discardableResult
    package mutating func bar(symbol: String, time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double = 0) -> [BrokerFill] {
        history[symbol, default: []].append(HeldBar(time: time, open: open, high: high, low: low, close: close, volume: volume))
        lastEventTime = max(lastEventTime ?? time, time)
        let before = fills.count
        var work = orders.indices.filter { orders[$0].symbol == symbol && (orders[$0].status == .new || orders[$0].status == .partiallyFilled) }
        var k = 0
        while k < work.count {
            let i = work[k]
            k += 1
            guard orders[i].status == .new || orders[i].status == .partiallyFilled, let price = trigger(i, open: open, high: high, low: low) else {
                continue
            }
            // Both of an OCO pair reached in one bar: the stop fills first.
            if let other = sibling[i], orders[other].type == .stop, orders[i].type != .stop, isOpen(other),
               let stopPrice = trigger(other, open: open, high: high, low: low) {
                fill(other, price: stopPrice, time: time, whole: true)
                continue
            }
            let armed = fill(i, price: price, time: time, whole: orders[i].type != .market)
            work += armed
        }
        lastPrice[symbol] = close
        return Array(fills[before...])
    }

    /// A trade or quote it was fed: the symbol's quote and its mark (orders match on bars only).
    package mutating func quote(symbol: String, time: Int64, price: Double, size: Double) {
        quotes[symbol] = HeldQuote(time: time, price: price, size: size)
        lastPrice[symbol] = price
        lastEventTime = max(lastEventTime ?? time, time)
    }

    /// Where order `i` fills in this bar, by the engine's own rule (`KeelData.OrderType.fill`).
    private func trigger(_ i: Int, open: Double, high: Double, low: Double) -> Double? {
        let o = orders[i]
        let type: KeelData.OrderType
        switch o.type {
        case .market: type = .market
        case .limit: type = .limit(o.limitPrice!)
        case .stop: type = .stop(o.stopPrice!)
        }
        return type.fill(buying: o.side == .buy, open: open, high: high, low: low)
    }

    /// Fills order `i` (half of what remains when a partial fill is injected), and returns the legs it armed.
    @discardableResult
    private mutating func fill(_ i: Int, price: Double, time: Int64, whole: Bool) -> [Int] {
        let remaining = orders[i].qty - orders[i].filledQty
        var qty = remaining
        if !whole, partialNext > 0, remaining >= 2 {
            partialNext -= 1
            qty = (remaining / 2).rounded(.down)
        }
        let o = orders[i]
        let signed = o.side == .buy ? qty : -qty
        apply(symbol: o.symbol, signed: signed, price: price)
        fills.append(BrokerFill(id: Self.fillId(nextFill), orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol,
                                side: o.side, qty: qty, price: price, time: time))
        nextFill += 1
        let filledBefore = o.filledQty
        orders[i].filledQty += qty
        orders[i].filledAvgPrice = ((o.filledAvgPrice ?? 0) * filledBefore + price * qty) / orders[i].filledQty
        orders[i].status = orders[i].filledQty >= o.qty ? .filled : .partiallyFilled
        orders[i].updatedAt = time
        if orders[i].status == .filled, let other = sibling[i], isOpen(other) {
            orders[other].status = .canceled
            orders[other].updatedAt = time
        }
        guard orders[i].status == .filled, let children = legs[i], o.orderClass == .bracket else { return [] }
        for c in children where orders[c].status == .held {
            orders[c].status = .new
            orders[c].qty = orders[i].filledQty
            orders[c].updatedAt = time
        }
        return children
    }

    private mutating func apply(symbol: String, signed: Double, price: Double) {
        cash -= signed * price
        let held = holdings[symbol] ?? (0, 0)
        let qty = held.qty + signed
        let avg: Double
        if held.qty == 0 || (held.qty > 0) == (signed > 0) {
            avg = (held.avg * abs(held.qty) + price * abs(signed)) / abs(qty)
        } else {
            avg = abs(signed) > abs(held.qty) ? price : held.avg
        }
        holdings[symbol] = abs(qty) < 1e-12 ? nil : (qty, avg)
    }

    /// Zero-padded, so ids sort in the order they were made.
    static func fillId(_ n: Int) -> String {
        let digits = String(n)
        return "F" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    private func render(_ i: Int) -> BrokerOrder {
        var o = orders[i]
        if let children = legs[i] { o.legs = children.map { orders[$0] } }
        return o
    }
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
