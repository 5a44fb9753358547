import Foundation
import Hummingbird
import KeelData
import KeelEngine
import KeelHTTP
import KeelLanguage
import KeelRunner

/// `POST /v1/orders`: an operator's order in a running paper run (a partner API's orders, a
/// trading platform's "orders in paper mode are simulated"). It is the run's own control,
/// journaled and applied before its next event: a market entry at the symbol's next open whose
/// exits are its own take-profit and stop-loss ladders (`ManualOrder` in KeelEngine).
enum ManualOrderRoutes {
    /// One step: `percentage` of the position, at `triggerPercentage` from the entry.
    struct Step: Decodable {
        var percentage: Double
        var triggerPercentage: Double

        enum CodingKeys: String, CodingKey, CaseIterable { case percentage, triggerPercentage }

        init(from decoder: Decoder) throws {
            try FieldNames.refuseUnknown(decoder, CodingKeys.self, in: "a take-profit or stop-loss step")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            (percentage, triggerPercentage) = (try c.decode(Double.self, forKey: .percentage), try c.decode(Double.self, forKey: .triggerPercentage))
        }
    }

    struct Body: Decodable {
        var runId: String
        var symbol: String
        /// `long` or `buy`; `short` or `sell`.
        var side: String
        var quantity: Double
        var takeProfits: [Step]?
        var stopLosses: [Step]?
        var reason: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case symbol, side, quantity, takeProfits, stopLosses, reason
            case runId = "run_id"
        }

        init(from decoder: Decoder) throws {
            try FieldNames.refuseUnknown(decoder, CodingKeys.self, in: "an order")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            runId = try c.decode(String.self, forKey: .runId)
            symbol = try c.decode(String.self, forKey: .symbol)
            side = try c.decode(String.self, forKey: .side)
            quantity = try c.decode(Double.self, forKey: .quantity)
            takeProfits = try c.decodeIfPresent([Step].self, forKey: .takeProfits)
            stopLosses = try c.decodeIfPresent([Step].self, forKey: .stopLosses)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
        }
    }

    /// The partner API's guardrails: at most 5 take-profits, 5 stop-losses, 8 in all.
    static let guardrails = (takeProfits: 5, stopLosses: 5, total: 8)

    static func add(to router: Router<ServiceContext>, _ state: ServiceState) {
        router.post("v1/orders") { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            let checked = order(body)
            guard case .success(let manual) = checked else { return checked.failureResponse }
            guard ServiceState.isId(body.runId, prefix: "run"), let run = try state.store.serviceRun(body.runId) else { return notFound("run", body.runId) }
            guard run.run.mode == "paper" else {
                return failure(.forbidden, "paper_only", "manual orders are for paper runs; a live run's orders are its strategy's own")
            }
            guard run.run.symbols.contains(body.symbol) else {
                return failure(.unprocessableContent, "unknown_symbol", "run \(run.run.id) trades \(run.run.symbols.joined(separator: ", ")), not \(body.symbol.prefix(40))")
            }
            return try RunRoutes.requestControl(run, "order", reason: body.reason ?? "manual order",
                                                argument: ManualOrderText.encode(symbol: body.symbol, manual), state)
        }
    }

    /// The order, or a 400 naming the rule it breaks.
    static func order(_ body: Body) -> Result<ManualOrder, ResponseError> {
        func broken(_ message: String) -> Result<ManualOrder, ResponseError> { .failure(ResponseError(.badRequest, "guardrail", message)) }
        let side: Side
        switch body.side.lowercased() {
        case "long", "buy": side = .long
        case "short", "sell": side = .short
        default: return .failure(ResponseError(.badRequest, "invalid_side", "side is long (buy) or short (sell), not '\(body.side.prefix(20))'"))
        }
        guard body.quantity > 0, body.quantity.isFinite, body.quantity <= 1e12 else {
            return .failure(ResponseError(.badRequest, "invalid_quantity", "quantity is above 0 and at most 1e12"))
        }
        let (targets, stops) = (body.takeProfits ?? [], body.stopLosses ?? [])
        if targets.count > guardrails.takeProfits { return broken("at most \(guardrails.takeProfits) take-profits (the 5/5/8 guardrails); \(targets.count) given") }
        if stops.count > guardrails.stopLosses { return broken("at most \(guardrails.stopLosses) stop-losses (the 5/5/8 guardrails); \(stops.count) given") }
        if targets.count + stops.count > guardrails.total {
            return broken("at most \(guardrails.total) take-profits and stop-losses together (the 5/5/8 guardrails); \(targets.count + stops.count) given")
        }
        for (name, steps) in [("takeProfits", targets), ("stopLosses", stops)] {
            for (k, step) in steps.enumerated() {
                guard step.percentage > 0, step.percentage <= 100 else { return broken("\(name)[\(k)].percentage is above 0 and at most 100 (of the position)") }
                guard step.triggerPercentage > 0, step.triggerPercentage.isFinite, name == "takeProfits" || step.triggerPercentage < 100 else {
                    return broken("\(name)[\(k)].triggerPercentage is above 0\(name == "stopLosses" ? " and below 100" : "") (percent from the entry)")
                }
            }
            let total = steps.reduce(0) { $0 + $1.percentage }
            if total > 100 + 1e-9 { return broken("\(name) close \(total)% of the position together; at most 100%") }
        }
        func levels(_ steps: [Step]) -> [ManualOrder.Level] { steps.map { .init(fraction: $0.percentage / 100, distance: $0.triggerPercentage / 100) } }
        return .success(ManualOrder(side: side, quantity: body.quantity, takeProfits: levels(targets), stopLosses: levels(stops)))
    }
}

/// Refuses a body's keys its type does not define, naming them: nothing asked for is ignored.
enum FieldNames {
    static func refuseUnknown<K: CodingKey & CaseIterable>(_ decoder: Decoder, _ keys: K.Type, in what: String) throws {
        let known = K.allCases.map(\.stringValue)
        if let unknown = try JSONKey.keys(of: decoder).first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: """
                '\(unknown.prefix(60))' is not a field of \(what); the fields are \(known.joined(separator: ", "))
                """))
        }
    }
}
