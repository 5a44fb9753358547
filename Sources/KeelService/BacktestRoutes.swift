import Keel
import Foundation
import Hummingbird
import KeelData
import KeelEngine
import KeelHTTP
import KeelRunner
import KeelReport
import KeelStore

/// `/v1/backtests`: create (asynchronous: 202 with status `running`), list, get (status and the
/// backtest JSON contract with its equity curve), cancel. Results persist in the store.
enum BacktestRoutes {
    struct Body: Codable {
        var strategyId: String
        var version: Int?
        /// Symbol to a CSV file inside the server's data folder.
        var data: [String: String]
        var capital: Double?
        /// The platform API's name for `capital`; either may be given (both only when equal).
        var initialCapital: Double?
        /// The period traded, as `keel backtest --from` and `--to` take it (a date, or an ISO-8601 time).
        var startDate: String?
        var endDate: String?
        /// Where `backtest.completed` or `backtest.failed` is POSTed.
        var webhook: String?

        enum CodingKeys: String, CodingKey {
            case version, data, capital, webhook
            case strategyId = "strategy_id", initialCapital = "initial_capital", startDate = "start_date", endDate = "end_date"
        }
    }

    struct View: Encodable {
        var id: String
        var strategyId: String
        var version: Int
        var status: String
        var error: String?
        var createdAt: Int64
        var finishedAt: Int64?
        var finalValue: Double?
        var totalReturnPct: Double?

        enum CodingKeys: String, CodingKey {
            case id, version, status, error
            case strategyId = "strategy_id", createdAt = "created_at", finishedAt = "finished_at"
            case finalValue = "final_value", totalReturnPct = "total_return_pct"
        }
    }

    static func add(to group: RouterGroup<ServiceContext>, _ state: ServiceState) {
        group.post { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            return try create(body, state)
        }
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            return page.answer(try state.store.backtests(limit: page.limit, offset: page.offset).map(View.init), total: try state.store.backtestCount())
        }
        group.get(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "bt"), let backtest = try state.store.backtest(id) else { return notFound("backtest", id) }
            return full(backtest)
        }
        group.get(":id/report") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "bt"), let backtest = try state.store.backtest(id) else { return notFound("backtest", id) }
            return try await report(backtest, state)
        }
        group.delete(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "bt"), try state.store.backtest(id) != nil else { return notFound("backtest", id) }
            state.running.cancel(id)
            guard try state.store.finishBacktest(id, status: "cancelled", result: nil, error: nil, now: state.now()) else {
                return failure(.conflict, "not_running", "backtest \(id) has finished already")
            }
            notify(id, state)
            return full(try state.store.backtest(id)!)
        }
    }

    /// The view with the request and the result as they are stored: JSON already.
    static func full(_ b: StoredBacktest) -> Response { raw(Data(fullJSON(b).utf8)) }

    static func fullJSON(_ b: StoredBacktest) -> String { withStored(encode(View(b)), request: b.request, result: b.result) }

    /// A view's JSON object with the stored request and result (JSON already) added to it: a
    /// backtest's or a research job's full answer.
    static func withStored(_ view: String, request: String, result: String?) -> String {
        let result = result.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "null"
        return view.dropLast() + ",\"request\":" + request + ",\"result\":" + result + "}"
    }

    static func create(_ body: Body, _ state: ServiceState) throws -> Response {
        switch try start(body, state) {
        case .failure(let refusal): return refusal.response
        case .success(let backtest):
            var response = full(backtest)
            response.status = .accepted
            response.headers[.location] = "/v1/backtests/\(backtest.id)"
            return response
        }
    }

    /// Checks the request, stores the backtest as `running` and starts it off the server's threads.
    static func start(_ body: Body, _ state: ServiceState) throws -> Result<StoredBacktest, ResponseError> {
        guard ServiceState.isId(body.strategyId, prefix: "st"), let (strategy, source) = try state.store.apiStrategy(body.strategyId, version: body.version)
        else { return .failure(notFoundError("strategy", body.strategyId)) }
        if let capital = body.capital, let initial = body.initialCapital, capital != initial {
            return .failure(ResponseError(.unprocessableContent, "invalid_capital", "capital and initial_capital differ; give one"))
        }
        let capital = body.capital ?? body.initialCapital ?? 100_000
        guard capital > 0, capital.isFinite else { return .failure(ResponseError(.unprocessableContent, "invalid_capital", "capital must be above 0")) }
        let range: DateRange
        do { range = try DateRange(from: body.startDate, to: body.endDate, names: ("start_date", "end_date")) } catch {
            return .failure(ResponseError(.unprocessableContent, "invalid_date", error.description))
        }
        guard !body.data.isEmpty else {
            return .failure(ResponseError(.unprocessableContent, "invalid_data", "name the bars: data: {SYMBOL: FILE.csv}"))
        }
        if let webhook = body.webhook, !isHTTPURL(webhook) {
            return .failure(ResponseError(.unprocessableContent, "invalid_webhook", "webhook is an http:// or https:// URL"))
        }
        if let webhook = body.webhook, let refused = state.refusedOutbound(webhook, what: "webhook") { return .failure(refused) }
        var files: [(String, String)] = []
        for (symbol, name) in body.data.sorted(by: { $0.key < $1.key }) {
            guard let path = state.resolve(name) else {
                return .failure(ResponseError(.unprocessableContent, "invalid_data",
                                              "'\(name.prefix(200))' is not a readable file inside the server's data folder"))
            }
            files.append((symbol, path))
        }
        let loaded: LoadedStrategy
        do { loaded = try LoadedStrategy(path: "\(strategy.id).yaml", text: source) } catch {
            return .failure(ResponseError(.unprocessableContent, "invalid_strategy", "\(error)"))
        }
        let id = ServiceState.newId("bt")
        let version = body.version ?? strategy.version
        try state.store.createBacktest(id: id, strategyId: strategy.id, version: version, request: encode(body), webhook: body.webhook,
                                       now: state.now())
        let flag = state.running.start(id)
        let inputs = files
        DispatchQueue.global(qos: .userInitiated).async {
            run(id, loaded.program, files: inputs, capital: capital, range: range, flag: flag, state)
        }
        return .success(try state.store.backtest(id)!)
    }

    /// The backtest itself, off the server's threads; a cancel stops it at its next chunk of bars.
    static func run(_ id: String, _ program: CompiledStrategy, files: [(String, String)], capital: Double, range: DateRange,
                    flag: CancellationFlag, _ state: ServiceState) {
        defer { state.running.end(id) }
        let finished: (status: String, result: String?, error: String?, finalValue: Double?, returnPct: Double?)
        do {
            // The command line's policy: a valid cache entry is read, and built when missing.
            let sources: [BarSource] = try MarketData.open(files.map { (symbol: $0.0, path: $0.1) }).map { CancellableSource($0, flag: flag) }
            let result = try Backtest.run(program, sources: sources, capital: capital, keepEquityCurve: true, keepTrades: true, range: range,
                                          progress: { state.running.report(id, $0) })
            finished = ("done", ResultFormat.json(result, includeEquity: true), nil, result.finalEquity, result.metrics.totalReturn * 100)
        } catch is CancellationError {
            return
        } catch {
            finished = ("failed", nil, state.shown("\(error)"), nil, nil)
        }
        logged("backtest \(id) as \(finished.status)") {
            try state.store.finishBacktest(id, status: finished.status, result: finished.result, error: finished.error, now: state.now(),
                                           finalValue: finished.finalValue, totalReturnPct: finished.returnPct)
        }
        notify(id, state)
    }

    /// The backtest's HTML report (docs/report.md): run again from its stored request, off the
    /// server's threads, and checked to give the stored result's final equity.
    static func report(_ backtest: StoredBacktest, _ state: ServiceState) async throws -> Response {
        guard backtest.status == "done" else {
            return failure(.conflict, "not_finished", "backtest \(backtest.id) is \(backtest.status): a report needs a finished backtest")
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(backtest.request.utf8)),
              let (_, source) = try state.store.apiStrategy(backtest.strategyId, version: backtest.version) else {
            return failure(.conflict, "not_reproducible", "backtest \(backtest.id)'s request or strategy version is no longer stored")
        }
        var files: [(symbol: String, path: String)] = []
        for (symbol, name) in body.data.sorted(by: { $0.key < $1.key }) {
            guard let path = state.resolve(name) else {
                return failure(.conflict, "not_reproducible", "'\(name.prefix(200))' is no longer a readable file in the server's data folder")
            }
            files.append((symbol, path))
        }
        let range = (try? DateRange(from: body.startDate, to: body.endDate, names: ("start_date", "end_date"))) ?? DateRange()
        let capital = body.capital ?? body.initialCapital ?? 100_000
        let (stored, inputs) = (backtest.finalValue, files)
        let made: Result<[UInt8], ResponseError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                do {
                    let loaded = try LoadedStrategy(path: "\(backtest.strategyId).yaml", text: source)
                    let report = try BacktestReport.make(loaded, files: inputs, capital: capital, range: range,
                                                         command: ["POST /v1/backtests", backtest.request]).report
                    if let stored, report.result.finalEquity != stored {
                        continuation.resume(returning: .failure(ResponseError(.conflict, "not_reproducible",
                            "the data changed since backtest \(backtest.id): it ended at \(stored), the same request now ends at \(report.result.finalEquity)")))
                    } else {
                        continuation.resume(returning: .success(report.html()))
                    }
                } catch {
                    continuation.resume(returning: .failure(ResponseError(.conflict, "not_reproducible", state.shown("\(error)"))))
                }
            }
        }
        switch made {
        case .success(let html): return htmlResponse(html)
        case .failure(let refusal): return refusal.response
        }
    }

    /// Tells the backtest's webhook how it ended: `backtest.completed` (done or cancelled) or `backtest.failed`.
    static func notify(_ id: String, _ state: ServiceState) {
        guard let backtest = try? state.store.backtest(id), let webhook = backtest.webhook else { return }
        struct Ended: Encodable {
            var status: String
            var error: String?
            var final_equity: Double?
            var total_return: Double?
        }
        var ended = Ended(status: backtest.status, error: backtest.error)
        if let result = backtest.result, let figures = try? JSONReader.foundationObject(Array(result.utf8)) as? [String: Any] {
            ended.final_equity = figures["final_equity"] as? Double
            ended.total_return = (figures["metrics"] as? [String: Any])?["total_return"] as? Double
        }
        state.webhooks.send(to: webhook, event: backtest.status == "failed" ? "backtest.failed" : "backtest.completed", subject: id, data: ended)
    }
}

extension ServiceState {
    /// A file inside the data folder, or nil: absolute paths, `..` that climbs out and symbolic
    /// links that lead out are all refused.
    func resolve(_ name: String) -> String? {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\0") else { return nil }
        let url = dataDirectory.appendingPathComponent(name).standardizedFileURL.resolvingSymlinksInPath()
        let root = dataDirectory.resolvingSymlinksInPath().path
        guard url.path.hasPrefix(root + "/"), FileManager.default.isReadableFile(atPath: url.path) else { return nil }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &directory), !directory.boolValue else { return nil }
        return url.path
    }
}

/// A bar source that stops with `CancellationError` once its backtest is cancelled.
final class CancellableSource: BarSource {
    let source: BarSource
    let flag: CancellationFlag

    init(_ source: BarSource, flag: CancellationFlag) { (self.source, self.flag) = (source, flag) }

    var symbol: String { source.symbol }
    var signalNames: [String] { source.signalNames }
    var fractionRead: Double { source.fractionRead }
    var origin: DataOrigin? { source.origin }

    func next(into chunk: inout BarSeries) throws -> Bool {
        if flag.isCancelled { throw CancellationError() }
        return try source.next(into: &chunk)
    }
}

/// From the stored record (the memberwise initializer stays, for the OpenAPI document's sample).
extension BacktestRoutes.View {
    init(_ b: StoredBacktest) {
        (id, strategyId, version, status, error, createdAt, finishedAt) = (b.id, b.strategyId, b.version, b.status, b.error, b.createdAt, b.finishedAt)
        (finalValue, totalReturnPct) = (b.finalValue, b.totalReturnPct)
    }
}
