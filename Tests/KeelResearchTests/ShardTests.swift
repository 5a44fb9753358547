import Foundation
import Keel
import KeelTestSupport
import Testing
@testable import KeelResearch

/// Sharded searches: shards merged equal the search on one machine byte for byte, the merge
/// refuses gaps, duplicates and other searches, and a search started again resumes its journal.
@Suite struct ShardTests {
    static func folder() throws -> URL { try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text]) }

    static func optimize(_ folder: URL, _ extra: [String], environment: [String: String] = [:]) throws -> KeelBinary.Output {
        try KeelBinary.run(["optimize", "s.yaml", "--data", SearchTests.examples, "--method", "random", "--trials", "40", "--seed", "5"] + extra,
                           in: folder, environment: environment)
    }

    @Test("four shards merged are the one-machine results file byte for byte; auto/N reads Slurm's and Kubernetes' index")
    func merged() throws {
        let folder = try Self.folder()
        #expect(try Self.optimize(folder, ["-o", "full.db"]).status == 0)
        for shard in 0..<4 {
            let run = try Self.optimize(folder, ["--shard", "\(shard)/4", "-o", "s\(shard).db", "--jobs", "1"])
            #expect(run.status == 0 && run.stdout == "shard \(shard)/4: 10 of the 40 trials in s\(shard).db; join the shards with keel merge\n", "\(run.stderr)")
        }
        let merge = try KeelBinary.run(["merge", "s2.db", "s0.db", "s3.db", "s1.db", "-o", "merged.db"], in: folder)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("40 trials (random); best by sharpe"))
        let (full, joined) = (try Data(contentsOf: folder.appendingPathComponent("full.db")), try Data(contentsOf: folder.appendingPathComponent("merged.db")))
        #expect(full == joined, "the merged file is the one-machine file, byte for byte")
        let results = try ResultsFile.read(folder.appendingPathComponent("merged.db").path)
        #expect(results.statistic("pbo") != nil && results.statistic("deflated_sharpe") != nil)
        #expect(results.value("command") == "keel optimize s.yaml --data \(SearchTests.examples) --method random --trials 40 --seed 5")
        // The index from the scheduler: Slurm's array task, or a Kubernetes Indexed Job's completion index.
        for (variable, name) in [("SLURM_ARRAY_TASK_ID", "slurm.db"), ("JOB_COMPLETION_INDEX", "k8s.db")] {
            let auto = try Self.optimize(folder, ["--shard", "auto/4", "-o", name], environment: [variable: "2"])
            #expect(auto.status == 0 && auto.stdout.hasPrefix("shard 2/4: 10 of the 40 trials"), "\(auto.stderr)")
            #expect(try ResultsFile.read(folder.appendingPathComponent(name).path).trials.map(\.number)
                == (try ResultsFile.read(folder.appendingPathComponent("s2.db").path).trials.map(\.number)))
        }
        let unset = try Self.optimize(folder, ["--shard", "auto/4", "-o", "x.db"])
        #expect(unset.status == 64 && unset.stderr.contains("reads the shard from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX"))
    }

    @Test("the merge refuses a missing shard, a shard twice, a shard cut short and another search, saying which")
    func refusals() throws {
        let folder = try Self.folder()
        for shard in 0..<3 { #expect(try Self.optimize(folder, ["--shard", "\(shard)/3", "-o", "s\(shard).db"]).status == 0) }
        #expect(try Self.optimize(folder, ["--shard", "1/3", "-o", "other.db", "--seed", "6"]).status == 0)
        func merge(_ files: [String]) throws -> KeelBinary.Output { try KeelBinary.run(["merge"] + files + ["-o", "m.db"], in: folder) }
        let gap = try merge(["s0.db", "s2.db"])
        #expect(gap.status == 1 && gap.stderr.contains("missing shard 1/3 of the 40 trials' search"), "\(gap.stderr)")
        let twice = try merge(["s0.db", "s1.db", "s1.db", "s2.db"])
        #expect(twice.status == 1 && twice.stderr.contains("shard 1/3 is given twice: s1.db and s1.db"))
        let other = try merge(["s0.db", "other.db", "s2.db"])
        #expect(other.status == 1 && other.stderr.contains("other.db comes from another search than s0.db: its seed is '6', not '5'"), "\(other.stderr)")
        // A shard cut short: its file lacks trials (as a journal does).
        var cut = try ResultsFile.read(folder.appendingPathComponent("s1.db").path)
        cut.trials.removeAll { $0.number == 4 || $0.number == 13 }
        try cut.write(to: folder.appendingPathComponent("cut.db").path)
        let short = try merge(["s0.db", "cut.db", "s2.db"])
        #expect(short.status == 1 && short.stderr.contains("shard 1/3 (cut.db) lacks 2 trials (4, 13)"), "\(short.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.db").path), "nothing is written")
    }

    @Test("a search started again resumes its journal: the trials it holds are not run again, and the results are the same file")
    func resume() throws {
        let folder = try Self.folder()
        #expect(try Self.optimize(folder, ["-o", "full.db"]).status == 0)
        // What a killed search leaves: its journal, a results file of the trials done so far.
        var partial = try ResultsFile.read(folder.appendingPathComponent("full.db").path)
        partial.trials = partial.trials.filter { $0.number % 3 != 0 }
        partial.statistics = []
        try partial.write(to: folder.appendingPathComponent("again.db.partial").path)
        let again = try Self.optimize(folder, ["-o", "again.db"])
        #expect(again.status == 0 && again.stderr.contains("resuming from again.db.partial: 26 trials done"), "\(again.stderr)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("again.db")) == (try Data(contentsOf: folder.appendingPathComponent("full.db"))))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("again.db.partial").path), "the journal is gone")
        // A journal of another search is refused, not mixed in.
        try partial.write(to: folder.appendingPathComponent("mixed.db.partial").path)
        let mixed = try Self.optimize(folder, ["-o", "mixed.db", "--seed", "9"])
        #expect(mixed.status == 1 && mixed.stderr.contains("mixed.db.partial holds trials of another search (its seed is '5', this one's '9')"),
                "\(mixed.stderr)")
    }
}
