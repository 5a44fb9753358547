import Foundation
import KeelTestSupport
import Testing

/// `keel report` and `keel backtest --report` as a user meets them: usage errors, a result that
/// does not reproduce, a run beside its backtest.
@Suite struct ReportCommandTests {
    static let strategy = KeelBinary.root.appendingPathComponent("Strategies/sma_cross.yaml").path
    static let examples = KeelBinary.root.appendingPathComponent("Examples/data").path

    @Test("usage: a result or --state with --run, not both, not neither; --strategy and --data together", arguments: [
        [], ["a.json", "--state", "s.db", "--run", "r"], ["--state", "s.db"], ["a.json", "--data", "d"],
    ])
    func usage(arguments: [String]) throws {
        let run = try KeelBinary.run(["report"] + arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
    }

    @Test("a missing result is unreadable (66); a file that is no result, or a result from other data, is refused (1) with what to give")
    func refusals() throws {
        let folder = try KeelBinary.temporaryFolder(["junk.json": "[1, 2]", "other.json": "{\"a\": 1}"])
        #expect(try KeelBinary.run(["report", folder.appendingPathComponent("missing.json").path]).status == 66)
        let junk = try KeelBinary.run(["report", folder.appendingPathComponent("junk.json").path])
        #expect(junk.status == 1 && junk.stderr.contains("not a JSON object"), "\(junk.stderr)")
        let other = try KeelBinary.run(["report", folder.appendingPathComponent("other.json").path])
        #expect(other.status == 1 && other.stderr.contains("neither a backtest's result"), "\(other.stderr)")
        let result = folder.appendingPathComponent("result.json")
        let backtest = try KeelBinary.run(["backtest", Self.strategy, "--data", Self.examples, "--format", "json", "--set", "fast=12"])
        try backtest.stdout.write(to: result, atomically: true, encoding: .utf8)
        let alone = try KeelBinary.run(["report", result.path, "--strategy", Self.strategy])
        #expect(alone.status == 64 && alone.stderr.contains("--strategy and --data go together"), "\(alone.stderr)")
        let wrong = try KeelBinary.run(["report", result.path, "--strategy", Self.strategy, "--data", Self.examples])
        #expect(wrong.status == 1 && wrong.stderr.contains("does not come from") && wrong.stderr.contains("--set"), "\(wrong.stderr)")
        let right = try KeelBinary.run(["report", result.path, "--strategy", Self.strategy, "--data", Self.examples, "--set", "fast=12",
                                        "-o", folder.appendingPathComponent("right.html").path])
        #expect(right.status == 0, "\(right.stderr)")
        let html = try String(contentsOf: folder.appendingPathComponent("right.html"), encoding: .utf8)
        #expect(html.contains("id=\"chart-price-0\"") && html.contains("Strategy SHA-256"))
        let unwritable = try KeelBinary.run(["report", result.path, "-o", "/proc/keel-report.html"])
        #expect(unwritable.status == 74, "\(unwritable.stderr)")
    }

    @Test("--report writes the same figures the command prints, and names the data files with their SHA-256")
    func backtestReport() throws {
        let folder = try KeelBinary.temporaryFolder()
        let page = folder.appendingPathComponent("r.html")
        let plain = try KeelBinary.run(["backtest", Self.strategy, "--data", Self.examples])
        let reported = try KeelBinary.run(["backtest", Self.strategy, "--data", Self.examples, "--report", page.path])
        #expect(reported.status == 0 && reported.stdout == plain.stdout, "the printed result is the plain run's")
        let html = try String(contentsOf: page, encoding: .utf8)
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.examples).appendingPathComponent("AAPL.csv"))
        let digest = try sha256(data)
        #expect(html.contains(digest), "AAPL.csv's SHA-256 is in the manifest")
        #expect(html.contains("keel backtest \(Self.strategy) --data \(Self.examples) --report \(page.path)"))
        #expect(!html.contains("<script src") && !html.contains("<link"), "nothing loaded from elsewhere")
    }

    @Test("a paper run's report stands beside the backtest of its strategy on the bars it accepted: equal, trade for trade")
    func runReport() throws {
        let folder = try KeelBinary.temporaryFolder()
        let events = try KeelBinary.run(["data", "events", "AAPL=\(Self.examples)/AAPL.csv"])
        let stream = folder.appendingPathComponent("s.jsonl")
        try events.stdout.write(to: stream, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("run.db").path
        let run = try KeelBinary.run(["run", Self.strategy, "--paper", "--stream", stream.path, "--state", state, "--symbols", "AAPL", "--run-id", "r1"])
        #expect(run.status == 0, "\(run.stderr)")
        let page = folder.appendingPathComponent("r1.html")
        let made = try KeelBinary.run(["report", "--state", state, "--run", "r1", "-o", page.path])
        #expect(made.status == 0, "\(made.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("This run against the backtest on the same bars"))
        #expect(html.contains("the first 47 equal in every field") && html.contains("equal to the cent at every time step"), "\(html.count)")
        let decisions = html.firstMatch(of: /"decisions":\{"count":([0-9]+)/).flatMap { Int($0.1) } ?? 0
        #expect(decisions >= 94, "the run's stored decisions, an entry and an exit a trade: \(decisions)")
        let unknown = try KeelBinary.run(["report", "--state", state, "--run", "nope"])
        #expect(unknown.status == 1 && unknown.stderr.contains("nope"), "\(unknown.stderr)")
    }
}

/// SHA-256 through the system's sha256sum: a checksum computed by a program no one here wrote.
func sha256(_ data: Data) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-sha-\(UUID().uuidString)")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum", file.path]
    let out = Pipe()
    process.standardOutput = out
    try Launch.run(process)
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return String(text.prefix(64))
}
