import Foundation
import KeelData

/// Bars reach the book: every working order of the symbol is checked against each, in the order
/// the orders were placed, by the engine's fill rule.
extension PaperExchange {
    struct Prices {
        var open: Decimal, high: Decimal, low: Decimal, close: Decimal
    }

    /// A bar of `symbol`: its working orders are matched, then its trailing stops ratchet on the
    /// close (as Keel's engine ratchets its own). Returns the trades it made.
    @discardableResult
    package mutating func bar(symbol: String, time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double = 0) -> [Trade] {
        history[symbol, default: []].append(HeldBar(time: time, open: open, high: high, low: low, close: close, volume: volume))
        lastEventTime = max(lastEventTime ?? time, time)
        let bar = Prices(open: Amount(open).value, high: Amount(high).value, low: Amount(low).value, close: Amount(close).value)
        let before = trades.count
        var work = orders.indices.filter { orders[$0].symbol == symbol && !orders[$0].status.isFinal }
        var k = 0
        while k < work.count {
            let i = work[k]
            k += 1
            guard !orders[i].status.isFinal else { continue }
            if orders[i].timeInForce == .day {
                let day = Self.utcDay(time)
                if let lives = working[i].day, day > lives {
                    finish(i, .expired, reason: "a DAY order ends with its UTC day", at: time)
                    continue
                }
                working[i].day = working[i].day ?? day
            }
            if orders[i].orderType == .trailingStop, working[i].water == nil {
                working[i].water = bar.open
                updateTrailingStop(i)
            }
            let resting = restsAsLimit(i)
            guard let price = trigger(i, bar) else {
                endOfBar(i, time)
                continue
            }
            // Two of one OCO group reached in one bar: the stop fills first.
            if !orders[i].orderType.isStop, let group = orders[i].ocoGroupId,
               let stop = work[k...].first(where: { j in orders[j].ocoGroupId == group && orders[j].orderType.isStop && !orders[j].status.isFinal }),
               case let stopResting = restsAsLimit(stop), let stopPrice = trigger(stop, bar) {
                work += fill(stop, price: stopPrice, maker: stopResting && (working[stop].rested || stopPrice != bar.open), time: time)
                if !orders[i].status.isFinal { endOfBar(i, time) }
                continue
            }
            if orders[i].postOnly, !working[i].rested {
                finish(i, .cancelled, reason: "post_only: the bar opened through the limit, so the order would have taken liquidity", at: time)
                continue
            }
            // A limit on the book adds liquidity; one that crossed the open on arrival took it.
            work += fill(i, price: price, maker: resting && (working[i].rested || price != bar.open), time: time)
            if !orders[i].status.isFinal { endOfBar(i, time) }
        }
        for i in work where orders[i].orderType == .trailingStop && !orders[i].status.isFinal {
            let buying = orders[i].side == .buy
            working[i].water = working[i].water.map { buying ? min($0, bar.close) : max($0, bar.close) } ?? bar.close
            updateTrailingStop(i)
        }
        lastPrice[symbol] = bar.close
        return Array(trades[before...])
    }

    /// A trade or quote it was fed: the symbol's quote and its mark (orders match on bars only).
    package mutating func quote(symbol: String, time: Int64, price: Double, size: Double) {
        quotes[symbol] = HeldQuote(time: time, price: price, size: size)
        lastPrice[symbol] = Amount(price).value
        lastEventTime = max(lastEventTime ?? time, time)
    }

    /// An order that saw a bar and did not fill (whole): it rests, or ends as its time in force says.
    private mutating func endOfBar(_ i: Int, _ time: Int64) {
        switch orders[i].timeInForce {
        case .ioc, .fok:
            let what = orders[i].filledQuantity.isPositive ? "the rest" : "the order"
            finish(i, .cancelled, reason: "\(orders[i].timeInForce.rawValue): \(what) did not fill on the bar after it was placed", at: time)
        case .gtc, .day:
            working[i].rested = true
            if orders[i].status == .pending {
                orders[i].status = .open
                touch(i, time)
            }
        }
    }

    /// Where order `i` fills in this bar, by the engine's rule (`FillRule` in KeelData).
    private mutating func trigger(_ i: Int, _ bar: Prices) -> Decimal? {
        let o = orders[i]
        let buying = o.side == .buy
        let rule: FillRule<Decimal>
        switch o.orderType {
        case .market: rule = .market
        case .limit: rule = .limit(o.limitPrice!.value)
        case .stop, .trailingStop: rule = .stop(o.stopPrice!.value)
        case .stopLimit:
            // Once its stop is reached, a stop-limit is a limit.
            if working[i].triggered {
                rule = .limit(o.limitPrice!.value)
            } else {
                guard FillRule.stop(o.stopPrice!.value).fill(buying: buying, open: bar.open, high: bar.high, low: bar.low) != nil else { return nil }
                working[i].triggered = true
                rule = .stopLimit(stop: o.stopPrice!.value, limit: o.limitPrice!.value)
            }
        }
        return rule.fill(buying: buying, open: bar.open, high: bar.high, low: bar.low)
    }

    /// A limit, or a stop-limit whose stop was reached on an earlier bar.
    private func restsAsLimit(_ i: Int) -> Bool { orders[i].orderType == .limit || (orders[i].orderType == .stopLimit && working[i].triggered) }

    /// A trailing stop's level from its water mark.
    mutating func updateTrailingStop(_ i: Int) {
        guard let water = working[i].water, let distance = orders[i].trailingDistance?.value else { return }
        let sign: Decimal = orders[i].side == .buy ? 1 : -1
        let offset = orders[i].trailingType == .percent ? water * distance / 100 : distance
        orders[i].stopPrice = Amount(water + sign * offset)
    }

    /// Fills order `i` at `price` (half of what remains when a partial fill is injected), and
    /// returns the bracket legs it armed.
    private mutating func fill(_ i: Int, price: Decimal, maker: Bool, time: Int64) -> [Int] {
        let o = orders[i]
        let remaining = o.quantity.value - o.filledQuantity.value
        var quantity = remaining, capped = false
        if o.reduceOnly {
            let held = holdings[o.symbol]?.quantity ?? 0
            quantity = min(quantity, o.side == .sell ? max(0, held) : max(0, -held))
            capped = quantity < remaining
            if quantity == 0 {
                finish(i, .cancelled, reason: "reduce_only: no position left to reduce", at: time)
                return []
            }
        }
        if o.orderType == .market, partialNext > 0, remaining >= 2 {
            partialNext -= 1
            if o.timeInForce == .fok {
                finish(i, .cancelled, reason: "FOK: the bar could not fill the whole order", at: time)
                return []
            }
            var half = remaining / 2, whole = Decimal()
            NSDecimalRound(&whole, &half, 0, .down)
            quantity = whole
        }
        let signed = o.side.sign * quantity
        let commission = (quantity * price * commissionRate.value).magnitude
        apply(symbol: o.symbol, signed: signed, price: price, leverage: o.leverage?.value, time: time)
        cash -= Amount(commission)
        trades.append(Trade(id: Self.tradeId(nextTrade), orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side,
                            quantity: Amount(quantity), price: Amount(price), commission: Amount(commission), commissionCurrency: TradingAPI.currency,
                            isMaker: maker, timestamp: isoTime(time)))
        tradeTimes.append(time)
        nextTrade += 1
        let filled = o.filledQuantity.value + quantity
        orders[i].averageFillPrice = Amount(((o.averageFillPrice?.value ?? 0) * o.filledQuantity.value + price * quantity) / filled)
        orders[i].filledQuantity = Amount(filled)
        orders[i].status = filled >= o.quantity.value ? .filled : .partiallyFilled
        touch(i, time)
        if orders[i].status == .partiallyFilled, capped { finish(i, .cancelled, reason: "reduce_only: the position is closed", at: time) }
        if let group = o.ocoGroupId {
            for j in orders.indices where j != i && orders[j].ocoGroupId == group && !orders[j].status.isFinal {
                finish(j, .cancelled, reason: "OCO: \(o.id) of group \(group) filled", at: time)
            }
        }
        return armLegs(of: i, at: price, time: time)
    }

    /// A bracket entry's legs, made at its first fill and sized to what it has filled.
    private mutating func armLegs(of i: Int, at price: Decimal, time: Int64) -> [Int] {
        let o = orders[i]
        guard o.stopLoss != nil || o.takeProfit != nil || (o.trailingDistance != nil && o.orderType != .trailingStop) else { return [] }
        if !working[i].legs.isEmpty {
            for leg in working[i].legs where !orders[leg].status.isFinal { orders[leg].quantity = o.filledQuantity }
            return []
        }
        let group = o.stopLoss != nil || o.trailingDistance != nil ? (o.takeProfit != nil ? "bracket-\(o.id)" : nil) : nil
        func leg(_ suffix: String, _ type: OrderType, limit: Amount? = nil, stop: Amount? = nil) -> Int {
            let order = Order(id: "O\(nextOrder)", clientOrderId: o.clientOrderId.map { "\($0)-\(suffix)" }, symbol: o.symbol, side: o.side.opposite,
                              orderType: type, quantity: o.filledQuantity, filledQuantity: .zero, limitPrice: limit, stopPrice: stop, timeInForce: .gtc,
                              status: .open, reduceOnly: true, postOnly: false, ocoGroupId: group,
                              trailingDistance: type == .trailingStop ? o.trailingDistance : nil, trailingType: type == .trailingStop ? o.trailingType : nil,
                              parentOrderId: o.id, createdAt: isoTime(time), updatedAt: isoTime(time))
            return insert(order, Working(createdMs: time, updatedMs: time, water: type == .trailingStop ? price : nil))
        }
        var legs: [Int] = []
        if o.trailingDistance != nil {
            legs.append(leg("sl", .trailingStop))
            updateTrailingStop(legs[0])
        } else if let stop = o.stopLoss {
            legs.append(leg("sl", .stop, stop: stop))
        }
        if let target = o.takeProfit { legs.append(leg("tp", .limit, limit: target)) }
        working[i].legs = legs
        return legs
    }

    /// A fill moves the symbol's position: its average entry, its realised P&L, and cash.
    private mutating func apply(symbol: String, signed: Decimal, price: Decimal, leverage: Decimal?, time: Int64) {
        cash -= Amount(signed * price)
        var held = holdings[symbol] ?? Holding(id: "P\(nextPosition)", quantity: 0, entry: 0, realized: 0, leverage: leverage ?? maxLeverage.value,
                                               openedMs: time, updatedMs: time)
        if holdings[symbol] == nil { nextPosition += 1 }
        let quantity = held.quantity + signed
        if held.quantity == 0 || (held.quantity > 0) == (signed > 0) {
            held.entry = (held.entry * held.quantity.magnitude + price * signed.magnitude) / quantity.magnitude
            if let leverage { held.leverage = leverage }
        } else {
            let closed = min(signed.magnitude, held.quantity.magnitude)
            let pnl = (price - held.entry) * closed * (held.quantity > 0 ? 1 : -1)
            held.realized += pnl
            realized += pnl
            // Through zero: the rest opens the other way at this price.
            if signed.magnitude > held.quantity.magnitude { held.entry = price }
        }
        held.quantity = quantity
        held.updatedMs = time
        holdings[symbol] = quantity == 0 ? nil : held
    }

    /// Zero-padded, so ids sort in the order they were made.
    static func tradeId(_ n: Int) -> String {
        let digits = String(n)
        return "T" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }
}
