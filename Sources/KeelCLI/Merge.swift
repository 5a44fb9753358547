import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the results files of a search's shards into one, checking that they cover it exactly once.",
        usage: "keel merge <results> ... -o <merged.results.db> [--strategy <file>]",
        discussion: prose("""
        Each file is a shard's (keel optimize --shard I/N): all from the same search (the same
        strategy text, data checksums, plan and settings), every shard once, every trial of the
        plan once. A gap or a duplicate is refused, naming the shard and the trials. The merged file
        holds every trial and the search's statistics (deflated Sharpe, stability, PBO), made from
        the trials' kept returns: it is the file the search on one machine writes, byte for byte.
        The stability reads the strategy's spaces: from --strategy, else the path the results
        record, and its SHA-256 must be the one they record. The files of a walk-forward's shards
        (keel walkforward --shard I/N -o FILE) join the same way, fold by fold; the merge then runs
        the test windows one after another (they chain equity and positions) from the arguments
        the shards record, in the folder they ran in, and writes the walk-forward's JSON, the one a
        single machine writes. Exits 0, 1 when the shards do not join or their strategy or data
        changed, 64 on a usage error, 66 when a file cannot be read, 74 when the result cannot be
        written.
        """)
    )

    @Argument(help: "The shards' results files.")
    var results: [String]

    @Option(name: .shortAndLong, help: "The merged results file to write.")
    var output: String

    @Option(help: "The strategy the search ran (default: the path its results record).")
    var strategy: String?

    @Option(help: "Output: text (the best trials) or json.")
    var format: Backtest.OutputFormat = .text

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give the shards' results files") }
    }

    func run() throws {
        if let first = results.first, WalkForwardShardFile.isJSON(first) { return try mergeWalkForward() }
        var files: [(path: String, results: ResultsFile)] = []
        for path in results {
            guard FileManager.default.isReadableFile(atPath: path) else {
                StandardError.say("cannot read '\(path)'")
                throw Exit.unreadable
            }
            do { files.append((path, try ResultsFile.read(path))) } catch {
                StandardError.say("\(path): \(error)")
                throw Exit.findings
            }
        }
        let merged: (manifest: [(String, String)], trials: [ResultsFile.Trial])
        do { merged = try ShardMerge.merge(files) } catch {
            StandardError.say(error.description)
            throw Exit.findings
        }
        let recorded = files[0].results
        let path = strategy ?? recorded.value("strategy_path") ?? ""
        let loaded = try loadStrategy(path)
        let hash = ReportManifest(command: [], strategyText: loaded.text).strategySHA256
        guard hash == recorded.value("strategy_sha256") else {
            StandardError.say("\(path) is not the text the search ran (its SHA-256 differs from the one the results record): give that text with --strategy")
            throw Exit.findings
        }
        let objective = Objective(recorded.value("objective") ?? "sharpe") ?? Objective("sharpe")!
        let evidence = SearchEvidence.of(merged.trials, spaces: loaded.checked.paramSpaces, objective: objective)
        let result = ResultsFile(manifest: merged.manifest, trials: merged.trials, statistics: evidence?.rows ?? [])
        do { try result.write(to: output) } catch {
            StandardError.say("cannot write the results to '\(output)': \(error)")
            throw Exit.cannotWrite
        }
        print(format == .json ? result.json(objective: objective, path: output) : Optimize.text(result, objective: objective, path: output), terminator: "")
    }

    /// The shards of a walk-forward: their folds' choices joined, then the test windows run in
    /// order on them with the strategy and data the shards read (checked by their hashes).
    func mergeWalkForward() throws {
        var parts: [ShardMerge.Part] = []
        var choices: [WalkForward.Choice] = []
        for path in results {
            guard FileManager.default.isReadableFile(atPath: path) else {
                StandardError.say("cannot read '\(path)'")
                throw Exit.unreadable
            }
            do {
                let shard = try WalkForwardShardFile.read(path)
                parts.append(ShardMerge.Part(path: path, manifest: shard.manifest, numbers: shard.choices.map(\.fold.number)))
                choices += shard.choices
            } catch {
                StandardError.say("\(error)")
                throw Exit.findings
            }
        }
        let common: [(String, String)]
        do { common = try ShardMerge.join(parts, units: .folds) } catch {
            StandardError.say(error.description)
            throw Exit.findings
        }
        let recorded = common.filter { !["folds", "arguments"].contains($0.0) }
        let arguments = (common.first { $0.0 == "arguments" }?.1).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        var walk: WalkForwardCommand
        do { walk = try WalkForwardCommand.parse(arguments) } catch {
            StandardError.say("the walk-forward the shards record does not read (\(arguments.joined(separator: " "))): \(WalkForwardCommand.message(for: error))")
            throw Exit.findings
        }
        if let strategy { walk.study.strategy = strategy }
        let inputs = try walk.study.inputs()
        // What the shards searched must be what runs here: the same strategy text, data and settings.
        let here = walk.manifest(inputs, command: ["keel", "walkforward"] + arguments)
        for ((key, value), (_, theirs)) in zip(here, recorded) where key != "command" && value != theirs {
            StandardError.say("the shards ran on another \(key) than this folder gives (theirs '\(theirs.suffix(100))', here '\(value.suffix(100))'): "
                + "merge in the folder they ran in, with the same strategy and data")
            throw Exit.findings
        }
        let result = try walk.windows.walk(inputs, search: walk.study.search, capital: walk.study.capital, range: walk.study.reading.range, choices: choices)
        try walk.write(result, manifest: recorded, to: output, format: format)
    }
}
