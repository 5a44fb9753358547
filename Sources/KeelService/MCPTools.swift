import Foundation
import Hummingbird
import Keel
import KeelData
import KeelEngine
import KeelHTTP
import KeelLanguage
import KeelStore
import NIOCore

/// MCP's tools: each answers a content item (JSON as text, or a report as an embedded HTML
/// resource) or what went wrong. They reuse the routes' own checks and views.
enum MCPTools {
    struct Problem: Error { let message: String }

    typealias Outcome = Result<[String: Any], Problem>

    static func text(_ text: String) -> Outcome { .success(["type": "text", "text": text]) }

    /// A tool's answer; nil for an unknown tool. `progress` is set when the call asked for progress.
    static func call(_ name: String, _ arguments: [String: Any], _ state: ServiceState, progress: MCP.Progress?) async throws -> Outcome? {
        switch name {
        case "list_strategies":
            return text(encode(try state.store.apiStrategies().map { StrategyRoutes.View($0) }))
        case "lint_strategy":
            guard let source = arguments["source"] as? String else { return .failure(Problem(message: "give the strategy's YAML as source")) }
            let profile = (arguments["profile"] as? String).flatMap(ProfileName.init(rawValue:))
            let (errors, diagnostics) = StrategyRoutes.lint(source, profile: profile)
            return text(encode(Lint(errors: errors, diagnostics: diagnostics)))
        case "run_backtest":
            var stripped = arguments
            stripped["wait_seconds"] = nil
            let body: BacktestRoutes.Body
            do {
                body = try JSONDecoder().decode(BacktestRoutes.Body.self, from: try JSONSerialization.data(withJSONObject: stripped))
            } catch {
                return .failure(Problem(message: "arguments: strategy_id, data {SYMBOL: FILE.csv}, capital?, start_date?, end_date?, version?, wait_seconds?: \(describe(error))"))
            }
            switch try BacktestRoutes.start(body, state) {
            case .success(let backtest): return try await awaitBacktest(backtest.id, wait: waitSeconds(arguments), state, progress: progress)
            case .failure(let refusal): return .failure(Problem(message: refusal.message))
            }
        case "get_backtest":
            guard let id = arguments["id"] as? String, ServiceState.isId(id, prefix: "bt") else { return .failure(Problem(message: "give the backtest's id")) }
            return try await awaitBacktest(id, wait: waitSeconds(arguments), state, progress: progress)
        case "backtest_source":
            return try await backtestSource(arguments, state, progress: progress)
        case "list_runs":
            let limit = min(100, max(1, (arguments["limit"] as? NSNumber)?.intValue ?? 50)), offset = max(0, (arguments["offset"] as? NSNumber)?.intValue ?? 0)
            return text(encode(try state.store.serviceRuns(limit: limit, offset: offset).map { RunRoutes.view($0, state) }))
        case "get_run":
            guard let run = try run(arguments, state) else { return .failure(Problem(message: "give a run's id (run_...) that exists")) }
            return text(encode(RunRoutes.view(run, state)))
        case "halt_run", "resume_run":
            guard let run = try run(arguments, state) else { return .failure(Problem(message: "give a run's id (run_...) that exists")) }
            let response = try RunRoutes.requestControl(run, name == "halt_run" ? "halt" : "resume", reason: arguments["reason"] as? String, argument: nil, state)
            return try await fromResponse(response)
        case "get_report":
            return try await report(arguments, state)
        default: return nil
        }
    }

    struct Lint: Encodable {
        var errors: Int
        var diagnostics: [StrategyRoutes.DiagnosticView]
    }

    static func waitSeconds(_ arguments: [String: Any]) -> Double { min(60, max(0, (arguments["wait_seconds"] as? NSNumber)?.doubleValue ?? 0)) }

    static func run(_ arguments: [String: Any], _ state: ServiceState) throws -> StoredServiceRun? {
        guard let id = arguments["id"] as? String, ServiceState.isId(id, prefix: "run") else { return nil }
        return try state.store.serviceRun(id)
    }

    /// A stored backtest, after waiting up to `wait` seconds for it to end; while it runs, the
    /// share of its bars read goes out as progress.
    static func awaitBacktest(_ id: String, wait: Double, _ state: ServiceState, progress: MCP.Progress?) async throws -> Outcome {
        let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1_000))
        var told = -1.0
        while true {
            guard let backtest = try state.store.backtest(id) else { return .failure(Problem(message: "no backtest '\(id)'")) }
            if backtest.status != "running" || ContinuousClock.now >= deadline {
                if backtest.status == "done", told < 1 { progress?(1, "done") }
                return text(view(backtest))
            }
            if let progress, let fraction = state.running.progress(id), fraction >= told + 0.01 {
                told = fraction
                progress(fraction, "reading the bars: \(Int(fraction * 100))%")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A strategy's text linted and, with no error, backtested on bars in the server's data folder,
    /// without being stored.
    static func backtestSource(_ arguments: [String: Any], _ state: ServiceState, progress: MCP.Progress?) async throws -> Outcome {
        guard let source = arguments["source"] as? String else { return .failure(Problem(message: "give the strategy's YAML as source")) }
        guard let data = arguments["data"] as? [String: String], !data.isEmpty else {
            return .failure(Problem(message: "name the bars: data: {SYMBOL: FILE.csv}, files inside the server's data folder"))
        }
        let (errors, diagnostics) = StrategyRoutes.lint(source)
        guard errors == 0 else { return .failure(Problem(message: encode(Lint(errors: errors, diagnostics: diagnostics)))) }
        var files: [(symbol: String, path: String)] = []
        for (symbol, name) in data.sorted(by: { $0.key < $1.key }) {
            guard let path = state.resolve(name) else { return .failure(Problem(message: "'\(name.prefix(200))' is not a readable file inside the server's data folder")) }
            files.append((symbol, path))
        }
        let capital = (arguments["capital"] as? NSNumber)?.doubleValue ?? 100_000
        guard capital > 0, capital.isFinite else { return .failure(Problem(message: "capital must be above 0")) }
        let range: DateRange
        do { range = try DateRange(from: arguments["start_date"] as? String, to: arguments["end_date"] as? String, names: ("start_date", "end_date")) } catch {
            return .failure(Problem(message: error.description))
        }
        let loaded: LoadedStrategy
        do { loaded = try LoadedStrategy(path: "strategy.yaml", text: source) } catch { return .failure(Problem(message: "\(error)")) }
        let job = BacktestJob()
        let (program, inputs) = (loaded.program, files)
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                let sources: [BarSource] = try MarketData.open(inputs).map { CancellableSource($0, flag: job.flag) }
                let result = try Backtest.run(program, sources: sources, capital: capital, keepEquityCurve: true, keepTrades: true, range: range,
                                              progress: { job.report($0) })
                job.finish(.success(summary(ResultFormat.json(result, includeEquity: true))))
            } catch {
                job.finish(.failure(error))
            }
        }
        var told = -1.0
        while true {
            if Task.isCancelled { job.flag.cancel() }
            if let ended = job.ended {
                switch ended {
                case .success(let json):
                    progress?(1, "done")
                    return text(json)
                case .failure(let error): return .failure(Problem(message: state.shown("\(error)")))
                }
            }
            if let progress, job.fraction >= told + 0.01 {
                told = job.fraction
                progress(told, "reading the bars: \(Int(told * 100))%")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A stored backtest as a tool answers it: its status and request, the result's figures in
    /// `summary`'s measure, and the links to the whole result and the HTML report (the same server,
    /// the same bearer token).
    static func view(_ backtest: StoredBacktest) -> String {
        let full = BacktestRoutes.fullJSON(backtest)
        guard case .object(var fields)? = try? JSONReader.parse(full) else { return full }
        for index in fields.indices where fields[index].0 == "result" { fields[index].1 = summarized(fields[index].1) }
        if backtest.status == "done" {
            fields += [("result_url", .string("/v1/backtests/\(backtest.id)")), ("report_url", .string("/v1/backtests/\(backtest.id)/report"))]
        }
        return JSON.encode(.object(fields), pretty: false)
    }

    static let tradesShown = 50, equityShown = 100

    /// A result's JSON for a model to read: every figure, its first 50 trades and its equity curve
    /// at 100 points (the first and last kept) however long the run. A whole year of minutes is
    /// megabytes, past what an MCP client takes in one message (the Python SDK: 1 MiB an event).
    /// Read and written by Keel's own JSON reader and writer: keys keep their order, figures their digits.
    static func summary(_ json: String) -> String {
        guard let result = try? JSONReader.parse(json) else { return json }
        return JSON.encode(summarized(result), pretty: false)
    }

    static func summarized(_ result: JSON.Value) -> JSON.Value {
        guard case .object(var fields) = result else { return result }
        var notes: [(String, JSON.Value)] = []
        for index in fields.indices {
            guard case .array(let items) = fields[index].1 else { continue }
            switch fields[index].0 {
            case "trades" where items.count > tradesShown:
                fields[index].1 = .array(Array(items.prefix(tradesShown)))
                notes.append(("trades_shown", .string("the first \(tradesShown) of \(items.count)")))
            case "equity" where items.count > equityShown:
                let step = Double(items.count - 1) / Double(equityShown - 1)
                fields[index].1 = .array((0..<equityShown).map { items[Int((Double($0) * step).rounded())] })
                notes.append(("equity_shown", .string("\(equityShown) of \(items.count) points, evenly spaced")))
            default: break
            }
        }
        return .object(fields + notes)
    }

    /// A backtest run for a tool, off the server's threads.
    final class BacktestJob: @unchecked Sendable {
        let flag = CancellationFlag()
        private let lock = NSLock()
        private var read = 0.0
        private var outcome: Result<String, Error>?

        func report(_ fraction: Double) { lock.withLock { read = fraction } }
        func finish(_ result: Result<String, Error>) { lock.withLock { outcome = result } }
        var fraction: Double { lock.withLock { read } }
        var ended: Result<String, Error>? { lock.withLock { outcome } }
    }

    /// A backtest's or a run's HTML report, as an embedded resource.
    static func report(_ arguments: [String: Any], _ state: ServiceState) async throws -> Outcome {
        if let id = arguments["backtest_id"] as? String {
            guard ServiceState.isId(id, prefix: "bt"), let backtest = try state.store.backtest(id) else { return .failure(Problem(message: "no backtest '\(id.prefix(64))'")) }
            return try await resource(BacktestRoutes.report(backtest, state), uri: "/v1/backtests/\(id)/report")
        }
        if let id = arguments["run_id"] as? String {
            guard ServiceState.isId(id, prefix: "run"), try state.store.serviceRun(id) != nil else { return .failure(Problem(message: "no run '\(id.prefix(64))'")) }
            return try await resource(RunRoutes.report(id, state), uri: "/v1/runs/\(id)/report")
        }
        return .failure(Problem(message: "give backtest_id or run_id"))
    }

    static func resource(_ response: Response, uri: String) async throws -> Outcome {
        let body = try await response.bodyText()
        guard response.status.code < 400 else { return .failure(Problem(message: body)) }
        return .success(["type": "resource", "resource": ["uri": uri, "mimeType": "text/html", "text": body]])
    }

    /// A route's answer as a tool's: its body as text, an error from 400 up.
    static func fromResponse(_ response: Response) async throws -> Outcome {
        let body = try await response.bodyText()
        return response.status.code < 400 ? text(body) : .failure(Problem(message: body))
    }


    static var list: [[String: Any]] {
        let data: [String: Any] = ["type": "object", "additionalProperties": ["type": "string"], "description": "symbol to CSV file in the server's data folder, e.g. {\"AAPL\": \"AAPL.csv\"}"]
        let wait: [String: Any] = ["type": "number", "description": "wait up to this long (at most 60 s) for it to finish; with a progressToken, progress notifications come meanwhile"]
        let dates: [String: Any] = ["start_date": ["type": "string", "description": "trade from this date (2021-01-01) or ISO-8601 time; indicators warm up on the bars before"],
                                    "end_date": ["type": "string", "description": "trade to this date, inclusive, or ISO-8601 time"]]
        let runId: [String: Any] = ["id": ["type": "string", "description": "the run's id (run_...)"]]
        return [
            tool("list_strategies", "List the strategies stored on the server (id, name, mode, version).", [:], required: []),
            tool("lint_strategy", "Check and lint a strategy's YAML text: the number of errors and every diagnostic with its line and column.",
                 ["source": ["type": "string", "description": "the strategy file's YAML"],
                  "profile": ["type": "string", "enum": ProfileName.allCases.map(\.rawValue), "description": "lint against this risk profile"]],
                 required: ["source"]),
            tool("run_backtest", "Start a backtest of a stored strategy on CSV bars inside the server's data folder; returns its id and status (and its result, when it ends within wait_seconds).",
                 ["strategy_id": ["type": "string"], "version": ["type": "integer"], "capital": ["type": "number"],
                  "initial_capital": ["type": "number", "description": "the same as capital"], "data": data, "wait_seconds": wait].merging(dates) { $1 },
                 required: ["strategy_id", "data"]),
            tool("get_backtest", "Read a backtest: status and, once done, its result (every metric, the first 50 trades, the equity curve at 100 points), result_url (the whole result on this server) and report_url (its HTML report).",
                 ["id": ["type": "string"], "wait_seconds": wait], required: ["id"]),
            tool("backtest_source", "Lint a strategy's YAML text and, when it has no error, backtest it on bars in the server's data folder without storing it; every figure, the first 50 trades and the equity curve at 100 points.",
                 ["source": ["type": "string", "description": "the strategy file's YAML"], "data": data, "capital": ["type": "number"]].merging(dates) { $1 },
                 required: ["source", "data"]),
            tool("list_runs", "List the paper and live runs the server hosts, newest first (id, strategy, mode, status, symbols, risk profile).",
                 ["limit": ["type": "integer", "description": "at most 100 (default 50)"], "offset": ["type": "integer"]], required: []),
            tool("get_run", "Read a run: its mode, status, stream, symbols, capital, risk profile and last event.", runId, required: ["id"]),
            tool("halt_run", "Halt a running run (the kill switch): no new entries; journaled, applied before its next event.",
                 runId.merging(["reason": ["type": "string"]]) { $1 }, required: ["id"]),
            tool("resume_run", "Resume a halted run.", runId.merging(["reason": ["type": "string"]]) { $1 }, required: ["id"]),
            tool("get_report", "A finished backtest's or a run's HTML report (equity, drawdowns, trades on the candles), as an embedded text/html resource.",
                 ["backtest_id": ["type": "string"], "run_id": ["type": "string"]], required: []),
        ]
    }

    static func tool(_ name: String, _ description: String, _ properties: [String: Any], required: [String]) -> [String: Any] {
        ["name": name, "description": description, "inputSchema": ["type": "object", "properties": properties, "required": required]]
    }
}
