import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct WalkForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkforward",
        abstract: "Optimise on each train window, trade the choice on the test window after it, and stitch the out-of-sample record.",
        usage: "keel walkforward <strategy> --data <path> --train <span> --test <span>",
        discussion: prose("""
        Spans are 2y, 6m (months), 12w, 90d, 12h or 30min, on the UTC calendar. Fold k trains on
        its window (rolling: starting k steps after the data's first bar; anchored: always from
        it), then, after the purge gap, trades the chosen params on the test window with the
        indicators warmed up on the bars before it. The search never reads a bar at or after its
        train window's end. Each test window starts with the equity the last one ended with, flat
        unless --carry takes the open positions over the seam at its close. The output gives each
        fold's choice with its in-sample and out-of-sample figures, the stitched out-of-sample
        record and the walk-forward efficiency (out-of-sample CAGR over the mean in-sample CAGR).
        Exits 0 with results, 1 when the strategy, a fold or a trial fails, 64 on a usage error,
        66 when a file cannot be read, 74 when the output cannot be written.
        """)
    )

    @OptionGroup var study: StudyOptions

    @OptionGroup var windows: ScheduleOptions

    @Option(name: .shortAndLong, help: "Also write the whole walk-forward (folds, stitched equity, manifest) as JSON to this file; a shard's file with --shard.")
    var output: String?

    @Option(help: "Run only shard I of N: the searches of the folds whose number is I mod N (I/N, or auto/N to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX), into -o; keel merge joins the shards and runs the test windows.")
    var shard: String?

    @Option(help: "Output: text (the folds and the stitched record) or json.")
    var format: Backtest.OutputFormat = .text

    func validate() throws {
        if let shard {
            _ = try Shard(shard, environment: [:], validating: true)
            guard output != nil else { throw ValidationError("--shard writes the shard's file: give it with -o") }
        }
    }

    func run() throws {
        let inputs = try study.inputs()
        if let shard = try shard.map({ try Shard($0, environment: ProcessInfo.processInfo.environment) }) { return try runShard(shard, inputs) }
        let walk = try windows.walk(inputs, search: study.search, capital: study.capital, range: study.reading.range)
        try write(walk, manifest: manifest(inputs, command: Optimize.recordedCommand(["keel"] + CommandLine.arguments.dropFirst())), to: output, format: format)
    }

    /// Writes the walk-forward's JSON to `output` (when given) and prints it as `format` says.
    func write(_ walk: WalkForward, manifest: [(String, String)], to output: String?, format: Backtest.OutputFormat) throws {
        let json = WalkForwardFormat.json(walk, manifest: manifest)
        if let output {
            do { try Data(json.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                StandardError.say("cannot write the walk-forward to '\(output)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
        }
        print(format == .json ? json : WalkForwardFormat.text(walk), terminator: "")
    }

    /// How the walk-forward was made: the search's manifest, the schedule and the carry.
    func manifest(_ inputs: SearchInputs, command: [String]) -> [(String, String)] {
        let made = ReportManifest(command: command, strategyPath: study.strategy, strategyText: inputs.loaded.text, data: ReportManifest.checksums(inputs.files))
        return Optimize.manifest(made, strategyName: inputs.strategyName, plan: inputs.plan, objective: study.search.goal, capital: study.capital,
                                 range: study.reading.range, fixed: inputs.fixed)
            + [("schedule", (try? windows.schedule().description) ?? ""), ("carry", windows.carry ? "true" : "false")]
    }

    /// A shard: the searches of its folds, each written to its file (-o) as it ends, so that a
    /// shard started again resumes; the test windows run when keel merge joins the shards.
    func runShard(_ shard: Shard, _ inputs: SearchInputs) throws {
        let path = output!
        let command = Optimize.recordedCommand(["keel"] + CommandLine.arguments.dropFirst())
        let schedule = try windows.schedule()
        let folds: [WalkForward.Fold]
        do { folds = try WalkForward.folds(schedule, feeds: inputs.feeds, bounds: study.reading.range) } catch {
            StandardError.say("\(error)")
            throw Exit.findings
        }
        // The merge runs the test windows from these arguments: the command's, as a list.
        let manifest = manifest(inputs, command: command) + [
            ("shard", shard.description), ("folds", String(folds.count)),
            ("arguments", JSON.encode(.array(command.dropFirst(2).map { .string($0) }), pretty: false)),
        ]
        var done: [WalkForward.Choice] = []
        if FileManager.default.fileExists(atPath: path) {
            let held: (manifest: [(String, String)], choices: [WalkForward.Choice])
            do { held = try WalkForwardShardFile.read(path) } catch {
                StandardError.say("\(error): remove it or give another -o")
                throw Exit.findings
            }
            for (key, value) in manifest where key != "command" {
                let theirs = held.manifest.first { $0.0 == key }?.1 ?? ""
                guard theirs == value else {
                    StandardError.say("\(path) holds folds of another walk-forward (its \(key) is '\(theirs.prefix(80))', this one's '\(value.prefix(80))'): "
                        + "remove it to start again, or give another -o")
                    throw Exit.findings
                }
            }
            done = held.choices
            if !done.isEmpty { StandardError.say("resuming from \(path): \(done.count) fold\(done.count == 1 ? "" : "s") done") }
        }
        let mine = folds.filter { $0.number % shard.count == shard.index }
        func save(_ choices: [WalkForward.Choice]) throws {
            do { try Data(WalkForwardShardFile.encode(choices, manifest: manifest).utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                StandardError.say("cannot write the shard's folds to '\(path)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
        }
        let progress = Progress(total: (mine.count - done.count) * inputs.plan.trials.count)
        var written = done
        let chosen: [WalkForward.Choice]
        do {
            chosen = try WalkForward.choose(inputs.loaded, plan: inputs.plan, fixed: inputs.fixed, feeds: inputs.feeds, capital: study.capital,
                                          objective: study.search.goal, schedule: schedule, bounds: study.reading.range, jobs: study.search.jobCount,
                                          only: { $0.number % shard.count == shard.index }, done: done,
                                          finished: { choice in
                                              written.append(choice)
                                              try save(written)
                                          }, advanced: { progress.advance() })
            progress.finish()
        } catch let exit as ExitCode {
            progress.finish()
            throw exit
        } catch {
            progress.finish()
            StandardError.say("\(error)")
            throw Exit.findings
        }
        try save(chosen)
        print("shard \(shard): folds \(mine.map { String($0.number) }.joined(separator: ", ")) of the \(folds.count) in \(path); "
            + "join the shards with keel merge")
    }
}

/// The windows of a walk-forward (`keel walkforward`, `keel research`).
struct ScheduleOptions: ParsableArguments {
    @Option(help: "Each fold's train window (2y, 6m, 90d, ...).")
    var train: String

    @Option(help: "Each fold's test window.")
    var test: String

    @Option(help: "How far each fold moves on (default: the test window).")
    var step: String?

    @Flag(help: "Every train window starts at the data's first bar and grows by a step each fold.")
    var anchored = false

    @Option(help: "A gap left out between each train window and its test window.")
    var purge: String?

    @Flag(help: "Take positions open at a seam into the next fold at the seam's close, under the next fold's params.")
    var carry = false

    func validate() throws { _ = try schedule() }

    func schedule() throws -> WalkForward.Schedule {
        func span(_ text: String, _ flag: String) throws -> Span {
            guard let span = Span(text) else { throw ValidationError("\(flag) takes a span such as 2y, 6m (months), 12w, 90d, 12h or 30min, not '\(text)'") }
            return span
        }
        return WalkForward.Schedule(train: try span(train, "--train"), test: try span(test, "--test"), step: try step.map { try span($0, "--step") },
                                    anchored: anchored, purge: try purge.map { try span($0, "--purge") })
    }

    /// Runs the walk-forward with a progress bar; a failure is said and exits 1.
    /// `choices`: folds the shards searched, whose test windows alone run here.
    func walk(_ inputs: SearchInputs, search: SearchOptions, capital: Double, range: DateRange, choices: [WalkForward.Choice] = []) throws -> WalkForward {
        let schedule = try schedule()
        do {
            let folds = try WalkForward.folds(schedule, feeds: inputs.feeds, bounds: range)
            let progress = Progress(total: max(0, folds.count - choices.count) * inputs.plan.trials.count)
            defer { progress.finish() }
            return try WalkForward.run(inputs.loaded, plan: inputs.plan, fixed: inputs.fixed, feeds: inputs.feeds, capital: capital, objective: search.goal,
                                       schedule: schedule, carry: carry, bounds: range, jobs: search.jobCount, choices: choices,
                                       advanced: { progress.advance() })
        } catch {
            StandardError.say("\(error)")
            throw Exit.findings
        }
    }
}
