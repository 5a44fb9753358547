import Foundation
import Hummingbird
import KeelBroker
import KeelData
import KeelHTTP
import NIOCore

/// The broker-neutral API's order, position, trade and account routes (docs/trading-api.md).
enum OrderRoutes {
    static func add(to router: Router<BrokerContext>, _ state: BrokerState, _ c: PaperBrokerServer.Configuration) {
        router.post("orders") { request, context in try await submit(request, context, state, c) }
        router.get("orders") { request, _ in try listOrders(request, state, history: false) }
        router.get("orders/history") { request, _ in try listOrders(request, state, history: true) }
        router.get("orders/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            return state.read { $0.order(id: id) }.map { json($0) }
                ?? errorResponse(.init(code: "ORDER_NOT_FOUND", message: "no order \(id.prefix(40))", details: ["order_id": id]), status: 404)
        }
        router.patch("orders/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            switch try await body(OrderChange.self, request, context) {
            case .refused(let response): return response
            case .value(let change):
                return state.change { exchange, now in answer { () throws(PaperExchange.Rejection) in try exchange.change(id: id, change!, now: now) } }
            }
        }
        router.delete("orders/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            return state.change { exchange, now in
                answer { () throws(PaperExchange.Rejection) in Cancellation(success: true, order: try exchange.cancel(id: id, now: now)) }
            }
        }
        router.delete("orders") { request, _ in
            let symbol = request.uri.queryParameters["symbol"].map(String.init)
            return state.change { exchange, now in json(exchange.cancelAll(symbol: symbol, now: now)) }
        }
        router.get("positions") { request, _ in
            let symbol = request.uri.queryParameters["symbol"].map(String.init)
            return state.read { json($0.positions.filter { p in symbol.map { $0 == p.symbol } ?? true }) }
        }
        router.get("positions/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            return state.read { $0.position(id: id) }.map { json($0) }
                ?? errorResponse(.init(code: "POSITION_NOT_FOUND", message: "no open position \(id.prefix(40))", details: ["position_id": id]), status: 404)
        }
        router.delete("positions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            switch try await body(PositionClose.self, request, context, optional: true) {
            case .refused(let response): return response
            case .value(let close):
                return state.change { exchange, now in
                    answer(status: .created) { () throws(PaperExchange.Rejection) in try exchange.close(positionId: id, close ?? PositionClose(), now: now) }
                }
            }
        }
        router.delete("positions") { request, _ in
            let symbol = request.uri.queryParameters["symbol"].map(String.init)
            return state.change { exchange, now in json(exchange.closeAll(symbol: symbol, now: now)) }
        }
        router.get("trades") { request, _ in
            var query = PaperExchange.TradeQuery()
            var reader = QueryReader(request)
            query.symbol = reader.text("symbol")
            query.orderId = reader.text("order_id")
            query.after = reader.text("after")
            (query.since, query.until) = (reader.time("since"), reader.time("until"))
            query.limit = reader.limit(default: 100, max: 5_000)
            query.ascending = reader.choice("order", ["asc", "desc"]) == "asc" || query.after != nil
            if let invalid = reader.invalid { return invalid }
            return state.read { json($0.trades(query)) }
        }
        router.get("account") { _, _ in state.read { json($0.account) } }
    }

    /// `POST /orders`, with the faults a real broker's network and back end produce.
    static func submit(_ request: Request, _ context: BrokerContext, _ state: BrokerState, _ c: PaperBrokerServer.Configuration) async throws -> Response {
        let order: NewOrder
        switch try await body(NewOrder.self, request, context) {
        case .value(let decoded): order = decoded!
        case .refused(let response): return response
        }
        let fault = state.takeSubmissionFault()
        switch fault {
        case .rateLimit:
            var response = errorResponse(.init(code: "RATE_LIMITED", message: "too many requests; retry after 1 s"), status: 429)
            response.headers[.retryAfter] = "1"
            return response
        case .unavailable:
            return errorResponse(.init(code: "PROVIDER_UNAVAILABLE", message: "the order service is unavailable; nothing was placed"), status: 503)
        default: break
        }
        let response = state.change { exchange, now in
            answer { () throws(PaperExchange.Rejection) in try exchange.submit(order, now: now) }
        }
        // The nasty faults strike after the order is placed: the client cannot know it was.
        switch fault {
        case .timeout:
            try await Task.sleep(for: c.faultDelay)
            return response
        case .error: return errorResponse(.init(code: "INTERNAL", message: "internal error"), status: 500)
        case .drop:
            try await context.channel.close()
            return response
        default: return response
        }
    }

    static func listOrders(_ request: Request, _ state: BrokerState, history: Bool) throws -> Response {
        var query = PaperExchange.OrderQuery()
        query.history = history
        var reader = QueryReader(request)
        query.symbol = reader.text("symbol")
        query.statuses = Set(reader.all("status", OrderStatus.self))
        query.side = reader.all("side", Side.self).first
        query.clientOrderId = reader.text("client_order_id")
        query.ocoGroupId = reader.text("oco_group_id")
        (query.since, query.until) = (reader.time("since"), reader.time("until"))
        query.limit = reader.limit(default: 100, max: 5_000)
        if let invalid = reader.invalid { return invalid }
        for status in query.statuses where status.isFinal != history {
            return errorResponse(.init(code: "INVALID_FIELD", message: """
                status \(status.rawValue) is \(history ? "open: list it on GET /orders" : "final: list it on GET /orders/history")
                """, details: ["field": "status"]), status: 400)
        }
        return state.read { json($0.orders(query)) }
    }

    /// A JSON body as `T`: a malformed, unknown or unsupported field is a 400 naming it. With
    /// `optional`, an empty body is nil.
    static func body<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BrokerContext, optional: Bool = false) async throws -> Decoded<T> {
        let bytes: ByteBuffer
        do { bytes = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
            return .refused(errorResponse(.init(code: "PAYLOAD_TOO_LARGE", message: "the body is over \(context.maxUploadSize) bytes"), status: 413))
        }
        if bytes.readableBytes == 0 {
            if optional { return .value(nil) }
            return .refused(errorResponse(.init(code: "INVALID_BODY", message: "the request needs a JSON body"), status: 400))
        }
        do {
            return .value(try JSONDecoder().decode(T.self, from: Data(buffer: bytes)))
        } catch let field as FieldError {
            return .refused(PaperExchange.Rejection.invalid(field).response)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            return .refused(errorResponse(.init(code: "INVALID_BODY", message: "the body is not JSON: \(context.debugDescription)"), status: 400))
        } catch {
            return .refused(errorResponse(.init(code: "INVALID_BODY", message: "the body is not a JSON object of this request's fields"), status: 400))
        }
    }

    /// The exchange's answer as JSON (201 for a new order), or its rejection.
    static func answer<T: Encodable>(status: HTTPResponse.Status = .ok, _ body: () throws(PaperExchange.Rejection) -> T) -> Response {
        do { return json(try body(), status: status) } catch { return error.response }
    }

    static func answer(_ body: () throws(PaperExchange.Rejection) -> (order: Order, created: Bool)) -> Response {
        do {
            let (order, created) = try body()
            return json(order, status: created ? .created : .ok)
        } catch { return error.response }
    }
}

enum Decoded<T> {
    case value(T?)
    case refused(Response)
}

/// Query parameters read with the first bad one kept as a 400.
struct QueryReader {
    let parameters: Parameters
    var invalid: Response?

    init(_ request: Request) { parameters = request.uri.queryParameters }

    func text(_ name: String) -> String? { parameters[name[...]].map(String.init) }

    mutating func fail(_ name: String, _ message: String) {
        if invalid == nil { invalid = errorResponse(.init(code: "INVALID_FIELD", message: message, details: ["field": name]), status: 400) }
    }

    /// A repeatable parameter (`status=OPEN&status=PENDING`, or `status=OPEN,PENDING`).
    mutating func all<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> [T] where T.RawValue == String {
        var values: [T] = []
        for word in parameters.getAll(name).flatMap({ $0.split(separator: ",") }) {
            guard let value = T(rawValue: String(word).uppercased()) else {
                fail(name, "\(name) is one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not '\(word.prefix(40))'")
                continue
            }
            values.append(value)
        }
        return values
    }

    mutating func choice(_ name: String, _ words: [String]) -> String? {
        guard let word = text(name) else { return nil }
        guard words.contains(word) else {
            fail(name, "\(name) is one of \(words.joined(separator: ", "))")
            return nil
        }
        return word
    }

    mutating func time(_ name: String) -> Int64? {
        guard let text = text(name) else { return nil }
        guard let time = TimestampParser.parseMillisecondsOrISO(text) else {
            fail(name, "\(name) is ISO-8601 (2024-01-02T00:00:00.000Z) or milliseconds since the epoch")
            return nil
        }
        return time
    }

    mutating func limit(default value: Int, max: Int) -> Int {
        guard let text = text("limit") else { return value }
        guard let limit = Int(text), (1...max).contains(limit) else {
            fail("limit", "limit is 1 to \(max)")
            return value
        }
        return limit
    }
}

extension PaperExchange.Rejection {
    var response: Response { errorResponse(error, status: status) }
}

/// `{code, message, details}` with its status.
func errorResponse(_ error: APIError, status: Int) -> Response {
    json(error, status: HTTPResponse.Status(code: status))
}
