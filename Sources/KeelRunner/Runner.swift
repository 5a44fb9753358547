import Keel
import Foundation
import KeelBrokerClient
import KeelData
import KeelEngine
import KeelStore

#if canImport(Glibc)
import Glibc
#endif

/// Runs a strategy on a live stream, in paper mode or at a broker (`Live`), journaling everything to the store, and
/// resumes exactly where a killed process had committed.
///
/// Durability: each batch of events is committed in one transaction together with everything it
/// caused (orders, fills, trades, equity, positions) and, for a file, the offset it read to. A
/// kill at any instant leaves the store before or after a batch; a restart replays the accepted
/// events through a fresh engine, checks that the replay makes exactly the stored fills, and goes
/// on from the next event.
package final class Runner {
    package struct Configuration: Sendable {
        package var strategy: LoadedStrategy
        package var runId: String
        package var stream: String
        package var statePath: String
        package var capital: Double
        package var symbols: [String]
        package var barSeconds: Int?
        /// Events per commit at most: a busy stream is committed in batches, a quiet one event by event.
        package var commitEvery: Int
        /// How long a batch may wait for more events after its first (`--commit-interval`): a
        /// trickling stream is then committed in groups instead of event by event. Zero commits what
        /// has arrived at once. A batch holding an order for a broker is committed at once whatever
        /// this says, so no order waits for the interval.
        package var commitInterval: Duration = .zero
        /// On SIGINT or SIGTERM, close every position at its last close before stopping.
        package var flattenOnExit: Bool
        /// Trade at a broker instead of on the simulated one.
        package var live: Live?
        /// A process hosting the run (keel serve): its store, its stop, its listeners. Without one
        /// the run has the state file to itself and stops on SIGINT or SIGTERM.
        package var host: RunHost?
        /// How far past the newest time seen an event may be, in milliseconds (`--max-clock-skew`); nil: unbounded.
        package var maxClockSkew: Int64? = 86_400_000
        /// The folder a stream file must stay inside, checked at every open (keel serve's `--data-dir`).
        package var streamRoot: String?
        /// The wall clock, in milliseconds since the epoch: the times the journal stores and the
        /// clock-skew bound read it (a host passes its own: keel serve's `ServiceClock`).
        package var clock: @Sendable () -> Int64 = Runner.systemClock

        package init(strategy: LoadedStrategy, runId: String, stream: String, statePath: String, capital: Double, symbols: [String],
                    barSeconds: Int?, commitEvery: Int = 256, flattenOnExit: Bool = false, live: Live? = nil, host: RunHost? = nil) {
            (self.strategy, self.runId, self.stream, self.statePath, self.capital) = (strategy, runId, stream, statePath, capital)
            // The universe's order, as a backtest takes it: the same stream gives the same fills whatever order --symbols names.
            let symbols = Universe.order(named: strategy.program.settings.symbols, feed: symbols)
            (self.symbols, self.barSeconds, self.commitEvery, self.flattenOnExit, self.live) = (symbols, barSeconds, commitEvery, flattenOnExit, live)
            self.host = host
        }

        var mode: String { live == nil ? "paper" : "live" }
    }

    /// A live run's broker, named once `enabledBroker` has found both opt-ins.
    package struct Live: Sendable {
        package let brokerURL: String
        package let token: String
        /// At a start that finds Keel's record and the broker's state apart, take the broker's.
        package let adoptBrokerState: Bool
        package let timeout: Duration
        /// Where the broker's URL may lead, checked before every request: anywhere for `keel run`
        /// (the operator typed it), the server's `--allow-outbound` policy for a hosted run.
        package let outbound: OutboundPolicy

        package init(brokerURL: String, token: String, adoptBrokerState: Bool, timeout: Duration = .seconds(5), outbound: OutboundPolicy = .anywhere) {
            (self.brokerURL, self.token, self.adoptBrokerState, self.timeout, self.outbound) = (brokerURL, token, adoptBrokerState, timeout, outbound)
        }

        /// Live trading needs two acts: the run's configuration says `live: true` and the command
        /// says `--live` (which is why this is asked). Refused otherwise, before anything is read
        /// or sent. Returns the broker's URL: the command's, or the configuration's.
        package static func enabledBroker(configuration: RunConfiguration?, commandURL: String?) throws(RunnerError) -> String {
            guard let configuration, configuration.live else {
                throw RunnerError.refused("""
                    refusing to trade live: the run's configuration does not enable it. Live trading needs two acts: \
                    'live: true' in a run configuration file given with --config FILE, and --live on the command line. \
                    Nothing was sent to the broker
                    """)
            }
            guard let url = commandURL ?? configuration.broker else { throw RunnerError.usage("name the broker: --broker URL") }
            if let named = configuration.broker, let commandURL, named != commandURL {
                throw RunnerError.refused("the run's configuration names the broker \(named), the command \(commandURL); nothing was sent")
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw RunnerError.usage("--broker takes the trading API's URL (http:// or https://), not '\(url)'")
            }
            return url
        }
    }

    package enum Outcome: Equatable, Sendable {
        /// A file or stdin ended; the run can go on later from where it stopped.
        case endOfStream
        /// SIGINT or SIGTERM, or the host's `stop()` (signal 0).
        case stopped(signal: Int32)
    }

    let configuration: Configuration
    let log: @Sendable (String) -> Void

    package init(_ configuration: Configuration, log: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.log = log
    }

    package func run() throws -> Outcome {
        let c = configuration
        let address = try StreamAddress(c.stream)
        // A host holds the lock on its own store for as long as it runs.
        let lock = c.host == nil ? try StateLock(path: c.statePath) : nil
        defer { lock?.release() }
        let store = try c.host?.store ?? KeelStore(path: c.statePath)
        let signals = c.host == nil ? StopSignal() : nil
        let host = c.host
        func stopRequested() -> Int32? { host.map { $0.stopRequested ? 0 : nil } ?? signals?.received }
        let run = try openRun(store)
        let session = Session(runId: c.runId, strategy: c.strategy, symbols: run.symbols, capital: run.capital, barSeconds: run.barSeconds,
                              live: c.live != nil, maxClockSkew: c.maxClockSkew, clock: c.clock)
        try replay(store, session, run)
        if let refusal = session.assembler.timeframeRefusal { throw timeframeStop(refusal) }
        let broker = try c.live.map { live in try connect(live, store) }
        defer { broker?.client.shutdown() }
        let source: LineSource = switch address {
        case .stdin: DescriptorLineSource(fd: 0, offset: 0)
        case .file(let path):
            try { () throws -> FileLineSource in
                let file = try FileLineSource(path: path, offset: run.streamOffset, root: c.streamRoot, identity: run.streamIdentity)
                if file.identity != run.streamIdentity { try store.setStreamIdentity(run: c.runId, file.identity) }
                return file
            }()
        case .tcp(let host, let port): TCPLineSource(host: host, port: port, log: log)
        case .webSocket(let url): WebSocketLineSource(url: url, log: log)
        }
        defer { source.close() }
        var lastSync = ContinuousClock.now
        // When the batch in hand took its first event, and when each order in it arrived.
        var batchOpened: ContinuousClock.Instant?
        var orderArrivals: [ContinuousClock.Instant] = []
        var latency = OrderLatency()
        func committed() {
            let now = ContinuousClock.now
            for arrival in orderArrivals { latency.record(microseconds: Int64((now - arrival) / .microseconds(1))) }
            orderArrivals.removeAll(keepingCapacity: true)
            batchOpened = nil
        }
        func latencyLine() -> String { latency.summary.map { "; from an event's arrival to its order committed: \($0)" } ?? "" }
        func sync() {
            guard let broker else { return }
            lastSync = .now
            do { try broker.sync() } catch { log("broker: \(error); trying again in a moment") }
        }
        while true {
            host?.turned()
            try applyControls(store, session)
            if let number = stopRequested() {
                if c.flattenOnExit {
                    session.control("flatten", reason: "shutdown")
                    log("flattened every position at its last close (--flatten-on-exit)")
                }
                try commit(store, session, source, address, status: "stopped")
                committed()
                sync()
                log("stopped by \(number == 0 ? "its host" : "signal \(number)"); run \(c.runId) committed through event \(session.nextSeq - 1)"
                    + latencyLine())
                return .stopped(signal: number)
            }
            // A batch waits for more events until its interval is up (at most 0.2 s at a time, so
            // requests and signals are still seen).
            let wait = !session.batch.brokerIntents.isEmpty ? 0 : batchOpened.map { max(0, min(0.2, (($0 + c.commitInterval) - .now) / .seconds(1))) } ?? 0.2
            guard let lines = try source.read(max: max(1, c.commitEvery - session.batch.events.count), wait: wait) else {
                session.endOfStream()
                try commit(store, session, source, address, status: "ended")
                committed()
                sync()
                log("end of stream; run \(c.runId) committed through event \(session.nextSeq - 1)" + latencyLine())
                return .endOfStream
            }
            let arrived = ContinuousClock.now
            if !lines.isEmpty, batchOpened == nil { batchOpened = arrived }
            for line in lines {
                // An operator's request made while this batch was read applies before the next
                // event: a halt stops new orders within one event.
                if host?.takeControlsRequested() == true { try applyControls(store, session) }
                let placed = session.ordersPlaced
                let event = session.apply(line: line)
                if event.status != "accepted" { log("event \(event.seq) \(event.status): \(event.reason ?? "")") }
                if session.ordersPlaced > placed { orderArrivals.append(arrived) }
            }
            if let refusal = session.assembler.timeframeRefusal {
                // Bars that cannot serve the strategy's timeframe: journaled as refused, and the run stops.
                try commit(store, session, source, address, status: "failed")
                throw timeframeStop(refusal)
            }
            let due = session.batch.events.count >= c.commitEvery || batchOpened.map { .now - $0 >= c.commitInterval } ?? true
                || !session.batch.brokerIntents.isEmpty || !session.batch.brokerCancels.isEmpty
            if !session.batch.events.isEmpty, due {
                try commit(store, session, source, address, status: nil)
                committed()
                sync()
            } else if session.batch.events.isEmpty, ContinuousClock.now - lastSync > .seconds(1) {
                // A quiet stream: the broker's fills still arrive.
                sync()
            }
            // A quiet live stream still takes requests: the read above waits at most 0.2 s.
        }
    }

    /// Opens the broker and reconciles with it before the first event.
    private func connect(_ live: Live, _ store: KeelStore) throws -> BrokerBridge {
        let c = configuration
        let client = BrokerClient(baseURL: live.brokerURL, token: live.token, timeout: live.timeout, outbound: live.outbound)
        let bridge = BrokerBridge(client: client, store: store, runId: c.runId, symbols: c.symbols, clock: c.clock, log: log)
        do { try bridge.reconcile(adopt: live.adoptBrokerState) } catch let error as BrokerClient.Failure {
            client.shutdown()
            throw RunnerError.refused("cannot reconcile with the broker at \(live.brokerURL): \(error); nothing was traded")
        } catch {
            client.shutdown()
            throw error
        }
        return bridge
    }

    /// Operators' requests waiting in the store, applied in the order made and committed with the batch.
    /// A request stays pending in the store until that commit, so one already applied in the batch
    /// in hand is skipped: a host's wake-up can come between the two.
    private func applyControls(_ store: KeelStore, _ session: Session) throws {
        let applied = Set(session.batch.appliedControls.map(\.id))
        for request in try store.pendingControls(run: configuration.runId) where !applied.contains(request.id) {
            let event = session.control(request.action, reason: request.reason, argument: request.argument)
            session.batch.appliedControls.append((request.id, event.seq))
            log("applied \(request.action)\(request.reason.map { " (\($0))" } ?? "") as event \(event.seq)")
        }
    }

    private func commit(_ store: KeelStore, _ session: Session, _ source: LineSource, _ address: StreamAddress, status: String?) throws {
        session.sealBatch()
        var batch = session.takeBatch()
        if address.resumesAtOffset { batch.streamOffset = source.offset }
        batch.status = status
        try store.commit(batch, run: configuration.runId, now: configuration.clock())
        configuration.host?.committed(batch)
    }

    /// Creates the run, or finds it and checks that this command may resume it.
    private func openRun(_ store: KeelStore) throws -> StoredRun {
        let c = configuration
        let strategy = c.strategy
        if let run = try store.run(c.runId) {
            guard run.strategyHash == strategy.hash else {
                throw RunnerError.mismatch("""
                    run '\(c.runId)' was started with another version of \(strategy.path); it resumes only with the strategy it \
                    started with. Restore that file, or start a new run with --run-id NAME
                    """)
            }
            guard run.mode == c.mode else {
                throw RunnerError.mismatch("run '\(c.runId)' is a \(run.mode) run; resume it in that mode (--\(run.mode))")
            }
            var differences: [String] = []
            if run.symbols != c.symbols { differences.append("symbols \(run.symbols.joined(separator: ",")) (now \(c.symbols.joined(separator: ",")))") }
            if run.capital != c.capital { differences.append("capital \(run.capital) (now \(c.capital))") }
            if run.barSeconds != c.barSeconds { differences.append("bar length \(run.barSeconds.map(String.init) ?? "none") s") }
            guard differences.isEmpty else {
                throw RunnerError.mismatch("run '\(c.runId)' started with \(differences.joined(separator: "; ")); resume it with the same options")
            }
            if run.stream != c.stream {
                log("note: run '\(c.runId)' started on stream \(run.stream); resuming on \(c.stream)")
            }
            return run
        }
        try store.createRun(RunPlan(id: c.runId, strategyName: strategy.program.name, strategyHash: strategy.hash, strategySource: strategy.text,
                                    strategyPath: strategy.path, mode: c.mode, capital: c.capital, symbols: c.symbols, barSeconds: c.barSeconds,
                                    stream: c.stream), now: c.clock())
        log("started run \(c.runId) (\(c.mode)) on \(c.symbols.joined(separator: ", "))")
        return try store.run(c.runId)!
    }

    /// Rebuilds the engine from the journal and proves it: the replay must make the stored fills, one for one.
    /// The stream's bars cannot serve the strategy's `timeframe:`: the error names that line.
    private func timeframeStop(_ refusal: String) -> RunnerError {
        let place = configuration.strategy.checked.parsed.timeframe.map { configuration.strategy.position(of: $0.range) } ?? ""
        return RunnerError.stream("\(place)the stream's bars cannot serve the strategy's timeframe: \(refusal)")
    }

    private func replay(_ store: KeelStore, _ session: Session, _ run: StoredRun) throws {
        let started = ContinuousClock.now
        // Every journaled event, refused ones too: a refusal is deterministic and refused again, and
        // replaying it keeps any effect its time had (closing a bar built from quotes) where it was.
        let events = try store.events(run: run.id)
        guard !events.isEmpty else { return }
        for event in events { session.replay(event) }
        let replayed = session.takeBatch().fills
        let stored = try store.fills(run: run.id)
        guard replayed == stored else {
            let first = zip(replayed, stored).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(replayed.count, stored.count)
            throw RunnerError.journal("""
                replaying run '\(run.id)' made \(replayed.count) fills where the store holds \(stored.count) (first difference at fill \
                \(first + 1)); this keel does not reproduce the run (was it upgraded?). Finish it with the keel that started it
                """)
        }
        session.resume(after: run.lastSeq)
        let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
        log("resumed run \(run.id): replayed \(events.count) events and \(stored.count) fills in \(Int(milliseconds)) ms")
    }

    package static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
}

/// One runner per state file: an exclusive lock beside it, released by the kernel when the
/// process dies, so a killed runner never blocks its restart.
package struct StateLock {
    let fd: Int32

    package init(path: String) throws(RunnerError) {
        fd = open(path + ".lock", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw RunnerError.stream("cannot create the lock \(path).lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw RunnerError.refused("\(path) is in use by another runner; stop it first")
        }
    }

    package func release() {
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }
}

extension Runner {
    /// `run()` on a thread of its own, named for the run; `completion` gets the outcome on that
    /// thread. The loop blocks on its stream and its broker, which a task on one of the cooperative
    /// pool's threads (one per core) must never do.
    package func startOnOwnThread(_ completion: @escaping @Sendable (Result<Outcome, any Error>) -> Void) {
        nonisolated(unsafe) let runner = self
        let thread = Thread { completion(Result { try runner.run() }) }
        thread.name = "keel run \(configuration.runId)"
        thread.start()
    }

    /// `run()` on a thread of its own (`startOnOwnThread`), awaited.
    package func runOnOwnThread() async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in startOnOwnThread { continuation.resume(with: $0) } }
    }
}
