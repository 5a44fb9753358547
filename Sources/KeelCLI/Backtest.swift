import ArgumentParser
import Foundation
import Keel
import KeelReport

struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a strategy over historical bars and print its result.",
        usage: "keel backtest <strategy> --data <folder|symbol=path> ... [<options>]",
        discussion: prose("""
        Exits 0 with a result, 1 when the strategy has errors or the data is refused, 64 on a usage
        error, 66 when a file cannot be read.
        """)
    )

    @Argument(help: "The strategy file.")
    var strategy: String

    @Option(name: .customLong("data"), help: "A folder holding each symbol's file (SPY.csv, SPY.csv.gz, ...), SYMBOL=PATH, or a file named for its symbol; repeatable.")
    var data: [String] = []

    @OptionGroup var reading: ReadingOptions

    @Option(help: "Starting cash.")
    var capital: Double = 100_000

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "What to do with bad data rows: error (refuse the file) or skip (drop and report each).")
    var badRows: BadRowPolicy = .error

    @Flag(help: "Include the equity curve in the JSON output.")
    var equity = false

    @Option(help: "Write every decision, with the rule that fired and the values it read, to this file (JSON lines).")
    var trace: String?

    @Option(name: .customLong("set"), help: "NAME=VALUE: replace a param's value (10, 2.5, 5%, true); repeatable.")
    var sets: [String] = []

    @Option(name: .customLong("sweep"), help: "NAME=V1,V2,...: run every combination of these param values; repeatable.")
    var sweeps: [String] = []

    @Flag(help: "Read the data files themselves: no cache is read or written.")
    var noCache = false

    @Option(help: "The cache's folder (default: $XDG_CACHE_HOME/keel, else ~/.cache/keel).")
    var cacheDir: String?

    @Option(help: "Periods per year for Sharpe, Sortino and volatility (default: the data's observed bars per year, e.g. 252 for weekday daily bars).")
    var annualization: Double?

    @Option(help: "Sweep runs at once (default: one per core).")
    var jobs: Int?

    @Option(help: "Also write a self-contained HTML report of the result (or of the sweep) to this file.")
    var report: String?

    @Option(help: "The research evidence the report shows (default: the strategy's NAME.evidence.json beside it, when there is one).")
    var evidence: String?

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the bars with --data FOLDER or --data SYMBOL=PATH") }
        guard capital > 0, capital.isFinite else { throw ValidationError("--capital must be above 0") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs is at least 1") }
        if let annualization, !(annualization > 0 && annualization.isFinite) { throw ValidationError("--annualization must be above 0") }
        do {
            _ = try ParameterSweep.parse(sets, list: false)
            _ = try ParameterSweep.parse(sweeps, list: true)
        } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let fixed = try ParameterSweep.fixed(sets)
        let axes = try ParameterSweep.parse(sweeps, list: true)
        var loaded = try loadStrategy(strategy)
        do { try ParameterSweep.requireParams(Array(fixed.keys) + axes.map(\.name), in: loaded) } catch { throw ValidationError(error.description) }
        if !axes.isEmpty {
            do { return try runSweep(try ParameterSweep(loaded, fixed: fixed, axes: axes), loaded: loaded) } catch let refusal as KeelEngine.Backtest.Refusal {
                report(refusal, text: loaded.text)
                throw Exit.findings
            }
        }
        if !fixed.isEmpty { loaded = try loadStrategy(strategy, text: loaded.text, params: fixed) }
        if let report { return try runWithReport(loaded, to: report) }
        let sources = try openSources(universe: loaded.program.settings.symbols)
        let spool = format == .json ? try ResultSpool() : nil
        let result: BacktestResult
        let bar = Progress(total: 1_000, percent: true)
        do {
            // Only the JSON lists trades, and it spools them to disk as they close: memory stays flat either way.
            result = try Keel.backtest(loaded, data: sources, capital: capital, keepTrades: false, keepEquityCurve: equity, trace: trace != nil,
                                       annualization: annualization, spool: spool, range: reading.range, progress: { bar.set(Int($0 * 1_000)) })
            bar.finish()
        } catch let failure as CSVBarReader.Failure {
            bar.finish()
            // Row 0 is a problem with a whole file (a damaged gzip, files out of time order): skipping rows cannot help.
            let rows = failure.problems.contains { $0.row > 0 }
            StandardError.write("\(failure)\n" + (rows ? "keel: bad rows in the data; fix them, or pass --bad-rows skip to drop them\n" : ""))
            throw Exit.findings
        } catch let refusal as KeelEngine.Backtest.Refusal {
            bar.finish()
            report(refusal, text: loaded.text)
            throw Exit.findings
        }
        for line in MarketData.skippedRows(sources) + MarketData.warnings(result) { StandardError.write("warning: \(line)\n") }
        if let trace {
            do { try ResultFormat.trace(result).write(toFile: trace, atomically: true, encoding: .utf8) } catch {
                StandardError.say("cannot write the trace to '\(trace)'")
                throw Exit.unreadable
            }
        }
        if let spool {
            do { try ResultFormat.writeJSON(result, includeEquity: equity, spool: spool, to: FileHandle.standardOutput) } catch {
                StandardError.say("\(error); the JSON is incomplete")
                throw Exit.cannotWrite
            }
        } else {
            print(ResultFormat.text(result), terminator: "")
        }
    }

    /// A backtest whose bars stay in memory for the report's price charts: every trade, the
    /// equity curve and the decision trace kept. The output is the plain run's.
    private func runWithReport(_ loaded: LoadedStrategy, to path: String) throws {
        let files = try ReadingOptions.files(data, universe: loaded.program.settings.symbols)
        let made: (report: BacktestReport, sources: [BarSource])
        do {
            made = try BacktestReport.make(loaded, files: files, policy: policy, capital: capital, range: reading.range, annualization: annualization,
                                           command: ["keel"] + CommandLine.arguments.dropFirst(), strategyPath: strategy)
        } catch let unreadable as MarketData.Unreadable {
            StandardError.say("\(unreadable)")
            throw Exit.unreadable
        } catch let failure as CSVBarReader.Failure {
            let rows = failure.problems.contains { $0.row > 0 }
            StandardError.write("\(failure)\n" + (rows ? "keel: bad rows in the data; fix them, or pass --bad-rows skip to drop them\n" : ""))
            throw Exit.findings
        } catch let refusal as KeelEngine.Backtest.Refusal {
            report(refusal, text: loaded.text)
            throw Exit.findings
        }
        var report = made.report
        report.evidence = try reportEvidence(evidence, strategy: strategy)
        let result = report.result
        for line in MarketData.skippedRows(made.sources) + MarketData.warnings(result) { StandardError.write("warning: \(line)\n") }
        try writeReport(report.html(), to: path)
        if let trace {
            do { try ResultFormat.trace(result).write(toFile: trace, atomically: true, encoding: .utf8) } catch {
                StandardError.say("cannot write the trace to '\(trace)'")
                throw Exit.unreadable
            }
        }
        print(format == .json ? ResultFormat.json(result, includeEquity: equity) : ResultFormat.text(result), terminator: "")
    }

    /// A refusal judged against the strategy's `timeframe:` names that line; one about the data alone does not.
    private func report(_ refusal: KeelEngine.Backtest.Refusal, text: String) {
        let place = refusal.range.map { "\(strategy):\(SourceFile(path: strategy, text: text).location(ofOffset: $0.start)): error: " }
        StandardError.write("\(place ?? "keel: ")\(refusal)\n")
    }

    private func runSweep(_ sweep: ParameterSweep, loaded: LoadedStrategy) throws {
        let files = try ReadingOptions.files(data, universe: loaded.program.settings.symbols)
        let feeds = try MarketData.load(try openSources(files))
        let progress = Progress(total: sweep.combinations.count)
        let runs = try sweep.run(feeds: feeds, capital: capital, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, range: reading.range,
                                 advanced: { progress.advance() })
        progress.finish()
        if let report {
            let manifest = ReportManifest(command: ["keel"] + CommandLine.arguments.dropFirst(), strategyPath: strategy, strategyText: loaded.text,
                                          data: ReportManifest.checksums(files))
            try writeReport(SweepReport(runs: runs, strategy: loaded, manifest: manifest).html(), to: report)
        }
        print(format == .json ? SweepFormat.json(runs) : SweepFormat.text(runs), terminator: "")
    }

    /// One streaming source per symbol of the universe (or per file, for a strategy without
    /// `symbols:`), by the policy every command shares (`MarketData.open`).
    private func openSources(universe: [String]) throws -> [BarSource] {
        try openSources(try ReadingOptions.files(data, universe: universe))
    }

    private var policy: MarketData.Policy { MarketData.Policy(useCache: !noCache, badRows: badRows, cacheDirectory: cacheDir, file: reading.file) }

    private func openSources(_ files: [(symbol: String, path: String)]) throws -> [BarSource] {
        do { return try MarketData.open(files, policy: policy) } catch let unreadable as MarketData.Unreadable {
            StandardError.say("\(unreadable)")
            throw Exit.unreadable
        } catch let failure as CSVBarReader.Failure {
            StandardError.write("\(failure)\n")
            throw Exit.findings
        }
    }
}

extension BadRowPolicy: ExpressibleByArgument {}

/// Writes a report's HTML whole or not at all (a temporary file renamed over it); exits 74 when it cannot.
/// The research evidence a report shows: `--evidence FILE`, or the strategy's own beside it
/// (`NAME.evidence.json`) when there is one. One that does not read exits 66 or 1.
func reportEvidence(_ given: String?, strategy: String?) throws -> (evidence: Evidence, path: String)? {
    guard let path = given ?? strategy.map(Evidence.defaultPath).flatMap({ FileManager.default.fileExists(atPath: $0) ? $0 : nil }) else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
        StandardError.say("cannot read the evidence '\(path)'")
        throw Exit.unreadable
    }
    do { return (try Evidence.read(data, path: path), path) } catch {
        StandardError.say(error.description)
        throw Exit.findings
    }
}

func writeReport(_ html: [UInt8], to path: String) throws {
    do { try Data(html).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        StandardError.say("cannot write the report to '\(path)': \(error.localizedDescription)")
        throw Exit.cannotWrite
    }
}
