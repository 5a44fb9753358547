import ArgumentParser
import Foundation
import KeelData
import KeelReport

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a search as shards on a batch scheduler users already have.",
        subcommands: [Slurm.self, Kubernetes.self]
    )

    /// What every scheduler's job takes: the shards, where their files go, the merged file, and
    /// the search itself (keel optimize's arguments after --).
    struct JobOptions: ParsableArguments {
        @Option(help: "Shards: one task each.")
        var shards: Int

        @Option(help: "The folder the shards' results files and logs go to (made when missing; on a file system every node sees).")
        var dir: String

        @Option(name: .shortAndLong, help: "The merged results file (default: merged.results.db in --dir).")
        var output: String?

        @Option(help: "Cores per task: each shard runs --jobs of them.")
        var cpusPerTask: Int = 1

        @Flag(help: "The search is a walk-forward: the arguments are keel walkforward's, and the shards search its folds.")
        var walkforward = false

        @Argument(parsing: .postTerminator, help: "keel optimize's arguments (keel walkforward's with --walkforward): the strategy, --data and the search (after --).")
        var search: [String] = []

        func validate() throws {
            guard shards >= 1, shards <= 100_000 else { throw ValidationError("--shards is from 1 to 100000") }
            guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task is at least 1") }
            guard !search.isEmpty else { throw ValidationError("give the search after --: keel cluster slurm --shards 4 --dir out -- s.yaml --data bars/ ...") }
            for forbidden in ["--shard", "-o", "--output", "--jobs", "--report"] where search.contains(where: { $0 == forbidden || $0.hasPrefix(forbidden + "=") }) {
                throw ValidationError("\(forbidden) is the job's to set: leave it out of the search's arguments")
            }
        }

        var folder: String { URL(fileURLWithPath: dir).standardizedFileURL.path }
        /// The command each shard runs, and how its files end.
        var command: String { walkforward ? "walkforward" : "optimize" }
        var suffix: String { walkforward ? ".walkforward.json" : ".results.db" }
        var merged: String { output.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? folder + "/merged" + suffix }
        func shardFile(_ index: String) -> String { "\(folder)/shard-\(index)\(suffix)" }
    }

    struct Slurm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write (or submit) a Slurm job array that runs a search's shards, and the merge after them.",
            usage: "keel cluster slurm --shards <n> --dir <folder> [--submit] -- <search>",
            discussion: prose("""
            Writes DIR/shards.sbatch, a job array (--array=0-(N-1)) whose task I runs keel
            optimize --shard auto/N (Slurm's SLURM_ARRAY_TASK_ID is I) into DIR/shard-I.results.db;
            DIR/merge.sbatch, which runs keel merge on them; and DIR/submit.sh, which submits the
            array and then the merge with --dependency=afterok on it. --submit runs those two
            sbatch calls here and prints the job ids. A task killed and run again (scontrol requeue)
            resumes its shard. Paths are made absolute, for nodes whose working folder differs.
            With --walkforward the tasks run keel walkforward --shard auto/N, each searching its
            folds into DIR/shard-I.walkforward.json, and the merge runs the test windows in order.
            Exits 0, 1 when sbatch refuses, 64 on a usage error, 74 when a file cannot be written.
            """)
        )

        @OptionGroup var job: JobOptions

        @Option(help: "The partition to run in (default: the cluster's).")
        var partition: String?

        @Option(help: "Each task's time limit, as sbatch takes it (1:00:00).")
        var time: String?

        @Flag(help: "Submit the array and the merge with sbatch now.")
        var submit = false

        func run() throws {
            let folder = job.folder
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                StandardError.say("cannot make '\(folder)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
            let keel = ReportManifest.shellWord(Self.executable)
            let here = ReportManifest.shellWord(FileManager.default.currentDirectoryPath)
            var head = ["#SBATCH --cpus-per-task=\(job.cpusPerTask)"]
            if let partition { head.append("#SBATCH --partition=\(partition)") }
            if let time { head.append("#SBATCH --time=\(time)") }
            let shards = """
                #!/bin/bash
                # A search as \(job.shards) shards, one per task of this array (written by keel cluster slurm).
                #SBATCH --job-name=keel-shards
                #SBATCH --array=0-\(job.shards - 1)
                #SBATCH --output=\(folder)/shard-%a.log
                \(head.joined(separator: "\n"))
                set -euo pipefail
                cd \(here)
                exec \(keel) \(job.command) \(job.search.map(ReportManifest.shellWord).joined(separator: " ")) --shard auto/\(job.shards) --jobs "${SLURM_CPUS_PER_TASK:-1}" \\
                    -o \(ReportManifest.shellWord(folder))/shard-"$SLURM_ARRAY_TASK_ID"\(job.suffix)

                """
            let files = (0..<job.shards).map { ReportManifest.shellWord(job.shardFile(String($0))) }.joined(separator: " ")
            let merge = """
                #!/bin/bash
                # The shards' results joined into one (written by keel cluster slurm); runs after every task of the array succeeded.
                #SBATCH --job-name=keel-merge
                #SBATCH --output=\(folder)/merge.log
                \(partition.map { "#SBATCH --partition=\($0)" } ?? "")
                set -euo pipefail
                cd \(here)
                exec \(keel) merge \(files) -o \(ReportManifest.shellWord(job.merged))

                """
            let submitScript = """
                #!/bin/bash
                # Submits the shards, then the merge once every shard succeeded (written by keel cluster slurm).
                set -euo pipefail
                array=$(sbatch --parsable \(ReportManifest.shellWord(folder + "/shards.sbatch")))
                merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" \(ReportManifest.shellWord(folder + "/merge.sbatch")))
                echo "shards: job $array; merge: job $merge; the merged results: \(job.merged)"

                """
            do {
                for (name, text) in [("shards.sbatch", shards), ("merge.sbatch", merge), ("submit.sh", submitScript)] {
                    let path = folder + "/" + name
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
                }
            } catch {
                StandardError.say("cannot write the job scripts to '\(folder)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
            guard submit else {
                return print("wrote \(folder)/shards.sbatch, merge.sbatch and submit.sh; submit with: \(folder)/submit.sh")
            }
            let array = try Self.sbatch([folder + "/shards.sbatch"])
            let after = try Self.sbatch(["--dependency=afterok:\(array)", folder + "/merge.sbatch"])
            print("submitted the shards as job \(array) and the merge as job \(after); the merged results: \(job.merged)")
        }

        /// Runs sbatch --parsable; the job id, or exit 1 with what sbatch said.
        static func sbatch(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sbatch", "--parsable"] + arguments
            let out = Pipe(), err = Pipe()
            (process.standardOutput, process.standardError) = (out, err)
            do { try process.run() } catch {
                StandardError.say("cannot run sbatch: \(error.localizedDescription)")
                throw Exit.findings
            }
            let id = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            process.waitUntilExit()
            guard process.terminationStatus == 0, !id.isEmpty else {
                StandardError.say("sbatch refused \(arguments.last ?? ""): \(said.isEmpty ? "exit \(process.terminationStatus)" : said)")
                throw Exit.findings
            }
            return String(id.split(separator: ";").first ?? Substring(id))
        }

        /// This keel, by its absolute path: the job runs it on the nodes.
        static var executable: String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
    }

    struct Kubernetes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "k8s",
            abstract: "Write a Kubernetes Indexed Job that runs a search's shards, the merge Job, and the script that applies them.",
            usage: "keel cluster k8s --shards <n> --dir <dir> --image <img> ... -- <search>",
            discussion: prose("""
            Writes DIR/shards-job.yaml, a batch/v1 Job with completionMode Indexed, completions N and
            parallelism --parallelism (N by default): pod I runs keel optimize --shard auto/N
            (Kubernetes sets JOB_COMPLETION_INDEX to I) into DIR/shard-I.results.db; DIR/merge-job.yaml,
            a Job that runs keel merge on them; and DIR/run.sh, which applies the first, waits for it to
            complete (kubectl wait) and applies the second. The pods run --image with the persistent
            volume claim --volume-claim mounted at /keel, their working folder: the strategy, the
            data and DIR are paths in that volume, as the search's arguments give them. A failed pod
            is retried (--retries per index) and resumes its shard. With --walkforward the pods run
            keel walkforward --shard auto/N into DIR/shard-I.walkforward.json, and the merge runs the
            test windows in order. Exits 0, 64 on a usage error, 74 when a file cannot be written.
            """)
        )

        @OptionGroup var job: JobOptions

        @Option(help: "The container image holding keel (its entrypoint is not used: the command is keel).")
        var image: String

        @Option(help: "The persistent volume claim mounted at /keel: the strategy, the data and --dir, shared by every pod.")
        var volumeClaim: String

        @Option(help: "The Jobs' name prefix (a DNS label).")
        var name: String = "keel-search"

        @Option(help: "Pods at once (default: every shard).")
        var parallelism: Int?

        @Option(help: "Retries of a failed shard before the Job gives it up.")
        var retries: Int = 2

        func validate() throws {
            guard name.count <= 50, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), name.first?.isLetter == true else {
                throw ValidationError("--name is a DNS label of lowercase letters, digits and '-' (at most 50), not '\(name)'")
            }
            if let parallelism, parallelism < 1 { throw ValidationError("--parallelism is at least 1") }
            guard retries >= 0 else { throw ValidationError("--retries is at least 0") }
            guard !job.dir.hasPrefix("/") else { throw ValidationError("--dir is a folder in the volume, relative to its root (/keel)") }
        }

        func run() throws {
            // Paths stay as given: they are read in the volume, from /keel.
            let dir = job.dir.hasSuffix("/") ? String(job.dir.dropLast()) : job.dir
            let merged = job.output ?? dir + "/merged" + job.suffix
            let shardsName = name + "-shards", mergeName = name + "-merge"
            func pod(_ container: String, _ arguments: [String], cpus: Int) -> JSON.Value {
                .object([("spec", .object([
                    ("restartPolicy", .string("Never")),
                    ("containers", .array([.object([
                        ("name", .string(container)), ("image", .string(image)), ("command", .array([.string("keel")])),
                        ("args", .array(arguments.map { .string($0) })), ("workingDir", .string("/keel")),
                        ("resources", .object([("requests", .object([("cpu", .string(String(cpus)))]))])),
                        ("volumeMounts", .array([.object([("name", .string("keel")), ("mountPath", .string("/keel"))])])),
                    ])])),
                    ("volumes", .array([.object([("name", .string("keel")),
                                                 ("persistentVolumeClaim", .object([("claimName", .string(volumeClaim))]))])])),
                ]))])
            }
            let shardArguments = [job.command] + job.search + ["--shard", "auto/\(job.shards)", "--jobs", String(job.cpusPerTask),
                                                                 "-o", "\(dir)/shard-$(JOB_COMPLETION_INDEX)\(job.suffix)"]
            let shards: JSON.Value = .object([
                ("apiVersion", .string("batch/v1")), ("kind", .string("Job")),
                ("metadata", .object([("name", .string(shardsName)), ("labels", .object([("app.kubernetes.io/name", .string("keel"))]))])),
                ("spec", .object([
                    ("completionMode", .string("Indexed")), ("completions", .int(job.shards)), ("parallelism", .int(parallelism ?? job.shards)),
                    ("backoffLimitPerIndex", .int(retries)), ("maxFailedIndexes", .int(0)),
                    ("template", pod("shard", shardArguments, cpus: job.cpusPerTask)),
                ])),
            ])
            let mergeArguments = ["merge"] + (0..<job.shards).map { "\(dir)/shard-\($0)\(job.suffix)" } + ["-o", merged]
            let merge: JSON.Value = .object([
                ("apiVersion", .string("batch/v1")), ("kind", .string("Job")),
                ("metadata", .object([("name", .string(mergeName)), ("labels", .object([("app.kubernetes.io/name", .string("keel"))]))])),
                ("spec", .object([("backoffLimit", .int(retries)), ("template", pod("merge", mergeArguments, cpus: 1))])),
            ])
            let here = job.folder
            let runScript = """
                #!/bin/bash
                # Applies the shards' Indexed Job, waits for every index to succeed, then applies the merge (written by keel cluster k8s).
                set -euo pipefail
                cd "$(dirname "$0")"
                kubectl apply -f shards-job.yaml
                kubectl wait --for=condition=complete --timeout="${KEEL_TIMEOUT:-24h}" job/\(shardsName)
                kubectl apply -f merge-job.yaml
                kubectl wait --for=condition=complete --timeout="${KEEL_TIMEOUT:-24h}" job/\(mergeName)
                echo "merged: \(merged) in the volume \(volumeClaim)"

                """
            do {
                try FileManager.default.createDirectory(atPath: here, withIntermediateDirectories: true)
                let heading = "# A search as \(job.shards) shards (written by keel cluster k8s); run.sh applies it, then merge-job.yaml.\n"
                try (heading + YAMLWriter.document(shards)).write(toFile: here + "/shards-job.yaml", atomically: true, encoding: .utf8)
                try ("# The shards' results joined (written by keel cluster k8s); apply it once the shards' Job completed.\n"
                    + YAMLWriter.document(merge)).write(toFile: here + "/merge-job.yaml", atomically: true, encoding: .utf8)
                try runScript.write(toFile: here + "/run.sh", atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: here + "/run.sh")
            } catch {
                StandardError.say("cannot write the manifests to '\(here)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
            print("wrote \(here)/shards-job.yaml, merge-job.yaml and run.sh; apply them with: \(here)/run.sh")
        }
    }
}

/// Block-style YAML of a JSON value: mappings and lists indented, scalars as JSON writes them
/// (a JSON string is a YAML double-quoted scalar), so the text means exactly the value.
enum YAMLWriter {
    static func document(_ value: JSON.Value) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSON.Value, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let fields):
            for (key, field) in fields {
                let plain = key.first?.isLetter == true && key.allSatisfy { $0.isLetter || $0.isNumber || "./-_".contains($0) }
                out += pad + (plain ? key : JSON.encode(.string(key), pretty: false)) + ":"
                if case .object(let inner) = field, !inner.isEmpty {
                    out += "\n"
                    write(field, indent: indent + 2, into: &out)
                } else if case .array(let items) = field, !items.isEmpty, items.contains(where: { if case .object = $0 { true } else { false } }) {
                    out += "\n"
                    write(field, indent: indent, into: &out)
                } else {
                    out += " " + JSON.encode(field, pretty: false) + "\n"
                }
            }
        case .array(let items):
            for item in items {
                if case .object = item {
                    var inner = ""
                    write(item, indent: indent + 2, into: &inner)
                    // The first line of the item takes the dash.
                    out += pad + "- " + inner.dropFirst(indent + 2)
                } else {
                    out += pad + "- " + JSON.encode(item, pretty: false) + "\n"
                }
            }
        default:
            out += pad + JSON.encode(value, pretty: false) + "\n"
        }
    }
}
