import Foundation
import Keel
import KeelData
@testable import KeelRunner
import KeelStore
import KeelTestSupport
import Synchronization
import Testing

/// `--commit-interval`: a stream that trickles is committed in groups; an order for a broker is never held back by it.
@Suite("Commits grouped by time")
struct CommitIntervalTests {
    static let strategy = """
        keel: 1
        name: churn
        symbols: [A]
        entry: {long: close > open}
        exit: {long: close < open}
        allocation: {size: fixed(1)}
        """

    /// Feeds `count` bar events over loopback TCP, `gap` apart, to an in-process run; returns the
    /// events of each commit, in order, the seconds the feeding took, and the run's log. With
    /// `lockstep`, each event waits for the one before it to be committed (up to 5 s), so a slow
    /// machine cannot hand the run several events in one read.
    func trickle(interval: Duration, count: Int = 40, gap: Double = 0.015, lockstep: Bool = false) async throws
        -> (commits: [Int], seconds: Double, log: [String]) {
        let folder = try KeelBinary.temporaryFolder()
        let server = try LoopbackServer()
        let store = try KeelStore(path: folder.appendingPathComponent("state.db").path)
        let commits = Mutex<[Int]>([]), log = Mutex<[String]>([]), seconds = Mutex<Double>(0)
        let host = RunHost(store: store) { batch in commits.withLock { $0.append(batch.events.count) } }
        var configuration = Runner.Configuration(strategy: try LoadedStrategy(path: "churn.yaml", text: Self.strategy), runId: "r",
                                                 stream: "tcp://127.0.0.1:\(server.port)", statePath: folder.appendingPathComponent("state.db").path,
                                                 capital: 10_000, symbols: ["A"], barSeconds: 60, host: host)
        configuration.commitInterval = interval
        let runner = Runner(configuration) { line in log.withLock { $0.append(line) } }
        nonisolated(unsafe) let feeder = server
        let feeding = Thread {
            guard let connection = try? feeder.accept() else { return }
            let start = Date()
            for k in 0..<count {
                if lockstep {
                    let deadline = Date().addingTimeInterval(5)
                    while commits.withLock({ $0.reduce(0, +) }) < k, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
                }
                let open = 100.0 + Double(k % 7)
                let close = k.isMultiple(of: 2) ? open + 1 : open - 1
                let line = MarketEvent.bar(symbol: "A", time: 1_700_000_000_000 + Int64(k) * 60_000, open: open, high: open + 2, low: open - 2,
                                           close: close, volume: 10).line
                try? connection.send(line + "\n")
                Thread.sleep(forTimeInterval: gap)
            }
            seconds.withLock { $0 = Date().timeIntervalSince(start) }
            // Long enough for the last group's interval to end, then stop the run.
            Thread.sleep(forTimeInterval: 0.6)
            host.stop()
            connection.close()
        }
        feeding.start()
        _ = try await runner.runOnOwnThread()
        return (commits.withLock { $0 }.filter { $0 > 0 }, seconds.withLock { $0 }, log.withLock { $0 })
    }

    @Test("a trickling stream: 40 events 15 ms apart make a handful of commits with --commit-interval 250ms, one each without")
    func grouped() async throws {
        let grouped = try await trickle(interval: .milliseconds(250))
        #expect(grouped.commits.reduce(0, +) == 40)
        // One group per 250 ms the feeding took (about 0.6 s, longer on a loaded machine), plus the
        // group open at each end.
        #expect(grouped.commits.count <= Int(grouped.seconds / 0.25) + 2, "\(grouped.commits) over \(grouped.seconds) s")
        // Without an interval nothing waits for a next event: fed in lockstep, each event is its own
        // commit (fed freely, a loaded machine may hand the run several events in one read).
        let single = try await trickle(interval: .zero, lockstep: true)
        #expect(single.commits == Array(repeating: 1, count: 40), "\(single.commits)")
        // Orders were placed (the churn strategy trades every other bar) and timed.
        let last = try #require(grouped.log.last { $0.contains("committed through event") })
        #expect(last.contains("from an event's arrival to its order committed: p50"), "\(last)")
    }

    @Test("an interval that does not read, or is over a minute, is refused before anything runs, saying what to write", arguments: ["2m", "50 ms", "90x"])
    func refusedInterval(_ text: String) throws {
        let result = try KeelBinary.run(["run", "s.yaml", "--paper", "--stream", "e.jsonl", "--state", "s.db", "--commit-interval", text])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--commit-interval takes 0, milliseconds such as 50ms, or seconds up to 60s; not '\(text)'"), "\(result.stderr)")
    }

    @Test("the latency histogram: exact below 8 µs, within 1/8 above, percentiles by rank")
    func histogram() {
        var latency = OrderLatency()
        #expect(latency.summary == nil)
        for value: Int64 in [3, 9, 100, 1_000, 1_000_000] {
            #expect(OrderLatency.upperBound(OrderLatency.bucket(value)) >= value)
            #expect(Double(OrderLatency.upperBound(OrderLatency.bucket(value))) <= Double(value) * 1.125 + 1)
        }
        for value in 1...100 { latency.record(microseconds: Int64(value) * 1_000) }
        let p50 = try! #require(latency.percentile(0.5)), p99 = try! #require(latency.percentile(0.99))
        #expect(p50 >= 50_000 && Double(p50) <= 50_000 * 1.125)
        #expect(p99 >= 99_000 && Double(p99) <= 99_000 * 1.125)
        #expect(latency.summary?.hasSuffix("over 100 orders") == true)
    }
}
