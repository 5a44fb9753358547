import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KeelBrokerClient
import KeelHTTP
import KeelRunner
import KeelStore
import NIOCore

/// `keel serve`: one process hosting the store, strategies and backtests over HTTP.
package enum KeelService {
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port; `onRunning` is told which.
        package var port: Int
        package var databasePath: String
        /// nil is open access (`--insecure-dev`).
        package var token: String?
        /// Where backtests read their bars: a request names files inside it, never outside.
        package var dataDirectory: String
        package var idleTimeout: Duration
        package var bodyLimit: Int
        /// Requests per token per minute, by route group; an empty table is unlimited.
        package var rateLimits: [RouteGroup: Int]
        /// Seconds a run's loop may go without turning before `/ready` answers 503.
        package var stallLimit: Double
        /// Messages a WebSocket listener may fall behind before it is dropped.
        package var listenerQueue: Int
        /// Time to a complete request head and connections per address (see `ConnectionPolicy`).
        package var connections: ConnectionPolicy
        /// Requests with a wrong token one address may send per minute (see `AuthFailures`); nil is unlimited.
        package var authFailureLimit: Int? = 30
        /// What the service stores as "now".
        package var clock = ServiceClock.system
        /// MCP sessions held at once, and how long one lives without a message.
        package var mcpSessions = 64
        package var mcpIdle: Duration = .seconds(1_800)
        /// Loopback and private hosts webhooks and brokers may point to (`--allow-outbound`).
        package var allowOutbound: [OutboundPolicy.Allowance] = []

        package init(host: String = "127.0.0.1", port: Int, databasePath: String, token: String?, dataDirectory: String,
                    idleTimeout: Duration = .seconds(60), bodyLimit: Int = 1 << 20,
                    rateLimits: [RouteGroup: Int] = Dictionary(uniqueKeysWithValues: RouteGroup.allCases.map { ($0, $0.defaultLimit) }), stallLimit: Double = 10,
                    listenerQueue: Int = 1_024, connections: ConnectionPolicy = .init()) {
            (self.host, self.port, self.databasePath, self.token, self.dataDirectory) = (host, port, databasePath, token, dataDirectory)
            (self.idleTimeout, self.bodyLimit, self.rateLimits) = (idleTimeout, bodyLimit, rateLimits)
            (self.stallLimit, self.listenerQueue) = (stallLimit, listenerQueue)
            self.connections = connections
            self.connections.idleTimeout = idleTimeout
        }
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in hand and stops its runs (each
    /// commits first); they are resumed at the next start, as are runs a killed server left running.
    package static func run(_ configuration: Configuration, onRunning: @escaping @Sendable (Int) -> Void) async throws {
        // One server per store: `keel run` on the same file is refused while it serves.
        let lock = try StateLock(path: configuration.databasePath)
        defer { lock.release() }
        let store = try KeelStore(path: configuration.databasePath)
        let interrupted = try store.failUnfinishedBacktests(now: configuration.clock.now())
        try store.failUnfinishedResearchJobs(now: configuration.clock.now())
        let state = ServiceState(store: store, dataDirectory: configuration.dataDirectory, secrets: try Secrets.fromEnvironment(),
                                 rateLimits: configuration.rateLimits, stallLimit: configuration.stallLimit,
                                 listenerQueue: configuration.listenerQueue, clock: configuration.clock,
                                 mcp: MCPSessions(capacity: configuration.mcpSessions, idle: configuration.mcpIdle),
                                 outbound: OutboundPolicy(allowed: configuration.allowOutbound))
        try RunRoutes.resume(state)
        state.webhooks.resumePending()
        // A backtest the last server did not finish (it was stopped or killed) failed: its webhook hears `backtest.failed`.
        for id in interrupted { BacktestRoutes.notify(id, state) }
        var server = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "keel")
        server.reuseAddress = true
        let router = router(state, token: configuration.token, bodyLimit: configuration.bodyLimit,
                            authFailures: configuration.authFailureLimit.map { AuthFailures(limit: $0) })
        let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(configuration.idleTimeout.nanoseconds))
        let webSockets = router.buildResponder()
        let policy = configuration.connections
        var app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                GuardedChildChannel(HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSockets,
                                                                 configuration: .init(http1: http1, ws: .init(maxFrameSize: 1 << 16))),
                                    policy: policy)
            },
            configuration: server,
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) }
        )
        // Shut down in reverse: the server stops taking requests, then every run commits and
        // stops, then the webhooks in flight stop (what they still owe stays pending in the store).
        app.addServices(state.webhooks, state.runs)
        try await app.runService()
    }

    /// Ready: the store answers and every hosted run's loop has turned within the stall limit (a
    /// quiet stream still turns it every 0.2 s; a broker or stream call that hangs does not).
    static func ready(_ state: ServiceState) -> Response {
        do {
            _ = try state.store.journalMode()
        } catch {
            return failure(.serviceUnavailable, "not_ready", "the store cannot be read: \(error)")
        }
        let stalled = state.runs.stalled(after: state.stallLimit)
        guard stalled.isEmpty else {
            let list = stalled.map { "\($0.id) (\(Int($0.seconds)) s)" }.joined(separator: ", ")
            let details = stalled.map { StalledRun(runId: $0.id, secondsSinceTurn: ($0.seconds * 10).rounded() / 10) }
            return failure(.serviceUnavailable, "not_ready", "runs have not turned their loop for over \(state.stallLimit) s: \(list)",
                           detailsJSON: encode(details))
        }
        return json(ReadyBody(status: "ready", store: "ok", runs: state.runs.count))
    }

    struct ReadyBody: Encodable { var status, store: String; var runs: Int }

    struct StalledRun: Encodable {
        var runId: String
        var secondsSinceTurn: Double
        enum CodingKeys: String, CodingKey { case runId = "run_id", secondsSinceTurn = "seconds_since_turn" }
    }

    /// Every route of the service. The OpenAPI document is checked against this list by a test.
    package static func router(_ state: ServiceState, token: String?, bodyLimit: Int = 1 << 20,
                              authFailures: AuthFailures? = nil) -> Router<ServiceContext> {
        let router = Router(context: ServiceContext.self)
        router.add(middleware: RecordStats(stats: state.stats))
        router.add(middleware: BodyLimit(limit: bodyLimit))
        router.add(middleware: BearerAuth<ServiceContext>(token: token, openPaths: ["/health"], queryTokenPaths: ["/v1/ws"], failures: authFailures,
                                                          neverLocked: RateLimit<ServiceContext>.isKillSwitch))
        if let limiter = state.limiter { router.add(middleware: RateLimit(limiter: limiter)) }
        router.get("health") { _, _ in json(["status": "ok"]) }
        router.get("ready") { _, _ in ready(state) }
        router.get("healthz") { _, _ in await HealthCheck.report(state) }
        router.get("openapi.json") { _, _ in raw(OpenAPI.served) }
        StrategyRoutes.add(to: router.group("v1/strategies"), state)
        BacktestRoutes.add(to: router.group("v1/backtests"), state)
        ResearchRoutes.add(to: router.group("v1/optimizations"), kind: .optimization, state)
        ResearchRoutes.add(to: router.group("v1/walkforwards"), kind: .walkforward, state)
        RunRoutes.add(to: router.group("v1/runs"), state)
        BrokerRoutes.add(to: router.group("v1/brokers"), state)
        LeaderboardRoutes.add(to: router.group("v1/leaderboard"), state)
        TradingRoutes.add(to: router, state)
        ManualOrderRoutes.add(to: router, state)
        router.get("v1/metrics") { _, _ in json(try Metrics.all(state)) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: try Metrics.prometheus(state))))
        }
        EventRoute.add(to: router, state)
        MCP.add(to: router, state)
        return router
    }
}

package struct ServiceContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let webSocket: WebSocketHandlerReference<ServiceContext>
    /// The connection: a WebSocket listener's send buffer is set on it.
    let channel: any Channel
    var limit = 1 << 20

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    package var maxUploadSize: Int { limit }
    package var remoteAddress: SocketAddress? { channel.remoteAddress }
}

/// Sets the body limit on each request's context (a context cannot read the configuration).
struct BodyLimit: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        var context = context
        context.limit = limit
        return try await next(request, context)
    }
}

/// What the handlers share: the store, the data folder, the backtests and runs in flight, the
/// listeners, the webhooks, the sealing key and the counters.
package final class ServiceState: Sendable {
    package let store: KeelStore
    let dataDirectory: URL
    let running = RunningBacktests()
    let hub: EventHub
    let webhooks: Webhooks
    let runs: HostedRuns
    /// nil: broker credentials cannot be stored (no key in the environment).
    let secrets: Secrets?
    let limiter: RateLimiter?
    let stats = RequestStats()
    let stallLimit: Double
    let clock: ServiceClock
    let mcp: MCPSessions
    /// Where webhooks and brokers may point (`--allow-outbound`).
    let outbound: OutboundPolicy

    init(store: KeelStore, dataDirectory: String, secrets: Secrets?, rateLimits: [RouteGroup: Int], stallLimit: Double = 10, listenerQueue: Int = 1_024,
         webhookWait: Duration = .milliseconds(200), clock: ServiceClock = .system, mcp: MCPSessions = MCPSessions(),
         outbound: OutboundPolicy = .default) {
        self.store = store
        self.outbound = outbound
        self.mcp = mcp
        self.clock = clock
        self.stallLimit = stallLimit
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL
        self.secrets = secrets
        limiter = rateLimits.values.contains { $0 > 0 } ? RateLimiter(limits: rateLimits) : nil
        hub = EventHub(capacity: listenerQueue)
        webhooks = Webhooks(store: store, clock: clock, firstWait: webhookWait, outbound: outbound)
        runs = HostedRuns(store: store, hub: hub, webhooks: webhooks, clock: clock, dataDirectory: self.dataDirectory.path)
    }

    /// For tests that build the router alone: no key, no rate limit. Runs and webhooks are
    /// services (`HostedRuns`, `Webhooks`): they start and deliver only while a test runs them.
    package convenience init(store: KeelStore, dataDirectory: String, clock: ServiceClock = .system, outbound: OutboundPolicy = .default) {
        self.init(store: store, dataDirectory: dataDirectory, secrets: nil, rateLimits: [:], clock: clock, outbound: outbound)
    }

    /// A webhook or broker URL the outbound policy refuses, as the 422 that names the rule.
    func refusedOutbound(_ url: String, what: String) -> ResponseError? {
        outbound.refusal(url, what: what).map { ResponseError(.unprocessableContent, "outbound_refused", $0) }
    }

    func now() -> Int64 { clock.now() }

    /// Text for a client: the server's own paths inside the data folder shown relative to it.
    func shown(_ text: String) -> String { relativeToData(text, root: dataDirectory.path) }

    /// `st_`, `bt_`, `run_` or `br_` and 16 hex digits: anything else is not an id, whatever it tries to be.
    static func newId(_ prefix: String) -> String {
        prefix + "_" + (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    static func isId(_ text: String, prefix: String) -> Bool {
        text.count == prefix.count + 17 && text.hasPrefix(prefix + "_") && text.dropFirst(prefix.count + 1).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

/// The cancellation flags of the backtests in flight.
final class RunningBacktests: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [String: CancellationFlag] = [:]
    /// The share of its bars each running backtest has read (MCP's progress notifications).
    private var progress: [String: Double] = [:]

    func report(_ id: String, _ fraction: Double) { lock.withLock { progress[id] = fraction } }

    func progress(_ id: String) -> Double? { lock.withLock { progress[id] } }

    func start(_ id: String) -> CancellationFlag {
        let flag = CancellationFlag()
        lock.withLock { flags[id] = flag }
        return flag
    }

    func cancel(_ id: String) { lock.withLock { flags[id]?.cancel() } }

    func end(_ id: String) {
        lock.withLock {
            flags[id] = nil
            progress[id] = nil
        }
    }

    var count: Int { lock.withLock { flags.count } }
}

final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    var isCancelled: Bool { lock.withLock { cancelled } }
    func cancel() { lock.withLock { cancelled = true } }
}

func notFound(_ what: String, _ id: String) -> Response { notFoundError(what, id).response }

func notFoundError(_ what: String, _ id: String) -> ResponseError { ResponseError(.notFound, "not_found", "no \(what) '\(id.prefix(64))'") }

/// A webhook or a broker's trading API: http or https with a host, at most 2,000 characters.
/// A store write no request waits for (a run's or a backtest's end, a webhook's record): should it
/// fail, the failure goes to the log rather than nowhere. nil then.
@discardableResult
func logged<T>(_ what: String, _ write: () throws -> T) -> T? {
    do {
        return try write()
    } catch {
        say("could not record \(what): \(error)")
        return nil
    }
}

/// A line on the server's standard error, `keel serve: MESSAGE`.
func say(_ message: String) { FileHandle.standardError.write(Data("keel serve: \(message)\n".utf8)) }

func isHTTPURL(_ url: String) -> Bool {
    guard url.count <= 2_000, let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
          parsed.host?.isEmpty == false else { return false }
    return true
}

/// `text` with the data folder's absolute path (as given and with its links resolved) taken off
/// the paths inside it: a client named `bars/AAPL.csv` and is shown that, never where the server keeps it.
func relativeToData(_ text: String, root: String) -> String {
    let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    return [resolved, root].reduce(text) { text, prefix in text.replacingOccurrences(of: prefix.hasSuffix("/") ? prefix : prefix + "/", with: "") }
}

extension Response {
    /// The body, written out: a route's answer read by another route or tool (MCP, the controls for every run).
    func bodyText() async throws -> String {
        final class Bytes: @unchecked Sendable { var data = Data() }
        struct Collector: ResponseBodyWriter {
            let bytes: Bytes
            mutating func write(_ buffer: ByteBuffer) async throws { bytes.data.append(contentsOf: buffer.readableBytesView) }
            consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
        let bytes = Bytes()
        try await body.write(Collector(bytes: bytes))
        return String(decoding: bytes.data, as: UTF8.self)
    }
}
