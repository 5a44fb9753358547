import Foundation
import Keel
import KeelData
import KeelStore

/// What each operation of the OpenAPI document takes and answers: its query and header
/// parameters, its body's schema and each answer's content. Bodies' schemas are read off the
/// `Decodable` types the routes decode (`SchemaDecoder`), answers' off the `Encodable` types they
/// encode, one sample each (`SchemaEncoder`), so the document says what the code does.
/// `schemathesis` checks the answers against it in CI.
extension OpenAPI {
    struct Parameter {
        var name: String
        var location = "query"
        var required = false
        var schema: JSON.Value
        var description: String
    }

    enum Content {
        case json(JSON.Value)
        case html, text, events
    }

    struct Shape {
        var parameters: [Parameter] = []
        var body: JSON.Value?
        /// False where no body at all is `{}` (a control's reason is optional).
        var bodyRequired = true
        /// The 2xx answers' content; an error's is `Error`, a 204's none.
        var answers: [String: Content] = [:]
        /// A list: its total in `X-Total-Count`.
        var list = false
        /// The schema of its own error answers (MCP's are JSON-RPC objects); 401 and 429 stay `Error`.
        var errors: JSON.Value = OpenAPI.ref("Error")
        /// Statuses answered without a body.
        var empty: Set<String> = []
    }

    // MARK: Schemas

    static func ref(_ name: String) -> JSON.Value { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func array(_ items: JSON.Value) -> JSON.Value { .object([("type", .string("array")), ("items", items)]) }
    static func type(_ name: String, _ extra: [(String, JSON.Value)] = []) -> JSON.Value { .object([("type", .string(name))] + extra) }
    static let anything: JSON.Value = .object([])

    /// An object schema with more properties (a view with its stored request and result).
    static func adding(_ schema: JSON.Value, _ properties: [(String, JSON.Value)], required: [String] = []) -> JSON.Value {
        guard case .object(var fields) = schema else { return schema }
        for (index, field) in fields.enumerated() {
            if field.0 == "properties", case .object(let existing) = field.1 { fields[index].1 = .object(existing + properties) }
            if field.0 == "required", case .array(let existing) = field.1 { fields[index].1 = .array(existing + required.map { .string($0) }) }
        }
        return .object(fields)
    }

    /// The schema of JSON Keel writes as text (the backtest contract): every key required, an array
    /// of its first element, a number that may be null (a NaN or an infinity is written null).
    static func inferred(_ value: JSON.Value) -> JSON.Value {
        switch value {
        case .string: return type("string")
        case .int: return type("integer")
        case .number: return .object([("type", .array([.string("number"), .string("null")]))])
        case .bool: return type("boolean")
        case .null, .written: return anything
        case .array(let items): return array(items.first.map(inferred) ?? anything)
        case .object(let fields):
            return .object([("type", .string("object")), ("properties", .object(fields.map { ($0.0, inferred($0.1)) })),
                            ("required", .array(fields.map { .string($0.0) }))])
        }
    }

    /// The named schemas, from the types' samples.
    static var components: [(String, JSON.Value)] {
        let s = OpenAPISamples.self
        let strategy = SchemaEncoder.schema(of: s.strategy)
        let backtest = SchemaEncoder.schema(of: s.backtest)
        let research = SchemaEncoder.schema(of: s.research)
        let nullable: (JSON.Value) -> JSON.Value = { .object([("oneOf", .array([$0, type("null")]))]) }
        return [
            ("Error", .object([("type", .string("object")),
                               ("properties", .object([("code", type("string")), ("message", type("string")), ("details", anything)])),
                               ("required", .array([.string("code"), .string("message")]))])),
            ("Strategy", strategy),
            ("Diagnostic", SchemaEncoder.schema(of: s.diagnostic)),
            ("Evidence", SchemaEncoder.schema(of: s.evidence)),
            ("Backtest", backtest),
            ("BacktestResult", inferred((try? JSONReader.parse(ResultFormat.json(s.result, includeEquity: true))) ?? .object([]))),
            ("BacktestFull", adding(backtest, [("request", SchemaDecoder.schema(of: BacktestRoutes.Body.self)),
                                               ("result", nullable(ref("BacktestResult")))], required: ["request", "result"])),
            ("ResearchJob", research),
            ("ResearchJobFull", adding(research, [("request", SchemaDecoder.schema(of: ResearchRoutes.Body.self)),
                                                  ("result", nullable(type("object")))], required: ["request", "result"])),
            ("Run", SchemaEncoder.schema(of: s.run)),
            ("ControlAnswer", SchemaEncoder.schema(of: s.queued)),
            ("EveryRunAnswer", SchemaEncoder.schema(of: s.everyRun)),
            ("Order", SchemaEncoder.schema(of: s.order)),
            ("Trade", SchemaEncoder.schema(of: s.trade)),
            ("Position", SchemaEncoder.schema(of: s.position)),
            ("Decision", SchemaEncoder.schema(of: s.decision)),
            ("DecisionEntry", SchemaEncoder.schema(of: s.decisionEntry)),
            ("RunPortfolio", Portfolio.schema),
            ("RunMetrics", SchemaEncoder.schema(of: s.runMetrics)),
            ("Metrics", SchemaEncoder.schema(of: s.metrics)),
            ("SignalMetrics", SchemaEncoder.schema(of: s.signalMetrics)),
            ("Portfolio", SchemaEncoder.schema(of: s.portfolio)),
            ("HeldPosition", SchemaEncoder.schema(of: s.held)),
            ("BrokerPosition", SchemaEncoder.schema(of: s.brokerHeld)),
            ("RunTrade", SchemaEncoder.schema(of: s.runTrade)),
            ("RunDecision", SchemaEncoder.schema(of: s.runDecision)),
            ("Broker", SchemaEncoder.schema(of: s.broker)),
            ("Leaderboard", SchemaEncoder.schema(of: s.leaderboard)),
            ("Health", SchemaEncoder.schema(of: s.health)),
            ("Ready", SchemaEncoder.schema(of: s.ready)),
            ("JSONRPC", .object([("type", .string("object")), ("properties", .object([
                ("jsonrpc", type("string", [("const", .string("2.0"))])), ("id", .object([("type", .array([.string("string"), .string("number"), .string("null")]))])),
                ("method", type("string")), ("params", type("object")), ("result", type("object")), ("error", type("object")),
            ])), ("required", .array([.string("jsonrpc")]))])),
        ]
    }

    // MARK: Parameters

    static let pageParameters: [Parameter] = [
        .init(name: "limit", schema: type("integer", [("minimum", .int(1)), ("maximum", .int(500))]), description: "rows, 1 to 500 (default 50)"),
        .init(name: "offset", schema: type("integer", [("minimum", .int(0))]), description: "rows skipped"),
        .init(name: "page", schema: type("integer", [("minimum", .int(1))]), description: "the page, from 1 (instead of limit and offset)"),
        .init(name: "pageSize", schema: type("integer", [("minimum", .int(1)), ("maximum", .int(100))]), description: "rows a page, 1 to 100 (default 20)"),
    ]

    static let filterParameters: [Parameter] = [
        .init(name: "symbol", schema: type("string"), description: "one symbol"),
        .init(name: "since", schema: type("string"), description: "from this time: ms since the epoch or ISO-8601"),
        .init(name: "until", schema: type("string"), description: "to this time: ms since the epoch or ISO-8601"),
    ]

    static let signalType = Parameter(name: "signal_type", schema: type("string"), description: "an action (entry, exit, stop_loss, ...) or a rule (entry.long)")
    static let runFilter = Parameter(name: "run_id", schema: type("string"), description: "one run")
    static let session = Parameter(name: "Mcp-Session-Id", location: "header", required: true, schema: type("string"), description: "the session initialize opened")

    // MARK: Operations

    /// Each operation's shape, by `METHOD /path`.
    static var shapes: [String: Shape] {
        let list: (String) -> Shape = { Shape(parameters: pageParameters, answers: ["200": .json(array(ref($0)))], list: true) }
        let one: (String) -> Shape = { Shape(answers: ["200": .json(ref($0))]) }
        let controlBody = SchemaDecoder.schema(of: RunRoutes.ControlBody.self)
        let control = Shape(body: controlBody, bodyRequired: false, answers: ["200": .json(ref("ControlAnswer")), "202": .json(ref("ControlAnswer"))])
        let everyRun = Shape(body: controlBody, bodyRequired: false, answers: ["200": .json(ref("EveryRunAnswer")), "202": .json(ref("EveryRunAnswer"))])
        let strategyBody = SchemaDecoder.schema(of: StrategyRoutes.Body.self)
        let mcpError: JSON.Value = .object([("oneOf", .array([ref("JSONRPC"), ref("Error")]))])
        var listStrategies = list("Strategy")
        listStrategies.parameters.append(.init(name: "q", schema: type("string"), description: "words in the name or the description"))
        var getStrategy = one("Strategy")
        getStrategy.parameters = [.init(name: "version", schema: type("integer", [("minimum", .int(1))]), description: "an older version")]
        var leaderboard = one("Leaderboard")
        leaderboard.parameters = pageParameters + [
            .init(name: "by", schema: type("string", [("enum", .array(KeelStore.LeaderboardMetric.allCases.map { .string($0.rawValue) }))]), description: "rank by"),
            .init(name: "from", schema: type("integer"), description: "created from (ms)"), .init(name: "to", schema: type("integer"), description: "created to (ms)"),
        ]
        var decisions = list("DecisionEntry")
        decisions.parameters += filterParameters + [signalType]
        var trades = list("RunTrade")
        trades.parameters += filterParameters + [runFilter]
        var signals = list("RunDecision")
        signals.parameters += filterParameters + [signalType, runFilter]
        var positions = Shape(answers: ["200": .json(array(.object([("oneOf", .array([ref("HeldPosition"), ref("BrokerPosition")]))])))])
        positions.parameters = [filterParameters[0], Parameter(name: "source", schema: type("string", [("enum", .array(["all", "runs", "brokers"].map { .string($0) }))]),
                                                               description: "the runs' positions, the broker accounts', or both (the default)")]
        return [
            "GET /health": Shape(answers: ["200": .json(type("object", [("properties", .object([("status", type("string"))]))]))]),
            "GET /ready": one("Ready"),
            "GET /healthz": Shape(answers: ["200": .json(ref("Health"))]),
            "GET /openapi.json": Shape(answers: ["200": .json(type("object"))]),
            "GET /v1/strategies": listStrategies,
            "POST /v1/strategies": Shape(body: strategyBody, answers: ["201": .json(ref("Strategy"))]),
            "GET /v1/strategies/{id}": getStrategy,
            "PUT /v1/strategies/{id}": Shape(body: strategyBody, answers: ["200": .json(ref("Strategy"))]),
            "DELETE /v1/strategies/{id}": Shape(),
            "PUT /v1/strategies/{id}/mode": Shape(body: SchemaDecoder.schema(of: StrategyRoutes.ModeBody.self), answers: ["200": .json(ref("Strategy"))]),
            "PUT /v1/strategies/{id}/evidence": Shape(body: type("object"), answers: ["200": .json(ref("Evidence"))]),
            "GET /v1/strategies/{id}/evidence": Shape(answers: ["200": .json(type("object"))]),
            "GET /v1/backtests": list("Backtest"),
            "POST /v1/backtests": Shape(body: SchemaDecoder.schema(of: BacktestRoutes.Body.self), answers: ["202": .json(ref("BacktestFull"))]),
            "GET /v1/backtests/{id}": one("BacktestFull"),
            "DELETE /v1/backtests/{id}": one("BacktestFull"),
            "GET /v1/backtests/{id}/report": Shape(answers: ["200": .html]),
            "GET /v1/optimizations": list("ResearchJob"),
            "POST /v1/optimizations": Shape(body: SchemaDecoder.schema(of: ResearchRoutes.Body.self), answers: ["202": .json(ref("ResearchJobFull"))]),
            "GET /v1/optimizations/{id}": one("ResearchJobFull"),
            "DELETE /v1/optimizations/{id}": one("ResearchJobFull"),
            "GET /v1/walkforwards": list("ResearchJob"),
            "POST /v1/walkforwards": Shape(body: SchemaDecoder.schema(of: ResearchRoutes.Body.self), answers: ["202": .json(ref("ResearchJobFull"))]),
            "GET /v1/walkforwards/{id}": one("ResearchJobFull"),
            "DELETE /v1/walkforwards/{id}": one("ResearchJobFull"),
            "GET /v1/runs": list("Run"),
            "POST /v1/runs": Shape(body: SchemaDecoder.schema(of: RunRoutes.Body.self), answers: ["201": .json(ref("Run"))]),
            "GET /v1/runs/{id}": one("Run"),
            "POST /v1/runs/{id}/stop": Shape(answers: ["202": .json(ref("Run"))]),
            "GET /v1/runs/{id}/portfolio": one("RunPortfolio"),
            "GET /v1/runs/{id}/positions": Shape(answers: ["200": .json(array(ref("Position")))]),
            "GET /v1/runs/{id}/orders": list("Order"),
            "GET /v1/runs/{id}/trades": list("Trade"),
            "GET /v1/runs/{id}/signals": list("Decision"),
            "GET /v1/runs/{id}/decisions": decisions,
            "GET /v1/runs/{id}/report": Shape(answers: ["200": .html]),
            "GET /v1/runs/{id}/metrics": one("RunMetrics"),
            "GET /v1/runs/{id}/metrics/signals": one("SignalMetrics"),
            "POST /v1/runs/{id}/halt": control,
            "POST /v1/runs/{id}/resume": control,
            "POST /v1/runs/{id}/close_all": control,
            "POST /v1/runs/{id}/positions/{symbol}/close": control,
            "PUT /v1/runs/{id}/risk_profile": Shape(body: SchemaDecoder.schema(of: RunRoutes.ControlBody.self), answers: ["202": .json(ref("ControlAnswer"))]),
            "GET /v1/ws": Shape(parameters: [.init(name: "token", schema: type("string"), description: "the token, for a browser"),
                                             .init(name: "run_id", schema: type("string"), description: "one run's messages")],
                                empty: ["101", "200", "405"]),
            "GET /v1/brokers": list("Broker"),
            "POST /v1/brokers": Shape(body: SchemaDecoder.schema(of: BrokerRoutes.Body.self), answers: ["201": .json(ref("Broker"))]),
            "GET /v1/brokers/{id}": one("Broker"),
            "DELETE /v1/brokers/{id}": Shape(),
            "GET /v1/leaderboard": leaderboard,
            "GET /v1/metrics": one("Metrics"),
            "GET /v1/metrics/signals": one("SignalMetrics"),
            "GET /metrics": Shape(answers: ["200": .text]),
            "POST /v1/trading/halt": everyRun,
            "POST /v1/trading/resume": everyRun,
            "POST /v1/profile": everyRun,
            "POST /v1/orders": Shape(body: SchemaDecoder.schema(of: ManualOrderRoutes.Body.self), answers: ["202": .json(ref("ControlAnswer"))]),
            "GET /v1/portfolio": one("Portfolio"),
            "GET /v1/positions": positions,
            "GET /v1/trades": trades,
            "GET /v1/signals": signals,
            "POST /mcp": Shape(parameters: [Parameter(name: "Mcp-Session-Id", location: "header", schema: type("string"), description: "every message after initialize")],
                               body: ref("JSONRPC"), answers: ["200": .json(ref("JSONRPC"))], errors: mcpError, empty: ["202"]),
            "GET /mcp": Shape(parameters: [session], answers: ["200": .events], errors: mcpError),
            "DELETE /mcp": Shape(parameters: [session], errors: mcpError),
        ]
    }
}

extension Portfolio {
    /// The run's summary figures (numbers; an infinity as text, a NaN as null) beside its positions and status.
    static var schema: JSON.Value {
        .object([("type", .string("object")),
                 ("properties", .object([("positions", OpenAPI.array(OpenAPI.ref("Position"))), ("status", OpenAPI.type("string"))])),
                 ("additionalProperties", Figure.none.schema)])
    }
}

extension Portfolio.Figure: SchemaDescribed {
    var schema: JSON.Value { .object([("type", .array([.string("number"), .string("string"), .string("null")]))]) }
}

extension TradingRoutes.JSONValue: SchemaDescribed {
    /// A run's own answer, whatever its route answered.
    var schema: JSON.Value { OpenAPI.anything }
}
