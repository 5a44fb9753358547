import Foundation
import Hummingbird
import KeelHTTP
import KeelLanguage
import KeelStore
import NIOCore

/// A Model Context Protocol endpoint at `/mcp` (streamable HTTP transport, JSON-RPC 2.0), behind
/// the same token as every route. Each POST carries one request or notification and is answered
/// with one JSON body (the transport allows JSON in place of an event stream); the server keeps no
/// session and offers no server-to-client stream, so GET is 405. Tools: list_strategies,
/// lint_strategy, run_backtest, get_backtest.
///
/// A small implementation of the spec rather than modelcontextprotocol/swift-sdk: the SDK's server
/// brings its own transports, and four tools over the router already here need only the JSON-RPC
/// envelope.
enum MCP {
    static let protocolVersions = ["2025-06-18", "2025-03-26", "2024-11-05"]

    static func add(to router: Router<ServiceContext>, _ state: ServiceState) {
        router.post("mcp") { request, context in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
                return tooLarge(context.maxUploadSize)
            }
            guard let message = try? JSONSerialization.jsonObject(with: Data(buffer: body)) else {
                return answer(error(nil, -32700, "parse error: the body is not JSON"))
            }
            guard let call = message as? [String: Any], call["jsonrpc"] as? String == "2.0", let method = call["method"] as? String else {
                return answer(error(nil, -32600, "invalid request: a JSON-RPC 2.0 object with a method (batches are not taken)"))
            }
            // A notification (no id) is acknowledged without a body.
            guard let id = call["id"], id is String || id is NSNumber else { return Response(status: .accepted) }
            let params = call["params"] as? [String: Any] ?? [:]
            return answer(try await handle(method, params, id: id, state))
        }
        router.get("mcp") { _, _ in
            failure(.methodNotAllowed, "method_not_allowed", "this MCP endpoint answers POSTed JSON-RPC only; it offers no event stream")
        }
    }

    static func handle(_ method: String, _ params: [String: Any], id: Any, _ state: ServiceState) async throws -> [String: Any] {
        switch method {
        case "initialize":
            let asked = params["protocolVersion"] as? String ?? protocolVersions[0]
            return result(id, [
                "protocolVersion": protocolVersions.contains(asked) ? asked : protocolVersions[0],
                "capabilities": ["tools": ["listChanged": false]],
                "serverInfo": ["name": "keel", "version": "0.6.0"],
                "instructions": "Keel runs declarative trading strategies. Lint a strategy's YAML, list stored strategies, run a backtest on the server's data and read its result.",
            ])
        case "ping": return result(id, [:])
        case "tools/list": return result(id, ["tools": tools])
        case "tools/call":
            guard let name = params["name"] as? String else { return error(id, -32602, "invalid params: name the tool") }
            let arguments = params["arguments"] as? [String: Any] ?? [:]
            guard let outcome = try await call(name, arguments, state) else { return error(id, -32602, "unknown tool '\(name.prefix(64))'") }
            switch outcome {
            case .success(let text): return result(id, ["content": [["type": "text", "text": text]], "isError": false])
            case .failure(let problem): return result(id, ["content": [["type": "text", "text": problem.message]], "isError": true])
            }
        default: return error(id, -32601, "method not found: \(method.prefix(64))")
        }
    }

    struct Problem: Error { let message: String }

    /// A tool's answer as JSON text, or what went wrong; nil for an unknown tool.
    static func call(_ name: String, _ arguments: [String: Any], _ state: ServiceState) async throws -> Result<String, Problem>? {
        switch name {
        case "list_strategies":
            return .success(encode(try state.store.apiStrategies().map { StrategyRoutes.View($0) }))
        case "lint_strategy":
            guard let source = arguments["source"] as? String else { return .failure(Problem(message: "give the strategy's YAML as source")) }
            let profile = (arguments["profile"] as? String).flatMap(ProfileName.init(rawValue:))
            let (errors, diagnostics) = StrategyRoutes.lint(source, profile: profile)
            struct Lint: Encodable {
                var errors: Int
                var diagnostics: [StrategyRoutes.DiagnosticView]
            }
            return .success(encode(Lint(errors: errors, diagnostics: diagnostics)))
        case "run_backtest":
            let body: BacktestRoutes.Body
            do {
                body = try JSONDecoder().decode(BacktestRoutes.Body.self, from: try JSONSerialization.data(withJSONObject: arguments))
            } catch {
                return .failure(Problem(message: "arguments: strategy_id, data {SYMBOL: FILE.csv}, capital?, start_date?, end_date?, version?: \(describe(error))"))
            }
            switch try BacktestRoutes.start(body, state) {
            case .success(let backtest): return .success(BacktestRoutes.fullJSON(backtest))
            case .failure(let refusal): return .failure(Problem(message: refusal.message))
            }
        case "get_backtest":
            guard let id = arguments["id"] as? String, ServiceState.isId(id, prefix: "bt") else { return .failure(Problem(message: "give the backtest's id")) }
            // Waits up to wait_seconds (at most 60) for a running backtest to end.
            let wait = min(60, max(0, (arguments["wait_seconds"] as? NSNumber)?.doubleValue ?? 0))
            let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1_000))
            while true {
                guard let backtest = try state.store.backtest(id) else { return .failure(Problem(message: "no backtest '\(id)'")) }
                if backtest.status != "running" || ContinuousClock.now >= deadline {
                    // The report's link, beside the result: the same server, the same bearer token.
                    let link = backtest.status == "done" ? ",\"report_url\":\"/v1/backtests/\(id)/report\"}" : "}"
                    return .success(String(BacktestRoutes.fullJSON(backtest).dropLast()) + link)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        default: return nil
        }
    }

    static var tools: [[String: Any]] {
        [
            tool("list_strategies", "List the strategies stored on the server (id, name, mode, version).", [:], required: []),
            tool("lint_strategy", "Check and lint a strategy's YAML text: the number of errors and every diagnostic with its line and column.",
                 ["source": ["type": "string", "description": "the strategy file's YAML"],
                  "profile": ["type": "string", "enum": ProfileName.allCases.map(\.rawValue), "description": "lint against this risk profile"]],
                 required: ["source"]),
            tool("run_backtest", "Start a backtest of a stored strategy on CSV bars inside the server's data folder; returns its id and status.",
                 ["strategy_id": ["type": "string"], "version": ["type": "integer"], "capital": ["type": "number"],
                  "initial_capital": ["type": "number", "description": "the same as capital"],
                  "start_date": ["type": "string", "description": "trade from this date (2021-01-01) or ISO-8601 time; indicators warm up on the bars before"],
                  "end_date": ["type": "string", "description": "trade to this date, inclusive, or ISO-8601 time"],
                  "data": ["type": "object", "additionalProperties": ["type": "string"], "description": "symbol to CSV file, e.g. {\"AAPL\": \"AAPL.csv\"}"]],
                 required: ["strategy_id", "data"]),
            tool("get_backtest", "Read a backtest: status and, once done, its result (metrics, trades, equity curve) and report_url, the path of its HTML report on this server.",
                 ["id": ["type": "string"], "wait_seconds": ["type": "number", "description": "wait up to this long (at most 60) for it to finish"]],
                 required: ["id"]),
        ]
    }

    static func tool(_ name: String, _ description: String, _ properties: [String: Any], required: [String]) -> [String: Any] {
        ["name": name, "description": description, "inputSchema": ["type": "object", "properties": properties, "required": required]]
    }

    static func result(_ id: Any, _ value: [String: Any]) -> [String: Any] { ["jsonrpc": "2.0", "id": id, "result": value] }

    static func error(_ id: Any?, _ code: Int, _ message: String) -> [String: Any] {
        ["jsonrpc": "2.0", "id": id ?? NSNull(), "error": ["code": code, "message": message]]
    }

    static func answer(_ message: [String: Any]) -> Response {
        raw((try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }
}
