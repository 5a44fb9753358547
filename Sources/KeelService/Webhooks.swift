import AsyncHTTPClient
import Foundation
import KeelHTTP
import KeelStore
import NIOCore
import NIOHTTP1

/// Callbacks: a backtest or run that names a URL gets its completion, kill-switch and error events
/// POSTed there as JSON. Each delivery is written to the store first, then tried up to `attempts`
/// times with doubling waits; a server restarted with deliveries still pending sends them.
final class Webhooks: Sendable {
    let store: KeelStore
    let attempts: Int
    let firstWait: Duration
    /// The process-wide client: it lives as long as the process, so nothing has to shut it down.
    private var client: HTTPClient { .shared }

    init(store: KeelStore, attempts: Int = 5, firstWait: Duration = .milliseconds(200)) {
        (self.store, self.attempts, self.firstWait) = (store, attempts, firstWait)
    }

    struct Payload<Data: Encodable>: Encodable {
        var event: String
        var subject: String
        var time: Int64
        var data: Data
    }

    /// Records the delivery and sends it in the background.
    func send(to url: String, event: String, subject: String, data: some Encodable) {
        let payload = encode(Payload(event: event, subject: subject, time: ServiceState.now(), data: data))
        // Not stored, not sent: a restart could not resend it.
        guard let id = logged("webhook \(event) for \(subject), so it is not sent", {
            try store.addDelivery(url: url, event: event, subject: subject, payload: payload, now: ServiceState.now())
        }) else { return }
        let delivery = WebhookDelivery(id: id, url: url, event: event, subject: subject, payload: payload, status: "pending", attempts: 0)
        Task { await deliver(delivery) }
    }

    /// Sends what a stopped server still owed.
    func resumePending() {
        for delivery in (try? store.deliveries(pending: true)) ?? [] { Task { await deliver(delivery) } }
    }

    private func deliver(_ delivery: WebhookDelivery) async {
        var wait = firstWait
        for attempt in (delivery.attempts + 1)...max(delivery.attempts + 1, attempts) {
            let error = await post(delivery)
            let last = attempt >= attempts
            logged("attempt \(attempt) of webhook delivery \(delivery.id)") {
                try store.recordAttempt(delivery: delivery.id, status: error == nil ? "delivered" : last ? "failed" : "pending", error: error,
                                        now: ServiceState.now())
            }
            if error == nil || last { return }
            try? await Task.sleep(for: wait)
            wait *= 2
        }
    }

    /// nil when the listener answered 2xx; otherwise what went wrong.
    private func post(_ delivery: WebhookDelivery) async -> String? {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "keel-webhooks")
        request.headers.add(name: "X-Keel-Event", value: delivery.event)
        request.headers.add(name: "X-Keel-Delivery", value: String(delivery.id))
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 1 << 16)
            return (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }
}
