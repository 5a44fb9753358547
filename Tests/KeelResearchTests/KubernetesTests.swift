import Foundation
import KeelTestSupport
import Testing
@testable import KeelResearch

/// `keel cluster k8s`: the Indexed Job and the merge Job valid against Kubernetes' own schema for
/// batch/v1 Job (Fixtures/k8s, from kubernetes-validate 1.37.0), and their commands run here as the
/// pods would, with JOB_COMPLETION_INDEX set, merging into the search run in one process.
@Suite struct KubernetesTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/k8s/job-batch-v1.schema.json")

    /// The `args:` of a manifest's container, as Kubernetes passes them (one flow list per line).
    static func arguments(_ manifest: String) throws -> [String] {
        let line = try #require(manifest.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("args:") })
        let list = line.split(separator: ":", maxSplits: 1)[1]
        return try JSONDecoder().decode([String].self, from: Data(list.utf8))
    }

    @Test("the manifests are valid batch/v1 Jobs (Indexed, N completions); run as their pods would, the shards merge into the one-process search")
    func manifests() throws {
        let volume = try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text])
        try FileManager.default.createSymbolicLink(atPath: volume.appendingPathComponent("data").path, withDestinationPath: SearchTests.examples)
        let search = ["s.yaml", "--data", "data", "--method", "random", "--trials", "40", "--seed", "11"]
        let written = try KeelBinary.run(["cluster", "k8s", "--shards", "4", "--dir", "jobs", "--image", "registry.example/keel:1",
                                          "--volume-claim", "keel-data", "--parallelism", "2", "--"] + search, in: volume)
        #expect(written.status == 0, "\(written.stderr)")
        let shards = try String(contentsOf: volume.appendingPathComponent("jobs/shards-job.yaml"), encoding: .utf8)
        let merge = try String(contentsOf: volume.appendingPathComponent("jobs/merge-job.yaml"), encoding: .utf8)
        for (name, text) in [("completionMode", "\"Indexed\""), ("completions", "4"), ("parallelism", "2"), ("claimName", "\"keel-data\"")] {
            #expect(shards.contains("\(name): \(text)"), "\(name)")
        }
        // Kubernetes' schema of a Job, strict: an unknown or misspelt field is an error.
        let process = Process()
        process.executableURL = try OutsideTools.python
        process.arguments = ["-m", "check_jsonschema", "--schemafile", Self.schema.path,
                             volume.appendingPathComponent("jobs/shards-job.yaml").path, volume.appendingPathComponent("jobs/merge-job.yaml").path]
        let out = Pipe()
        (process.standardOutput, process.standardError) = (out, out)
        try Launch.run(process)
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        // The check bites: a misspelt field is refused.
        try shards.replacingOccurrences(of: "completionMode", with: "completionMod").write(to: volume.appendingPathComponent("bad.yaml"), atomically: true,
                                                                                            encoding: .utf8)
        let bad = Process()
        bad.executableURL = try OutsideTools.python
        bad.arguments = ["-m", "check_jsonschema", "--schemafile", Self.schema.path, volume.appendingPathComponent("bad.yaml").path]
        (bad.standardOutput, bad.standardError) = (Pipe(), Pipe())
        try Launch.run(bad)
        bad.waitUntilExit()
        #expect(bad.terminationStatus == 1)

        // Each pod: the manifest's args, $(JOB_COMPLETION_INDEX) expanded from the variable Kubernetes sets, in the volume's root.
        let podArguments = try Self.arguments(shards)
        for index in 0..<4 {
            let expanded = podArguments.map { $0.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: String(index)) }
            let pod = try KeelBinary.run(expanded, in: volume, environment: ["JOB_COMPLETION_INDEX": String(index)])
            #expect(pod.status == 0 && pod.stdout.hasPrefix("shard \(index)/4"), "\(pod.stderr)")
        }
        let merged = try KeelBinary.run(try Self.arguments(merge), in: volume)
        #expect(merged.status == 0, "\(merged.stderr)")
        let local = try KeelBinary.run(["optimize"] + search + ["-o", "local.db"], in: volume)
        #expect(local.status == 0)
        #expect(try Data(contentsOf: volume.appendingPathComponent("jobs/merged.results.db")) == (try Data(contentsOf: volume.appendingPathComponent("local.db"))))
    }

    @Test("--walkforward: the pods search their folds and the merge Job runs the test windows into the one-process walk-forward")
    func walkForward() throws {
        let volume = try KeelBinary.temporaryFolder(["s.yaml": SearchTests.text])
        try FileManager.default.createSymbolicLink(atPath: volume.appendingPathComponent("data").path, withDestinationPath: SearchTests.examples)
        let walk = ["s.yaml", "--data", "data/SPY.csv", "--method", "random", "--trials", "8", "--seed", "2", "--train", "2y", "--test", "6m"]
        let written = try KeelBinary.run(["cluster", "k8s", "--walkforward", "--shards", "3", "--dir", "jobs", "--image", "registry.example/keel:1",
                                          "--volume-claim", "keel-data", "--"] + walk, in: volume)
        #expect(written.status == 0, "\(written.stderr)")
        let shards = try String(contentsOf: volume.appendingPathComponent("jobs/shards-job.yaml"), encoding: .utf8)
        let podArguments = try Self.arguments(shards)
        #expect(podArguments.first == "walkforward" && podArguments.last == "jobs/shard-$(JOB_COMPLETION_INDEX).walkforward.json")
        for index in 0..<3 {
            let expanded = podArguments.map { $0.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: String(index)) }
            let pod = try KeelBinary.run(expanded, in: volume, environment: ["JOB_COMPLETION_INDEX": String(index)])
            #expect(pod.status == 0 && pod.stdout.hasPrefix("shard \(index)/3: folds \(index), "), "\(pod.stderr)")
        }
        let merge = try String(contentsOf: volume.appendingPathComponent("jobs/merge-job.yaml"), encoding: .utf8)
        let merged = try KeelBinary.run(try Self.arguments(merge), in: volume)
        #expect(merged.status == 0, "\(merged.stderr)")
        let local = try KeelBinary.run(["walkforward"] + walk + ["-o", "local.json"], in: volume)
        #expect(local.status == 0 && merged.stdout == local.stdout)
        #expect(try Data(contentsOf: volume.appendingPathComponent("jobs/merged.walkforward.json"))
            == (try Data(contentsOf: volume.appendingPathComponent("local.json"))))
    }
}
