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

    static func walkForward(_ folder: URL, _ extra: [String]) throws -> KeelBinary.Output {
        try KeelBinary.run(["walkforward", "s.yaml", "--data", "SPY.csv", "--method", "random", "--trials", "8", "--seed", "3", "--train", "2y",
                            "--test", "6m", "--carry"] + extra, in: folder)
    }

    @Test("a walk-forward's folds searched as four shards and merged are the one-machine walk-forward byte for byte; a killed shard resumes")
    func walkForwardMerged() throws {
        let spy = try String(contentsOfFile: SearchTests.examples + "/SPY.csv", encoding: .utf8)
        let folder = try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text, "SPY.csv": spy])
        func file(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }
        let one = try Self.walkForward(folder, ["-o", "full.json"])
        #expect(one.status == 0 && one.stdout.contains("out of sample (10 folds"), "\(one.stderr)")
        for shard in 0..<4 {
            let run = try Self.walkForward(folder, ["--shard", "\(shard)/4", "-o", "w\(shard).json", "--jobs", "1"])
            #expect(run.status == 0 && run.stdout.hasPrefix("shard \(shard)/4: folds \(shard), \(shard + 4)") && run.stdout.hasSuffix(" of the 10 in w\(shard).json; join the shards with keel merge\n"),
                    "\(run.stdout)\(run.stderr)")
        }
        let merge = try KeelBinary.run(["merge", "w3.json", "w1.json", "w0.json", "w2.json", "-o", "merged.json"], in: folder)
        #expect(merge.status == 0 && merge.stdout == one.stdout, "\(merge.stderr)")
        #expect(try file("merged.json") == (try file("full.json")), "the test windows, run in order on the shards' choices, are the one machine's")
        // A shard killed after some of its folds: its file holds the folds it finished.
        var shard = try #require(try JSONSerialization.jsonObject(with: try file("w1.json")) as? [String: Any])
        shard["folds"] = (shard["folds"] as? [[String: Any]])?.filter { ($0["fold"] as? Int) != 5 }
        try JSONSerialization.data(withJSONObject: shard).write(to: folder.appendingPathComponent("cut.json"))
        let gap = try KeelBinary.run(["merge", "w0.json", "cut.json", "w2.json", "w3.json", "-o", "m.json"], in: folder)
        #expect(gap.status == 1 && gap.stderr.contains("shard 1/4 (cut.json) lacks 1 fold (5); run the shard again to finish it (it resumes)"), "\(gap.stderr)")
        let again = try Self.walkForward(folder, ["--shard", "1/4", "-o", "cut.json"])
        #expect(again.status == 0 && again.stderr.contains("resuming from cut.json: 2 folds done"), "\(again.stderr)")
        #expect(try file("cut.json") == (try file("w1.json")), "the resumed shard's file is the one run whole")
    }

    @Test("the walk-forward merge refuses a missing shard, a shard twice, another walk-forward and data changed since the shards ran")
    func walkForwardRefusals() throws {
        let spy = try String(contentsOfFile: SearchTests.examples + "/SPY.csv", encoding: .utf8)
        let folder = try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text, "SPY.csv": spy])
        for shard in 0..<2 { #expect(try Self.walkForward(folder, ["--shard", "\(shard)/2", "-o", "w\(shard).json"]).status == 0) }
        #expect(try Self.walkForward(folder, ["--shard", "1/2", "-o", "other.json", "--seed", "4"]).status == 0)
        func merge(_ files: [String]) throws -> KeelBinary.Output { try KeelBinary.run(["merge"] + files + ["-o", "m.json"], in: folder) }
        let absent = try merge(["w0.json"])
        #expect(absent.status == 1 && absent.stderr.contains("missing shard 1/2 of the 10 folds' search"), "\(absent.stderr)")
        let twice = try merge(["w0.json", "w0.json", "w1.json"])
        #expect(twice.status == 1 && twice.stderr.contains("shard 0/2 is given twice"))
        let other = try merge(["w0.json", "other.json"])
        #expect(other.status == 1 && other.stderr.contains("other.json comes from another search than w0.json: its seed is '4', not '3'"), "\(other.stderr)")
        let resumeOther = try Self.walkForward(folder, ["--shard", "1/2", "-o", "w1.json", "--seed", "4"])
        #expect(resumeOther.status == 1 && resumeOther.stderr.contains("w1.json holds folds of another walk-forward (its seed is '3', this one's '4')"))
        // The test windows run at the merge: on other bars than the shards searched they would not be theirs.
        var lines = spy.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast(lines.last == "" ? 2 : 1)
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("SPY.csv"), atomically: true, encoding: .utf8)
        let changed = try merge(["w0.json", "w1.json"])
        #expect(changed.status == 1 && changed.stderr.contains("the shards ran on another data than this folder gives"), "\(changed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.json").path), "nothing is written")
    }
}
