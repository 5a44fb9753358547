import Foundation
import KeelBroker
import KeelData

/// The trading API's OpenAPI 3.1 document, served by `keel broker serve` at `/openapi.json`. Its
/// schemas are read off the types that read and write the bodies (`SchemaDecoder`,
/// `SchemaEncoder`); a test holds its operations equal to the router's routes.
enum BrokerOpenAPI {
    struct Parameter {
        var name: String
        var schema: JSON.Value
        var description: String
        var repeated = false
    }

    enum Body {
        case json(JSON.Value, required: Bool)
        case lines
    }

    struct Operation {
        var method: String
        var path: String
        var summary: String
        var query: [Parameter] = []
        var body: Body?
        /// Status, description, answer schema (nil: an `Error`).
        var answers: [(String, String, JSON.Value?)]
        var open = false
    }

    static func ref(_ name: String) -> JSON.Value { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func array(_ items: JSON.Value) -> JSON.Value { .object([("type", .string("array")), ("items", items)]) }
    static func type(_ name: String, _ extra: [(String, JSON.Value)] = []) -> JSON.Value { .object([("type", .string(name))] + extra) }
    static func words<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> JSON.Value where T.RawValue == String {
        .object([("type", .string("string")), ("enum", .array(T.allCases.map { .string($0.rawValue) }))])
    }

    static let time = Parameter(name: "", schema: type("string"), description: "ISO-8601 (2024-01-02T00:00:00.000Z) or milliseconds since the epoch")
    static func limit(_ max: Int, _ fallback: Int) -> Parameter {
        Parameter(name: "limit", schema: type("integer", [("minimum", .int(1)), ("maximum", .int(max))]), description: "at most this many (default \(fallback))")
    }
    static let symbol = Parameter(name: "symbol", schema: type("string"), description: "one symbol")

    static var orderFilters: [Parameter] {
        var since = time, until = time
        (since.name, until.name) = ("since", "until")
        return [symbol, Parameter(name: "status", schema: array(words(OrderStatus.self)), description: "statuses, repeatable or comma-separated", repeated: true),
                Parameter(name: "side", schema: words(Side.self), description: "BUY or SELL"),
                Parameter(name: "client_order_id", schema: type("string"), description: "the client's id"),
                Parameter(name: "oco_group_id", schema: type("string"), description: "one OCO group"), since, until, limit(5_000, 100)]
    }

    static var operations: [Operation] {
        var since = time, until = time
        (since.name, until.name) = ("since", "until")
        let order = ref("Order")
        return [
            Operation(method: "GET", path: "/health", summary: "Liveness", answers: [("200", "alive", type("object"))], open: true),
            Operation(method: "GET", path: "/openapi.json", summary: "This document", answers: [("200", "the document", type("object"))]),
            Operation(method: "POST", path: "/orders", summary: """
                Place an order: market, limit, stop, stop-limit or trailing stop; a bracket with stop_loss and take_profit (or a trailing \
                stop-loss with trailing_distance); an OCO group; time in force; reduce-only or post-only. The same body sent again under its \
                client_order_id answers the order there is (200)
                """, body: .json(SchemaDecoder.schema(of: NewOrder.self), required: true),
                      answers: [("201", "placed: PENDING until its symbol's next bar", order), ("200", "placed before under this client_order_id", order),
                                ("400", "a field missing, malformed, unknown or unsupported (details.field)", nil),
                                ("409", "another order under this client_order_id", nil),
                                ("422", "refused: unknown symbol, margin, leverage, a price on the wrong side, reduce-only or post-only (recorded REJECTED)", nil),
                                ("503", "the order service is unavailable; nothing was placed", nil)]),
            Operation(method: "GET", path: "/orders", summary: "Working orders (PENDING, OPEN, PARTIALLY_FILLED), newest first", query: orderFilters,
                      answers: [("200", "orders", array(order)), ("400", "a bad filter", nil)]),
            Operation(method: "GET", path: "/orders/history", summary: "Finished orders (FILLED, CANCELLED, REJECTED, EXPIRED), newest first", query: orderFilters,
                      answers: [("200", "orders", array(order)), ("400", "a bad filter", nil)]),
            Operation(method: "GET", path: "/orders/{id}", summary: "One order", answers: [("200", "the order", order), ("404", "ORDER_NOT_FOUND", nil)]),
            Operation(method: "PATCH", path: "/orders/{id}", summary: """
                Change a working order: quantity (not below what has filled), limit or stop price, trailing distance; a filled bracket \
                entry's stop_loss and take_profit move its legs
                """, body: .json(SchemaDecoder.schema(of: OrderChange.self), required: true),
                      answers: [("200", "the changed order", order), ("400", "a field the order does not have, or a bad value", nil),
                                ("404", "ORDER_NOT_FOUND", nil), ("409", "ORDER_NOT_MODIFIABLE: it is finished", nil)]),
            Operation(method: "DELETE", path: "/orders/{id}", summary: "Cancel an order and its working bracket legs",
                      answers: [("200", "cancelled", ref("Cancellation")), ("404", "ORDER_NOT_FOUND", nil), ("409", "ORDER_NOT_CANCELLABLE: nothing of it works", nil)]),
            Operation(method: "DELETE", path: "/orders", summary: "Cancel every working order, or those of one symbol", query: [symbol],
                      answers: [("200", "what was cancelled", ref("BulkCancellation"))]),
            Operation(method: "GET", path: "/positions", summary: "Open positions (netting: one per symbol)", query: [symbol],
                      answers: [("200", "positions", array(ref("Position")))]),
            Operation(method: "GET", path: "/positions/{id}", summary: "One position", answers: [("200", "the position", ref("Position")),
                                                                                                ("404", "POSITION_NOT_FOUND", nil)]),
            Operation(method: "DELETE", path: "/positions/{id}", summary: """
                Close a position, in whole or part, at market or a limit (a reduce-only order); by default its symbol's working orders are cancelled first
                """, body: .json(SchemaDecoder.schema(of: PositionClose.self), required: false),
                      answers: [("201", "the closing order", order), ("400", "a bad body, or more than is held", nil), ("404", "POSITION_NOT_FOUND", nil),
                                ("422", "the closing order was refused", nil)]),
            Operation(method: "DELETE", path: "/positions", summary: "Close every position at market, or the one of a symbol", query: [symbol],
                      answers: [("200", "the closing orders", ref("BulkClose"))]),
            Operation(method: "GET", path: "/trades", summary: "Executions, newest first; with after= or order=asc, oldest first (a cursor to page through them)",
                      query: [symbol, Parameter(name: "order_id", schema: type("string"), description: "one order's"), since, until,
                              Parameter(name: "after", schema: type("string"), description: "those after this trade id, oldest first"),
                              Parameter(name: "order", schema: .object([("type", .string("string")), ("enum", .array([.string("asc"), .string("desc")]))]),
                                        description: "asc: oldest first"), limit(5_000, 100)],
                      answers: [("200", "trades", array(ref("Trade"))), ("400", "a bad filter", nil)]),
            Operation(method: "GET", path: "/account", summary: "Balance, equity, margin and P&L", answers: [("200", "the account", ref("Account"))]),
            Operation(method: "GET", path: "/quotes/{symbol}", summary: "The last price and size fed, as bid, ask and last",
                      answers: [("200", "the quote", ref("Quote")), ("404", "SYMBOL_NOT_FOUND", nil)]),
            Operation(method: "GET", path: "/bars/{symbol}", summary: "Bars of a timeframe made from the bars fed, aligned to UTC, oldest first",
                      query: [Parameter(name: "timeframe", schema: .object([("type", .string("string")),
                                                                            ("enum", .array(MarketDataRoutes.timeframes.map { .string($0.name) }))]),
                                        description: "default 1d"),
                              { var p = time; p.name = "start"; return p }(), { var p = time; p.name = "end"; return p }(), limit(10_000, 500)],
                      answers: [("200", "bars", ref("Bars")), ("400", "a bad timeframe, time or limit", nil), ("404", "SYMBOL_NOT_FOUND", nil),
                                ("422", "TIMEFRAME_TOO_FINE: finer than the bars held", nil)]),
            Operation(method: "GET", path: "/capabilities", summary: "Order types, time in force, features, leverage and the fields refused",
                      answers: [("200", "capabilities", ref("Capabilities"))]),
            Operation(method: "GET", path: "/status", summary: "Connected, latency, last heartbeat (the last market event's time)",
                      answers: [("200", "status", ref("Status"))]),
            Operation(method: "GET", path: "/ready", summary: "Ready once it has market data to price orders with",
                      answers: [("200", "ready", ref("Ready")), ("503", "NO_PROVIDERS", nil)]),
            Operation(method: "POST", path: "/sim/bars", summary: "Paper broker only: bar and quote events, one JSON line each (the stream's format, sent as text/plain or application/x-ndjson), matched in order",
                      body: .lines, answers: [("200", "what was fed and filled", type("object", [("properties", .object([
                          ("bars", type("integer")), ("quotes", type("integer")), ("fills", type("integer"))]))])),
                                              ("400", "a line that is not a bar or quote event", nil)]),
            Operation(method: "POST", path: "/sim/faults", summary: """
                Paper broker only: faults to inject, {name: count}: timeout, error, drop, rate_limit, unavailable (order submissions), read_error (reads), reject, partial
                """, body: .json(type("object", [("additionalProperties", type("integer", [("minimum", .int(0))]))]), required: true),
                      answers: [("200", "the faults still to strike", type("object", [("additionalProperties", type("integer"))])),
                                ("400", "an unknown fault", nil)]),
        ]
    }

    static var components: [(String, JSON.Value)] {
        let quote = MarketDataRoutes.Quote(symbol: "X", bid: "1", ask: "1", bidSize: "1", askSize: "1", last: "1", timestamp: "2024-01-02T00:00:00.000Z")
        let bars = MarketDataRoutes.Bars(symbol: "X", timeframe: "1d", bars: [.init(timestamp: "2024-01-02T00:00:00.000Z", open: "1", high: "1",
                                                                                      low: "1", close: "1", volume: "1")])
        return [
            ("Error", .object([("type", .string("object")),
                               ("properties", .object([("code", type("string")), ("message", type("string")),
                                                       ("details", type("object", [("additionalProperties", type("string"))]))])),
                               ("required", .array([.string("code"), .string("message")]))])),
            ("Order", SchemaDecoder.schema(of: Order.self)),
            ("Position", SchemaDecoder.schema(of: Position.self)),
            ("Trade", SchemaDecoder.schema(of: Trade.self)),
            ("Account", SchemaDecoder.schema(of: Account.self)),
            ("Cancellation", SchemaDecoder.schema(of: Cancellation.self)),
            ("BulkCancellation", SchemaDecoder.schema(of: BulkCancellation.self)),
            ("BulkClose", SchemaDecoder.schema(of: BulkClose.self)),
            ("Quote", SchemaEncoder.schema(of: quote)),
            ("Bars", SchemaEncoder.schema(of: bars)),
            ("Capabilities", SchemaEncoder.schema(of: MarketDataRoutes.Capabilities(maxLeverage: "2"))),
            ("Status", .object([("type", .string("object")), ("properties", .object([
                ("connected", type("boolean")), ("latency_ms", type("number")),
                ("last_heartbeat", .object([("type", .array([.string("string"), .string("null")]))])),
            ])), ("required", .array(["connected", "latency_ms", "last_heartbeat"].map { .string($0) }))])),
            ("Ready", SchemaEncoder.schema(of: MarketDataRoutes.Ready(ready: true, providers: ["paper"], providerCount: 1))),
        ]
    }

    /// The document as served, made once.
    static let served = Data(document().utf8)

    static func document() -> String {
        let error: (String) -> JSON.Value = { .object([("description", .string($0)), ("content", .object([("application/json", .object([("schema", ref("Error"))]))]))]) }
        var paths: [(String, JSON.Value)] = []
        let all = operations
        for path in all.map(\.path).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            let methods: [(String, JSON.Value)] = all.filter { $0.path == path }.map { op in
                let operationId = ([op.method.lowercased()] + path.split(separator: "/").map {
                    $0.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: ".", with: "_")
                }).joined(separator: "_")
                var fields: [(String, JSON.Value)] = [("summary", .string(op.summary)), ("operationId", .string(operationId))]
                let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                let parameters: [JSON.Value] = names.map { name in
                    .object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)), ("schema", type("string"))])
                } + op.query.map { p in
                    var fields: [(String, JSON.Value)] = [("name", .string(p.name)), ("in", .string("query")), ("required", .bool(false)),
                                                          ("description", .string(p.description)), ("schema", p.schema)]
                    if p.repeated { fields += [("style", .string("form")), ("explode", .bool(true))] }
                    return .object(fields)
                }
                if !parameters.isEmpty { fields.append(("parameters", .array(parameters))) }
                switch op.body {
                case .json(let schema, let required)?:
                    fields.append(("requestBody", .object([("required", .bool(required)),
                                                           ("content", .object([("application/json", .object([("schema", schema)]))]))])))
                case .lines?:
                    fields.append(("requestBody", .object([("required", .bool(true)),
                                                           ("content", .object([("text/plain", .object([("schema", type("string"))]))]))])))
                case nil: break
                }
                fields.append(("security", .array(op.open ? [] : [.object([("bearer", .array([]))])])))
                var responses: [(String, JSON.Value)] = op.answers.map { status, description, schema in
                    guard let schema else { return (status, error(description)) }
                    return (status, .object([("description", .string(description)),
                                             ("content", .object([("application/json", .object([("schema", schema)]))]))]))
                }
                let declared = Set(op.answers.map(\.0))
                if op.body != nil, !declared.contains("400") { responses.append(("400", error("a malformed body"))) }
                if op.body != nil { responses.append(("413", error("a body over 1 MiB"))) }
                if !op.open {
                    responses.append(("401", error("no token, or a wrong one")))
                    responses.append(("429", .object([("description", .string("too many wrong tokens from this address, or an injected rate_limit fault")),
                                                      ("headers", .object([("Retry-After", .object([("schema", type("integer"))]))])),
                                                      ("content", .object([("application/json", .object([("schema", ref("Error"))]))]))])))
                }
                return (op.method.lowercased(), .object(fields + [("responses", .object(responses))]))
            }
            paths.append((path, .object(methods)))
        }
        return JSON.encode(.object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("Keel trading API")), ("version", .string("1")),
                              ("description", .string("""
                                  The broker-neutral trading API Keel speaks to a broker and keel broker serve serves over its paper exchange \
                                  (docs/trading-api.md). Prices, quantities and money are decimal strings, exact; times ISO-8601 with \
                                  milliseconds, UTC; errors {code, message, details}.
                                  """))])),
            ("paths", .object(paths)),
            ("components", .object([("schemas", .object(components)),
                                    ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))]))])),
        ]))
    }
}
