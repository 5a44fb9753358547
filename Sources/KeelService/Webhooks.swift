import AsyncHTTPClient
import Foundation
import KeelBrokerClient
import KeelHTTP
import KeelStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Callbacks: a backtest or run that names a URL gets its completion, kill-switch and error events
/// POSTed there as JSON. Each delivery is written to the store first, then tried up to `attempts`
/// times with doubling waits; a server restarted with deliveries still pending sends them.
///
/// A lifecycle service of the server: deliveries are child tasks of its `run()`, and a graceful
/// shutdown cancels those still waiting to retry (they stay pending in the store for the next start).
final class Webhooks: Service, Sendable {
    let store: KeelStore
    let clock: ServiceClock
    let attempts: Int
    let firstWait: Duration
    private let queue: AsyncStream<WebhookDelivery>.Continuation
    private let queued: AsyncStream<WebhookDelivery>
    /// One client for the process (so nothing has to shut it down), following no redirect by
    /// itself: a 302 or 303 would turn the POST into a GET without the payload.
    private static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    /// Redirects followed at most (each a 307 or 308 to the same host).
    static let redirectHops = 3

    /// Checked before every attempt and every redirect hop: a name may resolve elsewhere by then.
    let outbound: OutboundPolicy

    init(store: KeelStore, clock: ServiceClock, attempts: Int = 5, firstWait: Duration = .milliseconds(200), outbound: OutboundPolicy = .default) {
        (self.store, self.clock, self.attempts, self.firstWait, self.outbound) = (store, clock, attempts, firstWait, outbound)
        (queued, queue) = AsyncStream.makeStream()
    }

    /// Delivers what is queued, each delivery a child task, until the server shuts down; then the
    /// deliveries in flight are cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await delivery in queued.cancelOnGracefulShutdown() { group.addTask { await self.deliver(delivery) } }
            group.cancelAll()
        }
    }

    struct Payload<Data: Encodable>: Encodable {
        var event: String
        var subject: String
        var time: Int64
        var data: Data
    }

    /// Records the delivery and queues it for `run()`.
    func send(to url: String, event: String, subject: String, data: some Encodable) {
        let now = clock.now()
        let payload = encode(Payload(event: event, subject: subject, time: now, data: data))
        // Not stored, not sent: a restart could not resend it.
        guard let id = logged("webhook \(event) for \(subject), so it is not sent", {
            try store.addDelivery(url: url, event: event, subject: subject, payload: payload, now: now)
        }) else { return }
        queue.yield(WebhookDelivery(id: id, url: url, event: event, subject: subject, payload: payload, status: "pending", attempts: 0))
    }

    /// Queues what a stopped server still owed.
    func resumePending() {
        for delivery in (try? store.deliveries(pending: true)) ?? [] { queue.yield(delivery) }
    }

    private func deliver(_ delivery: WebhookDelivery) async {
        var wait = firstWait
        for attempt in (delivery.attempts + 1)...max(delivery.attempts + 1, attempts) {
            let error = await post(delivery)
            let last = attempt >= attempts
            logged("attempt \(attempt) of webhook delivery \(delivery.id)") {
                try store.recordAttempt(delivery: delivery.id, status: error == nil ? "delivered" : last ? "failed" : "pending", error: error,
                                        now: clock.now())
            }
            if error == nil || last { return }
            // Cancelled at shutdown: the delivery stays pending, for the next start.
            guard (try? await Task.sleep(for: wait)) != nil else { return }
            wait *= 2
        }
    }

    /// nil when the listener answered 2xx; otherwise what went wrong. A redirect is a failed
    /// delivery unless it is a 307 or 308 (which keep the method and body) to the same host.
    private func post(_ delivery: WebhookDelivery) async -> String? {
        var url = delivery.url
        for hop in 0...Self.redirectHops {
            var request: HTTPClientRequest
            switch outbound.request(url, what: "webhook") {
            case .success(let pinned): request = pinned
            case .failure(let refusal): return refusal.rule
            }
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "keel-webhooks")
            request.headers.add(name: "X-Keel-Event", value: delivery.event)
            request.headers.add(name: "X-Keel-Delivery", value: String(delivery.id))
            request.body = .bytes(ByteBuffer(string: delivery.payload))
            do {
                let response = try await Self.client.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 1 << 16)
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return nil }
                guard (300..<400).contains(code) else { return "HTTP \(code)" }
                let location = response.headers.first(name: "Location") ?? ""
                if code == 307 || code == 308, hop < Self.redirectHops, let next = Self.sameHost(location, from: url) {
                    url = next
                    continue
                }
                return "HTTP \(code) redirect to '\(location.prefix(200))', not followed: a webhook answers 2xx (only a 307 or 308 to the same host is followed)"
            } catch {
                return "\(error)"
            }
        }
        return "more than \(Self.redirectHops) redirects"
    }

    /// `location` resolved against `url`, when it is http(s) on the same host and port.
    static func sameHost(_ location: String, from url: String) -> String? {
        guard let base = URL(string: url), let next = URL(string: location, relativeTo: base)?.absoluteURL,
              ["http", "https"].contains(next.scheme?.lowercased() ?? ""), next.host?.lowercased() == base.host?.lowercased(),
              next.port == base.port else { return nil }
        return next.absoluteString
    }
}
