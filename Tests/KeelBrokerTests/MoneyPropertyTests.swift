import Foundation
@testable import KeelBroker
import KeelTestSupport
import Testing

/// The paper exchange's money under random order flow: market, limit, stop, stop-limit and
/// trailing orders, brackets, OCO pairs, injected partial fills, changes, cancels, closes and
/// shorts, over bars that gap. After every request and every bar the exchange's audit holds
/// (positions are the sum of fills, cash the start less what fills cost, each order's fills its
/// own); and at prices that do not move, margin used never passes equity, however many orders
/// wait to fill at once.
@Suite("The paper exchange's money, as properties")
struct MoneyPropertyTests {
    static let start = Amount(100_000)

    /// One random request; the symbols are AAA and BBB.
    static func request(_ rng: inout SeededGenerator, prices: [String: Double]) -> NewOrder {
        let symbol = Bool.random(using: &rng) ? "AAA" : "BBB"
        let price = prices[symbol]!
        let side: Side = Bool.random(using: &rng) ? .buy : .sell
        let quantity = Amount(Int.random(in: 1...(Int.random(in: 0..<10, using: &rng) == 0 ? 5_000 : 300), using: &rng))
        func near(_ k: Double) -> Amount { Amount(Decimal(Int((price * (1 + k) * 100).rounded())) / 100) }
        var order = NewOrder(symbol: symbol, side: side, quantity: quantity)
        let above = side == .buy ? 1.0 : -1.0
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: break
        case 1: (order.orderType, order.limitPrice) = (.limit, near(-above * Double.random(in: 0...0.03, using: &rng)))
        case 2: (order.orderType, order.stopPrice) = (.stop, near(above * Double.random(in: 0.001...0.03, using: &rng)))
        case 3:
            (order.orderType, order.stopPrice) = (.stopLimit, near(above * 0.01))
            order.limitPrice = near(above * 0.02)
        case 4:
            order.orderType = .trailingStop
            (order.trailingDistance, order.trailingType) = (Amount(Int.random(in: 1...9, using: &rng)), .percent)
        default:
            // A bracket around a market entry.
            (order.stopLoss, order.takeProfit) = (near(-above * 0.02), near(above * 0.03))
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { order.ocoGroupId = "g\(Int.random(in: 0..<3, using: &rng))" }
        if Int.random(in: 0..<10, using: &rng) == 0, order.stopLoss == nil, order.orderType != .trailingStop { order.reduceOnly = true }
        order.timeInForce = [.gtc, .gtc, .day, .ioc, .fok].randomElement(using: &rng)!
        if order.orderType == .trailingStop, order.timeInForce == .fok { order.timeInForce = .gtc }
        if Int.random(in: 0..<6, using: &rng) == 0 { order.leverage = Amount(1) }
        return order
    }

    @Test("12 seeds × 2,000 steps: the audit holds after every step",
          arguments: 0..<12)
    func randomFlow(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 9_000 + seed)
        var exchange = PaperExchange(cash: Self.start, leverage: Amount(2), commissionRate: Amount(Decimal(string: "0.001")!), symbols: ["AAA", "BBB"])
        var prices = ["AAA": 100.0, "BBB": 20.0]
        var time: Int64 = 1_700_000_000_000
        var accepted = 0, fills = 0
        for symbol in ["AAA", "BBB"] { exchange.bar(symbol: symbol, time: time, open: prices[symbol]!, high: prices[symbol]!, low: prices[symbol]!, close: prices[symbol]!) }
        for _ in 0..<2_000 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4:
                let order = Self.request(&rng, prices: prices)
                if Int.random(in: 0..<10, using: &rng) == 0 { exchange.partialNext += 1 }
                if let placed = try? exchange.submit(order, now: time), placed.created { accepted += 1 }
            case 4:
                if let id = exchange.orders(.init()).randomElement(using: &rng)?.id { _ = try? exchange.cancel(id: id, now: time) }
            case 5:
                if let id = exchange.orders(.init()).randomElement(using: &rng)?.id {
                    _ = try? exchange.change(id: id, OrderChange(quantity: Amount(Int.random(in: 1...200, using: &rng))), now: time)
                }
            case 6:
                if let position = exchange.positions.randomElement(using: &rng) {
                    let part = Bool.random(using: &rng) ? nil : Amount(Int.random(in: 1...50, using: &rng))
                    _ = try? exchange.close(positionId: position.id, PositionClose(quantity: part), now: time)
                }
            default:
                let symbol = Bool.random(using: &rng) ? "AAA" : "BBB"
                let before = prices[symbol]!
                // Mostly small moves, sometimes a gap of up to 15%.
                let gap = Int.random(in: 0..<12, using: &rng) == 0 ? Double.random(in: -0.15...0.15, using: &rng) : Double.random(in: -0.01...0.01, using: &rng)
                let open = before * (1 + gap), close = open * (1 + Double.random(in: -0.02...0.02, using: &rng))
                let high = max(open, close) * (1 + Double.random(in: 0...0.01, using: &rng)), low = min(open, close) * (1 - Double.random(in: 0...0.01, using: &rng))
                time += 3_600_000
                fills += exchange.bar(symbol: symbol, time: time, open: open, high: high, low: low, close: close).count
                prices[symbol] = close
            }
            let problem = exchange.audit(startingCash: Self.start)
            #expect(problem == nil, "seed \(seed): \(problem ?? "")")
            if problem != nil { return }
        }
        #expect(accepted > 200 && fills > 100, "seed \(seed): \(accepted) accepted, \(fills) fills")
    }

    @Test("the audit notices a book that disagrees with its trades, read step by step or all at once")
    func auditCatchesTampering() throws {
        var exchange = PaperExchange(cash: Self.start, leverage: Amount(2), commissionRate: Amount(Decimal(string: "0.001")!), symbols: ["AAA"])
        var auditor = PaperExchange.Auditor(startingCash: Self.start)
        exchange.bar(symbol: "AAA", time: 0, open: 100, high: 100, low: 100, close: 100)
        for k in 1...3 {
            _ = try exchange.submit(NewOrder(symbol: "AAA", side: .buy, quantity: Amount(10 * k)), now: Int64(k))
            exchange.bar(symbol: "AAA", time: Int64(k) * 60_000, open: 100 + Double(k), high: 102 + Double(k), low: 99, close: 101)
            #expect(auditor.check(exchange) == nil)
        }
        #expect(exchange.trades(.init()).count == 3)
        // Cash a cent off: both ways see it.
        var cashOff = exchange
        cashOff.cash = Amount(cashOff.cash.value - Decimal(string: "0.01")!)
        var copy = auditor
        #expect(copy.check(cashOff)?.hasPrefix("cash is") == true)
        #expect(cashOff.audit(startingCash: Self.start)?.hasPrefix("cash is") == true)
        // An old trade rewritten: the step-by-step auditor has read it already (trades are only ever
        // appended), so only the audit from every trade sees it; the fuzz target ends each input with it.
        var rewritten = exchange
        rewritten.trades[0].quantity = Amount(11)
        copy = auditor
        #expect(copy.check(rewritten) == nil)
        #expect(rewritten.audit(startingCash: Self.start)?.contains("its fills sum to") == true)
        // A book with fewer trades than the auditor has read (another book, or one restored from
        // earlier) is read again from its first trade.
        var earlier = PaperExchange(cash: Self.start, leverage: Amount(2), commissionRate: Amount(Decimal(string: "0.001")!), symbols: ["AAA"])
        earlier.bar(symbol: "AAA", time: 0, open: 100, high: 100, low: 100, close: 100)
        _ = try earlier.submit(NewOrder(symbol: "AAA", side: .buy, quantity: Amount(5)), now: 1)
        earlier.bar(symbol: "AAA", time: 60_000, open: 101, high: 102, low: 99, close: 101)
        #expect(earlier.trades(.init()).count == 1)
        copy = auditor
        #expect(copy.check(earlier) == nil)
    }

    @Test("found by the broker fuzz target: a quantity of 1.2e-29 beside one of 100 keeps the books within Decimal's 38 digits")
    func tinyQuantity() throws {
        var exchange = PaperExchange(cash: Self.start, leverage: Amount(2), commissionRate: Amount(Decimal(string: "0.001")!), symbols: ["AAA"])
        exchange.bar(symbol: "AAA", time: 0, open: 100, high: 100, low: 100, close: 100)
        _ = try exchange.submit(NewOrder(symbol: "AAA", side: .buy, quantity: Amount(Decimal(string: "12.2250738585072014e-30")!)), now: 1)
        _ = try exchange.submit(NewOrder(symbol: "AAA", side: .buy, quantity: Amount(100), orderType: .limit, limitPrice: Amount(99)), now: 1)
        exchange.bar(symbol: "AAA", time: 60_000, open: 100.37, high: 101, low: 98.5, close: 99.2)
        #expect(exchange.trades(.init()).count == 2)
        #expect(exchange.audit(startingCash: Self.start) == nil)
    }

    @Test("orders waiting to fill hold their margin: at flat prices, margin used never passes equity after they fill", arguments: 0..<12)
    func waitingOrdersHoldMargin(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 7_000 + seed)
        var exchange = PaperExchange(cash: Self.start, leverage: Amount(2), symbols: ["AAA", "BBB"])
        let prices = ["AAA": 100.0, "BBB": 20.0]
        var time: Int64 = 1_700_000_000_000
        for (symbol, price) in prices { exchange.bar(symbol: symbol, time: time, open: price, high: price, low: price, close: price) }
        var refused = 0
        for _ in 0..<40 {
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                var order = Self.request(&rng, prices: prices)
                (order.orderType, order.limitPrice, order.stopPrice, order.trailingDistance, order.trailingType) = (.market, nil, nil, nil, nil)
                (order.timeInForce, order.postOnly) = (.gtc, false)
                do { _ = try exchange.submit(order, now: time) } catch { if error.error.code == "INSUFFICIENT_MARGIN" { refused += 1 } }
            }
            time += 3_600_000
            for (symbol, price) in prices { exchange.bar(symbol: symbol, time: time, open: price, high: price, low: price, close: price) }
            let account = exchange.account
            #expect(account.marginUsed.value <= account.equity.value, "seed \(seed): margin used \(account.marginUsed), equity \(account.equity)")
            #expect(exchange.audit(startingCash: Self.start) == nil)
        }
        #expect(refused > 0, "seed \(seed): no order was refused for margin, so the property was not reached")
    }
}
