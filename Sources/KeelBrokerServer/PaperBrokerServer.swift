import Foundation
import Hummingbird
import HummingbirdCore
import KeelBroker
import KeelData
import KeelHTTP
import NIOCore

/// `keel broker serve`: the trading API over the simulated exchange, so a live-mode runner can be
/// pointed at it as at a real broker (rehearsals, and the broker-fault tests on loopback). Market
/// data reaches it as bars on `POST /v2/sim/bars`, in the stream's own line format; faults are
/// injected with `POST /v2/sim/faults`. The account lives in memory.
package enum PaperBrokerServer {
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port; `onRunning` is told which.
        package var port: Int
        /// Every route but `/health` needs `Authorization: Bearer TOKEN`.
        package var token: String
        package var cash: Double
        package var leverage: Double
        /// Commission per fill, a fraction of its notional.
        package var commissionRate: Double = 0
        /// How long a `timeout` fault holds its answer (longer than the client waits).
        package var faultDelay: Duration
        package var idleTimeout: Duration
        package var bodyLimit: Int
        /// Time to a complete request head and connections per address (see `ConnectionPolicy`).
        package var connections: ConnectionPolicy
        /// The symbols it lists; nil: those it has had a bar of.
        package var symbols: Set<String>?
        /// Requests with a wrong token one address may send per minute; nil is unlimited.
        package var authFailureLimit: Int? = 30

        package init(host: String = "127.0.0.1", port: Int, token: String, cash: Double = 100_000, leverage: Double = 2,
                    faultDelay: Duration = .seconds(3), idleTimeout: Duration = .seconds(60), bodyLimit: Int = 1 << 20,
                    connections: ConnectionPolicy = .init()) {
            (self.host, self.port, self.token, self.cash, self.leverage) = (host, port, token, cash, leverage)
            (self.faultDelay, self.idleTimeout, self.bodyLimit) = (faultDelay, idleTimeout, bodyLimit)
            self.connections = connections
            self.connections.idleTimeout = idleTimeout
        }
    }

    /// Serves until SIGINT or SIGTERM.
    package static func run(_ configuration: Configuration, onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let state = BrokerState(exchange: PaperExchange(cash: Amount(configuration.cash), leverage: Amount(configuration.leverage),
                                                        commissionRate: Amount(configuration.commissionRate), symbols: configuration.symbols))
        let router = Router(context: BrokerContext.self)
        router.add(middleware: BearerAuth<BrokerContext>(token: configuration.token, failures: configuration.authFailureLimit.map { AuthFailures(limit: $0) }))
        router.add(middleware: ReadFaults(state: state))
        routes(router, state, configuration)
        var server = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "keel-paper-broker")
        server.reuseAddress = true
        let app = Application(
            router: router,
            server: HTTPServerBuilder { [connections = configuration.connections, idle = configuration.idleTimeout] responder in
                GuardedChildChannel(HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .nanoseconds(idle.nanoseconds))),
                                    policy: connections)
            },
            configuration: server,
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) }
        )
        try await app.runService()
    }

    /// The routes served, `METHOD /path/{param}`, for the test that holds the OpenAPI document to them.
    package static func routeList() -> [String] {
        let router = Router(context: BrokerContext.self)
        let exchange = PaperExchange(cash: .zero)
        routes(router, BrokerState(exchange: exchange), Configuration(port: 0, token: "t"))
        return router.routes.map { route in
            "\(route.method) " + "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                .reduce("") { $0 + "/" + $1 }
        }.sorted()
    }

    /// The OpenAPI document's operations, `METHOD /path/{param}`.
    package static func documentedRoutes() -> [String] { BrokerOpenAPI.operations.map { "\($0.method) \($0.path)" }.sorted() }

    static func routes(_ router: Router<BrokerContext>, _ state: BrokerState, _ c: Configuration) {
        router.get("health") { _, _ in json(["status": "ok"]) }
        router.get("openapi.json") { _, _ in raw(BrokerOpenAPI.served) }
        OrderRoutes.add(to: router, state, c)
        MarketDataRoutes.add(to: router, state, c)
        router.post("sim/bars") { request, context in try await feed(request, context, state) }
        router.post("sim/faults") { request, context in
            switch try await decode([String: Int].self, request, context) {
            case .success(let counts): return state.inject(counts)
            case .failure(let error): return error.response
            }
        }
    }

    /// `POST /sim/bars`: bar and quote events in the stream's line format, one per line, in order:
    /// bars are matched against the book, quotes set the symbol's quote and mark.
    static func feed(_ request: Request, _ context: BrokerContext, _ state: BrokerState) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
            return errorResponse(.init(code: "PAYLOAD_TOO_LARGE", message: "the body is over \(context.maxUploadSize) bytes"), status: 413)
        }
        let text = String(buffer: body)
        var events: [MarketEvent] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                let event = try EventLine.parse(String(line))
                if case .bar = event { events.append(event) } else if case .quote = event { events.append(event) }
            } catch {
                return errorResponse(.init(code: "INVALID_BAR", message: "line \(number + 1): \(error)", details: ["line": String(number + 1)]), status: 400)
            }
        }
        return state.change { exchange, _ in
            var (fills, bars, quotes) = (0, 0, 0)
            for event in events {
                switch event {
                case .bar(let symbol, let time, let open, let high, let low, let close, let volume):
                    fills += exchange.bar(symbol: symbol, time: time, open: open, high: high, low: low, close: close, volume: volume).count
                    bars += 1
                case .quote(let symbol, let time, let price, let size):
                    exchange.quote(symbol: symbol, time: time, price: price, size: size)
                    quotes += 1
                default: break
                }
            }
            return json(["bars": bars, "quotes": quotes, "fills": fills])
        }
    }
}

/// An injected fault. Those of order submissions strike in this order of precedence; `read_error`
/// answers the next reads with 503; `reject` and `partial` strike at the exchange.
enum Fault: String, CaseIterable {
    case timeout, error, drop, rateLimit = "rate_limit", unavailable, readError = "read_error", reject, partial

    static let onSubmission: [Fault] = [.timeout, .error, .drop, .rateLimit, .unavailable]
}

/// The exchange and the faults still to strike, behind one lock; handlers never hold it across a suspension.
final class BrokerState: @unchecked Sendable {
    private let lock = NSLock()
    private var exchange: PaperExchange
    private var pending: [Fault: Int] = [:]

    init(exchange: PaperExchange) { self.exchange = exchange }

    func read<T>(_ body: (PaperExchange) throws -> T) rethrows -> T {
        try lock.withLock { try body(exchange) }
    }

    func change<T>(_ body: (inout PaperExchange, Int64) -> T) -> T {
        lock.withLock { body(&exchange, Int64(Date().timeIntervalSince1970 * 1_000)) }
    }

    /// Adds `{fault: count}`; an unknown fault is refused with the names there are.
    func inject(_ counts: [String: Int]) -> Response {
        var faults: [(Fault, Int)] = []
        for (name, count) in counts {
            guard let fault = Fault(rawValue: name), count >= 0 else {
                return errorResponse(.init(code: "UNKNOWN_FAULT", message: "'\(name)': \(count) is not a fault; the faults are "
                               + Fault.allCases.map(\.rawValue).joined(separator: ", ") + ", each with a count of 0 or more", details: ["fault": name]), status: 400)
            }
            faults.append((fault, count))
        }
        return lock.withLock {
            for (fault, count) in faults {
                switch fault {
                case .reject: exchange.rejectNext += count
                case .partial: exchange.partialNext += count
                default: pending[fault, default: 0] += count
                }
            }
            var state = Dictionary(uniqueKeysWithValues: Fault.allCases.map { ($0.rawValue, pending[$0] ?? 0) })
            (state["reject"], state["partial"]) = (exchange.rejectNext, exchange.partialNext)
            return json(state)
        }
    }

    /// The fault that strikes this order submission, if any.
    func takeSubmissionFault() -> Fault? { lock.withLock { Fault.onSubmission.first { take($0) } } }

    func takeReadFault() -> Bool { lock.withLock { take(.readError) } }

    /// Counts one strike of `fault` down; the lock is held.
    private func take(_ fault: Fault) -> Bool {
        guard let n = pending[fault], n > 0 else { return false }
        pending[fault] = n - 1
        return true
    }
}

/// Reads (every `GET` but `/health`) answered 503 while a `read_error` fault lasts: what a broker's bad minute looks like.
struct ReadFaults: RouterMiddleware {
    let state: BrokerState

    func handle(_ request: Request, context: BrokerContext, next: (Request, BrokerContext) async throws -> Response) async throws -> Response {
        if request.method == .get, request.uri.path != "/health", state.takeReadFault() {
            return errorResponse(.init(code: "PROVIDER_UNAVAILABLE", message: "the service is unavailable (injected fault)"), status: 503)
        }
        return try await next(request, context)
    }
}

struct BrokerContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Orders are small: a 1 MiB body is a mistake or an attack (413).
    var maxUploadSize: Int { 1 << 20 }
    var remoteAddress: SocketAddress? { channel.remoteAddress }
}
