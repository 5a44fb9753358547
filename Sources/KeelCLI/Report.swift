import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch
import KeelRunner

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML report of a backtest's or sweep's JSON, a search's results file, or a run.",
        usage: """
        keel report <result.json> [-o <file>] [--strategy <file> --data ...]
          keel report --state <file> --run <id> [-o <file>]
        """,
        discussion: prose("""
        A backtest's JSON alone draws its figures, trades and (with --equity) its equity curve; with
        --strategy and --data the backtest runs again, must give the same final equity and trades,
        and the report adds the rules, the price charts and the decision behind each trade. A run
        is drawn beside the backtest of its strategy on the bars it accepted. Exits 0 with a
        report, 1 when the result does not reproduce, 64 on a usage error, 66 when an input cannot
        be read, 74 when the report cannot be written.
        """)
    )

    @Argument(help: "A result: keel backtest --format json (with --equity for the equity charts), a sweep's --format json, or keel optimize's results file.")
    var result: String?

    @Option(help: "The SQLite state file of a paper or live run (with --run).")
    var state: String?

    @Option(name: .customLong("run"), help: "The run's id in --state (see keel runs list).")
    var runID: String?

    @Option(name: .shortAndLong, help: "The HTML file to write (default: the result's path with .html, or RUN.html).")
    var output: String?

    @Option(help: "The strategy the result came from: a backtest runs again on --data for the rules and price charts; a sweep shows its rules.")
    var strategy: String?

    @Option(name: .customLong("data"), help: "The bars, as keel backtest takes them (with --strategy); repeatable.")
    var data: [String] = []

    @Option(name: .customLong("set"), help: "NAME=VALUE, as the backtest was given them (with --strategy); repeatable.")
    var sets: [String] = []

    @OptionGroup var layout: LayoutOptions

    @Option(help: "The research evidence to show (default: the strategy's NAME.evidence.json beside it, with --strategy, when there is one).")
    var evidence: String?

    func validate() throws {
        switch (result, state, runID) {
        case (.some, nil, nil): break
        case (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give a result file, or --state and --run, not both")
        default: throw ValidationError("give a result file (keel backtest --format json), or --state FILE --run ID")
        }
        if strategy == nil, !data.isEmpty { throw ValidationError("--data goes with --strategy: the backtest runs again on them") }
        do { _ = try ParameterSweep.parse(sets, list: false) } catch { throw ValidationError("\(error)") }
    }

    private var command: [String] { ["keel"] + CommandLine.arguments.dropFirst() }

    func run() throws {
        if let state, let run = runID {
            let store = try openStore(state)
            do {
                let report = try RunComparison.report(store: store, run: run, command: command)
                try writeReport(report.html(), to: output ?? "\(run).html")
            } catch let failure as RunReport.Failure {
                StandardError.say("\(failure)")
                throw Exit.findings
            }
            return
        }
        guard let path = result else { return }
        if ResultsFile.isResultsFile(path) {
            let results: ResultsFile
            do { results = try ResultsFile.read(path) } catch {
                StandardError.say("\(error)")
                throw Exit.findings
            }
            let loaded = try strategy.map { try loadStrategy($0) }
            let target = output ?? (path.hasSuffix(".db") ? String(path.dropLast(3)) : path) + ".html"
            return try writeReport(SweepReport(results: results, strategy: loaded).html(), to: target)
        }
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            StandardError.say("cannot read '\(path)'")
            throw Exit.unreadable
        }
        let target = output ?? (path.hasSuffix(".json") ? String(path.dropLast(5)) : path) + ".html"
        let document: ResultDocument
        do { document = try ResultDocument.read(bytes, path: path) } catch {
            StandardError.say(error.description)
            throw Exit.findings
        }
        switch document {
        case .sweep(_, let runs):
            let loaded = try strategy.map { try loadStrategy($0) }
            try writeReport(SweepReport(runs: runs, strategy: loaded, manifest: ReportManifest(command: command, strategyPath: strategy,
                                                                                              strategyText: loaded?.text)).html(), to: target)
        case .backtest(let written):
            var report = try backtestReport(written, path: path)
            report.evidence = try reportEvidence(evidence, strategy: strategy)
            try writeReport(report.html(), to: target)
        }
    }

    /// The JSON's own figures, or with --strategy and --data the run made again and checked against them.
    private func backtestReport(_ written: BacktestResult, path: String) throws -> BacktestReport {
        if strategy != nil, data.isEmpty {
            StandardError.say("--strategy and --data go together for a backtest's result: the backtest runs again on them")
            throw ExitCode.validationFailure
        }
        guard let strategy else {
            var notes = ["Drawn from \(path) alone: the price charts, the rules and the decision trace need --strategy and --data."]
            if written.equityCurve.isEmpty { notes.append("This result holds no equity curve: write it with keel backtest --format json --equity.") }
            return BacktestReport(result: written, bars: [], strategy: nil, manifest: ReportManifest(command: command), notes: notes)
        }
        let fixed = try ParameterSweep.fixed(sets)
        let loaded = try loadStrategy(strategy, params: fixed)
        let files = try ReadingOptions.files(data, universe: loaded.program.settings.symbols)
        let report: BacktestReport
        do {
            report = try BacktestReport.make(loaded, files: files, policy: MarketData.Policy(file: layout.file), capital: written.capital,
                                             range: written.range, annualization: written.metrics.annualization, command: command).report
        } catch let unreadable as MarketData.Unreadable {
            StandardError.say("\(unreadable)")
            throw Exit.unreadable
        } catch {
            StandardError.say("the backtest does not run again: \(error)")
            throw Exit.findings
        }
        try requireReproduced(written, again: report.result, path: path, strategy: strategy)
        return report
    }
}
