import Foundation
import KeelBroker
import KeelData
import KeelTestSupport
import Testing

/// The paper broker's matching rule, bar by bar: the engine's (docs/backtest.md) on the broker's
/// side, in exact decimals.
@Suite struct ExchangeTests {
    func exchange(cash: String = "10000") -> PaperExchange { PaperExchange(cash: Amount(cash)!, symbols: ["X"]) }

    static func a(_ text: String) -> Amount { Amount(text)! }

    func order(_ id: String, _ side: Side = .buy, _ quantity: String = "10", type: KeelBroker.OrderType = .market, limit: String? = nil,
               stop: String? = nil, tif: TimeInForce = .gtc) -> NewOrder {
        NewOrder(symbol: "X", side: side, quantity: Self.a(quantity), orderType: type, limitPrice: limit.map(Self.a), stopPrice: stop.map(Self.a),
                 timeInForce: tif, clientOrderId: id)
    }

    func code(_ body: () throws -> Void) -> String? {
        do { try body() } catch let r as PaperExchange.Rejection { return "\(r.status) \(r.error.code)" } catch { return "\(error)" }
        return nil
    }

    @Test func aMarketOrderIsPendingThenFillsAtTheNextOpen() throws {
        var x = exchange()
        let placed = try x.submit(order("a"), now: 1)
        #expect(placed.created && placed.order.status == .pending && placed.order.id == "O1")
        let trades = x.bar(symbol: "X", time: 100, open: 50, high: 52, low: 49, close: 51)
        #expect(trades.map(\.price) == [Self.a("50")] && trades.first?.isMaker == false && trades.first?.timestamp == "1970-01-01T00:00:00.100Z")
        #expect(x.order(clientOrderId: "a")?.status == .filled)
        let p = try #require(x.positions.first)
        #expect(p.id == "P1" && p.side == .long && p.quantity == Self.a("10") && p.entryPrice == Self.a("50") && p.currentPrice == Self.a("51"))
        #expect(p.unrealizedPnl == Self.a("10"))
        #expect(x.account.balance == Self.a("9500") && x.account.equity == Self.a("10010") && x.account.marginUsed == Self.a("255"))
    }

    @Test func decimalsStayExact() throws {
        var x = PaperExchange(cash: Self.a("1"), symbols: ["X"])
        x.quote(symbol: "X", time: 1, price: 0.1, size: 1)
        // 0.1 + 0.2 in lots of 1e-8 at 0.1: binary64 would leave 0.30000000000000004 behind.
        _ = try x.submit(NewOrder(symbol: "X", side: .buy, quantity: Self.a("0.1"), clientOrderId: "a"), now: 1)
        _ = try x.submit(NewOrder(symbol: "X", side: .buy, quantity: Self.a("0.2"), clientOrderId: "b"), now: 1)
        _ = try x.submit(NewOrder(symbol: "X", side: .buy, quantity: Self.a("1e-8"), clientOrderId: "c"), now: 1)
        x.bar(symbol: "X", time: 100, open: 0.1, high: 0.1, low: 0.1, close: 0.1)
        #expect(x.positions.first?.quantity.description == "0.30000001")
        #expect(x.account.balance.description == "0.969999999")
        #expect(x.order(clientOrderId: "c")?.quantity.description == "0.00000001")
        let encoded = String(decoding: try JSONEncoder().encode(x.positions.first!), as: UTF8.self)
        #expect(encoded.contains(#""quantity":"0.30000001""#) && encoded.contains(#""entry_price":"0.1""#))
    }

    @Test("the broker's decimal fill rule is the engine's binary64 rule")
    func theRuleAgreesWithTheEngines() {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let prices = (0..<4).map { _ in Double(Int.random(in: 90...110, using: &g)) / 2 }
            let (open, level, limit) = (prices[0], prices[1], prices[3])
            let high = max(open, prices[2]), low = min(open, prices[2])
            for buying in [true, false] {
                let rules: [(KeelData.OrderType, FillRule<Decimal>)] = [
                    (.limit(level), .limit(Amount(level).value)), (.stop(level), .stop(Amount(level).value)),
                    (.stopLimit(stop: level, limit: limit), .stopLimit(stop: Amount(level).value, limit: Amount(limit).value)),
                ]
                for (binary, decimal) in rules {
                    let d = decimal.fill(buying: buying, open: Amount(open).value, high: Amount(high).value, low: Amount(low).value)
                    #expect(binary.fill(buying: buying, open: open, high: high, low: low).map { Amount($0).value } == d)
                }
            }
        }
    }

    /// (type, side, level, open, high, low) -> the fill price, or nil.
    @Test(arguments: [
        (KeelBroker.OrderType.limit, Side.buy, "48", 50.0, 52.0, 47.0, "48" as String?),
        (.limit, .buy, "48", 47, 52, 46, "47"),     // gap below the limit: the open
        (.limit, .buy, "48", 50, 52, 48.5, nil),
        (.limit, .sell, "51", 50, 52, 49, "51"),
        (.stop, .sell, "45", 50, 52, 44, "45"),
        (.stop, .sell, "45", 44, 46, 43, "44"),     // gap through the stop: the open
        (.stop, .buy, "55", 50, 56, 49, "55"),
        (.stop, .buy, "55", 50, 54, 49, nil),
    ])
    func limitAndStopLevels(type: KeelBroker.OrderType, side: Side, level: String, open: Double, high: Double, low: Double, expected: String?) throws {
        var x = exchange(cash: "1000000")
        _ = try x.submit(order("o", side, "1", type: type, limit: type == .limit ? level : nil, stop: type == .stop ? level : nil), now: 1)
        let trades = x.bar(symbol: "X", time: 100, open: open, high: high, low: low, close: open)
        #expect(trades.first?.price == expected.map(Self.a))
        #expect(x.order(id: "O1")?.status == (expected == nil ? .open : .filled))
    }

    @Test func aStopLimitBecomesALimitAtItsStop() throws {
        var x = exchange(cash: "1000000")
        // Buy stop 55 limit 56: the bar gaps to 57, over the limit; it rests as a limit at 56.
        _ = try x.submit(order("sl", .buy, "1", type: .stopLimit, limit: "56", stop: "55"), now: 1)
        #expect(x.bar(symbol: "X", time: 100, open: 57, high: 58, low: 56.5, close: 57).isEmpty)
        #expect(x.order(id: "O1")?.status == .open)
        // Below the stop now, but a limit: it fills at 56 when the price comes back.
        #expect(x.bar(symbol: "X", time: 200, open: 56.5, high: 57, low: 54, close: 54).first?.price == Self.a("56"))
        #expect(x.trades(.init()).first?.isMaker == true)
    }

    @Test func bracketLegsArmAtTheEntryFillAndTheFirstToFillCancelsTheOther() throws {
        var x = exchange()
        var entry = order("b")
        (entry.takeProfit, entry.stopLoss) = (Self.a("55"), Self.a("45"))
        _ = try x.submit(entry, now: 1)
        #expect(x.order(clientOrderId: "b-sl") == nil)
        // Entry at 50; the same bar reaches the target: the leg fills on the entry bar.
        let trades = x.bar(symbol: "X", time: 100, open: 50, high: 56, low: 49, close: 55)
        #expect(trades.map(\.clientOrderId) == ["b", "b-tp"] && trades.map(\.price) == [Self.a("50"), Self.a("55")])
        let stop = try #require(x.order(clientOrderId: "b-sl"))
        #expect(stop.status == .cancelled && stop.parentOrderId == "O1" && stop.reduceOnly && stop.ocoGroupId == "bracket-O1")
        #expect(x.positions.isEmpty && x.account.balance == Self.a("10050") && x.account.realizedPnl == Self.a("50"))
        #expect(x.orders(.init()).isEmpty)
    }

    @Test func ofAnOCOGroupTheStopFillsFirstWhenBothAreInOneBar() throws {
        var x = exchange()
        _ = try x.submit(order("e"), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        var target = order("t", .sell, type: .limit, limit: "55")
        var stop = order("s", .sell, type: .stop, stop: "45")
        (target.ocoGroupId, stop.ocoGroupId, target.reduceOnly, stop.reduceOnly) = ("g", "g", true, true)
        _ = try x.submit(target, now: 2)
        _ = try x.submit(stop, now: 2)
        let trades = x.bar(symbol: "X", time: 200, open: 50, high: 56, low: 44, close: 50)
        #expect(trades.map(\.clientOrderId) == ["s"] && trades.first?.price == Self.a("45"))
        #expect(x.order(clientOrderId: "t")?.status == .cancelled)
        #expect(x.order(clientOrderId: "t")?.reason?.contains("OCO") == true)
    }

    @Test func aTrailingStopRatchetsOnClosesAsTheEnginesDoes() throws {
        var x = exchange()
        var entry = order("b")
        (entry.trailingDistance, entry.trailingType) = (Self.a("10"), .percent)
        _ = try x.submit(entry, now: 1)
        // Entry at 50: the stop starts at 45, then trails the closes (60 -> 54), never back down.
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        #expect(x.order(clientOrderId: "b-sl")?.orderType == .trailingStop && x.order(clientOrderId: "b-sl")?.stopPrice == Self.a("45"))
        x.bar(symbol: "X", time: 200, open: 50, high: 61, low: 50, close: 60)
        #expect(x.order(clientOrderId: "b-sl")?.stopPrice == Self.a("54"))
        x.bar(symbol: "X", time: 300, open: 58, high: 59, low: 55, close: 55)
        #expect(x.order(clientOrderId: "b-sl")?.stopPrice == Self.a("54"))
        let out = x.bar(symbol: "X", time: 400, open: 56, high: 56, low: 50, close: 51)
        #expect(out.map(\.price) == [Self.a("54")] && x.positions.isEmpty)
        // An absolute trailing sell stop from the last price.
        var y = exchange()
        y.quote(symbol: "X", time: 1, price: 100, size: 1)
        _ = try y.submit(order("long"), now: 1)
        y.bar(symbol: "X", time: 100, open: 100, high: 100, low: 100, close: 100)
        var trail = order("t", .sell, type: .trailingStop)
        trail.trailingDistance = Self.a("2.5")
        #expect(try y.submit(trail, now: 2).order.stopPrice == Self.a("97.5"))
    }

    @Test func timeInForce() throws {
        var x = exchange(cash: "1000000")
        x.bar(symbol: "X", time: 0, open: 50, high: 50, low: 50, close: 50)
        _ = try x.submit(order("day", type: .limit, limit: "40", tif: .day), now: 1)
        _ = try x.submit(order("ioc", type: .limit, limit: "40", tif: .ioc), now: 1)
        _ = try x.submit(order("gtc", type: .limit, limit: "40"), now: 1)
        x.bar(symbol: "X", time: 3_600_000, open: 50, high: 51, low: 49, close: 50)
        #expect(x.order(clientOrderId: "ioc")?.status == .cancelled && x.order(clientOrderId: "day")?.status == .open)
        x.bar(symbol: "X", time: 86_400_000, open: 50, high: 51, low: 49, close: 50)
        #expect(x.order(clientOrderId: "day")?.status == .expired && x.order(clientOrderId: "gtc")?.status == .open)
        // FOK: whole on the next bar or nothing; an injected partial fill makes it nothing.
        x.partialNext = 1
        _ = try x.submit(order("fok", tif: .fok), now: 2)
        x.bar(symbol: "X", time: 86_460_000, open: 50, high: 51, low: 49, close: 50)
        #expect(x.order(clientOrderId: "fok")?.status == .cancelled && x.order(clientOrderId: "fok")?.filledQuantity == .zero)
    }

    @Test func reduceOnlyAndPostOnly() throws {
        var x = exchange()
        x.bar(symbol: "X", time: 0, open: 50, high: 50, low: 50, close: 50)
        var reduce = order("r", .sell, "5")
        reduce.reduceOnly = true
        #expect(code { _ = try x.submit(reduce, now: 1) } == "422 REDUCE_ONLY_REJECTED")
        _ = try x.submit(order("a", .buy, "3"), now: 1)
        x.bar(symbol: "X", time: 60_000, open: 50, high: 50, low: 50, close: 50)
        reduce.clientOrderId = "r2"
        _ = try x.submit(reduce, now: 2)
        // It sells the 3 held, not 5: reduce-only never opens a short.
        #expect(x.bar(symbol: "X", time: 120_000, open: 50, high: 50, low: 50, close: 50).map(\.quantity) == [Self.a("3")])
        #expect(x.positions.isEmpty && x.order(clientOrderId: "r2")?.status == .cancelled)
        var maker = order("p", .buy, "1", type: .limit, limit: "51")
        maker.postOnly = true
        #expect(code { _ = try x.submit(maker, now: 3) } == "422 POST_ONLY_WOULD_TAKE")
        (maker.clientOrderId, maker.limitPrice) = ("p2", Self.a("49"))
        _ = try x.submit(maker, now: 3)
        x.bar(symbol: "X", time: 180_000, open: 50, high: 50, low: 50, close: 50)
        #expect(x.bar(symbol: "X", time: 240_000, open: 50, high: 50, low: 48, close: 49).first?.isMaker == true)
    }

    @Test func aClientOrderIdIsIdempotent() throws {
        var x = exchange()
        let first = try x.submit(order("a"), now: 1)
        let again = try x.submit(order("a"), now: 2)
        #expect(again.order == first.order && !again.created)
        #expect(code { _ = try x.submit(order("a", .buy, "11"), now: 3) } == "409 DUPLICATE_CLIENT_ORDER_ID")
        #expect(x.orders(.init()).count == 1)
    }

    @Test func refusalsNameTheProblem() throws {
        var x = exchange()
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        #expect(code { _ = try x.submit(order("big", .buy, "1000"), now: 1) } == "422 INSUFFICIENT_MARGIN")
        // A refused order keeps its id: asking for it answers REJECTED, not "never heard of it".
        #expect(x.order(clientOrderId: "big")?.status == .rejected)
        #expect(code { _ = try x.submit(order("z", .buy, "0"), now: 1) } == "400 INVALID_FIELD")
        #expect(code { _ = try x.submit(order("l", type: .limit), now: 1) } == "400 INVALID_FIELD")
        #expect(code { _ = try x.submit(order("huge", .buy, "1e13"), now: 1) } == "400 INVALID_FIELD")
        var levered = order("lev")
        levered.leverage = Self.a("3")
        #expect(code { _ = try x.submit(levered, now: 1) } == "422 LEVERAGE_EXCEEDED")
        var wrong = order("w", .buy, "1")
        (wrong.stopLoss, wrong.takeProfit) = (Self.a("51"), Self.a("60"))
        #expect(code { _ = try x.submit(wrong, now: 1) } == "422 INVALID_PRICE")
        #expect(code { _ = try x.submit(NewOrder(symbol: "Q", side: .buy, quantity: Self.a("1")), now: 1) } == "422 UNKNOWN_SYMBOL")
        x.rejectNext = 1
        #expect(code { _ = try x.submit(order("r"), now: 1) } == "422 INSUFFICIENT_MARGIN")
        #expect(try x.submit(order("ok"), now: 1).order.status == .pending)
    }

    @Test func aSellPastTheUnitsHeldIsAShortSaleAndNeedsMargin() throws {
        var x = exchange()
        _ = try x.submit(order("a", .buy, "1"), now: 1)
        x.bar(symbol: "X", time: 100, open: 10, high: 10, low: 10, close: 10)
        // Long 1 at 10, about 19,995 of margin at leverage 2: selling 100,000 would open a short of 99,999 (499,995 of margin).
        #expect(code { _ = try x.submit(order("s", .sell, "100000"), now: 2) } == "422 INSUFFICIENT_MARGIN")
        #expect(try x.submit(order("c", .sell, "1"), now: 3).order.status == .pending)
    }

    @Test func anInjectedPartialFillLeavesTheRestWorking() throws {
        var x = exchange()
        x.partialNext = 1
        _ = try x.submit(order("p", .buy, "11"), now: 1)
        #expect(x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50).map(\.quantity) == [Self.a("5")])
        #expect(x.order(clientOrderId: "p")?.status == .partiallyFilled)
        #expect(x.bar(symbol: "X", time: 200, open: 51, high: 52, low: 50, close: 51).map(\.quantity) == [Self.a("6")])
        let filled = try #require(x.order(clientOrderId: "p"))
        #expect(filled.status == .filled && filled.averageFillPrice == Self.a("556") / Self.a("11"))
    }

    @Test func ordersChangeWhileTheyWork() throws {
        var x = exchange()
        x.bar(symbol: "X", time: 0, open: 50, high: 50, low: 50, close: 50)
        var entry = order("e", type: .limit, limit: "45")
        (entry.stopLoss, entry.takeProfit) = (Self.a("40"), Self.a("60"))
        let placed = try x.submit(entry, now: 1).order
        #expect(try x.change(id: placed.id, OrderChange(quantity: Self.a("20"), limitPrice: Self.a("49")), now: 2).limitPrice == Self.a("49"))
        x.bar(symbol: "X", time: 60_000, open: 50, high: 50, low: 48, close: 49)
        #expect(x.positions.first?.quantity == Self.a("20"))
        // Filled: its quantity is fixed, but its legs move.
        #expect(code { _ = try x.change(id: placed.id, OrderChange(quantity: Self.a("30")), now: 3) } == "409 ORDER_NOT_MODIFIABLE")
        _ = try x.change(id: placed.id, OrderChange(stopLoss: Self.a("47"), takeProfit: Self.a("55")), now: 3)
        #expect(x.order(clientOrderId: "e-sl")?.stopPrice == Self.a("47") && x.order(clientOrderId: "e-tp")?.limitPrice == Self.a("55"))
        #expect(code { _ = try x.change(id: "O404", OrderChange(quantity: Self.a("1")), now: 3) } == "404 ORDER_NOT_FOUND")
        // Cancelling the filled entry cancels what still protects it.
        let cancelled = try x.cancel(id: placed.id, now: 4)
        #expect(cancelled.status == .filled && x.order(clientOrderId: "e-sl")?.status == .cancelled && x.order(clientOrderId: "e-tp")?.status == .cancelled)
        #expect(code { _ = try x.cancel(id: placed.id, now: 5) } == "409 ORDER_NOT_CANCELLABLE")
    }

    @Test func positionsCloseInPartAndInWhole() throws {
        var x = exchange()
        _ = try x.submit(order("a"), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        let id = try #require(x.positions.first?.id)
        let part = try x.close(positionId: id, PositionClose(quantity: Self.a("4")), now: 2)
        #expect(part.side == .sell && part.quantity == Self.a("4") && part.reduceOnly)
        x.bar(symbol: "X", time: 200, open: 52, high: 53, low: 51, close: 52)
        #expect(x.positions.first?.quantity == Self.a("6") && x.positions.first?.realizedPnl == Self.a("8"))
        #expect(code { _ = try x.close(positionId: id, PositionClose(quantity: Self.a("7")), now: 3) } == "400 INVALID_FIELD")
        #expect(x.closeAll(symbol: nil, now: 3).closedCount == 1)
        x.bar(symbol: "X", time: 300, open: 52, high: 53, low: 51, close: 52)
        #expect(x.positions.isEmpty && x.account.balance == Self.a("10020"))
        #expect(code { _ = try x.close(positionId: id, PositionClose(), now: 4) } == "404 POSITION_NOT_FOUND")
    }

    @Test func tradesPageInOrderAndCarryCommission() throws {
        var x = PaperExchange(cash: Self.a("1000000"), commissionRate: Self.a("0.001"), symbols: ["X"])
        for i in 0..<5 { _ = try x.submit(order("o\(i)", .buy, "1"), now: 1) }
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        var query = PaperExchange.TradeQuery()
        query.ascending = true
        let all = x.trades(query)
        #expect(all.map(\.id) == all.map(\.id).sorted() && all.allSatisfy { $0.commission == Self.a("0.05") && $0.commissionCurrency == "USD" })
        query.after = all[1].id
        #expect(x.trades(query).map(\.clientOrderId) == ["o2", "o3", "o4"])
        #expect(x.trades(.init()).first?.clientOrderId == "o4")
        #expect(x.account.balance == Self.a("999749.75"))
    }
}
