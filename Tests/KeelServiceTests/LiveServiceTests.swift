import Foundation
import KeelBroker
import KeelBrokerTestSupport
import KeelStore
import KeelTestSupport
import Testing

/// Live runs hosted by `keel serve` against a real `keel broker serve`, and `/ready`'s watch over
/// the runs' threads: real processes on loopback, the server's real SQLite file.
@Suite("keel serve: live runs and readiness", .serialized)
struct LiveServiceTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body
    static let key = Data((0..<32).map { UInt8($0 * 11 % 256) }).base64EncodedString()

    /// A broker connection and a strategy switched to live mode: the two acts a live run needs.
    static func liveSetup(_ server: Server, brokerURL: String, token: String, strategy name: String) throws -> (broker: String, strategy: String) {
        let (created, broker) = try server.object("POST", "/v1/brokers", body(["name": "paper", "url": brokerURL, "credentials": ["token": token]]))
        #expect(created == 201)
        let strategy = try server.create(name)
        #expect(try server.send("PUT", "/v1/strategies/\(strategy)/mode", body(["mode": "live"])).status == 200)
        return (broker["id"] as? String ?? "", strategy)
    }

    static func startRun(_ server: Server, _ fields: [String: Any]) throws -> String {
        let (status, run) = try server.object("POST", "/v1/runs", body(fields.merging(["symbols": ["ORCL"], "bar_seconds": 86_400]) { a, _ in a }))
        #expect(status == 201, "\(run)")
        return run["id"] as? String ?? ""
    }

    @Test("a live run started over HTTP trades at keel broker serve: every order Keel journaled reaches the broker once, every fill comes back")
    func liveRunOverHTTP() async throws {
        let broker = try PaperBrokerProcess()
        defer { broker.stop() }
        let server = try Server(environment: ["KEEL_SECRET_KEY": Self.key])
        defer { server.process.stop() }
        let (connection, strategy) = try Self.liveSetup(server, brokerURL: broker.url, token: PaperBrokerProcess.token, strategy: "S2E")
        let producer = try LoopbackServer()
        let id = try Self.startRun(server, ["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)", "live": true,
                                            "broker_id": connection])
        let stream = try producer.accept()
        defer { stream.close() }
        let (_, run) = try server.object("GET", "/v1/runs/\(id)")
        #expect(run["mode"] as? String == "live")

        // Each bar reaches the broker's market first, then the runner, which decides and sends its
        // orders before the next: as a real market's next bar would find them.
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let lines = Array(try RunServiceTests.orclLines().prefix(420))
        for (i, line) in lines.enumerated() {
            try broker.bars([line])
            try stream.send(line + "\n")
            try await RunServiceTests.eventually("bar \(i + 1)", every: .milliseconds(2)) {
                try (store.run(id)?.lastSeq ?? 0) >= i + 1 && store.brokerOrders(run: id, unsettledOnly: true).allSatisfy { $0.status != "intent" }
            }
        }
        #expect(try server.send("POST", "/v1/runs/\(id)/stop").status == 202)
        try await RunServiceTests.eventually("the stop") { try server.object("GET", "/v1/runs/\(id)").1["status"] as? String == "stopped" }

        // Every order is the run's and was sent, but for a close the broker's own bracket leg had
        // made already (skipped, with its reason): none is left unsent or unknown.
        let orders = try store.brokerOrders(run: id)
        #expect(orders.filter { $0.brokerOrderId != nil }.count >= 4, "S2E trades ORCL several times in 420 bars")
        #expect(orders.allSatisfy { $0.clientOrderId.hasPrefix(id + "-") && ($0.brokerOrderId != nil || $0.status == "skipped") }, "\(orders)")
        #expect(try !store.brokerFills(run: id).isEmpty)
        try expectBrokerAgreement(store, broker, runId: id)
    }

    @Test("/ready is 200 while a run is merely quiet, 503 naming a run stuck in a broker call, and 200 again once that run fails (its webhook hears run.failed)")
    func readyWatchesTheRuns() async throws {
        // The webhook listener outlives the server (defers run last to first).
        let callbacks = RunServiceTests.Callbacks(failures: 0)
        let hooks = try await callbacks.start()
        defer { hooks.stop() }
        let server = try Server(extra: ["--rate-limit", "0", "--stall-limit", "1"], environment: ["KEEL_SECRET_KEY": Self.key])
        defer { server.process.stop() }
        // A paper run whose stream connects and sends nothing: its loop still turns every 0.2 s.
        let producer = try LoopbackServer()
        let quiet = try Self.startRun(server, ["strategy_id": try server.create("S1"), "stream": "tcp://127.0.0.1:\(producer.port)"])
        let stream = try producer.accept()
        defer { stream.close() }
        try await Task.sleep(for: .seconds(1.5))
        let (ready, body) = try server.object("GET", "/ready")
        #expect(ready == 200 && body["runs"] as? Int == 1, "\(body)")

        // A broker that takes the connection and never answers: the live run's first call hangs
        // (a 5 s timeout, four tries) before its loop ever turns.
        let mute = try LoopbackServer()
        let (connection, strategy) = try Self.liveSetup(server, brokerURL: "http://127.0.0.1:\(mute.port)", token: "t", strategy: "S2E")
        let stuck = try Self.startRun(server, ["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)", "live": true,
                                               "broker_id": connection, "webhook": callbacks.url])
        var answer: (Int, [String: Any]) = (0, [:])
        try await RunServiceTests.eventually("/ready to notice the stuck run") {
            answer = try server.object("GET", "/ready")
            return answer.0 == 503
        }
        #expect(answer.1["code"] as? String == "not_ready")
        let stalled = (answer.1["details"] as? [[String: Any]] ?? []).compactMap { $0["run_id"] as? String }
        #expect(stalled == [stuck], "the stuck run, and not the quiet one (\(quiet))")
        #expect((answer.1["message"] as? String ?? "").contains(stuck))
        #expect(try server.send("GET", "/health", token: nil).status == 200, "alive, though not ready")

        // The broker goes away: the run's calls fail, it ends `failed`, and the server is ready again.
        mute.stopListening()
        try await RunServiceTests.eventually("the stuck run to fail") { try server.object("GET", "/v1/runs/\(stuck)").1["status"] as? String == "failed" }
        try await RunServiceTests.eventually("the failure's webhook") { callbacks.received.contains { $0.event == "run.failed" } }
        let failed = callbacks.received.first { $0.event == "run.failed" }?.body ?? ""
        #expect(failed.contains(stuck) && failed.contains("cannot reconcile with the broker"), "\(failed)")
        let (after, afterBody) = try server.object("GET", "/ready")
        #expect(after == 200 && afterBody["runs"] as? Int == 1, "\(afterBody)")
    }
}
