import Foundation
import Hummingbird
import Keel
import KeelData
import KeelHTTP
import KeelLanguage
import KeelStore

/// The service's runs as one trading desk (a control API's view): the kill switch and the risk
/// profile for every running run at once, the portfolio over them, and positions, trades and
/// signals across runs. Each act on a run is the run's own control, journaled in its store and
/// applied before its next event, exactly as `/v1/runs/{id}/halt` does it.
enum TradingRoutes {
    static func add(to router: Router<ServiceContext>, _ state: ServiceState) {
        for action in ["halt", "resume"] {
            router.post(RouterPath("v1/trading/\(action)")) { request, context in
                let body = try await RunRoutes.optionalBody(request, context)
                guard case .success(let control) = body else { return body.failureResponse }
                return try await everyRun(action, state) { run in
                    try RunRoutes.requestControl(run, action, reason: control.reason, argument: nil, state)
                }
            }
        }
        router.post("v1/profile") { request, context in
            let decoded = try await decode(RunRoutes.ControlBody.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            guard let profile = body.profile.flatMap(ProfileName.init(rawValue:)) else {
                return failure(.unprocessableContent, "invalid_profile", "profile is one of \(ProfileName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try await everyRun("risk_profile", state) { run in
                // A run whose strategy fails the linter under the new profile keeps its own (named in the answer).
                if case .failure(let refusal) = StrategyRoutes.validate(run.run.strategySource, profile: profile) { return refusal.response }
                return try RunRoutes.requestControl(run, "risk_profile", reason: body.reason, argument: profile.rawValue, state)
            }
        }
        router.get("v1/metrics/signals") { _, _ in
            json(try SignalMetrics(runs: try state.store.serviceRuns(limit: 100_000, offset: 0).map(\.run.id), store: state.store))
        }
        router.get("v1/portfolio") { _, _ in json(try DeskPortfolio(state)) }
        router.get("v1/positions") { request, _ in
            let symbol = request.uri.queryParameters["symbol"].map(String.init)
            let source = request.uri.queryParameters["source"].map(String.init) ?? "all"
            guard ["all", "runs", "brokers"].contains(source) else {
                return failure(.badRequest, "invalid_source", "source is all (the default), runs or brokers")
            }
            let positions = source == "brokers" ? [] : try activeRuns(state).flatMap { run in
                try state.store.positions(run: run.run.id).filter { symbol == nil || $0.symbol == symbol }.map { Held(position: $0, run: RunTag(run, state)) }
            }
            let held = source == "runs" ? [] : await BrokerAccounts.positions(state, symbol: symbol)
            return json(Positions(runs: positions, brokers: held))
        }
        router.get("v1/trades") { request, _ in
            let asked = rowFilter(request)
            guard case .success(let (filter, page)) = asked else { return asked.failureResponse }
            let trades = try state.store.trades(filter).map { Tagged(row: $0.trade, runId: $0.run) }
            return page.answer(trades, total: try state.store.tradeCount(filter))
        }
        router.get("v1/signals") { request, _ in
            let asked = rowFilter(request)
            guard case .success(let (filter, page)) = asked else { return asked.failureResponse }
            let decisions = try state.store.decisions(filter).map { Tagged(row: $0.decision, runId: $0.run) }
            return page.answer(decisions, total: try state.store.decisionCount(filter))
        }
    }

    /// A cross-run list's filter from the query: `symbol`, `since` and `until` (ms since the epoch
    /// or ISO-8601), `signal_type` (an action such as `entry` or `stop_loss`, or a rule such as
    /// `entry.long`), `run_id`, and the page.
    static func rowFilter(_ request: Request) -> Result<(RowFilter, Page), ResponseError> {
        guard let page = Page(request) else { return .failure(ResponseError(Page.invalid)) }
        let query = request.uri.queryParameters
        func time(_ name: Substring) -> Result<Int64?, ResponseError> {
            guard let text = query[name].map(String.init) else { return .success(nil) }
            guard let parsed = TimestampParser.parseMillisecondsOrISO(text) else {
                return .failure(ResponseError(.badRequest, "invalid_time", "\(name) is ms since the epoch or an ISO-8601 date or time (2024-03-01T00:00:00Z)"))
            }
            return .success(parsed)
        }
        let since: Int64?, until: Int64?
        switch (time("since"), time("until")) {
        case (.failure(let refusal), _), (_, .failure(let refusal)): return .failure(refusal)
        case (.success(let from), .success(let to)): (since, until) = (from, to)
        }
        let run = query["run_id"].map(String.init)
        if let run, !ServiceState.isId(run, prefix: "run") { return .failure(ResponseError(.badRequest, "invalid_run", "run_id is a run's id (run_...)")) }
        return .success((RowFilter(symbol: query["symbol"].map(String.init), since: since, until: until,
                                   kind: query["signal_type"].map(String.init), run: run, limit: page.limit, offset: page.offset), page))
    }

    /// Which run a row of a cross-run list belongs to, and where it trades.
    struct RunTag: Encodable {
        var source = "run"
        var runId: String
        var strategyId: String
        var mode: String
        /// `paper` (Keel's simulated exchange) or the live run's broker connection's name.
        var brokerName: String

        enum CodingKeys: String, CodingKey {
            case mode, source
            case runId = "run_id", strategyId = "strategy_id", brokerName = "broker_name"
        }
    }

    /// Runs' positions, then broker accounts', in one list.
    struct Positions: Encodable {
        var runs: [Held]
        var brokers: [BrokerAccounts.Held]

        func encode(to encoder: Encoder) throws {
            var list = encoder.unkeyedContainer()
            for row in runs { try list.encode(row) }
            for row in brokers { try list.encode(row) }
        }
    }

    /// A position with its run's tag, in one object.
    struct Held: Encodable {
        var position: BacktestResult.OpenPosition
        var run: RunTag
        func encode(to encoder: Encoder) throws {
            try position.encode(to: encoder)
            try run.encode(to: encoder)
        }
    }

    /// A row with its run's id, in one object.
    struct Tagged<Row: Encodable>: Encodable {
        var row: Row
        var runId: String
        enum CodingKeys: String, CodingKey { case runId = "run_id" }
        func encode(to encoder: Encoder) throws {
            try row.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(runId, forKey: .runId)
        }
    }

    /// The runs hosted and running now (a suspended live run included: it holds positions).
    static func activeRuns(_ state: ServiceState) throws -> [StoredServiceRun] {
        try state.store.serviceRuns(limit: 100_000, offset: 0).filter { state.runs.isActive($0.run.id) }
    }

    /// One run's answer to a control for every run: its status and its own JSON answer.
    struct Outcome: Encodable {
        var run_id: String
        var status: Int
        var answer: JSONValue
    }

    struct Answer: Encodable {
        var action: String
        var runs: [Outcome]
        var count: Int
    }

    /// One control for every running run: 202 with each run's own answer, 200 when none is running.
    static func everyRun(_ action: String, _ state: ServiceState, _ act: (StoredServiceRun) throws -> Response) async throws -> Response {
        var outcomes: [Outcome] = []
        for run in try activeRuns(state) {
            let response = try act(run)
            let text = try await response.bodyText()
            outcomes.append(Outcome(run_id: run.run.id, status: Int(response.status.code), answer: JSONValue((try? JSONReader.parse(text)) ?? .string(text))))
        }
        return json(Answer(action: action, runs: outcomes, count: outcomes.count), status: outcomes.isEmpty ? .ok : .accepted)
    }

    /// `JSON.Value` as an `Encodable`, for the service's encoder.
    struct JSONValue: Encodable {
        let value: JSON.Value
        init(_ value: JSON.Value) { self.value = value }

        func encode(to encoder: Encoder) throws {
            switch value {
            case .string(let text): var c = encoder.singleValueContainer(); try c.encode(text)
            case .int(let n): var c = encoder.singleValueContainer(); try c.encode(n)
            case .number(let x): var c = encoder.singleValueContainer(); try c.encode(x)
            case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
            case .null, .written: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .array(let items):
                var c = encoder.unkeyedContainer()
                for item in items { try c.encode(JSONValue(item)) }
            case .object(let fields):
                var c = encoder.container(keyedBy: JSONKey.self)
                for (key, item) in fields { try c.encode(JSONValue(item), forKey: JSONKey(key)) }
            }
        }
    }
}

extension TradingRoutes.RunTag {
    init(_ run: StoredServiceRun, _ state: ServiceState) {
        (runId, strategyId, mode) = (run.run.id, run.strategyId, run.run.mode)
        brokerName = run.brokerId.flatMap { try? state.store.broker($0)?.name } ?? "paper"
    }
}
