import KeelBroker
import Testing

/// The paper broker's matching rule, bar by bar: the engine's (docs/backtest.md) on the broker's side.
@Suite struct ExchangeTests {
    func exchange() -> PaperExchange { PaperExchange(cash: 10_000, symbols: ["X"]) }

    func buy(_ id: String, _ qty: Double = 10, type: OrderType = .market, limit: Double? = nil, stop: Double? = nil,
             bracket: (target: Double?, stop: Double?)? = nil) -> OrderRequest {
        OrderRequest(symbol: "X", qty: qty, side: .buy, type: type, limitPrice: limit, stopPrice: stop, clientOrderId: id,
                     orderClass: bracket == nil ? nil : .bracket, takeProfit: bracket?.target.map { TakeProfitLeg(limitPrice: $0) },
                     stopLoss: bracket?.stop.map { StopLossLeg(stopPrice: $0) })
    }

    @Test func marketOrderFillsAtTheNextOpen() throws {
        var x = exchange()
        let placed = try x.submit(buy("a"), now: 1)
        #expect(placed.status == .new)
        #expect(x.fills(after: nil).isEmpty)
        let fills = x.bar(symbol: "X", time: 100, open: 50, high: 52, low: 49, close: 51)
        #expect(fills.map(\.price) == [50])
        #expect(x.order(clientOrderId: "a")?.status == .filled)
        #expect(x.position("X") == BrokerPosition(symbol: "X", qty: 10, avgEntryPrice: 50, marketPrice: 51))
        #expect(x.cash == 9_500)
        #expect(x.equity == 10_010)
    }

    @Test func aBarOfAnotherSymbolFillsNothing() throws {
        var x = exchange()
        _ = try x.submit(buy("a"), now: 1)
        #expect(x.bar(symbol: "Y", time: 100, open: 50, high: 52, low: 49, close: 51).isEmpty)
    }

    /// (type, side, level, open, high, low) -> the fill price, or nil.
    @Test(arguments: [
        (OrderType.limit, OrderSide.buy, 48.0, 50.0, 52.0, 47.0, 48.0 as Double?),
        (.limit, .buy, 48, 47, 52, 46, 47),     // gap below the limit: the open
        (.limit, .buy, 48, 50, 52, 48.5, nil),
        (.limit, .sell, 51, 50, 52, 49, 51),
        (.stop, .sell, 45, 50, 52, 44, 45),
        (.stop, .sell, 45, 44, 46, 43, 44),     // gap through the stop: the open
        (.stop, .buy, 55, 50, 56, 49, 55),
        (.stop, .buy, 55, 50, 54, 49, nil),
    ])
    func limitAndStopLevels(type: OrderType, side: OrderSide, level: Double, open: Double, high: Double, low: Double, expected: Double?) throws {
        var x = PaperExchange(cash: 1_000_000, symbols: ["X"])
        let request = OrderRequest(symbol: "X", qty: 1, side: side, type: type, limitPrice: type == .limit ? level : nil,
                                   stopPrice: type == .stop ? level : nil, clientOrderId: "o")
        _ = try x.submit(request, now: 1)
        let fills = x.bar(symbol: "X", time: 100, open: open, high: high, low: low, close: open)
        #expect(fills.first?.price == expected)
    }

    @Test func bracketLegsArmAtTheEntryFillAndTheFirstToFillCancelsTheOther() throws {
        var x = exchange()
        _ = try x.submit(buy("b", bracket: (target: 55, stop: 45)), now: 1)
        #expect(x.order(clientOrderId: "b-sl")?.status == .held)
        // Entry at 50; the same bar reaches the target: the leg fills on the entry bar.
        let fills = x.bar(symbol: "X", time: 100, open: 50, high: 56, low: 49, close: 55)
        #expect(fills.map(\.clientOrderId) == ["b", "b-tp"])
        #expect(fills.map(\.price) == [50, 55])
        #expect(x.order(clientOrderId: "b-sl")?.status == .canceled)
        #expect(x.positions.isEmpty)
        #expect(x.cash == 10_050)
        #expect(x.orders(.open).isEmpty)
    }

    @Test func stopFirstWhenBothLegsAreInsideOneBar() throws {
        var x = exchange()
        _ = try x.submit(buy("b", bracket: (target: 55, stop: 45)), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        let fills = x.bar(symbol: "X", time: 200, open: 50, high: 56, low: 44, close: 50)
        #expect(fills.map(\.clientOrderId) == ["b-sl"])
        #expect(fills.first?.price == 45)
        #expect(x.order(clientOrderId: "b-tp")?.status == .canceled)
    }

    @Test func ocoWorksBothLevelsAtOnce() throws {
        var x = exchange()
        _ = try x.submit(buy("e"), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        let oco = OrderRequest(symbol: "X", qty: 10, side: .sell, type: .limit, limitPrice: 60, clientOrderId: "oco", orderClass: .oco,
                               stopLoss: StopLossLeg(stopPrice: 40))
        let placed = try x.submit(oco, now: 2)
        #expect(placed.legs?.map(\.status) == [.new])
        let fills = x.bar(symbol: "X", time: 200, open: 50, high: 61, low: 49, close: 60)
        #expect(fills.map(\.clientOrderId) == ["oco"])
        #expect(x.order(clientOrderId: "oco-sl")?.status == .canceled)
        #expect(x.positions.isEmpty)
    }

    @Test func cancellingAFilledBracketCancelsItsWorkingLegs() throws {
        var x = exchange()
        let placed = try x.submit(buy("b", bracket: (target: 60, stop: 40)), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        #expect(x.orders(.open).map(\.clientOrderId) == ["b"])
        let cancelled = try x.cancel(id: placed.id, now: 2)
        #expect(cancelled.status == .filled)
        #expect(cancelled.legs?.map(\.status) == [.canceled, .canceled])
        #expect(throws: PaperExchange.Rejection.self) { _ = try x.cancel(id: placed.id, now: 3) }
    }

    @Test func aClientOrderIdIsUsedOnce() throws {
        var x = exchange()
        _ = try x.submit(buy("a"), now: 1)
        #expect { _ = try x.submit(buy("a"), now: 2) } throws: { ($0 as? PaperExchange.Rejection)?.code == "duplicate_client_order_id" }
        #expect(x.orders(.all).count == 1)
    }

    @Test func refusalsNameTheProblem() throws {
        var x = exchange()
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        #expect { _ = try x.submit(buy("big", 1_000), now: 1) } throws: {
            let r = $0 as? PaperExchange.Rejection
            return r?.code == "insufficient_buying_power" && r?.recorded == true
        }
        // A refused order keeps its id: asking for it answers `rejected`, not "never heard of it".
        #expect(x.order(clientOrderId: "big")?.status == .rejected)
        #expect { _ = try x.submit(buy("z", 0), now: 1) } throws: { ($0 as? PaperExchange.Rejection)?.code == "invalid_qty" }
        #expect { _ = try x.submit(buy("l", type: .limit), now: 1) } throws: { ($0 as? PaperExchange.Rejection)?.code == "invalid_order" }
        x.rejectNext = 1
        #expect(throws: PaperExchange.Rejection.self) { _ = try x.submit(buy("r"), now: 1) }
        _ = try x.submit(buy("ok"), now: 1)
    }

    @Test func anInjectedPartialFillLeavesTheRestWorking() throws {
        var x = exchange()
        x.partialNext = 1
        _ = try x.submit(buy("p", 11), now: 1)
        let first = x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        #expect(first.map(\.qty) == [5])
        #expect(x.order(clientOrderId: "p")?.status == .partiallyFilled)
        let second = x.bar(symbol: "X", time: 200, open: 51, high: 52, low: 50, close: 51)
        #expect(second.map(\.qty) == [6])
        let order = x.order(clientOrderId: "p")
        #expect(order?.status == .filled)
        let average: Double = (5 * 50 + 6 * 51) / 11
        #expect(order?.filledAvgPrice == average)
        #expect(x.position("X")?.qty == 11)
    }

    @Test func fillsPageInOrder() throws {
        var x = PaperExchange(cash: 1_000_000, symbols: ["X"])
        for i in 0..<5 { _ = try x.submit(buy("o\(i)", 1), now: 1) }
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        let all = x.fills(after: nil)
        #expect(all.map(\.id) == all.map(\.id).sorted())
        #expect(x.fills(after: all[1].id).map(\.clientOrderId) == ["o2", "o3", "o4"])
        #expect(x.fills(after: all[4].id).isEmpty)
    }

    @Test func closingAPositionSendsAMarketOrder() throws {
        var x = exchange()
        _ = try x.submit(buy("a"), now: 1)
        x.bar(symbol: "X", time: 100, open: 50, high: 51, low: 49, close: 50)
        let close = try x.closePosition("X", now: 2)
        #expect(close.side == .sell && close.qty == 10)
        x.bar(symbol: "X", time: 200, open: 52, high: 53, low: 51, close: 52)
        #expect(x.positions.isEmpty)
        #expect(x.cash == 10_020)
        #expect(throws: PaperExchange.Rejection.self) { _ = try x.closePosition("X", now: 3) }
    }

    @Test func aSellPastTheUnitsHeldIsAShortSaleAndNeedsBuyingPower() throws {
        var x = exchange()
        _ = try x.submit(buy("a", 1), now: 1)
        _ = x.bar(symbol: "X", time: 100, open: 10, high: 10, low: 10, close: 10)
        // Long 1 at 10, buying power about 20,000: selling 100,000 would open a short of 99,999 (999,990).
        let sell = OrderRequest(symbol: "X", qty: 100_000, side: .sell, type: .market, limitPrice: nil, stopPrice: nil, clientOrderId: "s",
                                orderClass: nil, takeProfit: nil, stopLoss: nil)
        #expect(throws: PaperExchange.Rejection.self) { try x.submit(sell, now: 2) }
        #expect(x.order(clientOrderId: "s")?.status == .rejected)
        // Closing what is held needs none.
        var close = sell
        (close.qty, close.clientOrderId) = (1, "c")
        #expect(try x.submit(close, now: 3).status == .new)
    }

    @Test func anAbsurdQuantityAndABracketOnTheWrongSideAreRefused() throws {
        var x = exchange()
        #expect(throws: PaperExchange.Rejection.self) { try x.submit(buy("huge", 1e308), now: 1) }
        _ = x.bar(symbol: "X", time: 100, open: 10, high: 10, low: 10, close: 10)
        #expect { try x.submit(buy("b", 1, bracket: (target: 12, stop: 11)), now: 2) } throws: { error in
            "\(error)".contains("stop_loss.stop_price 11.0 must be below the entry 10.0")
        }
        #expect(throws: PaperExchange.Rejection.self) { try x.submit(buy("t", 1, bracket: (target: 9, stop: 8)), now: 3) }
        #expect(try x.submit(buy("ok", 1, bracket: (target: 12, stop: 8)), now: 4).status == .new)
    }
}
