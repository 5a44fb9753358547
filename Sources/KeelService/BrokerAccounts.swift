import AsyncHTTPClient
import Foundation
import KeelBroker
import KeelBrokerClient
import KeelStore
import NIOCore

/// The positions held at each broker connection's account, read over the trading API
/// (`GET /positions`, docs/trading-api.md) with the connection's sealed token, all connections at
/// once, each within 2 s. A connection that cannot be read is a row that says why, not a gap.
enum BrokerAccounts {
    struct Held: Encodable {
        var source = "broker"
        var brokerId: String
        var brokerName: String
        var mode = "live"
        var positionId: String?
        var symbol: String?
        var side: String?
        /// The broker's decimal strings, read as the nearest doubles, as every figure of the service is.
        var quantity: Double?
        var entryPrice: Double?
        var markPrice: Double?
        var unrealizedPnl: Double?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case source, mode, symbol, side, quantity, error
            case brokerId = "broker_id", brokerName = "broker_name", positionId = "position_id", entryPrice = "entry_price", markPrice = "mark_price",
                 unrealizedPnl = "unrealized_pnl"
        }
    }

    private static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func positions(_ state: ServiceState, symbol: String?) async -> [Held] {
        let brokers = (try? state.store.brokers()) ?? []
        return await withTaskGroup(of: [Held].self) { group in
            for broker in brokers { group.addTask { await read(broker, state, symbol: symbol) } }
            var rows: [Held] = []
            for await found in group { rows += found }
            return rows.sorted { ($0.brokerName, $0.symbol ?? "") < ($1.brokerName, $1.symbol ?? "") }
        }
    }

    private static func read(_ broker: StoredBroker, _ state: ServiceState, symbol: String?) async -> [Held] {
        let failed = { (why: String) in [Held(brokerId: broker.id, brokerName: broker.name, error: why)] }
        guard let secrets = state.secrets, let token = try? secrets.open(broker.sealedCredentials, boundTo: broker.id) else {
            return failed("its credentials cannot be opened: start keel serve with the \(Secrets.variable) they were stored with")
        }
        let url = broker.url.hasSuffix("/") ? broker.url + "positions" : broker.url + "/positions"
        var request: HTTPClientRequest
        switch state.outbound.request(url, what: "the broker's url") {
        case .success(let pinned): request = pinned
        case .failure(let refusal): return failed(refusal.rule)
        }
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        do {
            let response = try await client.execute(request, deadline: .now() + .seconds(2))
            let body = try await response.body.collect(upTo: 4 << 20)
            guard response.status.code == 200 else { return failed("GET /positions answered HTTP \(response.status.code)") }
            let held = try JSONDecoder().decode([Position].self, from: Data(buffer: body))
            return held.filter { symbol == nil || $0.symbol == symbol }.map { p in
                Held(brokerId: broker.id, brokerName: broker.name, positionId: p.id, symbol: p.symbol, side: p.side == .long ? "long" : "short",
                     quantity: p.quantity.double, entryPrice: p.entryPrice.double, markPrice: p.currentPrice.double, unrealizedPnl: p.unrealizedPnl.double)
            }
        } catch {
            return failed("GET /positions: \(error)")
        }
    }
}
