import Foundation
import KeelData

/// The service's OpenAPI 3.1 document, served at `/openapi.json`. A test holds its operations
/// equal to the router's routes, so neither can change without the other.
package enum OpenAPI {
    package struct Operation: Sendable {
        package let method: String
        /// In OpenAPI's form: `/v1/strategies/{id}`.
        package let path: String
        package let summary: String
        package let open: Bool
        let responses: [(String, String)]
    }

    package static let operations: [Operation] = [
        .init(method: "GET", path: "/health", summary: "Liveness", open: true, responses: [("200", "alive")]),
        .init(method: "GET", path: "/ready", summary: "Readiness: the store can be read and every hosted run's loop is turning", open: false,
              responses: [("200", "ready"), ("503", "not ready")]),
        .init(method: "GET", path: "/healthz", summary: "Health with dependencies: the store, the runs and each broker connection, healthy or not",
              open: false, responses: [("200", "healthy"), ("503", "a dependency in use is unhealthy")]),
        .init(method: "GET", path: "/openapi.json", summary: "This document", open: false, responses: [("200", "the document")]),
        .init(method: "GET", path: "/v1/strategies", summary: "List strategies with their description (?q= words in name or description; page=&pageSize= or limit=&offset=)",
              open: false, responses: [("200", "strategies"), ("400", "bad page")]),
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
        .init(method: "POST", path: "/v1/backtests", summary: "Start a backtest ({strategy_id, version?, data: {SYMBOL: FILE}, capital? or initial_capital?, start_date?, end_date?})",
              open: false, responses: [("202", "running"), ("404", "no such strategy"), ("422", "bad data, capital, dates or webhook (outbound_refused: a private address)")]),
        .init(method: "GET", path: "/v1/backtests/{id}", summary: "A backtest: status, request and result (the backtest JSON contract)",
              open: false, responses: [("200", "the backtest"), ("404", "no such backtest")]),
        .init(method: "GET", path: "/v1/optimizations", summary: "List optimizations, newest first (?limit=&offset=)", open: false,
              responses: [("200", "optimizations")]),
        .init(method: "POST", path: "/v1/optimizations",
              summary: "Start a search of the strategy's declared spaces ({strategy_id, version?, data: {SYMBOL: FILE}, capital?, start_date?, end_date?, objective?, method?: grid|random, trials?, seed?, set?: {NAME: VALUE}}); docs/research.md",
              open: false, responses: [("202", "running"), ("404", "no such strategy"), ("422", "bad data, dates, objective, method or search space")]),
        .init(method: "GET", path: "/v1/optimizations/{id}", summary: "An optimization: status, request and result (keel optimize's JSON with every trial)",
              open: false, responses: [("200", "the optimization"), ("404", "no such optimization")]),
        .init(method: "DELETE", path: "/v1/optimizations/{id}", summary: "Cancel a running optimization (its result is dropped)", open: false,
              responses: [("200", "cancelled"), ("404", "no such optimization"), ("409", "finished already")]),
        .init(method: "GET", path: "/v1/walkforwards", summary: "List walk-forwards, newest first (?limit=&offset=)", open: false,
              responses: [("200", "walk-forwards")]),
        .init(method: "POST", path: "/v1/walkforwards",
              summary: "Start a walk-forward (an optimization's fields and {train, test, step?, anchored?, purge?, carry?}); docs/research.md",
              open: false, responses: [("202", "running"), ("404", "no such strategy"), ("422", "bad data, dates, windows or search")]),
        .init(method: "GET", path: "/v1/walkforwards/{id}", summary: "A walk-forward: status, request and result (keel walkforward's JSON)",
              open: false, responses: [("200", "the walk-forward"), ("404", "no such walk-forward")]),
        .init(method: "DELETE", path: "/v1/walkforwards/{id}", summary: "Cancel a running walk-forward (its result is dropped)", open: false,
              responses: [("200", "cancelled"), ("404", "no such walk-forward"), ("409", "finished already")]),
        .init(method: "PUT", path: "/v1/strategies/{id}/evidence",
              summary: "Store keel research's evidence file for the strategy (the body); answers whether its current version may go live on it",
              open: false, responses: [("200", "stored"), ("404", "no such strategy"), ("413", "body too large"), ("422", "not an evidence file")]),
        .init(method: "GET", path: "/v1/strategies/{id}/evidence", summary: "The strategy's stored research evidence", open: false,
              responses: [("200", "the evidence file"), ("404", "no such strategy, or no evidence")]),
        .init(method: "GET", path: "/v1/backtests/{id}/report", summary: "A finished backtest's self-contained HTML report (text/html; docs/report.md)",
              open: false, responses: [("200", "the report"), ("404", "no such backtest"), ("409", "not finished, or its data changed since")]),
        .init(method: "DELETE", path: "/v1/backtests/{id}", summary: "Cancel a running backtest", open: false,
              responses: [("200", "cancelled"), ("404", "no such backtest"), ("409", "finished already")]),
        .init(method: "PUT", path: "/v1/strategies/{id}/mode", summary: "Switch a strategy to 'live' or back to 'paper' ({mode}); a strategy with gates needs passing evidence for live",
              open: false, responses: [("200", "the strategy"), ("404", "no such strategy"), ("409", "its research evidence is missing, stale or failing"),
                                       ("422", "not a mode")]),
        .init(method: "GET", path: "/v1/runs", summary: "List the service's runs, newest first (?limit=&offset=)", open: false,
              responses: [("200", "runs")]),
        .init(method: "POST", path: "/v1/runs", summary: """
            Start a run ({strategy_id, version?, stream: FILE | tcp://HOST:PORT | ws://HOST:PORT/PATH, symbols?, capital?, bar_seconds?,             webhook?, live?, broker_id?}); paper unless the strategy is live and the request says live: true
            """, open: false,
              responses: [("201", "running"), ("403", "live not enabled"), ("404", "no such strategy"), ("422", "bad stream, symbols, webhook or broker (outbound_refused: a private address)")]),
        .init(method: "GET", path: "/v1/runs/{id}", summary: "A run: status, mode, risk profile, progress", open: false,
              responses: [("200", "the run"), ("404", "no such run")]),
        .init(method: "POST", path: "/v1/runs/{id}/stop", summary: "Stop a run after its next commit", open: false,
              responses: [("202", "stopping"), ("404", "no such run"), ("409", "not running")]),
        .init(method: "GET", path: "/v1/runs/{id}/portfolio", summary: "Equity, metrics and open positions", open: false,
              responses: [("200", "the portfolio"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/positions", summary: "Open positions", open: false,
              responses: [("200", "positions"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/orders", summary: "Orders (?limit=&offset=)", open: false,
              responses: [("200", "orders"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/trades", summary: "Closed trades (?limit=&offset=)", open: false,
              responses: [("200", "trades"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/signals", summary: "The strategy's decisions with their readings (?limit=&offset=)", open: false,
              responses: [("200", "signals"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/decisions", summary: """
            What the run did and why, newest first: each decision's rule, its text, the values it read, a sentence \
            (?symbol=&since=&until=&signal_type=&page=&pageSize=)
            """, open: false, responses: [("200", "decisions"), ("400", "bad filter or page"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/metrics/signals", summary: """
            Per rule: decisions, trades, wins, win rate, P&L and contribution; per stream signal: the information coefficient against next-bar returns
            """, open: false, responses: [("200", "metrics by signal"), ("404", "no such run")]),
        .init(method: "GET", path: "/v1/runs/{id}/report", summary: "A run's HTML report beside the backtest of its strategy on the bars it accepted (text/html)",
              open: false, responses: [("200", "the report"), ("404", "no such run"), ("409", "no result yet")]),
        .init(method: "GET", path: "/v1/runs/{id}/metrics", summary: "Performance, signals and risk events of a run", open: false,
              responses: [("200", "metrics"), ("404", "no such run")]),
        .init(method: "POST", path: "/v1/runs/{id}/halt", summary: "Kill switch: cancel pending entries, refuse new ones ({reason?}); never rate-limited",
              open: false, responses: [("202", "queued, applied before the next event"), ("404", "no such run"), ("409", "not running")]),
        .init(method: "POST", path: "/v1/runs/{id}/resume", summary: "Allow entries again after a halt; never rate-limited", open: false,
              responses: [("202", "queued"), ("404", "no such run"), ("409", "not running")]),
        .init(method: "POST", path: "/v1/runs/{id}/close_all", summary: "Close every position at its last close", open: false,
              responses: [("202", "queued"), ("404", "no such run"), ("409", "not running")]),
        .init(method: "POST", path: "/v1/runs/{id}/positions/{symbol}/close", summary: "Close one position at its last close", open: false,
              responses: [("202", "queued"), ("404", "no such run or symbol"), ("409", "not running")]),
        .init(method: "PUT", path: "/v1/runs/{id}/risk_profile", summary: "Switch the risk profile of a running strategy ({profile})", open: false,
              responses: [("202", "queued"), ("404", "no such run"), ("409", "not running"), ("422", "not a profile, or the strategy fails under it")]),
        .init(method: "GET", path: "/v1/ws", summary: """
            WebSocket (?token= or bearer; ?run_id= for one run): order, fill, signal, risk_event and portfolio_update messages
            """, open: false, responses: [("101", "upgraded"), ("200", "not an upgrade request: an empty answer"),
                                          ("405", "run_id is not a run's id: not upgraded")]),
        .init(method: "GET", path: "/v1/brokers", summary: "Broker connections (never their credentials)", open: false,
              responses: [("200", "connections")]),
        .init(method: "POST", path: "/v1/brokers", summary: "Connect a broker ({name, url, credentials: {token}}), sealed at rest", open: false,
              responses: [("201", "connected"), ("422", "bad url or credentials (outbound_refused: a private address)"), ("503", "no KEEL_SECRET_KEY")]),
        .init(method: "GET", path: "/v1/brokers/{id}", summary: "A broker connection", open: false,
              responses: [("200", "the connection"), ("404", "no such connection")]),
        .init(method: "DELETE", path: "/v1/brokers/{id}", summary: "Remove a connection and erase its credentials", open: false,
              responses: [("204", "removed"), ("404", "no such connection")]),
        .init(method: "GET", path: "/v1/leaderboard", summary: """
            Backtests and paper runs ranked (?by=return|pnl|win_rate|drawdown&from=&to= in ms&limit=&offset=)
            """, open: false, responses: [("200", "the board"), ("400", "bad metric, period or page")]),
        .init(method: "GET", path: "/v1/metrics", summary: "System and per-run metrics as JSON", open: false, responses: [("200", "metrics")]),
        .init(method: "GET", path: "/v1/metrics/signals", summary: "Metrics by signal over every run the service hosts", open: false,
              responses: [("200", "metrics by signal")]),
        .init(method: "POST", path: "/v1/trading/halt", summary: "Kill switch for every running run at once ({reason?}), journaled per run; never rate-limited",
              open: false, responses: [("202", "each run's answer"), ("200", "no run is running")]),
        .init(method: "POST", path: "/v1/trading/resume", summary: "Resume every running run at once; never rate-limited", open: false,
              responses: [("202", "each run's answer"), ("200", "no run is running")]),
        .init(method: "POST", path: "/v1/profile", summary: "Switch every running run's risk profile ({profile, reason?}); a run whose strategy fails under it keeps its own",
              open: false, responses: [("202", "each run's answer"), ("200", "no run is running"), ("422", "not a profile")]),
        .init(method: "POST", path: "/v1/orders", summary: """
            A manual order in a running paper run ({run_id, symbol, side, quantity, takeProfits?, stopLosses?: [{percentage, triggerPercentage}],             reason?}): a market entry at the symbol's next open whose exits are its own ladders; at most 5 take-profits, 5 stop-losses, 8 in all
            """, open: false, responses: [("202", "queued, applied before the run's next event"), ("400", "a malformed body, or a guardrail broken"),
                                          ("403", "a live run: manual orders are for paper runs"), ("404", "no such run"), ("409", "not running"),
                                          ("422", "a symbol the run does not trade")]),
        .init(method: "GET", path: "/v1/portfolio", summary: "Total value, cash, unrealised and today's realised P&L, drawdown and positions over every running run",
              open: false, responses: [("200", "the portfolio")]),
        .init(method: "GET", path: "/v1/positions", summary: "Open positions of every running run, each with run_id, strategy_id, mode and broker_name (?symbol=)",
              open: false, responses: [("200", "positions")]),
        .init(method: "GET", path: "/v1/trades", summary: "Closed trades across runs, newest first (?symbol=&since=&until=&run_id=&limit=&offset= or page=&pageSize=)",
              open: false, responses: [("200", "trades"), ("400", "bad filter or page")]),
        .init(method: "GET", path: "/v1/signals", summary: "Decisions across runs, newest first (?symbol=&since=&until=&signal_type=&run_id=&page=&pageSize=)",
              open: false, responses: [("200", "decisions"), ("400", "bad filter or page")]),
        .init(method: "GET", path: "/metrics", summary: "The same metrics in Prometheus text format", open: false, responses: [("200", "metrics")]),
        .init(method: "POST", path: "/mcp", summary: """
            Model Context Protocol (streamable HTTP, JSON-RPC 2.0). initialize opens a session (Mcp-Session-Id); a tools/call with a \
            progressToken is answered as an event stream with progress notifications. Tools: list_strategies, lint_strategy, \
            run_backtest, get_backtest, backtest_source, list_runs, get_run, halt_run, resume_run, get_report
            """, open: false, responses: [("200", "a JSON-RPC answer, or an event stream of progress and the answer"), ("202", "a notification, acknowledged"),
                                          ("400", "not JSON-RPC, or no Mcp-Session-Id"), ("404", "the session ended or expired"),
                                          ("429", "every session the server holds is in use")]),
        .init(method: "GET", path: "/mcp", summary: "The session's event stream (Accept: text/event-stream, Mcp-Session-Id)", open: false,
              responses: [("200", "the stream, until the session ends"), ("400", "no Mcp-Session-Id"), ("404", "the session ended or expired"),
                          ("405", "not asked for an event stream")]),
        .init(method: "DELETE", path: "/mcp", summary: "End an MCP session (Mcp-Session-Id)", open: false,
              responses: [("204", "ended"), ("400", "no Mcp-Session-Id"), ("404", "no such session")]),
    ]

    /// The document as served: made once (its schemas are read off sample values), not at every request.
    static let served = Data(document().utf8)

    package static func document() -> String {
        let shapes = self.shapes
        let headerSchema: (String) -> JSON.Value = { description in
            .object([("description", .string(description)), ("schema", .object([("type", .string("integer"))]))])
        }
        var paths: [(String, JSON.Value)] = []
        for path in operations.map(\.path).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            let methods: [(String, JSON.Value)] = operations.filter { $0.path == path }.map { op in
                let shape = shapes["\(op.method) \(op.path)"] ?? Shape()
                let operationId = ([op.method.lowercased()] + path.split(separator: "/").map {
                    $0.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: ".", with: "_")
                }).joined(separator: "_")
                var fields: [(String, JSON.Value)] = [("summary", .string(op.summary)), ("operationId", .string(operationId))]
                let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                let parameters: [JSON.Value] = names.map { name in
                    .object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)), ("schema", .object([("type", .string("string"))]))])
                } + shape.parameters.map { p in
                    .object([("name", .string(p.name)), ("in", .string(p.location)), ("required", .bool(p.required)), ("description", .string(p.description)),
                             ("schema", p.schema)])
                }
                if !parameters.isEmpty { fields.append(("parameters", .array(parameters))) }
                if let body = shape.body {
                    fields.append(("requestBody", .object([("required", .bool(shape.bodyRequired)),
                                                           ("content", .object([("application/json", .object([("schema", body)]))]))])))
                }
                fields.append(("security", .array(op.open ? [] : [.object([("bearer", .array([]))])])))
                fields.append(("x-rate-limit-group", RouteGroup.of(op.method, path: path).map { .string($0.rawValue) } ?? .string("never limited")))
                var responses: [(String, JSON.Value)] = op.responses.map { status, description in
                    var answer: [(String, JSON.Value)] = [("description", .string(description))]
                    let content: Content? = shape.empty.contains(status) || status == "204" ? nil
                        : status.hasPrefix("2") || status.hasPrefix("1") ? shape.answers[status] : .json(shape.errors)
                    if let content {
                        let (media, schema): (String, JSON.Value) = switch content {
                        case .json(let schema): ("application/json", schema)
                        case .html: ("text/html", type("string"))
                        case .text: ("text/plain", type("string"))
                        case .events: ("text/event-stream", type("string"))
                        }
                        answer.append(("content", .object([(media, .object([("schema", schema)]))])))
                    }
                    if shape.list, status == "200" { answer.append(("headers", .object([("X-Total-Count", headerSchema("rows in the whole list"))]))) }
                    return (status, .object(answer))
                }
                let declared = Set(op.responses.map(\.0))
                let error: (String) -> JSON.Value = { .object([("description", .string($0)), ("content", .object([("application/json", .object([("schema", ref("Error"))]))]))]) }
                if !declared.contains("400"), shape.body != nil || !shape.parameters.isEmpty { responses.append(("400", error("a malformed body or parameter"))) }
                if !declared.contains("413"), shape.body != nil { responses.append(("413", error("a body over the limit"))) }
                if !op.open {
                    responses.append(("401", error("no token, or a wrong one")))
                    if !declared.contains("429") {
                        responses.append(("429", .object([("description", .string("past a rate limit, or too many wrong tokens from this address")),
                                                          ("headers", .object([("Retry-After", headerSchema("seconds to wait"))])),
                                                          ("content", .object([("application/json", .object([("schema", ref("Error"))]))]))])))
                    }
                }
                fields.append(("responses", .object(responses)))
                return (op.method.lowercased(), .object(fields))
            }
            paths.append((path, .object(methods)))
        }
        return JSON.encode(.object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("Keel")), ("version", .string("1")),
                              ("description", .string("""
                                  Strategies, backtests, paper and live runs, brokers, metrics, events and MCP. Errors are {code, message, details?}. \
                                  Requests are limited per token and route group (x-rate-limit-group: reads, writes, orders, close_all; per minute by \
                                  default 600, 120, 60 and 10): every limited answer carries X-RateLimit-Group, -Limit, -Remaining and -Reset \
                                  (seconds); past the limit, 429 with Retry-After. Halt and resume are never limited. Lists answer their \
                                  total in X-Total-Count and page by limit and offset, or page (from 1) and pageSize (1 to 100).
                                  """))])),
            ("paths", .object(paths)),
            ("components", .object([("schemas", .object(components)),
                                    ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))]))])),
        ]))
    }
}
