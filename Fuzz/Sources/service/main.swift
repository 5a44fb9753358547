import Foundation
import FuzzSupport
import KeelData
@testable import KeelService

// The service's request bodies as its routes read them: the first byte picks the route, the rest
// is the body. Each is decoded with the decoder the route uses, then put through the route's own
// checks that need no store: dates, capital, URLs, the manual order's 5/5/8 guardrails, a
// strategy's lint and check, an MCP message's JSON. Nothing may crash; an accepted manual order
// must keep its guardrails.

func decoded<T: Decodable>(_ type: T.Type, _ body: Data) -> T? { try? JSONDecoder().decode(type, from: body) }

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzDriver.bytes(data, size)
    guard let route = bytes.first else { return 0 }
    let body = Data(bytes.dropFirst())
    switch route % 7 {
    case 0:
        guard let b = decoded(BacktestRoutes.Body.self, body) else { return 0 }
        _ = try? DateRange(from: b.startDate, to: b.endDate, names: ("start_date", "end_date"))
        if let webhook = b.webhook { _ = isHTTPURL(webhook) }
    case 1:
        guard let b = decoded(RunRoutes.Body.self, body) else { return 0 }
        for symbol in b.symbols ?? [] { _ = RunRoutes.isSymbol(symbol) }
        if let webhook = b.webhook { _ = isHTTPURL(webhook) }
    case 2:
        guard let b = decoded(ManualOrderRoutes.Body.self, body), case .success = ManualOrderRoutes.order(b) else { return 0 }
        let (targets, stops) = (b.takeProfits?.count ?? 0, b.stopLosses?.count ?? 0)
        if targets > 5 || stops > 5 || targets + stops > 8 { FuzzDriver.broken("an order past the 5/5/8 guardrails was accepted") }
        if !(b.quantity > 0 && b.quantity.isFinite) { FuzzDriver.broken("an order of \(b.quantity) was accepted") }
    case 3:
        guard let b = decoded(StrategyRoutes.Body.self, body) else { return 0 }
        _ = StrategyRoutes.validate(b.source)
    case 4:
        guard let b = decoded(BrokerRoutes.Body.self, body) else { return 0 }
        _ = isHTTPURL(b.url)
    case 5:
        guard let b = decoded(ResearchRoutes.Body.self, body) else { return 0 }
        _ = try? DateRange(from: b.startDate, to: b.endDate, names: ("start_date", "end_date"))
    default:
        // An MCP message: JSON-RPC read with JSONSerialization, as the route does.
        _ = try? JSONSerialization.jsonObject(with: body)
    }
    return 0
}

FuzzDriver.run(fuzz)
