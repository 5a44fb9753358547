import FuzzSupport
import Foundation
@testable import KeelBroker

// The trading API's request bodies, as the paper broker takes them: each line of the input is one
// request or one bar, and after each the exchange's own audit must hold (positions are the sum of
// fills, cash is the start less what fills cost, no order past its quantity, equity is cash plus
// positions at the mark; read incrementally, and recomputed from every trade at the end). Lines:
//   o{...}   POST /orders with the JSON body
//   c{...}   PATCH /orders/{the latest order} with the JSON body
//   p{...}   DELETE /positions/{the first open position} with the JSON body (or none)
//   x        DELETE /orders/{the latest order};  X  DELETE /orders;  Z  DELETE /positions
//   b....    a bar of AAA or BBB (the bytes move the price), which matches the book

let start = Amount(100_000)

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var exchange = PaperExchange(cash: start, leverage: Amount(2), commissionRate: Amount(Decimal(string: "0.001")!), symbols: ["AAA", "BBB"])
    var prices = ["AAA": 100.0, "BBB": 20.0]
    var time: Int64 = 1_700_000_000_000
    let decoder = JSONDecoder()
    var auditor = PaperExchange.Auditor(startingCash: start)
    for line in FuzzDriver.bytes(data, size).split(separator: UInt8(ascii: "\n")) {
        let body = Data(line.dropFirst())
        let latest = exchange.orders.last?.id ?? "O1"
        switch line.first {
        case UInt8(ascii: "o"): if let order = try? decoder.decode(NewOrder.self, from: body) { _ = try? exchange.submit(order, now: time) }
        case UInt8(ascii: "c"): if let change = try? decoder.decode(OrderChange.self, from: body) { _ = try? exchange.change(id: latest, change, now: time) }
        case UInt8(ascii: "p"):
            if let position = exchange.positions.first {
                let close = body.isEmpty ? PositionClose() : try? decoder.decode(PositionClose.self, from: body)
                if let close { _ = try? exchange.close(positionId: position.id, close, now: time) }
            }
        case UInt8(ascii: "x"): _ = try? exchange.cancel(id: latest, now: time)
        case UInt8(ascii: "X"): _ = exchange.cancelAll(symbol: nil, now: time)
        case UInt8(ascii: "Z"): _ = exchange.closeAll(symbol: nil, now: time)
        case UInt8(ascii: "b"):
            let moves = Array(line.dropFirst().prefix(4)).map { (Double($0) - 128) / 640 }
            let symbol = line.count % 2 == 0 ? "AAA" : "BBB"
            let before = prices[symbol]!
            let open = before * (1 + (moves.first ?? 0)), close = open * (1 + (moves.count > 1 ? moves[1] : 0))
            let high = max(open, close) * (1 + abs(moves.count > 2 ? moves[2] : 0)), low = min(open, close) * (1 - abs(moves.count > 3 ? moves[3] : 0) / 2)
            guard low > 0 else { continue }
            time += 60_000
            exchange.bar(symbol: symbol, time: time, open: open, high: high, low: low, close: close)
            prices[symbol] = close
        default: continue
        }
        if let problem = auditor.check(exchange) { FuzzDriver.broken(problem) }
    }
    if let problem = exchange.audit(startingCash: start) { FuzzDriver.broken("at the end, from every trade: \(problem)") }
    return 0
}

FuzzDriver.run(fuzz)
