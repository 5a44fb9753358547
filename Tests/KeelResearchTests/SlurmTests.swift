import Foundation
import KeelTestSupport
import Testing
@testable import KeelResearch

/// A search sharded on a real Slurm cluster: a single node on this machine (`.ci/slurm.sh`, which
/// `.ci/run` gives Debian's slurm-wlm and munge), the job array and the merge as `keel cluster
/// slurm --submit` submits them, and the merged file against the search run here.
@Suite(.serialized) struct SlurmTests {
    static let script = KeelBinary.root.appendingPathComponent(".ci/slurm.sh").path

    struct NoSlurm: Error, CustomStringConvertible {
        var description: String { "no Slurm here: apt-get install slurm-wlm munge (.ci/run installs them)" }
    }

    /// Runs a command to its end; its output through a file, not a pipe, so a daemon it starts
    /// cannot hold the reader up.
    static func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-shell-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        (process.standardOutput, process.standardError) = (handle, handle)
        try Launch.run(process)
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOf: file, encoding: .utf8))
    }

    @Test("keel cluster slurm --submit: four shards as a job array and the merge after them equal the search (and the walk-forward) run here, byte for byte")
    func sharded() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld"), FileManager.default.isExecutableFile(atPath: "/usr/sbin/munged") else {
            throw NoSlurm()
        }
        let folder = try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text])
        let cluster = folder.appendingPathComponent("cluster").path
        let started = try Self.shell([Self.script, "start", cluster])
        defer { _ = try? Self.shell([Self.script, "stop", cluster]) }
        try #require(started.status == 0, "\(started.output)")
        let environment = ["SLURM_CONF": cluster + "/slurm.conf"]
        let search = ["s.yaml", "--data", SearchTests.examples, "--method", "random", "--trials", "40", "--seed", "11"]

        let clock = ContinuousClock()
        let localStart = clock.now
        let local = try KeelBinary.run(["optimize"] + search + ["--jobs", "1", "-o", "local.db"], in: folder)
        let localTime = clock.now - localStart
        #expect(local.status == 0, "\(local.stderr)")

        let written = try KeelBinary.run(["cluster", "slurm", "--shards", "4", "--dir", "jobs", "--"] + search, in: folder)
        #expect(written.status == 0 && written.stdout.contains("submit with:"), "\(written.stderr)")
        let array = try String(contentsOf: folder.appendingPathComponent("jobs/shards.sbatch"), encoding: .utf8)
        #expect(array.contains("#SBATCH --array=0-3") && array.contains("--shard auto/4"))

        let clusterStart = clock.now
        let submitted = try KeelBinary.run(["cluster", "slurm", "--shards", "4", "--dir", "jobs", "--submit", "--"] + search, in: folder,
                                           environment: environment)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let merged = folder.appendingPathComponent("jobs/merged.results.db")
        /// Waits (300 s at most) for the merged file and an empty queue.
        func awaitMerge(_ merged: URL) throws {
            let deadline = clock.now + .seconds(300)
            func queued() throws -> String { try Self.shell(["env", "SLURM_CONF=\(cluster)/slurm.conf", "squeue", "-h"]).output }
            while clock.now < deadline {
                if FileManager.default.fileExists(atPath: merged.path), try queued().isEmpty { break }
                Thread.sleep(forTimeInterval: 0.2)
            }
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: merged.deletingLastPathComponent().path)) ?? []
            try #require(FileManager.default.fileExists(atPath: merged.path), "no merged file in 300 s; the jobs' folder holds \(logs)")
        }
        try awaitMerge(merged)
        let clusterTime = clock.now - clusterStart
        #expect(try Data(contentsOf: merged) == (try Data(contentsOf: folder.appendingPathComponent("local.db"))),
                "the merged results are the search run here, byte for byte")
        for shard in 0..<4 {
            let log = try String(contentsOf: folder.appendingPathComponent("jobs/shard-\(shard).log"), encoding: .utf8)
            #expect(log.contains("shard \(shard)/4: 10 of the 40 trials"), "\(log)")
        }
        print("40 trials: one process here \(localTime); 4 Slurm shards with the merge, submit to merged file, \(clusterTime)")

        // A walk-forward: the tasks search its folds, the merge runs the test windows in order.
        let walk = ["s.yaml", "--data", SearchTests.examples + "/SPY.csv", "--method", "random", "--trials", "8", "--seed", "11", "--train", "2y",
                    "--test", "6m", "--carry"]
        let localWalk = try KeelBinary.run(["walkforward"] + walk + ["-o", "local.json"], in: folder)
        #expect(localWalk.status == 0, "\(localWalk.stderr)")
        let walkSubmitted = try KeelBinary.run(["cluster", "slurm", "--walkforward", "--shards", "4", "--dir", "walk", "--submit", "--"] + walk, in: folder,
                                               environment: environment)
        #expect(walkSubmitted.status == 0, "\(walkSubmitted.stderr)")
        let mergedWalk = folder.appendingPathComponent("walk/merged.walkforward.json")
        try awaitMerge(mergedWalk)
        #expect(try Data(contentsOf: mergedWalk) == (try Data(contentsOf: folder.appendingPathComponent("local.json"))),
                "the merged walk-forward is the one run here, byte for byte")
        let mergeLog = try String(contentsOf: folder.appendingPathComponent("walk/merge.log"), encoding: .utf8)
        #expect(mergeLog == localWalk.stdout, "the merge prints the walk-forward run here")
    }
}
