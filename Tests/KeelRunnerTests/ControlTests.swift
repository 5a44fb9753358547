import Foundation
import KeelStore
import KeelTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The operator's controls, from another process through the state file.
@Suite("keel runs halt, resume, and shutdown", .serialized)
struct ControlTests {
    static let strategy = SharedFixtures.strategy("S2E").path

    func lines() throws -> [String] {
        let events = try KeelBinary.run(["data", "events", "ORCL=\(SharedFixtures.bars("ORCL").path)"])
        return events.stdout.split(separator: "\n").map(String.init)
    }

    /// Lines appended to the stream file: the same file grown, as a producer writes it.
    func append(_ lines: ArraySlice<String>, to stream: URL) throws {
        let handle = try FileHandle(forWritingTo: stream)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    func arguments(stream: String, state: URL, extra: [String] = []) -> [String] {
        ["run", Self.strategy, "--paper", "--stream", stream, "--state", state.path, "--symbols", "ORCL", "--timeframe", "1d", "--run-id", "run"] + extra
    }

    @Test("a halt refuses new entries from the moment it is applied, survives restarts (replayed), and a resume lifts it")
    func haltAndResume() throws {
        let all = try lines()
        let folder = try KeelBinary.temporaryFolder()
        let stream = folder.appendingPathComponent("events.jsonl")
        let state = folder.appendingPathComponent("state.db")
        try (all[..<2_500].joined(separator: "\n") + "\n").write(to: stream, atomically: true, encoding: .utf8)
        #expect(try KeelBinary.run(arguments(stream: stream.path, state: state)).status == 0)

        let halt = try KeelBinary.run(["runs", "halt", "run", "--state", state.path, "--reason", "desk review"])
        #expect(halt.status == 0 && halt.stdout.contains("halt requested"), "\(halt.stderr)")
        // More bars arrive while halted: the file grows (appended: the same file), and the run resumes reading where it stopped.
        try append(all[2_500..<4_000], to: stream)
        let halted = try KeelBinary.run(arguments(stream: stream.path, state: state))
        #expect(halted.status == 0 && halted.stderr.contains("applied halt (desk review)"), "\(halted.stderr)")
        let store = try KeelStore(path: state.path)
        let haltTime = try #require(try store.events(run: "run").first { $0.kind == "control" }?.time)
        let entries = try store.fills(run: "run").filter { $0.reason == "entry" }
        #expect(!entries.isEmpty && entries.allSatisfy { $0.time <= haltTime + 86_400_000 }, "no entry fills after the bar following the halt")
        let risk = try store.riskEvents(run: "run")
        #expect(risk.contains { $0.kind == "halt" && $0.reason == "desk review" })
        #expect(risk.contains { $0.kind == "halted" }, "entry signals while halted are refused and recorded")

        // A restart replays the halt: still no entries, and the replay check passes.
        try append(all[4_000..<4_500], to: stream)
        #expect(try KeelBinary.run(arguments(stream: stream.path, state: state)).status == 0)
        #expect(try store.fills(run: "run").filter { $0.reason == "entry" }.count == entries.count)

        #expect(try KeelBinary.run(["runs", "resume", "run", "--state", state.path]).status == 0)
        try append(all[4_500...], to: stream)
        #expect(try KeelBinary.run(arguments(stream: stream.path, state: state)).status == 0)
        #expect(try store.fills(run: "run").filter { $0.reason == "entry" }.count > entries.count, "entries again after the resume")
        #expect(try store.pendingControls(run: "run").isEmpty)
        #expect(try KeelBinary.run(["runs", "halt", "nope", "--state", state.path]).status == 1)
    }

    @Test("keel runs flatten closes the open position at its last close, journaled as a control event")
    func flattenRequest() throws {
        let all = try lines()
        let folder = try KeelBinary.temporaryFolder()
        let stream = folder.appendingPathComponent("events.jsonl")
        let state = folder.appendingPathComponent("state.db")
        try (all[..<3_000].joined(separator: "\n") + "\n").write(to: stream, atomically: true, encoding: .utf8)
        #expect(try KeelBinary.run(arguments(stream: stream.path, state: state)).status == 0)
        let store = try KeelStore(path: state.path)
        let open = try store.positions(run: "run")
        #expect(open.count == 1, "the case needs an open position at bar 3,000")
        #expect(try KeelBinary.run(["runs", "flatten", "run", "--state", state.path, "--reason", "end of test"]).status == 0)
        let applied = try KeelBinary.run(arguments(stream: stream.path, state: state))
        #expect(applied.status == 0 && applied.stderr.contains("applied flatten (end of test)"), "\(applied.stderr)")
        #expect(try store.positions(run: "run").isEmpty)
        let last = try #require(try store.trades(run: "run").last)
        #expect(last.exitReason == .flatten && last.exitPrice == open[0].markPrice)
        #expect(try store.fills(run: "run").last?.clientOrderId == "run-ORCL-2999-flatten")
    }

    @Test("SIGTERM with --flatten-on-exit closes every position at its last close, journaled, and exits 0")
    func flattenOnExit() throws {
        let all = try lines()
        let folder = try KeelBinary.temporaryFolder()
        let state = folder.appendingPathComponent("state.db")
        let process = KeelBinary.start(arguments(stream: "-", state: state, extra: ["--flatten-on-exit"]))
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try Launch.run(process)
        // ORCL's S2E holds a position after bar 3,000 (checked below); stdin stays open, as a live feed's would.
        let sent = 3_000
        input.fileHandleForWriting.write(Data((all[..<sent].joined(separator: "\n") + "\n").utf8))
        let store = try KeelStore(path: state.path)
        let deadline = ContinuousClock.now + .seconds(60)
        while ((try? store.run("run"))?.lastSeq ?? 0) < Int64(sent), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let open = try store.positions(run: "run")
        #expect(open.count == 1, "the case needs an open position at bar \(sent)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("flattened every position"))
        #expect(try store.positions(run: "run").isEmpty)
        let last = try #require(try store.trades(run: "run").last)
        #expect(last.exitReason == .flatten && last.exitPrice == open[0].markPrice && last.entryTime == open[0].entryTime)
        #expect(try store.run("run")?.status == "stopped")
    }
}
