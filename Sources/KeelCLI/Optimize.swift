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

    @Argument(help: "The strategy file; its params declare the spaces to search.")
    var strategy: String

    @Option(name: .customLong("data"), help: "A folder holding each symbol's file, SYMBOL=PATH, or a file named for its symbol; repeatable.")
    var data: [String] = []

    @OptionGroup var reading: ReadingOptions

    @Option(help: "What the search maximises: sharpe, sortino, calmar, return, cagr, profit_factor, ... (any metric; drawdowns and volatility are minimised).")
    var objective: String = "sharpe"

    @Option(help: "grid (every combination of the spaces' values) or random (--trials draws).")
    var method: SearchPlan.Method = .grid

    @Option(help: "Random trials (default 100).")
    var trials: Int?

    @Option(help: "The random search's seed.")
    var seed: UInt64 = 0

    @Option(help: "Starting cash.")
    var capital: Double = 100_000

    @Option(name: .customLong("set"), help: "NAME=VALUE: hold a param at a value (it is not searched); repeatable.")
    var sets: [String] = []

    @Option(help: "Trials at once (default: one per core).")
    var jobs: Int?

    @Option(name: .shortAndLong, help: "The results file to write (default: the strategy's name with .results.db, here).")
    var output: String?

    @Option(help: "Also write the sweep report (HTML) of the results to this file.")
    var report: String?

    @Option(help: "Output: text (the best trials) or json.")
    var format: Backtest.OutputFormat = .text

    @Flag(help: "Read the data files themselves: no cache is read or written.")
    var noCache = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the bars with --data FOLDER or --data SYMBOL=PATH") }
        guard Objective(objective) != nil else {
            throw ValidationError("no objective '\(objective)'\(Suggestions.didYouMean(objective, in: Objective.names + ["return"])); one of: \(Objective.names.joined(separator: ", "))")
        }
        guard capital > 0, capital.isFinite else { throw ValidationError("--capital must be above 0") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs is at least 1") }
        if let trials, method == .grid { throw ValidationError("--trials \(trials) goes with --method random; a grid runs every combination") }
        do { _ = try ParameterSweep.parse(sets, list: false) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let fixed = Dictionary(try ParameterSweep.parse(sets, list: false).map { ($0.name, $0.values[0]) }, uniquingKeysWith: { $1 })
        let loaded = try loadStrategy(strategy, params: fixed)
        let objective = Objective(objective)!
        let plan: SearchPlan
        let sweep: ParameterSweep
        do {
            plan = try SearchPlan(loaded, method: method, count: trials, seed: seed, fixed: Set(fixed.keys))
            sweep = try ParameterSweep(loaded, fixed: fixed, combinations: plan.trials.indices.map(plan.combination))
        } catch {
            StandardError.say("\(error)")
            throw Exit.findings
        }
        let files = try ReadingOptions.files(data, universe: loaded.program.settings.symbols)
        let feeds: [BarSeries]
        do { feeds = try MarketData.load(try MarketData.open(files, policy: MarketData.Policy(useCache: !noCache, file: reading.file))) } catch let unreadable as MarketData.Unreadable {
            StandardError.say("\(unreadable)")
            throw Exit.unreadable
        } catch {
            StandardError.write("\(error)\n")
            throw Exit.findings
        }
        let progress = Progress(total: plan.trials.count)
        let runs: [ParameterSweep.Run]
        do {
            runs = try sweep.run(feeds: feeds, capital: capital, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, range: reading.range,
                                 advanced: { progress.advance() })
            progress.finish()
        } catch {
            progress.finish()
            StandardError.say("\(error)")
            throw Exit.findings
        }
        let evidence = try Self.evidence(runs, loaded: loaded, fixed: fixed, objective: objective, feeds: feeds, capital: capital, range: reading.range)
        let command = ["keel"] + CommandLine.arguments.dropFirst()
        let manifest = ReportManifest(command: command, strategyPath: strategy, strategyText: loaded.text, data: ReportManifest.checksums(files))
        let results = ResultsFile(manifest: Self.manifest(manifest, strategyName: loaded.checked.parsed.name?.value ?? loaded.path, plan: plan, objective: objective, capital: capital, range: reading.range, fixed: fixed),
                                  trials: runs.enumerated().map { k, run in
                                      ResultsFile.Trial(number: k, params: run.params, finalEquity: run.result.finalEquity, metrics: run.result.metrics)
                                  }, statistics: evidence?.rows ?? [])
        let path = output ?? (URL(fileURLWithPath: strategy).deletingPathExtension().lastPathComponent + ".results.db")
        do { try results.write(to: path) } catch {
            StandardError.say("cannot write the results to '\(path)': \(error)")
            throw Exit.cannotWrite
        }
        if let report {
            try writeReport(SweepReport(runs: runs, strategy: loaded, manifest: manifest, objective: objective.metric).html(), to: report)
        }
        print(format == .json ? Self.json(results, objective: objective, path: path) : Self.text(results, objective: objective, path: path), terminator: "")
    }

    /// The best trial by the objective, run again with its equity curve: its probabilistic and
    /// deflated Sharpe ratios (nil when no trial has a finite objective).
    static func evidence(_ runs: [ParameterSweep.Run], loaded: LoadedStrategy, fixed: [String: ConstValue], objective: Objective,
                         feeds: [BarSeries], capital: Double, range: DateRange) throws -> SearchEvidence? {
        guard let best = objective.best(of: runs.map { objective.value($0.result) }) else { return nil }
        var params = fixed
        for (name, value) in runs[best].params { params[name] = value }
        let chosen = try loadStrategy(loaded.path, text: loaded.text, params: params)
        let result = try KeelEngine.Backtest.run(chosen.program, feeds: feeds, capital: capital, keepEquityCurve: true, keepTrades: false, range: range)
        var evidence = SearchEvidence(chosen: best, result: result, trials: runs.map(\.result))
        (evidence.stability, evidence.neighbours) = SearchEvidence.stability(
            chosen: best, trials: runs.map { ($0.params, objective.value($0.result)) }, spaces: loaded.checked.paramSpaces, objective: objective)
        return evidence
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

    /// Trials best first by the objective (NaN last, ties by trial number).
    static func ranked(_ results: ResultsFile, objective: Objective) -> [ResultsFile.Trial] {
        func value(_ t: ResultsFile.Trial) -> Double {
            objective.metric == "final_equity" ? t.finalEquity : t.metrics.named.first { $0.0 == objective.metric }?.1 ?? .nan
        }
        return results.trials.sorted { a, b in
            let (x, y) = (value(a), value(b))
            if objective.better(x, than: y) { return true }
            if objective.better(y, than: x) { return false }
            return a.number < b.number
        }
    }

    static func text(_ results: ResultsFile, objective: Objective, path: String) -> String {
        let best = ranked(results, objective: objective)
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
        if let stability = results.statistic("stability").flatMap(Double.init) {
            text += stability.isFinite
                ? "stability \(ResultFormat.format(stability, 2)): the \(results.statistic("stability_neighbours") ?? "?") neighbouring trials keep "
                    + "\(ResultFormat.format(stability * 100, 0))% of the chosen \(objective.metric) (median; 1 is a plateau)\n"
                : "stability n/a: \(results.statistic("stability_neighbours") ?? "0") neighbouring trials with a finite \(objective.metric), or the chosen one not above 0\n"
        }
        return text
    }

    static func json(_ results: ResultsFile, objective: Objective, path: String) -> String {
        let best = ranked(results, objective: objective)
        return JSON.encode(.object([
            ("results", .string(path)), ("objective", .string(objective.metric)), ("trials", .int(results.trials.count)),
            ("statistics", .object(results.statistics.map { key, value in (key, Double(value).map { .number($0) } ?? .string(value)) })),
            ("best", best.first.map { t in
                .object([("trial", .int(t.number)), ("params", .object(t.params.map { name, value in
                    if case .number(let n) = value { return (name, .number(n)) }
                    return (name, .string(SweepFormat.value(value)))
                })), ("final_equity", .number(t.finalEquity)),
                         ("metrics", .object(t.metrics.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) }))])
            } ?? .null),
        ])) + "\n"
    }
}

extension SearchPlan.Method: ExpressibleByArgument {}
