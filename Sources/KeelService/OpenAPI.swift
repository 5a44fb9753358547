import KeelData

/// The service's OpenAPI 3.1 document, served at `/openapi.json`. A test holds its operations
/// equal to the router's routes, so neither can change without the other.
public enum OpenAPI {
    public struct Operation: Sendable {
        public let method: String
        /// In OpenAPI's form: `/v1/strategies/{id}`.
        public let path: String
        public let summary: String
        public let open: Bool
        let responses: [(String, String)]
    }

    public static let operations: [Operation] = [
        .init(method: "GET", path: "/health", summary: "Liveness", open: true, responses: [("200", "alive")]),
        .init(method: "GET", path: "/ready", summary: "Readiness: the store can be read", open: false,
              responses: [("200", "ready"), ("503", "not ready")]),
        .init(method: "GET", path: "/openapi.json", summary: "This document", open: false, responses: [("200", "the document")]),
        .init(method: "GET", path: "/v1/strategies", summary: "List strategies", open: false, responses: [("200", "strategies")]),
        .init(method: "POST", path: "/v1/strategies", summary: "Create a strategy from YAML ({source}); it trades on paper", open: false,
              responses: [("201", "created"), ("400", "malformed body"), ("413", "body too large"), ("422", "the strategy has errors (details: diagnostics)")]),
        .init(method: "GET", path: "/v1/strategies/{id}", summary: "A strategy with its source (?version=N for an older one)", open: false,
              responses: [("200", "the strategy"), ("404", "no such strategy")]),
        .init(method: "PUT", path: "/v1/strategies/{id}", summary: "Update: a new version ({source})", open: false,
              responses: [("200", "the new version"), ("404", "no such strategy"), ("422", "the strategy has errors")]),
        .init(method: "DELETE", path: "/v1/strategies/{id}", summary: "Delete a strategy (its versions stay for the backtests that ran them)",
              open: false, responses: [("204", "deleted"), ("404", "no such strategy")]),
        .init(method: "GET", path: "/v1/backtests", summary: "List backtests, newest first (?limit=&offset=)", open: false,
              responses: [("200", "backtests")]),
        .init(method: "POST", path: "/v1/backtests", summary: "Start a backtest ({strategy_id, version?, data: {SYMBOL: FILE}, capital?})",
              open: false, responses: [("202", "running"), ("404", "no such strategy"), ("422", "bad data or capital")]),
        .init(method: "GET", path: "/v1/backtests/{id}", summary: "A backtest: status, request and result (the backtest JSON contract)",
              open: false, responses: [("200", "the backtest"), ("404", "no such backtest")]),
        .init(method: "DELETE", path: "/v1/backtests/{id}", summary: "Cancel a running backtest", open: false,
              responses: [("200", "cancelled"), ("404", "no such backtest"), ("409", "finished already")]),
    ]

    public static func document() -> String {
        var paths: [(String, JSON.Value)] = []
        for path in operations.map(\.path).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            let methods: [(String, JSON.Value)] = operations.filter { $0.path == path }.map { op in
                var fields: [(String, JSON.Value)] = [("summary", .string(op.summary))]
                if path.contains("{id}") {
                    fields.append(("parameters", .array([.object([("name", .string("id")), ("in", .string("path")), ("required", .bool(true)),
                                                                  ("schema", .object([("type", .string("string"))]))])])))
                }
                fields.append(("security", .array(op.open ? [] : [.object([("bearer", .array([]))])])))
                var responses = op.responses.map { ($0.0, JSON.Value.object([("description", .string($0.1))])) }
                if !op.open { responses.append(("401", .object([("description", .string("no token, or a wrong one"))]))) }
                fields.append(("responses", .object(responses)))
                return (op.method.lowercased(), .object(fields))
            }
            paths.append((path, .object(methods)))
        }
        return JSON.encode(.object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("Keel")), ("version", .string("1")),
                              ("description", .string("Strategies and backtests. Errors are {code, message, details?}."))])),
            ("paths", .object(paths)),
            ("components", .object([("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))]))])),
        ]))
    }
}
