import Foundation
import KeelTestSupport
import Testing

/// `keel serve` whose store's disk fills under a hosted run: that run fails, in Keel's words, and
/// the server goes on answering. On a real small tmpfs (`SmallDisk`).
@Suite("keel serve: a full disk", .serialized)
struct ServiceFullDiskTests {
    @Test("a hosted run whose store fills fails alone: the server answers, the run is failed with the reason, other reads work",
          .enabled(if: SmallDisk.available, "needs root to mount a small tmpfs"))
    func hostedRunFails() async throws {
        // The webhook listener outlives the server (defers run last to first).
        let callbacks = RunServiceTests.Callbacks(failures: 0)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        let disk = try #require(SmallDisk(size: "2m"))
        defer { disk.unmount() }
        let server = try ServiceTests.Server(database: disk.folder.appendingPathComponent("keel.db"))
        defer { server.process.stop() }
        try server.generateBig(bars: 60_000)
        let events = try KeelBinary.run(["data", "events", "BIG=" + server.folder.appendingPathComponent("data/BIG.csv").path])
        #expect(events.status == 0)
        try events.stdout.write(to: server.folder.appendingPathComponent("data/BIG.jsonl"), atomically: true, encoding: .utf8)
        let strategy = try server.create("S2E")
        let (status, run) = try server.object("POST", "/v1/runs", ServiceTests.body(["strategy_id": strategy, "stream": "BIG.jsonl", "symbols": ["BIG"],
                                                                                     "bar_seconds": 60, "webhook": callbacks.url]))
        #expect(status == 201, "\(run)")
        let id = run["id"] as? String ?? ""
        var final: [String: Any] = [:]
        try await RunServiceTests.eventually("the run ended") {
            final = try server.object("GET", "/v1/runs/\(id)").1
            return final["status"] as? String != "running"
        }
        #expect(final["status"] as? String == "failed", "\(final)")
        // The server still serves: health, reads, and a refusal for what needs space.
        #expect(try server.send("GET", "/health").status == 200)
        #expect(try server.send("GET", "/v1/strategies/\(strategy)").status == 200)
        #expect(try server.send("GET", "/v1/runs/\(id)/trades").status == 200)
        // Its webhook says why, in Keel's words.
        try await RunServiceTests.eventually("the failure's webhook") { callbacks.received.contains { $0.event == "run.failed" } }
        let failure = callbacks.received.first { $0.event == "run.failed" }?.body ?? ""
        #expect(failure.contains("cannot grow: its disk is full") && failure.contains("free there"), "\(failure)")
    }
}
