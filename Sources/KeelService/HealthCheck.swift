import AsyncHTTPClient
import Foundation
import Hummingbird
import KeelBrokerClient
import KeelHTTP
import KeelStore
import NIOCore

/// `GET /healthz`: each dependency `healthy` or not, with why. 200 when every one in use is
/// healthy, 503 otherwise.
///
/// - **store**: a read (the journal mode) and the writer taken and given back, timed.
/// - **runs**: every run the store says is running is hosted by this process, and none has gone
///   longer than the stall limit without turning its loop (a hung broker or stream call).
/// - **brokers**: each broker connection's URL answers HTTP within 2 s (any status: the probe sends
///   no credentials). A connection no live run uses is reported but does not make the server
///   unhealthy.
enum HealthCheck {
    struct Component: Encodable {
        var status: String
        var latencyMs: Double?
        var detail: String?

        enum CodingKeys: String, CodingKey {
            case status, detail
            case latencyMs = "latency_ms"
        }

        var healthy: Bool { status == "healthy" }
    }

    struct Runs: Encodable {
        var status: String
        var running: Int
        var stalled: [String]
        var lost: [String]
    }

    struct Broker: Encodable {
        var id: String
        var name: String
        var inUse: Bool
        var check: Component

        enum CodingKeys: String, CodingKey { case id, name, inUse = "in_use", check }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(inUse, forKey: .inUse)
            try check.encode(to: encoder)
        }
    }

    struct Report: Encodable {
        var status: String
        var store: Component
        var runs: Runs
        var brokers: [Broker]
    }

    static func report(_ state: ServiceState) async -> Response {
        let store = storeCheck(state.store)
        var running: [StoredServiceRun] = []
        var lost: [String] = []
        if store.healthy, let all = try? state.store.serviceRuns(limit: 100_000, offset: 0) {
            running = all.filter { $0.run.status == "running" }
            lost = running.filter { !state.runs.isActive($0.run.id) }.map(\.run.id)
        }
        let stalled = state.runs.stalled(after: state.stallLimit).map(\.id)
        let runs = Runs(status: stalled.isEmpty && lost.isEmpty ? "healthy" : "unhealthy", running: state.runs.count, stalled: stalled, lost: lost)
        let used = Set(running.filter { $0.run.mode == "live" }.compactMap(\.brokerId))
        // Every connection at once: ten slow brokers answer in 2 s, not 20.
        let connections = (try? state.store.brokers()) ?? []
        let checks = await withTaskGroup(of: (Int, Component).self) { group in
            for (k, broker) in connections.enumerated() { group.addTask { (k, await probe(broker.url, state.outbound)) } }
            var checks: [Int: Component] = [:]
            for await (k, check) in group { checks[k] = check }
            return checks
        }
        let brokers = connections.enumerated().map { k, broker in
            Broker(id: broker.id, name: broker.name, inUse: used.contains(broker.id), check: checks[k]!)
        }
        let healthy = store.healthy && runs.status == "healthy" && brokers.allSatisfy { !$0.inUse || $0.check.healthy }
        return json(Report(status: healthy ? "healthy" : "unhealthy", store: store, runs: runs, brokers: brokers),
                    status: healthy ? .ok : .serviceUnavailable)
    }

    static func storeCheck(_ store: KeelStore) -> Component {
        let start = ContinuousClock.now
        do {
            _ = try store.journalMode()
            try store.takeWriter()
            return Component(status: "healthy", latencyMs: milliseconds(since: start))
        } catch {
            return Component(status: "unhealthy", latencyMs: milliseconds(since: start), detail: "\(error)")
        }
    }

    private static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func probe(_ url: String, _ outbound: OutboundPolicy) async -> Component {
        let start = ContinuousClock.now
        let request: HTTPClientRequest
        switch outbound.request(url, what: "the broker's url") {
        case .success(let pinned): request = pinned
        case .failure(let refusal): return Component(status: "unhealthy", latencyMs: milliseconds(since: start), detail: refusal.rule)
        }
        do {
            let response = try await client.execute(request, deadline: .now() + .seconds(2))
            return Component(status: "healthy", latencyMs: milliseconds(since: start), detail: "HTTP \(response.status.code)")
        } catch {
            return Component(status: "unhealthy", latencyMs: milliseconds(since: start), detail: "\(error)")
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        ((ContinuousClock.now - start) / .milliseconds(1) * 100).rounded() / 100
    }
}
