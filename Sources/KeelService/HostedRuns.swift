import Keel
import Foundation
import KeelRunner
import KeelStore
import ServiceLifecycle
import Synchronization

/// The runs `keel serve` hosts, with the runner of `keel run`: the same journal, the same
/// recovery. A run the server was running when it stopped (or was killed) is resumed when it
/// starts again.
///
/// A lifecycle service of the server: at a graceful shutdown every run commits and stops, and the
/// service ends when the last has. Each run's loop has a thread of its own: it blocks on its
/// stream and its broker, which the two threads of Swift's cooperative pool must never do.
final class HostedRuns: Service, Sendable {
    private struct Active {
        let host: RunHost
        var shuttingDown = false
    }

    private let active = Mutex<[String: Active]>([:])
    let store: KeelStore
    let clock: ServiceClock
    let hub: EventHub
    let webhooks: Webhooks
    /// Stream files stay inside it, at every open (a resumed run's too).
    let dataDirectory: String

    init(store: KeelStore, hub: EventHub, webhooks: Webhooks, clock: ServiceClock, dataDirectory: String) {
        self.dataDirectory = dataDirectory
        self.clock = clock
        (self.store, self.hub, self.webhooks) = (store, hub, webhooks)
    }

    var count: Int { active.withLock { $0.count } }

    func isActive(_ id: String) -> Bool { active.withLock { $0[id] != nil } }

    /// Active runs whose loop has not turned for `limit` seconds, the longest first: stuck (a broker or a
    /// stream call that does not return), not merely quiet.
    func stalled(after limit: Double) -> [(id: String, seconds: Double)] {
        let turns = active.withLock { runs in runs.map { (id: $0.key, seconds: $0.value.host.secondsSinceTurn) } }
        return turns.filter { $0.seconds > limit }.sorted { $0.seconds > $1.seconds }
    }

    /// Starts (or resumes) a run on a thread of its own; it ends with its stream, a stop, or an error.
    /// Commits at most 64 events at a time: a busy stream's messages reach listeners in small batches.
    func start(_ strategy: LoadedStrategy, runId id: String, stream: String, capital: Double, symbols: [String], barSeconds: Int?,
               live: Runner.Live?, webhook: String?) {
        let hub = hub, webhooks = webhooks
        let host = RunHost(store: store) { batch in
            hub.publish(run: id, batch)
            for event in batch.riskEvents where event.kind == "kill_switch" || event.kind == "halt" {
                if let webhook { webhooks.send(to: webhook, event: "run.\(event.kind)", subject: id, data: event) }
            }
        }
        var configuration = Runner.Configuration(strategy: strategy, runId: id, stream: stream, statePath: store.path, capital: capital,
                                                 symbols: symbols, barSeconds: barSeconds, commitEvery: 64, live: live, host: host)
        configuration.streamRoot = dataDirectory
        configuration.clock = { [clock] in clock.now() }
        let runner = Runner(configuration, log: say)
        active.withLock { $0[id] = Active(host: host) }
        runner.startOnOwnThread { [self] outcome in finish(id, outcome, webhook: webhook) }
    }

    private func finish(_ id: String, _ outcome: Result<Runner.Outcome, any Error>, webhook: String?) {
        // At a shutdown it counts as active until its status is written: the shutdown waits for that.
        let shuttingDown = active.withLock { runs in
            let shuttingDown = runs[id]?.shuttingDown ?? false
            if !shuttingDown { runs.removeValue(forKey: id) }
            return shuttingDown
        }
        defer { if shuttingDown { _ = active.withLock { $0.removeValue(forKey: id) } } }
        let now = clock.now()
        switch outcome {
        case .success:
            // Stopped by the server's own shutdown: resumed at its next start.
            if shuttingDown { logged("run \(id) as suspended") { try store.setStatus(run: id, "suspended", now: now) } }
            let status = (try? store.run(id)?.status) ?? "unknown"
            if let webhook, !shuttingDown { webhooks.send(to: webhook, event: "run.completed", subject: id, data: ["status": status]) }
        case .failure(let error):
            // A full or failing disk fails this run, in Keel's words; the server and its other runs go on.
            let reason = StorageFailure.explain(error, path: store.path) ?? "\(error)"
            logged("run \(id) as failed") { try store.setStatus(run: id, "failed", now: now) }
            say("run \(id) failed: \(reason)")
            if let webhook { webhooks.send(to: webhook, event: "run.failed", subject: id, data: ["error": relativeToData(reason, root: dataDirectory)]) }
        }
    }

    /// Asks a run to commit and stop; false when it is not running here.
    @discardableResult
    func stop(_ id: String) -> Bool {
        guard let host = active.withLock({ $0[id]?.host }) else { return false }
        host.stop()
        return true
    }

    /// Wakes a run to read the request just written, before its next event.
    func controlsRequested(_ id: String) { active.withLock { $0[id]?.host }?.controlsRequested() }

    /// Waits for the server's graceful shutdown; then every run commits and stops, to be resumed
    /// at the next start.
    func run() async {
        try? await gracefulShutdown()
        let hosts = active.withLock { runs in
            for id in runs.keys { runs[id]?.shuttingDown = true }
            return runs.values.map(\.host)
        }
        for host in hosts { host.stop() }
        // A run stops at its next turn (at most 0.2 s on a quiet stream) after its last commit.
        while count > 0 { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
