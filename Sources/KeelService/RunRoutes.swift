import Keel
import Foundation
import HTTPTypes
import Hummingbird
import KeelHTTP
import KeelLanguage
import KeelReport
import KeelRunner
import KeelStore

/// `/v1/runs`: start a paper (or live) run of a strategy on a stream, stop it; its portfolio,
/// positions, orders, trades and signals; close one position or all; halt and resume; switch the
/// risk profile. Requests to a running run are journaled like `keel runs halt` and applied before
/// its next event.
enum RunRoutes {
    struct Body: Codable {
        var strategyId: String
        var version: Int?
        /// A JSON-lines file inside the data folder, tcp://HOST:PORT or ws://HOST:PORT/PATH.
        var stream: String
        var symbols: [String]?
        var capital: Double?
        var barSeconds: Int?
        var webhook: String?
        /// The second opt-in of a live run (the strategy's mode `live` is the first), with its broker connection.
        var live: Bool?
        var brokerId: String?

        enum CodingKeys: String, CodingKey {
            case version, stream, symbols, capital, webhook, live
            case strategyId = "strategy_id", barSeconds = "bar_seconds", brokerId = "broker_id"
        }
    }

    struct View: Encodable {
        var id: String
        var strategyId: String
        var version: Int
        var mode: String
        var status: String
        var active: Bool
        var stream: String
        var symbols: [String]
        var capital: Double
        var riskProfile: String
        var brokerId: String?
        var createdAt: Int64
        var updatedAt: Int64
        var lastSeq: Int64

        enum CodingKeys: String, CodingKey {
            case id, version, mode, status, active, stream, symbols, capital
            case strategyId = "strategy_id", riskProfile = "risk_profile", brokerId = "broker_id", createdAt = "created_at",
                 updatedAt = "updated_at", lastSeq = "last_seq"
        }
    }

    /// A control's answer: queued (with its request's id), or why it was not needed.
    struct Queued: Encodable {
        var request_id: Int64?
        var run_id: String
        var action: String
        var argument: String?
        var status = "queued"
    }

    struct ControlBody: Decodable {
        var reason: String?
        var profile: String?
    }

    static func add(to group: RouterGroup<ServiceContext>, _ state: ServiceState) {
        group.post { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            return try start(body, state)
        }
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            return page.answer(try state.store.serviceRuns(limit: page.limit, offset: page.offset).map { view($0, state) },
                               total: try state.store.serviceRunCount())
        }
        group.get(":id") { _, context in
            try withRun(context, state) { json(view($0, state)) }
        }
        group.post(":id/stop") { _, context in
            try withRun(context, state) { run in
                guard state.runs.stop(run.run.id) else { return failure(.conflict, "not_running", "run \(run.run.id) is not running") }
                return json(view(run, state), status: .accepted)
            }
        }
        group.get(":id/report") { _, context in try withRun(context, state) { try report($0.run.id, state) } }
        group.get(":id/portfolio") { _, context in
            try withRun(context, state) { run in
                json(Portfolio(summary: run.run.summary ?? "{}", positions: try state.store.positions(run: run.run.id), status: run.run.status))
            }
        }
        group.get(":id/positions") { _, context in try withRun(context, state) { json(try state.store.positions(run: $0.run.id)) } }
        group.get(":id/orders") { request, context in
            try withRun(context, state) { run in
                try paged(request, run.run.id, .orders, state) { try state.store.orders(run: run.run.id, limit: $0.limit, offset: $0.offset) }
            }
        }
        group.get(":id/trades") { request, context in
            try withRun(context, state) { run in
                try paged(request, run.run.id, .trades, state) { try state.store.trades(run: run.run.id, limit: $0.limit, offset: $0.offset) }
            }
        }
        group.get(":id/signals") { request, context in
            try withRun(context, state) { run in
                try paged(request, run.run.id, .decisions, state) { try state.store.decisions(run: run.run.id, limit: $0.limit, offset: $0.offset) }
            }
        }
        group.get(":id/decisions") { request, context in try withRun(context, state) { try DecisionLog.answer($0, request, state) } }
        group.get(":id/metrics") { _, context in try withRun(context, state) { json(try Metrics.run($0.run, state.store)) } }
        group.get(":id/metrics/signals") { _, context in try withRun(context, state) { json(try SignalMetrics(runs: [$0.run.id], store: state.store)) } }
        for action in ["halt", "resume", "close_all"] {
            group.post(RouterPath(":id/\(action)")) { request, context in
                let body = try await optionalBody(request, context)
                guard case .success(let control) = body else { return body.failureResponse }
                return try withRun(context, state) { run in
                    try requestControl(run, action == "close_all" ? "flatten" : action, reason: control.reason, argument: nil, state)
                }
            }
        }
        group.post(":id/positions/:symbol/close") { request, context in
            let body = try await optionalBody(request, context)
            guard case .success(let control) = body else { return body.failureResponse }
            return try withRun(context, state) { run in
                let symbol = context.parameters.get("symbol") ?? ""
                guard run.run.symbols.contains(symbol) else { return notFound("symbol in run \(run.run.id)", symbol) }
                return try requestControl(run, "close", reason: control.reason, argument: symbol, state)
            }
        }
        group.put(":id/risk_profile") { request, context in
            let decoded = try await decode(ControlBody.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            return try withRun(context, state) { run in
                guard let profile = body.profile.flatMap(ProfileName.init(rawValue:)) else {
                    let names = ProfileName.allCases.map(\.rawValue).joined(separator: ", ")
                    return failure(.unprocessableContent, "invalid_profile", "profile is one of \(names)")
                }
                // The strategy must pass the linter under the new profile (conservative requires a stop-loss, say).
                if case .failure(let refusal) = StrategyRoutes.validate(run.run.strategySource, profile: profile) { return refusal.response }
                return try requestControl(run, "risk_profile", reason: body.reason, argument: profile.rawValue, state)
            }
        }
    }

    /// A run's HTML report: its store holds its result, the bars it accepted and its strategy; the
    /// report is made from them (409 `no_result` before its first commit).
    static func report(_ id: String, _ state: ServiceState) throws -> Response {
        do { return htmlResponse(try RunComparison.report(store: state.store, run: id, command: ["GET /v1/runs/\(id)"]).html()) }
        catch let failure as RunReport.Failure {
            return KeelHTTP.failure(.conflict, "no_result", "\(failure)")
        }
    }

    /// A control body is optional: no body at all is `{}`.
    static func optionalBody(_ request: Request, _ context: ServiceContext) async throws -> Result<ControlBody, ResponseError> {
        if request.headers[.contentLength] == "0" || (request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil) {
            return .success(ControlBody())
        }
        return try await decode(ControlBody.self, request, context)
    }

    static func withRun(_ context: ServiceContext, _ state: ServiceState, _ body: (StoredServiceRun) throws -> Response) throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard ServiceState.isId(id, prefix: "run"), let run = try state.store.serviceRun(id) else { return notFound("run", id) }
        return try body(run)
    }

    static func view(_ r: StoredServiceRun, _ state: ServiceState) -> View {
        let profile = (try? state.store.switchedProfile(run: r.run.id)) ?? nil
        // The file's own profile: reading the YAML is enough, no need to check and compile it again.
        let original = StrategyReader.read(SourceFile(path: "strategy.yaml", text: r.run.strategySource)).0?.profileName.rawValue ?? "balanced"
        return View(id: r.run.id, strategyId: r.strategyId, version: r.version, mode: r.run.mode, status: r.run.status,
                    active: state.runs.isActive(r.run.id), stream: state.shown(r.run.stream), symbols: r.run.symbols, capital: r.run.capital,
                    riskProfile: profile ?? original, brokerId: r.brokerId, createdAt: r.run.createdAt, updatedAt: r.run.updatedAt,
                    lastSeq: r.run.lastSeq)
    }

    /// Journals the request, then wakes the runner: it is applied before the next event.
    static func requestControl(_ run: StoredServiceRun, _ action: String, reason: String?, argument: String?, _ state: ServiceState) throws -> Response {
        guard state.runs.isActive(run.run.id) else {
            return failure(.conflict, "not_running", "run \(run.run.id) is \(run.run.status), not running; start a new run")
        }
        // Halt and resume are never rate limited, so a repeated one must cost nothing: a halt of a
        // halted run, or a resume of a running one, with nothing waiting that would change it, is
        // answered and not journaled (the same request still waiting is collapsed by the store).
        if action == "halt" || action == "resume" {
            let waiting = try state.store.pendingControls(run: run.run.id).contains { $0.action == "halt" || $0.action == "resume" }
            if !waiting, try state.store.isHalted(run: run.run.id) == (action == "halt") {
                return json(Queued(request_id: nil, run_id: run.run.id, action: action, argument: nil,
                                   status: action == "halt" ? "already_halted" : "not_halted"))
            }
        }
        let id = try state.store.requestControl(run: run.run.id, action: action, reason: reason.map { String($0.prefix(500)) }, argument: argument,
                                                now: state.now())
        state.runs.controlsRequested(run.run.id)
        return json(Queued(request_id: id, run_id: run.run.id, action: action, argument: argument), status: .accepted)
    }

    /// One page of a run's rows, read as a page from the store (a long run's signals are never all
    /// loaded), with the table's total for the run.
    static func paged<T: Encodable>(_ request: Request, _ run: String, _ table: KeelStore.RunTable, _ state: ServiceState,
                                    _ rows: (Page) throws -> [T]) throws -> Response {
        guard let page = Page(request) else { return Page.invalid }
        return page.answer(try rows(page), total: try state.store.count(table, run: run))
    }

    static func start(_ body: Body, _ state: ServiceState) throws -> Response {
        guard ServiceState.isId(body.strategyId, prefix: "st"), let (strategy, source) = try state.store.apiStrategy(body.strategyId, version: body.version)
        else { return notFound("strategy", body.strategyId) }
        let loaded: LoadedStrategy
        do { loaded = try LoadedStrategy(path: "\(strategy.id).yaml", text: source) } catch {
            return failure(.unprocessableContent, "invalid_strategy", "\(error)")
        }
        let capital = body.capital ?? 100_000
        guard capital > 0, capital.isFinite else { return failure(.unprocessableContent, "invalid_capital", "capital must be above 0") }
        let stream: String
        if ["tcp://", "ws://", "wss://"].contains(where: body.stream.hasPrefix) {
            if let refused = state.refusedOutbound(body.stream, what: "stream") { return refused.response }
            stream = body.stream
        } else if let path = state.resolve(body.stream) {
            stream = path
        } else {
            return failure(.unprocessableContent, "invalid_stream", """
                '\(body.stream.prefix(200))' is neither tcp://HOST:PORT, ws://HOST:PORT/PATH nor a readable file inside the server's data folder
                """)
        }
        let symbols = body.symbols ?? loaded.program.settings.symbols
        guard !symbols.isEmpty, symbols.allSatisfy(isSymbol) else {
            return failure(.unprocessableContent, "invalid_symbols", "name the symbols (letters, digits, '.', '-', '_', '/'): symbols: [\"AAPL\"]")
        }
        guard let barSeconds = loaded.barSeconds(given: body.barSeconds), barSeconds > 0 else {
            return failure(.unprocessableContent, "invalid_timeframe", "name the bar length: the strategy's timeframe, or bar_seconds")
        }
        if let webhook = body.webhook, !isHTTPURL(webhook) {
            return failure(.unprocessableContent, "invalid_webhook", "webhook is an http:// or https:// URL")
        }
        if let webhook = body.webhook, let refused = state.refusedOutbound(webhook, what: "webhook") { return refused.response }
        var live: Runner.Live?
        if body.live == true {
            switch liveBroker(strategy, body, state) {
            case .success(let broker): live = broker
            case .failure(let refusal): return refusal.response
            }
        }
        let id = ServiceState.newId("run")
        let now = state.now()
        try state.store.createRun(RunPlan(id: id, strategyName: loaded.program.name, strategyHash: loaded.hash, strategySource: source,
                                          strategyPath: loaded.path, mode: live == nil ? "paper" : "live", capital: capital, symbols: symbols,
                                          barSeconds: barSeconds, stream: stream), now: now)
        try state.store.createServiceRun(runId: id, strategyId: strategy.id, version: body.version ?? strategy.version,
                                         brokerId: live == nil ? nil : body.brokerId, webhook: body.webhook, request: encode(body), now: now)
        state.runs.start(loaded, runId: id, stream: stream, capital: capital, symbols: symbols, barSeconds: barSeconds, live: live,
                         webhook: body.webhook)
        var response = json(view(try state.store.serviceRun(id)!, state), status: .created)
        response.headers[.location] = "/v1/runs/\(id)"
        return response
    }

    static func isSymbol(_ text: String) -> Bool {
        (1...32).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }
    }

    /// A live run needs both opt-ins (the strategy switched to live, the request's `live: true`)
    /// and a broker connection whose credentials open; refused before anything is sent otherwise.
    static func liveBroker(_ strategy: StoredStrategy, _ body: Body, _ state: ServiceState) -> Result<Runner.Live, ResponseError> {
        guard strategy.mode == "live" else {
            return .failure(ResponseError(failure(.forbidden, "live_not_enabled", """
                refusing to trade live: strategy \(strategy.id) is in paper mode. Live trading needs two acts: PUT /v1/strategies/\(strategy.id)/mode \
                {"mode":"live"}, and "live": true in the run's request. Nothing was sent to a broker
                """)))
        }
        // The version may have changed since the switch: its evidence is judged again.
        if let refusal = (try? StrategyRoutes.evidenceRefusal(strategy.id, state)) ?? nil { return .failure(refusal) }
        return openBroker(body.brokerId, state)
    }

    /// The broker of a live run, its credentials opened: at the run's start and again at each resume.
    static func openBroker(_ id: String?, _ state: ServiceState) -> Result<Runner.Live, ResponseError> {
        guard let id, ServiceState.isId(id, prefix: "br"), let broker = try? state.store.broker(id) else {
            return .failure(ResponseError(.unprocessableContent, "invalid_broker", "a live run names its broker connection: broker_id"))
        }
        guard let secrets = state.secrets, let token = try? secrets.open(broker.sealedCredentials, boundTo: broker.id) else {
            return .failure(ResponseError(.serviceUnavailable, "credentials_unavailable", """
                the credentials of \(broker.id) cannot be opened: start keel serve with the \(Secrets.variable) they were stored with
                """))
        }
        return .success(Runner.Live(brokerURL: broker.url, token: token, adoptBrokerState: false, outbound: state.outbound))
    }

    /// At the server's start: the runs it was running when it stopped go on from their journals.
    static func resume(_ state: ServiceState) throws {
        for run in try state.store.serviceRuns(limit: 10_000, offset: 0) where ["running", "suspended"].contains(run.run.status) {
            let r = run.run
            do {
                let loaded = try LoadedStrategy(path: r.strategyPath ?? "\(run.strategyId).yaml", text: r.strategySource)
                var live: Runner.Live?
                if r.mode == "live" { live = try openBroker(run.brokerId, state).mapError { RunnerError.refused($0.message) }.get() }
                try state.store.setStatus(run: r.id, "running", now: state.now())
                state.runs.start(loaded, runId: r.id, stream: r.stream, capital: r.capital, symbols: r.symbols, barSeconds: r.barSeconds, live: live,
                                 webhook: run.webhook)
            } catch {
                try state.store.setStatus(run: r.id, "failed", now: state.now())
                say("run \(r.id) cannot resume: \(error)")
            }
        }
    }
}

/// A list's page, in either spelling: `limit` (1 to 500, default 50) and `offset`, or M's `page`
/// (from 1) and `pageSize` (1 to 100, default 20). Every list answers its total in `X-Total-Count`
/// (and, paged by `page`, `X-Page` and `X-Page-Size`); the body stays the array.
struct Page {
    var limit: Int
    var offset: Int
    /// Set when the request paged by `page` and `pageSize`.
    var number: Int?

    init?(_ request: Request) {
        let query = request.uri.queryParameters
        func integer(_ name: Substring) -> Int?? { query[name].map { Int(String($0)) } }
        if query["page"] != nil || query["pageSize"] != nil {
            guard query["limit"] == nil, query["offset"] == nil, let number = integer("page") ?? 1, let size = integer("pageSize") ?? 20,
                  number >= 1, (1...100).contains(size), number <= Int.max / size else { return nil }
            (limit, offset, self.number) = (size, (number - 1) * size, number)
        } else {
            guard let limit = integer("limit") ?? 50, let offset = integer("offset") ?? 0, (1...500).contains(limit), offset >= 0 else { return nil }
            (self.limit, self.offset, number) = (limit, offset, nil)
        }
    }

    static var invalid: Response {
        failure(.badRequest, "invalid_page", "limit is 1 to 500 and offset at least 0; or page from 1 and pageSize 1 to 100 (not both spellings)")
    }

    /// The page's rows with the list's total in the headers.
    func answer<T: Encodable>(_ rows: [T], total: Int) -> Response {
        var response = json(rows)
        response.headers[Self.totalHeader] = String(total)
        if let number {
            response.headers[HTTPField.Name("X-Page")!] = String(number)
            response.headers[HTTPField.Name("X-Page-Size")!] = String(limit)
        }
        return response
    }

    static let totalHeader = HTTPField.Name("X-Total-Count")!
}
