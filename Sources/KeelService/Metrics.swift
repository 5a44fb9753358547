import Foundation
import Hummingbird
import KeelHTTP
import KeelStore
import Synchronization

/// Counts every answer by status class (and turns an unexpected error into a JSON 500) and keeps the latencies of the last 4,096 requests, for
/// the system metrics' percentiles.
final class RequestStats: Sendable {
    private struct State {
        var byClass: [String: Int] = [:]
        var latencies = [Double](repeating: 0, count: 4_096)
        var next = 0
        var filled = 0
    }

    private let state = Mutex(State())
    let started = ContinuousClock.now

    func record(status: Int, seconds: Double) {
        state.withLock { s in
            s.byClass["\(status / 100)xx", default: 0] += 1
            s.latencies[s.next] = seconds
            s.next = (s.next + 1) % s.latencies.count
            s.filled = min(s.filled + 1, s.latencies.count)
        }
    }

    var byClass: [String: Int] { state.withLock { $0.byClass } }

    /// Latency quantiles in seconds over the recent requests (nearest rank); empty before the first.
    func quantiles(_ qs: [Double]) -> [Double] {
        let sorted = state.withLock { Array($0.latencies.prefix($0.filled)) }.sorted()
        guard !sorted.isEmpty else { return [] }
        return qs.map { sorted[min(sorted.count - 1, Int(($0 * Double(sorted.count)).rounded(.up)) - 1)] }
    }
}

struct RecordStats<Context: RequestContext>: RouterMiddleware {
    let stats: RequestStats

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            stats.record(status: Int(response.status.code), seconds: (ContinuousClock.now - start) / .seconds(1))
            return response
        } catch let error as HTTPResponseError {
            stats.record(status: Int(error.status.code), seconds: (ContinuousClock.now - start) / .seconds(1))
            throw error
        } catch {
            // A failure no handler turned into an answer: logged whole, answered in the errors' shape.
            stats.record(status: 500, seconds: (ContinuousClock.now - start) / .seconds(1))
            say("\(request.method) \(request.uri.path) failed: \(error)")
            return failure(.internalServerError, "internal", "the server could not answer; its log says why")
        }
    }
}

/// Performance (per run), signals and system figures, as JSON (`/v1/metrics`,
/// `/v1/runs/:id/metrics`) and as Prometheus text (`/metrics`).
enum Metrics {
    struct RunFigures: Encodable {
        var runId: String
        var status: String
        var performance: [String: Portfolio.Figure]
        var signals: [String: Int]
        var riskEvents: [String: Int]

        enum CodingKeys: String, CodingKey {
            case status, performance, signals
            case runId = "run_id", riskEvents = "risk_events"
        }
    }

    /// Sharpe, Sortino, win rate, profit factor, drawdown and the rest of the run's summary; its signals and risk events by kind.
    static func run(_ run: StoredRun, _ store: KeelStore) throws -> RunFigures {
        let performance = run.summary.flatMap { try? JSONDecoder().decode([String: Portfolio.Figure].self, from: Data($0.utf8)) } ?? [:]
        return RunFigures(runId: run.id, status: run.status, performance: performance, signals: try store.signalCounts(run: run.id),
                          riskEvents: try store.riskEventCounts(run: run.id))
    }

    struct System: Encodable {
        var uptimeSeconds: Double
        var requests: [String: Int]
        var latencyMs: [String: Double]
        var rateLimited: Int
        var websocketListeners: Int
        var websocketDropped: Int
        var eventsPublished: Int
        var runsActive: Int
        var backtestsRunning: Int
        var rejections: Int
        var killSwitchActivations: Int
        var halts: Int
        var riskEvents: [String: Int]
        var signals: [String: Int]

        enum CodingKeys: String, CodingKey {
            case requests, rejections, halts, signals
            case uptimeSeconds = "uptime_seconds", latencyMs = "latency_ms", rateLimited = "rate_limited", websocketListeners = "websocket_listeners",
                 websocketDropped = "websocket_dropped", eventsPublished = "events_published", runsActive = "runs_active",
                 backtestsRunning = "backtests_running", killSwitchActivations = "kill_switch_activations", riskEvents = "risk_events"
        }
    }

    /// Risk events that are not refusals of an order.
    static let notRejections: Set<String> = ["halt", "resume", "kill_switch", "risk_profile"]

    static func system(_ state: ServiceState) throws -> System {
        let risk = try state.store.riskEventCounts()
        let q = state.stats.quantiles([0.5, 0.9, 0.99, 1])
        let latency = q.isEmpty ? [:] : ["p50": q[0] * 1_000, "p90": q[1] * 1_000, "p99": q[2] * 1_000, "max": q[3] * 1_000]
        return System(uptimeSeconds: (ContinuousClock.now - state.stats.started) / .seconds(1), requests: state.stats.byClass, latencyMs: latency,
                      rateLimited: state.limiter?.refusedCount ?? 0, websocketListeners: state.hub.listenerCount,
                      websocketDropped: state.hub.droppedCount, eventsPublished: state.hub.publishedCount, runsActive: state.runs.count,
                      backtestsRunning: state.running.count,
                      rejections: risk.filter { !notRejections.contains($0.key) }.values.reduce(0, +),
                      killSwitchActivations: risk["kill_switch"] ?? 0, halts: risk["halt"] ?? 0, riskEvents: risk,
                      signals: try state.store.signalCounts())
    }

    struct Everything: Encodable {
        var system: System
        var runs: [RunFigures]
    }

    static func all(_ state: ServiceState) throws -> Everything {
        Everything(system: try system(state), runs: try state.store.serviceRuns(limit: 500, offset: 0).map { try run($0.run, state.store) })
    }

    /// The Prometheus text exposition format (version 0.0.4).
    static func prometheus(_ state: ServiceState) throws -> String {
        let everything = try all(state)
        let s = everything.system
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP keel_\(name) \(help)\n# TYPE keel_\(name) \(type)\n"
            for sample in samples { out += "keel_\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(format(sample.value))\n" }
        }
        metric("uptime_seconds", "gauge", "Seconds since the server started.", [("", s.uptimeSeconds)])
        metric("http_requests_total", "counter", "Requests answered, by status class.",
               s.requests.sorted { $0.key < $1.key }.map { ("status=\"\(escape($0.key))\"", Double($0.value)) })
        metric("http_request_duration_seconds", "summary", "Latency of the last 4096 requests.",
               [("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99")].compactMap { q, key in s.latencyMs[key].map { ("quantile=\"\(q)\"", $0 / 1_000) } })
        metric("rate_limited_total", "counter", "Requests refused with 429.", [("", Double(s.rateLimited))])
        metric("websocket_listeners", "gauge", "WebSocket listeners connected to /v1/ws.", [("", Double(s.websocketListeners))])
        metric("websocket_dropped_total", "counter", "Listeners dropped for falling behind.", [("", Double(s.websocketDropped))])
        metric("events_published_total", "counter", "Messages published to listeners.", [("", Double(s.eventsPublished))])
        metric("runs_active", "gauge", "Runs the server is running.", [("", Double(s.runsActive))])
        metric("backtests_running", "gauge", "Backtests in flight.", [("", Double(s.backtestsRunning))])
        metric("rejections_total", "counter", "Orders refused by the risk manager or a broker.", [("", Double(s.rejections))])
        metric("kill_switch_activations_total", "counter", "Daily-loss kill switches tripped.", [("", Double(s.killSwitchActivations))])
        metric("risk_events_total", "counter", "Risk events by kind.",
               s.riskEvents.sorted { $0.key < $1.key }.map { ("kind=\"\(escape($0.key))\"", Double($0.value)) })
        metric("signals_total", "counter", "Strategy decisions by action.",
               s.signals.sorted { $0.key < $1.key }.map { ("action=\"\(escape($0.key))\"", Double($0.value)) })
        for key in ["final_equity", "total_return", "sharpe", "sortino", "win_rate", "profit_factor", "max_drawdown", "trade_count"] {
            let samples: [(labels: String, value: Double)] = everything.runs.compactMap { run in
                guard case .number(let x)? = run.performance[key] else { return nil }
                return ("run=\"\(escape(run.runId))\"", x)
            }
            metric("run_\(key)", "gauge", "Each run's \(key.replacingOccurrences(of: "_", with: " ")).", samples)
        }
        return out
    }

    static func format(_ x: Double) -> String {
        x.isNaN ? "NaN" : x.isInfinite ? (x > 0 ? "+Inf" : "-Inf") : x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
