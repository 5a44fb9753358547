import Foundation
import Hummingbird
import KeelHTTP
import KeelStore

/// `/v1/brokers`: connect a broker (its trading API's URL and the token it takes), list, remove.
/// The token is sealed before it is stored and never returned, not even by the call that stored it.
enum BrokerRoutes {
    struct Body: Decodable {
        var name: String
        var url: String
        var credentials: Credentials

        struct Credentials: Decodable {
            var token: String
        }
    }

    struct View: Encodable {
        var id: String
        var name: String
        var url: String
        var createdAt: Int64
        /// Always true: the credentials are stored, sealed; they are not shown.
        var hasCredentials = true

        enum CodingKeys: String, CodingKey {
            case id, name, url
            case createdAt = "created_at", hasCredentials = "has_credentials"
        }
    }

    static func add(to group: RouterGroup<ServiceContext>, _ state: ServiceState) {
        group.post { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            guard let secrets = state.secrets else {
                return failure(.serviceUnavailable, "no_secret_key", """
                    credentials are stored sealed with a key from the environment: start keel serve with \(Secrets.variable) \
                    (make one with: openssl rand -base64 32)
                    """)
            }
            guard (1...100).contains(body.name.count) else { return failure(.unprocessableContent, "invalid_name", "name is 1 to 100 characters") }
            guard isHTTPURL(body.url) else {
                return failure(.unprocessableContent, "invalid_url", "url is the broker's trading API, http:// or https://")
            }
            if let refused = state.refusedOutbound(body.url, what: "the broker's url") { return refused.response }
            guard !body.credentials.token.isEmpty, body.credentials.token.count <= 4_096 else {
                return failure(.unprocessableContent, "invalid_credentials", "credentials.token is the broker's API token")
            }
            let id = ServiceState.newId("br")
            let sealed = try secrets.seal(body.credentials.token, boundTo: id)
            try state.store.createBroker(id: id, name: body.name, url: body.url, sealedCredentials: sealed, now: state.now())
            var response = json(View(try state.store.broker(id)!), status: .created)
            response.headers[.location] = "/v1/brokers/\(id)"
            return response
        }
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            let brokers = try state.store.brokers()
            return page.answer(brokers.dropFirst(page.offset).prefix(page.limit).map(View.init), total: brokers.count)
        }
        group.get(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "br"), let broker = try state.store.broker(id) else { return notFound("broker", id) }
            return json(View(broker))
        }
        group.delete(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "br"), try state.store.deleteBroker(id, now: state.now()) else { return notFound("broker", id) }
            return Response(status: .noContent)
        }
    }
}

/// `/v1/leaderboard`: finished backtests and paper runs ranked by return, P&L, win rate or
/// drawdown (smallest first), created within `from` and `to` (ms since the epoch), paginated.
enum LeaderboardRoutes {
    struct Entry: Encodable {
        var rank: Int
        var kind: String
        var id: String
        var strategyId: String?
        var strategyName: String
        var createdAt: Int64
        var totalReturn: Double?
        var pnl: Double?
        var winRate: Double?
        var maxDrawdown: Double?

        enum CodingKeys: String, CodingKey {
            case rank, kind, id, pnl
            case strategyId = "strategy_id", strategyName = "strategy_name", createdAt = "created_at", totalReturn = "total_return",
                 winRate = "win_rate", maxDrawdown = "max_drawdown"
        }
    }

    struct Board: Encodable {
        var by: String
        var from: Int64
        var to: Int64
        var limit: Int
        var offset: Int
        var total: Int
        var entries: [Entry]
    }

    static func add(to group: RouterGroup<ServiceContext>, _ state: ServiceState) {
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            let query = request.uri.queryParameters
            let name = query["by"].map(String.init) ?? "return"
            guard let metric = KeelStore.LeaderboardMetric(rawValue: name) else {
                let names = KeelStore.LeaderboardMetric.allCases.map(\.rawValue).joined(separator: ", ")
                return failure(.badRequest, "invalid_metric", "by is one of \(names)")
            }
            let from = query["from"].flatMap { Int64(String($0)) } ?? 0
            let to = query["to"].flatMap { Int64(String($0)) } ?? Int64.max
            guard from <= to else { return failure(.badRequest, "invalid_period", "from is before to (ms since the epoch)") }
            let (entries, total) = try state.store.leaderboard(by: metric, from: from, to: to, limit: page.limit, offset: page.offset)
            let ranked = entries.enumerated().map { index, e in
                Entry(rank: page.offset + index + 1, kind: e.kind, id: e.id, strategyId: e.strategyId, strategyName: e.strategyName,
                      createdAt: e.createdAt, totalReturn: e.totalReturn, pnl: e.pnl, winRate: e.winRate, maxDrawdown: e.maxDrawdown)
            }
            return json(Board(by: metric.rawValue, from: from, to: to, limit: page.limit, offset: page.offset, total: total, entries: ranked))
        }
    }
}

/// From the stored record (the memberwise initializer stays, for the OpenAPI document's sample).
extension BrokerRoutes.View {
    init(_ b: StoredBroker) { (id, name, url, createdAt) = (b.id, b.name, b.url, b.createdAt) }
}
