import Testing
import KeelData

@Suite("Order types")
struct OrderTypeTests {
    // Bar: open 100, high 105, low 95.
    @Test("where each order fills within a bar", arguments: [
        (OrderType.market, true, Double?.some(100)), (.market, false, 100),
        (.limit(98), true, 98), (.limit(102), true, 100), (.limit(94), true, nil),
        (.limit(103), false, 103), (.limit(99), false, 100), (.limit(106), false, nil),
        (.stop(103), true, 103), (.stop(99), true, 100), (.stop(106), true, nil),
        (.stop(97), false, 97), (.stop(101), false, 100), (.stop(94), false, nil),
        (.stopLimit(stop: 103, limit: 104), true, 103), (.stopLimit(stop: 103, limit: 96), true, 96),
        (.stopLimit(stop: 103, limit: 94), true, nil), (.stopLimit(stop: 106, limit: 107), true, nil),
        (.stopLimit(stop: 99, limit: 101), true, 100), (.stopLimit(stop: 97, limit: 96), false, 97),
        (.stopLimit(stop: 97, limit: 104), false, 104), (.stopLimit(stop: 101, limit: 99), false, 100),
    ] as [(OrderType, Bool, Double?)])
    func fills(order: OrderType, buying: Bool, price: Double?) {
        #expect(order.fill(buying: buying, open: 100, high: 105, low: 95) == price)
    }
}
