import Foundation

/// What the API reads and changes outside the matching: order queries, cancels and changes,
/// positions and their closes, trades and the account.
extension PaperExchange {
    /// `GET /orders` and `/orders/history`: newest first.
    package struct OrderQuery: Sendable {
        package var symbol: String?
        /// Empty: the open ones (`/orders`) or the final ones (`/orders/history`).
        package var statuses: Set<OrderStatus> = []
        package var history = false
        package var side: Side?
        package var clientOrderId: String?
        package var ocoGroupId: String?
        package var since: Int64?
        package var until: Int64?
        package var limit = 100

        package init() {}
    }

    package func orders(_ q: OrderQuery) -> [Order] {
        var found: [Order] = []
        for i in orders.indices.reversed() where found.count < q.limit {
            let o = orders[i]
            let listed = q.statuses.isEmpty ? o.status.isFinal == q.history : q.statuses.contains(o.status) && o.status.isFinal == q.history
            guard listed, q.symbol.map({ $0 == o.symbol }) ?? true, q.side.map({ $0 == o.side }) ?? true,
                  q.clientOrderId.map({ $0 == o.clientOrderId }) ?? true, q.ocoGroupId.map({ $0 == o.ocoGroupId }) ?? true,
                  q.since.map({ working[i].createdMs >= $0 }) ?? true, q.until.map({ working[i].createdMs <= $0 }) ?? true else { continue }
            found.append(o)
        }
        return found
    }

    package func order(id: String) -> Order? { index[id].map { orders[$0] } }

    package func order(clientOrderId: String) -> Order? { byClientId[clientOrderId].map { orders[$0] } }

    private func find(_ id: String) throws(Rejection) -> Int {
        guard let i = index[id] else { throw Rejection(404, "ORDER_NOT_FOUND", "no order \(id.prefix(40))", ["order_id": id]) }
        return i
    }

    /// The order and its working legs: cancelling a filled bracket entry cancels what still protects it.
    private func tree(_ i: Int) -> [Int] { ([i] + working[i].legs).filter { !orders[$0].status.isFinal } }

    package mutating func cancel(id: String, now: Int64) throws(Rejection) -> Order {
        let i = try find(id)
        let open = tree(i)
        guard !open.isEmpty else {
            throw Rejection(409, "ORDER_NOT_CANCELLABLE", "order \(id) is \(orders[i].status.rawValue)", ["order_id": id, "status": orders[i].status.rawValue])
        }
        for j in open { finish(j, .cancelled, reason: "cancelled by request", at: now) }
        return orders[i]
    }

    /// `DELETE /orders`: every working order, or those of one symbol.
    package mutating func cancelAll(symbol: String?, now: Int64) -> BulkCancellation {
        var count = 0
        for i in orders.indices where !orders[i].status.isFinal && (symbol.map { $0 == orders[i].symbol } ?? true) {
            finish(i, .cancelled, reason: "cancelled by request", at: now)
            count += 1
        }
        return BulkCancellation(cancelledCount: count, failedCount: 0, failedOrderIds: [])
    }

    /// `PATCH /orders/{id}`: quantity (not below what has filled), prices, the trailing distance;
    /// a filled bracket entry's stop-loss and take-profit move its legs.
    package mutating func change(id: String, _ c: OrderChange, now: Int64) throws(Rejection) -> Order {
        let i = try find(id)
        let o = orders[i]
        func invalid(_ field: String, _ message: String) -> Rejection { .invalid(FieldError(field, message)) }
        func notModifiable(_ why: String) -> Rejection {
            Rejection(409, "ORDER_NOT_MODIFIABLE", "order \(id) cannot be changed: \(why)", ["order_id": id, "status": o.status.rawValue])
        }
        for (name, price) in [("quantity", c.quantity), ("limit_price", c.limitPrice), ("stop_price", c.stopPrice), ("stop_loss", c.stopLoss),
                              ("take_profit", c.takeProfit), ("trailing_distance", c.trailingDistance)] {
            if let price, !(price.value > 0 && price.value <= Self.maxPrice) { throw invalid(name, "\(name) must be above 0, not \(price)") }
        }
        let legsOnly = c.quantity == nil && c.limitPrice == nil && c.stopPrice == nil
        let liveLegs = working[i].legs.filter { !orders[$0].status.isFinal }
        guard !o.status.isFinal || (legsOnly && !liveLegs.isEmpty) else { throw notModifiable("it is \(o.status.rawValue)") }
        // A larger quantity takes more margin, as a new order of the difference would.
        if let quantity = c.quantity, quantity.value > o.quantity.value, !o.reduceOnly,
           let price = lastPrice[o.symbol] ?? c.limitPrice?.value ?? o.limitPrice?.value ?? o.stopPrice?.value {
            let more = NewOrder(symbol: o.symbol, side: o.side, quantity: Amount(quantity.value - o.quantity.value), leverage: o.leverage)
            let committed = marginAtWorst()
            let needed = marginAtWorst(plus: more, price: price) - committed, free = max(0, account.equity.value - committed)
            if needed > free {
                throw Rejection(422, "INSUFFICIENT_MARGIN", "raising \(id) to \(quantity) needs margin \(Amount(needed)) more; \(Amount(free)) is available",
                                ["margin_required": Amount(needed).description, "margin_available": Amount(free).description])
            }
        }
        if let limit = c.limitPrice {
            guard o.orderType == .limit || o.orderType == .stopLimit else { throw invalid("limit_price", "a \(o.orderType.rawValue) order has no limit_price") }
            orders[i].limitPrice = limit
        }
        if let stop = c.stopPrice {
            guard o.orderType == .stop || o.orderType == .stopLimit else { throw invalid("stop_price", "a \(o.orderType.rawValue) order has no stop_price") }
            orders[i].stopPrice = stop
        }
        if let quantity = c.quantity {
            guard quantity.value >= o.filledQuantity.value, quantity.value <= Self.maxQuantity else {
                throw invalid("quantity", "quantity \(quantity) is below the \(o.filledQuantity) already filled")
            }
            orders[i].quantity = quantity
            if quantity == o.filledQuantity { orders[i].status = .filled }
        }
        if let distance = c.trailingDistance {
            guard o.trailingDistance != nil else { throw invalid("trailing_distance", "order \(id) does not trail") }
            if o.trailingType == .percent, distance.value >= 100 { throw invalid("trailing_distance", "a PERCENT trailing distance is below 100") }
            // The order, and its working trailing leg: a leg's stop follows at once (an entry has no level of its own).
            for j in [i] + liveLegs where orders[j].trailingDistance != nil {
                orders[j].trailingDistance = distance
                updateTrailingStop(j)
            }
        }
        for (field, value, suffix) in [("stop_loss", c.stopLoss, "sl"), ("take_profit", c.takeProfit, "tp")] {
            guard let value else { continue }
            if working[i].legs.isEmpty {
                guard !o.reduceOnly, o.orderType != .trailingStop else { throw invalid(field, "a \(o.orderType.rawValue) order takes no \(field)") }
            } else {
                guard let leg = liveLegs.first(where: { orders[$0].clientOrderId?.hasSuffix("-" + suffix) ?? (orders[$0].orderType.isStop == (suffix == "sl")) }) else {
                    throw notModifiable("its \(field) leg is no longer working")
                }
                if suffix == "sl" {
                    guard orders[leg].orderType == .stop else { throw invalid(field, "its stop-loss leg trails; change trailing_distance") }
                    orders[leg].stopPrice = value
                } else {
                    orders[leg].limitPrice = value
                }
                touch(leg, now)
            }
            if field == "stop_loss" { orders[i].stopLoss = value } else { orders[i].takeProfit = value }
        }
        working[i].request = nil
        touch(i, now)
        return orders[i]
    }

    // MARK: Positions

    package var positions: [Position] { holdings.keys.sorted().compactMap(position(symbol:)) }

    package func position(symbol: String) -> Position? {
        guard let h = holdings[symbol] else { return nil }
        let mark = lastPrice[symbol] ?? h.entry
        return Position(id: h.id, symbol: symbol, side: h.quantity > 0 ? .long : .short, quantity: Amount(h.quantity.magnitude), entryPrice: Amount(h.entry),
                        currentPrice: Amount(mark), unrealizedPnl: Amount((mark - h.entry) * h.quantity), realizedPnl: Amount(h.realized),
                        leverage: Amount(h.leverage), openedAt: isoTime(h.openedMs), updatedAt: isoTime(h.updatedMs))
    }

    package func position(id: String) -> Position? { holdings.first { $0.value.id == id }.flatMap { position(symbol: $0.key) } }

    /// `DELETE /positions/{id}`: a reduce-only order for all or part of it, market or limit.
    package mutating func close(positionId: String, _ request: PositionClose, now: Int64) throws(Rejection) -> Order {
        guard let held = position(id: positionId) else {
            throw Rejection(404, "POSITION_NOT_FOUND", "no open position \(positionId.prefix(40))", ["position_id": positionId])
        }
        let quantity = request.quantity ?? held.quantity
        guard quantity.value > 0, quantity <= held.quantity else {
            throw .invalid(FieldError("quantity", "quantity \(quantity) is more than the \(held.quantity) held"))
        }
        if request.cancelAssociatedOrders { _ = cancelAll(symbol: held.symbol, now: now) }
        let id = "close-\(positionId)-\(nextClose)"
        nextClose += 1
        let order = NewOrder(symbol: held.symbol, side: held.side == .long ? .sell : .buy, quantity: quantity, orderType: request.orderType,
                             limitPrice: request.limitPrice, clientOrderId: id, reduceOnly: true)
        return try submit(order, now: now).order
    }

    /// `DELETE /positions`: every position, or the one of `symbol`, closed at market.
    package mutating func closeAll(symbol: String?, now: Int64) -> BulkClose {
        var placed: [Order] = []
        for p in positions where symbol.map({ $0 == p.symbol }) ?? true {
            if let order = try? close(positionId: p.id, PositionClose(), now: now) { placed.append(order) }
        }
        return BulkClose(closedCount: placed.count, orders: placed)
    }

    // MARK: Trades and the account

    package struct TradeQuery: Sendable {
        package var symbol: String?
        package var orderId: String?
        package var since: Int64?
        package var until: Int64?
        /// Oldest first after this trade id (a cursor); newest first without it.
        package var after: String?
        package var ascending = false
        package var limit = 100

        package init() {}
    }

    package func trades(_ q: TradeQuery) -> [Trade] {
        let start = q.after.flatMap { c in trades.firstIndex { $0.id > c } } ?? (q.after == nil ? 0 : trades.count)
        let range = Array(trades.indices[start...])
        var found: [Trade] = []
        for i in (q.ascending ? range : range.reversed()) where found.count < q.limit {
            let t = trades[i]
            guard q.symbol.map({ $0 == t.symbol }) ?? true, q.orderId.map({ $0 == t.orderId }) ?? true,
                  q.since.map({ tradeTimes[i] >= $0 }) ?? true, q.until.map({ tradeTimes[i] <= $0 }) ?? true else { continue }
            found.append(t)
        }
        return found
    }

    package var account: Account {
        var value: Decimal = 0, unrealized: Decimal = 0, margin: Decimal = 0
        for (symbol, h) in holdings {
            let mark = lastPrice[symbol] ?? h.entry
            value += h.quantity * mark
            unrealized += (mark - h.entry) * h.quantity
            margin += h.quantity.magnitude * mark / h.leverage
        }
        let equity = cash.value + value
        return Account(balance: cash, equity: Amount(equity), marginUsed: Amount(margin), marginAvailable: Amount(max(0, equity - margin)),
                       unrealizedPnl: Amount(unrealized), realizedPnl: Amount(realized), currency: TradingAPI.currency)
    }

    /// Symbols with a position.
    package var openSymbols: [String] { holdings.keys.sorted() }
}
