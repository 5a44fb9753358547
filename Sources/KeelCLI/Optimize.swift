import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search a strategy's declared param spaces on every core and write the results file.",
        usage: "keel optimize <strategy> --data <folder|symbol=path> ... [<options>]",
        discussion: prose("""
        The params to search declare their space in the file: fast: {default: 10, range: [5, 50],
        step: 5} or stop: {default: 5%, choices: [2%, 5%, 10%]}. A grid runs every combination; a
        random search draws --trials combinations, each trial's draw fixed by --seed and its number
        alone. The results file (SQLite) holds one row per trial with its params and every metric,
        and a manifest (the strategy's hash, the data's checksums, Keel's version, the command, the
        seed); keel report draws it. Exits 0 with results, 1 when the strategy or a trial fails, 64
        on a usage error, 66 when a file cannot be read, 74 when the results cannot be written.
        """)
    )

    @OptionGroup var study: StudyOptions

    @Option(name: .shortAndLong, help: "The results file to write (default: the strategy's name with .results.db, here).")
    var output: String?

    @Option(help: "Run only shard I of N: the trials whose number is I mod N (I/N, or auto/N to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); keel merge joins the shards.")
    var shard: String?

    @Option(help: "Also write the sweep report (HTML) of the results to this file.")
    var report: String?

    @Option(help: "Output: text (the best trials) or json.")
    var format: Backtest.OutputFormat = .text

    func validate() throws {
        if let shard { _ = try Shard(shard, environment: [:], validating: true) }
        if shard != nil, report != nil { throw ValidationError("--report draws the whole search: run keel report on the merged results instead") }
    }

    func run() throws {
        let inputs = try study.inputs()
        let (loaded, fixed, plan, files) = (inputs.loaded, inputs.fixed, inputs.plan, inputs.files)
        let objective = study.search.goal
        let shard = try self.shard.map { try Shard($0, environment: ProcessInfo.processInfo.environment) }
        let path = output ?? (URL(fileURLWithPath: study.strategy).deletingPathExtension().lastPathComponent + ".results.db")
        let recorded = ReportManifest(command: Self.recordedCommand(["keel"] + CommandLine.arguments.dropFirst()), strategyPath: study.strategy,
                                      strategyText: loaded.text, data: ReportManifest.checksums(files))
        let manifest = Self.manifest(recorded, strategyName: inputs.strategyName, plan: plan, objective: objective, capital: study.capital,
                                     range: study.reading.range, fixed: fixed) + (shard.map { [("shard", $0.description)] } ?? [])
        let journal: ResultsJournal
        do { journal = try ResultsJournal(resultsPath: path, manifest: manifest) } catch {
            StandardError.say("\(error)")
            throw error is ResultsFile.Failure ? Exit.findings : Exit.cannotWrite
        }
        if !journal.done.isEmpty { StandardError.say("resuming from \(journal.path): \(journal.done.count) trials done") }
        let (trials, evidence) = try Self.search(inputs, search: study.search, capital: study.capital, range: study.reading.range,
                                                 only: shard.map { plan.shard($0.index, of: $0.count) }, journal: journal)
        let results = ResultsFile(manifest: manifest, trials: trials, statistics: evidence?.rows ?? [])
        do {
            try journal.check()
            try results.write(to: path)
            try journal.remove()
        } catch {
            StandardError.say("cannot write the results to '\(path)': \(error)")
            throw Exit.cannotWrite
        }
        if let report { try writeReport(SweepReport(results: results, strategy: loaded).html(), to: report) }
        if let shard {
            return print("shard \(shard): \(trials.count) of the \(plan.trials.count) trials in \(path); join the shards with keel merge")
        }
        print(format == .json ? results.json(objective: objective, path: path) : Self.text(results, objective: objective, path: path), terminator: "")
    }

    /// The command as the results record it: without where they were written (`-o`), the shard
    /// and `--jobs`, which change nothing in them, so a search and its shards merged record the same.
    static func recordedCommand(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var skip = false
        for argument in arguments {
            if skip { skip = false; continue }
            if ["-o", "--output", "--shard", "--jobs"].contains(argument) { skip = true; continue }
            if ["--output=", "--shard=", "--jobs="].contains(where: argument.hasPrefix) { continue }
            kept.append(argument)
        }
        return kept
    }

    /// The trials of the plan this process runs (a shard's, or all) on every core, with a progress
    /// bar, each written to the journal as it ends; with every trial, what the search can say
    /// about its choice (PSR, DSR, stability, PBO). A failing trial is said and exits 1.
    static func search(_ inputs: SearchInputs, search: SearchOptions, capital: Double, range: DateRange, only: [Int]? = nil,
                       journal: ResultsJournal? = nil) throws -> (trials: [ResultsFile.Trial], evidence: SearchEvidence?) {
        let done = journal?.done ?? []
        let progress = Progress(total: (only?.count ?? inputs.plan.trials.count) - done.count)
        defer { progress.finish() }
        var finished: (@Sendable (ResultsFile.Trial) -> Void)?
        if let journal { finished = { journal.add($0) } }
        do {
            return try Search.run(inputs.loaded, plan: inputs.plan, fixed: inputs.fixed, feeds: inputs.feeds, capital: capital, range: range,
                                  objective: search.goal, jobs: search.jobCount, only: only, done: done, finished: finished,
                                  advanced: { progress.advance() })
        } catch {
            progress.finish()
            StandardError.say("\(error)")
            throw Exit.findings
        }
    }

    /// How the results were made: everything `keel report` and a reader need to make them again.
    static func manifest(_ m: ReportManifest, strategyName: String, plan: SearchPlan, objective: Objective, capital: Double, range: DateRange,
                         fixed: [String: ConstValue]) -> [(String, String)] {
        func json(_ value: JSON.Value) -> String { JSON.encode(value, pretty: false) }
        return [
            ("keel_version", m.keelVersion), ("command", m.commandLine), ("strategy_name", strategyName), ("strategy_path", m.strategyPath ?? ""),
            ("strategy_sha256", m.strategySHA256 ?? ""),
            ("data", json(.array(m.data.map { .object([("symbol", .string($0.symbol)), ("path", .string($0.path)), ("bytes", .int($0.bytes)),
                                                     ("sha256", .string($0.sha256))]) }))),
            ("method", plan.method.rawValue), ("seed", String(plan.seed)), ("trials", String(plan.trials.count)),
            ("objective", objective.metric), ("params", json(.array(plan.names.map { .string($0) }))),
            ("fixed", json(.object(fixed.sorted { $0.key < $1.key }.map { ($0.key, .string(SweepFormat.value($0.value))) }))),
            ("capital", ResultFormat.format(capital, 2)), ("from", range.fromText ?? ""), ("to", range.toText ?? ""),
        ]
    }

    static func text(_ results: ResultsFile, objective: Objective, path: String) -> String {
        let best = results.ranked(by: objective)
        guard let first = best.first else { return "no trials\n" }
        let names = first.params.map(\.0)
        // The objective gets its own column unless it is one of the usual four.
        let own = !["total_return", "sharpe", "max_drawdown", "trade_count"].contains(objective.metric)
        let headers = ["rank", "trial"] + names + (own ? [objective.metric] : []) + ["return", "sharpe", "max dd", "trades"]
        var rows = best.prefix(10).enumerated().map { rank, t -> [String] in
            let value = objective.metric == "final_equity" ? t.finalEquity : t.metrics.named.first { $0.0 == objective.metric }?.1 ?? .nan
            return ["\(rank + 1)", "\(t.number)"] + t.params.map { SweepFormat.value($0.1) } + (own ? [ResultFormat.format(value, 4)] : []) + [
                ResultFormat.format(t.metrics.totalReturn * 100, 2) + "%", ResultFormat.format(t.metrics.sharpe, 2),
                ResultFormat.format(t.metrics.maxDrawdown * 100, 2) + "%", "\(t.metrics.tradeCount)",
            ]
        }
        rows.insert(headers, at: 0)
        let widths = headers.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let table = rows.map { row in
            row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  ")
        }.joined(separator: "\n")
        let chosen = first.params.map { "\($0.0)=\(SweepFormat.value($0.1))" }.joined(separator: " ")
        var text = table + "\n\n\(results.trials.count) trials (\(results.value("method") ?? "")); best by \(objective.metric): \(chosen) (trial \(first.number)); results in \(path)\n"
        if let dsr = results.statistic("deflated_sharpe").flatMap(Double.init), let psr = results.statistic("probabilistic_sharpe").flatMap(Double.init) {
            text += "deflated Sharpe ratio \(ResultFormat.format(dsr, 3)): the probability that trial \(first.number)'s Sharpe ratio is above 0 after "
                + "\(results.statistic("trials_counted") ?? "?") trials (0.95 is the usual bar); \(ResultFormat.format(psr, 3)) before counting them\n"
        }
        if let pbo = results.statistic("pbo").flatMap(Double.init) {
            text += "probability of backtest overfitting \(ResultFormat.format(pbo, 3)): the share of \(results.statistic("pbo_splits") ?? "?") "
                + "in-sample/out-of-sample splits of \(results.statistic("pbo_blocks") ?? "?") blocks where the in-sample best ranks at or below "
                + "the median out of sample (CSCV; under 0.5 is better than chance)\n"
        }
        if let stability = results.statistic("stability").flatMap(Double.init) {
            text += stability.isFinite
                ? "stability \(ResultFormat.format(stability, 2)): the \(results.statistic("stability_neighbours") ?? "?") neighbouring trials keep "
                    + "\(ResultFormat.format(stability * 100, 0))% of the chosen \(objective.metric) (median; 1 is a plateau)\n"
                : "stability n/a: \(results.statistic("stability_neighbours") ?? "0") neighbouring trials with a finite \(objective.metric), or the chosen one not above 0\n"
        }
        return text
    }
}
