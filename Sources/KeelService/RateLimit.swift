import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KeelHTTP
import Synchronization

/// The groups of routes whose requests are counted apart, each with its own budget per token per
/// minute (a partner API's table: reads, writes, closing positions). docs/service.md has the table;
/// the OpenAPI document names each operation's group (`x-rate-limit-group`).
package enum RouteGroup: String, CaseIterable, Sendable {
    /// GET and HEAD: lists, reads, reports, the WebSocket, the MCP stream.
    case reads
    /// Every other method: creating strategies, backtests, runs, research jobs, brokers; MCP messages.
    case writes
    /// Placing orders: `POST /v1/orders`.
    case orders
    /// Closing positions: `close_all` and one position's `close`.
    case closeAll = "close_all"

    package var defaultLimit: Int {
        switch self {
        case .reads: 600
        case .writes: 120
        case .orders: 60
        case .closeAll: 10
        }
    }

    /// The group a request counts in; nil for what is never limited (`/health`, halt and resume).
    /// `path` may be a route's template (`/v1/runs/{id}/close_all`): the OpenAPI document asks too.
    static func of(_ method: String, path: String) -> RouteGroup? {
        if path == "/health" || RateLimit<ServiceContext>.isKillSwitch(path) { return nil }
        if path.hasSuffix("/close_all") || path.hasSuffix("/close") { return .closeAll }
        if method == "POST", path == "/v1/orders" { return .orders }
        return method == "GET" || method == "HEAD" ? .reads : .writes
    }

    /// `reads=600,writes=120,orders=60,close_all=10`: the groups named get those budgets (0: unlimited).
    package static func parse(_ text: String) -> [RouteGroup: Int]? {
        var limits: [RouteGroup: Int] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let group = RouteGroup(rawValue: parts[0]), let limit = Int(parts[1]), limit >= 0 else { return nil }
            limits[group] = limit
        }
        return limits.isEmpty ? nil : limits
    }
}

/// Requests per token and route group in fixed windows: `limits[group]` per `window` (a group
/// without a budget, or with 0, is unlimited). Every limited answer carries `X-RateLimit-Limit`,
/// `-Remaining`, `-Reset` (seconds until the window ends) and `-Group`; past the limit the answer
/// is 429 with `Retry-After`. The kill switch (halt and resume) is never limited, nor is `/health`.
final class RateLimiter: Sendable {
    struct Window {
        var start: ContinuousClock.Instant
        var used: Int
    }

    struct Verdict {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        var resetSeconds: Int
    }

    let limits: [RouteGroup: Int]
    let window: Duration
    private let windows = Mutex<[String: Window]>([:])
    private let refused = Atomic<Int>(0)

    init(limits: [RouteGroup: Int], window: Duration = .seconds(60)) {
        (self.limits, self.window) = (limits.filter { $0.value > 0 }, window)
    }

    var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// nil when the group is not limited.
    func take(_ key: String, group: RouteGroup, now: ContinuousClock.Instant = .now) -> Verdict? {
        guard let limit = limits[group] else { return nil }
        let verdict = windows.withLock { windows in
            let key = group.rawValue + "/" + key
            var w = windows[key] ?? Window(start: now, used: 0)
            if now - w.start >= window { w = Window(start: now, used: 0) }
            let allowed = w.used < limit
            if allowed { w.used += 1 }
            windows[key] = w
            // Forget windows long over, so the table holds the tokens of the last minutes only.
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
            let reset = max(1, Int(((w.start + window) - now) / .seconds(1)) + 1)
            return Verdict(allowed: allowed, limit: limit, remaining: max(0, limit - w.used), resetSeconds: reset)
        }
        if !verdict.allowed { refused.add(1, ordering: .relaxed) }
        return verdict
    }
}

struct RateLimit<Context: RequestContext>: RouterMiddleware {
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let group = RouteGroup.of(request.method.rawValue, path: request.uri.path),
              let verdict = limiter.take(Self.key(request), group: group) else { return try await next(request, context) }
        var response: Response
        if verdict.allowed {
            response = try await next(request, context)
        } else {
            response = failure(.tooManyRequests, "rate_limited", """
                more than \(verdict.limit) \(group.rawValue) requests in \(limiter.window.components.seconds) s; try again in \(verdict.resetSeconds) s
                """)
            response.headers[.retryAfter] = String(verdict.resetSeconds)
        }
        response.headers[HTTPField.Name("X-RateLimit-Group")!] = group.rawValue
        response.headers[HTTPField.Name("X-RateLimit-Limit")!] = String(verdict.limit)
        response.headers[HTTPField.Name("X-RateLimit-Remaining")!] = String(verdict.remaining)
        response.headers[HTTPField.Name("X-RateLimit-Reset")!] = String(verdict.resetSeconds)
        return response
    }

    /// Halt and resume: never limited, and the right token opens them even from an address locked out.
    @Sendable static func isKillSwitch(_ path: String) -> Bool { path.hasSuffix("/halt") || path.hasSuffix("/resume") }

    /// The token's digest (the token itself is not kept), from the bearer header or the `token` query parameter.
    static func key(_ request: Request) -> String {
        let token = request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) }
            ?? request.uri.queryParameters["token"].map(String.init) ?? ""
        return SHA256.hash(data: Data(token.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
