import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KeelHTTP
import Synchronization

/// Requests per token in fixed windows: `limit` per `window`. Every answer carries
/// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds until the window ends); past the limit
/// the answer is 429 with `Retry-After`. The kill switch (halt and resume) is never limited, nor is
/// `/health`.
final class RateLimiter: Sendable {
    struct Window {
        var start: ContinuousClock.Instant
        var used: Int
    }

    struct Verdict {
        var allowed: Bool
        var remaining: Int
        var resetSeconds: Int
    }

    let limit: Int
    let window: Duration
    private let windows = Mutex<[String: Window]>([:])
    private let refused = Atomic<Int>(0)

    init(limit: Int, window: Duration = .seconds(60)) { (self.limit, self.window) = (limit, window) }

    var refusedCount: Int { refused.load(ordering: .relaxed) }

    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Verdict {
        let verdict = windows.withLock { windows in
            var w = windows[key] ?? Window(start: now, used: 0)
            if now - w.start >= window { w = Window(start: now, used: 0) }
            let allowed = w.used < limit
            if allowed { w.used += 1 }
            windows[key] = w
            // Forget windows long over, so the table holds the tokens of the last minutes only.
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
            let reset = max(1, Int(((w.start + window) - now) / .seconds(1)) + 1)
            return Verdict(allowed: allowed, remaining: max(0, limit - w.used), resetSeconds: reset)
        }
        if !verdict.allowed { refused.add(1, ordering: .relaxed) }
        return verdict
    }
}

struct RateLimit<Context: RequestContext>: RouterMiddleware {
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/health" || Self.isKillSwitch(path) { return try await next(request, context) }
        let verdict = limiter.take(Self.key(request))
        var response: Response
        if verdict.allowed {
            response = try await next(request, context)
        } else {
            response = failure(.tooManyRequests, "rate_limited",
                               "more than \(limiter.limit) requests in \(limiter.window.components.seconds) s; try again in \(verdict.resetSeconds) s")
            response.headers[.retryAfter] = String(verdict.resetSeconds)
        }
        response.headers[HTTPField.Name("X-RateLimit-Limit")!] = String(limiter.limit)
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
