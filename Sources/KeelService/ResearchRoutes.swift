import Foundation
import Hummingbird
import Keel
import KeelData
import KeelHTTP
import KeelReport
import KeelResearch
import KeelStore

/// `/v1/optimizations` and `/v1/walkforwards`: research jobs, asynchronous like backtests (202 with
/// status `running`, then `done` with the result, or `failed` with the error), listed, read and
/// cancelled. The result is `keel optimize`'s JSON with every trial, or `keel walkforward`'s.
enum ResearchRoutes {
    enum Kind: String { case optimization, walkforward }

    struct Body: Codable {
        var strategyId: String
        var version: Int?
        /// Symbol to a CSV file inside the server's data folder.
        var data: [String: String]
        var capital: Double?
        var startDate: String?
        var endDate: String?
        var objective: String?
        var method: String?
        var trials: Int?
        var seed: UInt64?
        /// Params held at a value, as literals: {"stop": "5%"}.
        var set: [String: String]?
        /// Walk-forward windows (2y, 6m, 90d, ...).
        var train: String?
        var test: String?
        var step: String?
        var anchored: Bool?
        var purge: String?
        var carry: Bool?

        enum CodingKeys: String, CodingKey {
            case version, data, capital, objective, method, trials, seed, set, train, test, step, anchored, purge, carry
            case strategyId = "strategy_id", startDate = "start_date", endDate = "end_date"
        }
    }

    struct View: Encodable {
        var id: String
        var kind: String
        var strategyId: String
        var version: Int
        var status: String
        var error: String?
        var createdAt: Int64
        var finishedAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, kind, version, status, error
            case strategyId = "strategy_id", createdAt = "created_at", finishedAt = "finished_at"
        }
    }

    /// What a checked request runs.
    struct Job: Sendable {
        let loaded: LoadedStrategy
        let plan: SearchPlan
        let fixed: [String: ConstValue]
        let objective: Objective
        let files: [(symbol: String, path: String)]
        let capital: Double
        let range: DateRange
        let schedule: WalkForward.Schedule?
        let carry: Bool
    }

    static func add(to group: RouterGroup<ServiceContext>, kind: Kind, _ state: ServiceState) {
        let prefix = kind == .optimization ? "op" : "wf"
        group.post { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            switch try start(body, kind: kind, state) {
            case .failure(let refusal): return refusal.response
            case .success(let job):
                var response = full(job)
                response.status = .accepted
                response.headers[.location] = "/v1/\(kind.rawValue)s/\(job.id)"
                return response
            }
        }
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            return page.answer(try state.store.researchJobs(kind: kind.rawValue, limit: page.limit, offset: page.offset).map(View.init),
                               total: try state.store.researchJobCount(kind: kind.rawValue))
        }
        group.get(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: prefix), let job = try state.store.researchJob(id, kind: kind.rawValue) else {
                return notFound(kind.rawValue, id)
            }
            return full(job)
        }
        group.delete(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: prefix), try state.store.researchJob(id, kind: kind.rawValue) != nil else { return notFound(kind.rawValue, id) }
            guard try state.store.finishResearchJob(id, status: "cancelled", result: nil, error: nil, now: state.now()) else {
                return failure(.conflict, "not_running", "\(kind.rawValue) \(id) has finished already")
            }
            return full(try state.store.researchJob(id, kind: kind.rawValue)!)
        }
    }

    /// The view with the request and the result as they are stored: JSON already.
    static func full(_ j: StoredResearchJob) -> Response {
        raw(Data(BacktestRoutes.withStored(encode(View(j)), request: j.request, result: j.result).utf8))
    }

    /// Checks the request, stores the job as `running` and starts it off the server's threads.
    static func start(_ body: Body, kind: Kind, _ state: ServiceState) throws -> Result<StoredResearchJob, ResponseError> {
        let job: Job
        switch try check(body, kind: kind, state) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let checked): job = checked
        }
        let id = ServiceState.newId(kind == .optimization ? "op" : "wf")
        let strategy = try state.store.apiStrategy(body.strategyId, version: body.version)!.0
        try state.store.createResearchJob(id: id, kind: kind.rawValue, strategyId: strategy.id, version: body.version ?? strategy.version,
                                          request: encode(body), now: state.now())
        let request = "POST /v1/\(kind.rawValue)s " + encode(body)
        DispatchQueue.global(qos: .userInitiated).async {
            let finished: (status: String, result: String?, error: String?)
            do { finished = ("done", try run(job, request: request), nil) } catch { finished = ("failed", nil, state.shown("\(error)")) }
            logged("\(kind.rawValue) \(id) as \(finished.status)") {
                try state.store.finishResearchJob(id, status: finished.status, result: finished.result, error: finished.error, now: state.now())
            }
        }
        return .success(try state.store.researchJob(id, kind: kind.rawValue)!)
    }

    static func check(_ body: Body, kind: Kind, _ state: ServiceState) throws -> Result<Job, ResponseError> {
        func refuse(_ code: String, _ message: String) -> Result<Job, ResponseError> { .failure(ResponseError(.unprocessableContent, code, message)) }
        guard ServiceState.isId(body.strategyId, prefix: "st"), let (strategy, source) = try state.store.apiStrategy(body.strategyId, version: body.version)
        else { return .failure(notFoundError("strategy", body.strategyId)) }
        let capital = body.capital ?? 100_000
        guard capital > 0, capital.isFinite else { return refuse("invalid_capital", "capital must be above 0") }
        let range: DateRange
        do { range = try DateRange(from: body.startDate, to: body.endDate, names: ("start_date", "end_date")) } catch {
            return refuse("invalid_date", error.description)
        }
        guard !body.data.isEmpty else { return refuse("invalid_data", "name the bars: data: {SYMBOL: FILE.csv}") }
        var files: [(symbol: String, path: String)] = []
        for (symbol, name) in body.data.sorted(by: { $0.key < $1.key }) {
            guard let path = state.resolve(name) else {
                return refuse("invalid_data", "'\(name.prefix(200))' is not a readable file inside the server's data folder")
            }
            files.append((symbol, path))
        }
        let objectiveName = body.objective ?? "sharpe"
        guard let objective = Objective(objectiveName) else {
            return refuse("invalid_objective", "no objective '\(objectiveName.prefix(60))'\(Suggestions.didYouMean(objectiveName, in: Objective.names + ["return"]))")
        }
        guard let method = SearchPlan.Method(rawValue: body.method ?? "grid") else { return refuse("invalid_method", "method is 'grid' or 'random'") }
        if body.trials != nil, method == .grid { return refuse("invalid_trials", "trials goes with method 'random'; a grid runs every combination") }
        var fixed: [String: ConstValue] = [:]
        do {
            for axis in try ParameterSweep.parse((body.set ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }, list: false) {
                fixed[axis.name] = axis.values[0]
            }
        } catch { return refuse("invalid_param", error.description) }
        let loaded: LoadedStrategy
        let plan: SearchPlan
        do {
            loaded = try LoadedStrategy(path: "\(strategy.id).yaml", text: source)
            try ParameterSweep.requireParams(Array(fixed.keys).sorted(), in: loaded)
            plan = try SearchPlan(loaded, method: method, count: body.trials, seed: body.seed ?? 0, fixed: Set(fixed.keys))
        } catch { return refuse("invalid_search", "\(error)") }
        var schedule: WalkForward.Schedule?
        if kind == .walkforward {
            guard let train = body.train.flatMap(Span.init), let test = body.test.flatMap(Span.init) else {
                return refuse("invalid_window", "a walk-forward needs train and test spans such as '2y' and '6m' (months), '90d', '12w'")
            }
            for (name, text) in [("step", body.step), ("purge", body.purge)] where text != nil && Span(text!) == nil {
                return refuse("invalid_window", "\(name) is a span such as '6m', '90d' or '12w', not '\(text!.prefix(40))'")
            }
            schedule = WalkForward.Schedule(train: train, test: test, step: body.step.flatMap(Span.init), anchored: body.anchored ?? false,
                                            purge: body.purge.flatMap(Span.init))
        } else if body.train != nil || body.test != nil || body.step != nil || body.purge != nil || body.anchored != nil || body.carry != nil {
            return refuse("invalid_field", "train, test, step, purge, anchored and carry belong to POST /v1/walkforwards, not an optimization")
        }
        return .success(Job(loaded: loaded, plan: plan, fixed: fixed, objective: objective, files: files, capital: capital, range: range,
                            schedule: schedule, carry: body.carry ?? false))
    }

    /// The job itself, off the server's threads: its result as the CLI's JSON, with the manifest.
    static func run(_ job: Job, request: String) throws -> String {
        let feeds = try MarketData.load(try MarketData.open(job.files))
        let m = ReportManifest(command: [request], strategyPath: job.loaded.path, strategyText: job.loaded.text, data: ReportManifest.checksums(job.files))
        let manifest: [(String, String)] = [
            ("keel_version", m.keelVersion), ("request", request), ("strategy_sha256", m.strategySHA256 ?? ""),
            ("data", m.data.map { "\($0.symbol) \($0.sha256)" }.joined(separator: ", ")), ("method", job.plan.method.rawValue),
            ("seed", String(job.plan.seed)), ("trials", String(job.plan.trials.count)), ("objective", job.objective.metric),
        ]
        let jobs = ProcessInfo.processInfo.activeProcessorCount
        guard let schedule = job.schedule else {
            let (trials, evidence) = try Search.run(job.loaded, plan: job.plan, fixed: job.fixed, feeds: feeds, capital: job.capital, range: job.range,
                                                       objective: job.objective, jobs: jobs)
            let results = ResultsFile(manifest: manifest, trials: trials, statistics: evidence?.rows ?? [])
            return results.json(objective: job.objective, path: nil, everyTrial: true)
        }
        let walk = try WalkForward.run(job.loaded, plan: job.plan, fixed: job.fixed, feeds: feeds, capital: job.capital, objective: job.objective,
                                       schedule: schedule, carry: job.carry, bounds: job.range, jobs: jobs)
        return WalkForwardFormat.json(walk, manifest: manifest + [("schedule", schedule.description), ("carry", job.carry ? "true" : "false")])
    }
}

/// From the stored record (the memberwise initializer stays, for the OpenAPI document's sample).
extension ResearchRoutes.View {
    init(_ j: StoredResearchJob) {
        (id, kind, strategyId, version, status, error, createdAt, finishedAt) = (j.id, j.kind, j.strategyId, j.version, j.status, j.error, j.createdAt,
                                                                               j.finishedAt)
    }
}
