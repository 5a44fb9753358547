import Foundation
import KeelTestSupport
import Testing

/// A paper run whose state file's disk fills: it stops in Keel's words with exit 1, what it
/// committed stays readable, and once space returns the same command resumes to the result an
/// unhindered run gives, byte for byte. On a real small tmpfs (`SmallDisk`).
@Suite("keel run: a full disk", .serialized)
struct FullDiskTests {
    @Test("full disk: exit 1 naming the file and the space left; committed batches readable; the resume after space returns is byte-identical",
          .enabled(if: SmallDisk.available, "needs root to mount a small tmpfs"))
    func fullDisk() throws {
        let process = RunnerProcessTests()
        let folder = try KeelBinary.temporaryFolder()
        let stream = try process.stream("SYNTH20K", in: folder).path
        let reference = folder.appendingPathComponent("reference.db")
        let unhindered = try KeelBinary.run(process.runArguments("S2E", symbol: "SYNTH20K", timeframe: "1h", stream: stream, state: reference))
        #expect(unhindered.status == 0, "\(unhindered.stderr)")

        let disk = try #require(SmallDisk(size: "1m"))
        defer { disk.unmount() }
        let state = disk.folder.appendingPathComponent("run.db")
        let arguments = process.runArguments("S2E", symbol: "SYNTH20K", timeframe: "1h", stream: stream, state: state)
        let full = try KeelBinary.run(arguments)
        #expect(full.status == 1)
        #expect(full.stderr.contains("the state file \(state.path) cannot grow: its disk is full;"), "\(full.stderr)")
        #expect(full.stderr.contains("free there") && full.stderr.contains("run the same command"), "\(full.stderr)")
        #expect(!full.stderr.contains("SQLite error"), "\(full.stderr)")
        // What was committed reads back on the full disk.
        let partial = try KeelBinary.run(["runs", "show", "run", "--state", state.path, "--format", "json"])
        #expect(partial.status == 0 && partial.stdout.contains("\"trades\""), "\(partial.stderr)")

        #expect(try disk.grow(to: "64m"))
        let resumed = try KeelBinary.run(arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try process.show(state) == process.show(reference))
    }
}
