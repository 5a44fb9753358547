import ArgumentParser
import Foundation
import Keel
import KeelResearch

/// What `keel optimize` and `keel walkforward` search: the objective, the method and its trials,
/// the params held fixed, and how many trials run at once.
struct SearchOptions: ParsableArguments {
    @Option(help: "What the search maximises: sharpe, sortino, calmar, return, cagr, profit_factor, ... (any metric; drawdowns and volatility are minimised).")
    var objective: String = "sharpe"

    @Option(help: "grid (every combination of the spaces' values) or random (--trials draws).")
    var method: SearchPlan.Method = .grid

    @Option(help: "Random trials (default 100).")
    var trials: Int?

    @Option(help: "The random search's seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("set"), help: "NAME=VALUE: hold a param at a value (it is not searched); repeatable.")
    var sets: [String] = []

    @Option(help: "Trials at once (default: one per core).")
    var jobs: Int?

    func validate() throws {
        guard Objective(objective) != nil else {
            throw ValidationError("no objective '\(objective)'\(Suggestions.didYouMean(objective, in: Objective.names + ["return"])); one of: \(Objective.names.joined(separator: ", "))")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs is at least 1") }
        if let trials, method == .grid { throw ValidationError("--trials \(trials) goes with --method random; a grid runs every combination") }
        do { _ = try ParameterSweep.parse(sets, list: false) } catch { throw ValidationError("\(error)") }
    }

    var goal: Objective { Objective(objective)! }
    var jobCount: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }
    var fixed: [String: ConstValue] { (try? ParameterSweep.fixed(sets)) ?? [:] }
}

/// What every research command takes: the strategy, its bars and period, the search, the cash.
struct StudyOptions: ParsableArguments {
    @Argument(help: "The strategy file; its params declare the spaces to search (and its gates what research must show).")
    var strategy: String

    @Option(name: .customLong("data"), help: "A folder holding each symbol's file, SYMBOL=PATH, or a file named for its symbol; repeatable.")
    var data: [String] = []

    @OptionGroup var reading: ReadingOptions

    @OptionGroup var search: SearchOptions

    @Option(help: "Starting cash.")
    var capital: Double = 100_000

    @Flag(help: "Read the data files themselves: no cache is read or written.")
    var noCache = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the bars with --data FOLDER or --data SYMBOL=PATH") }
        guard capital > 0, capital.isFinite else { throw ValidationError("--capital must be above 0") }
    }

    func inputs() throws -> SearchInputs { try SearchInputs(strategy: strategy, data: data, reading: reading, search: search, noCache: noCache) }
}

/// A search made ready: the strategy with its fixed params, the plan of trials, the bars.
struct SearchInputs {
    let loaded: LoadedStrategy
    let fixed: [String: ConstValue]
    let plan: SearchPlan
    let files: [(symbol: String, path: String)]
    let feeds: [BarSeries]

    /// Loads the strategy and the bars and draws the plan; a failure is said and exits as the CLI's
    /// other commands do (1 for a strategy or plan that cannot run, 66 for unreadable data).
    init(strategy: String, data: [String], reading: ReadingOptions, search: SearchOptions, noCache: Bool) throws {
        fixed = search.fixed
        loaded = try loadStrategy(strategy, params: fixed)
        do {
            plan = try SearchPlan(loaded, method: search.method, count: search.trials, seed: search.seed, fixed: Set(fixed.keys))
            _ = try ParameterSweep(loaded, fixed: fixed, combinations: plan.trials.indices.map(plan.combination))
        } catch {
            StandardError.say("\(error)")
            throw Exit.findings
        }
        files = try ReadingOptions.files(data, universe: loaded.program.settings.symbols)
        do { feeds = try MarketData.load(try MarketData.open(files, policy: MarketData.Policy(useCache: !noCache, file: reading.file))) } catch let unreadable as MarketData.Unreadable {
            StandardError.say("\(unreadable)")
            throw Exit.unreadable
        } catch {
            StandardError.write("\(error)\n")
            throw Exit.findings
        }
    }

    var strategyName: String { loaded.checked.parsed.name?.value ?? loaded.path }
}

extension SearchPlan.Method: ExpressibleByArgument {}

/// `--shard I/N`: this process runs the trials whose number is I mod N. `auto/N` reads I from the
/// batch scheduler: Slurm's `SLURM_ARRAY_TASK_ID` or Kubernetes' `JOB_COMPLETION_INDEX`.
struct Shard: CustomStringConvertible {
    let index: Int
    let count: Int

    init(_ text: String, environment: [String: String], validating: Bool = false) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let count = Int(parts[1]), count >= 1, count <= 100_000 else {
            throw ValidationError("--shard takes I/N (0/4 is the first of four shards) or auto/N, not '\(text)'")
        }
        self.count = count
        if parts[0] == "auto" {
            guard !validating else {
                index = 0
                return
            }
            guard let found = environment["SLURM_ARRAY_TASK_ID"] ?? environment["JOB_COMPLETION_INDEX"], let index = Int(found) else {
                throw ValidationError("--shard auto/\(count) reads the shard from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, and neither is set")
            }
            guard index >= 0, index < count else { throw ValidationError("the shard index \(index) is not below \(count)") }
            self.index = index
        } else {
            guard let index = Int(parts[0]), index >= 0, index < count else {
                throw ValidationError("--shard \(text): the index is from 0 to \(count - 1)")
            }
            self.index = index
        }
    }

    var description: String { "\(index)/\(count)" }
}
