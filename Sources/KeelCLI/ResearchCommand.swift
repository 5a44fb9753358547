import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct ResearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "research",
        abstract: "Run the research protocol (search, walk-forward, Monte Carlo), judge the strategy's gates, write the evidence file.",
        usage: "keel research <strategy> --data <path> --train <span> --test <span> ...",
        discussion: prose("""
        The protocol: the search over the whole period (its chosen trial's probabilistic and
        deflated Sharpe ratios, the parameter stability, the probability of backtest overfitting),
        the walk-forward (the stitched out-of-sample record, its efficiency), and a Monte Carlo
        reshuffle of the out-of-sample trades (the probability of ruin at --ruin). The strategy's
        gates ({oos_sharpe: ">= 0.8", deflated_sharpe: ">= 0.95", max_drawdown: "<= 20%",
        min_trades: 100}) are judged on those figures. The evidence file (default: beside the
        strategy, NAME.evidence.json) holds the figures, the verdicts and the manifest: the
        strategy text's SHA-256, the data's checksums, Keel's version, the command, the seeds.
        keel run --live refuses a strategy with gates whose evidence is missing, made from another
        text, or failing. Exits 0 when every gate passes (or there are none), 1 when a gate fails
        or the protocol cannot run, 64 on a usage error, 66 when a file cannot be read, 74 when the
        evidence cannot be written.
        """)
    )

    @OptionGroup var study: StudyOptions

    @OptionGroup var windows: ScheduleOptions

    @Option(help: "Monte Carlo reshuffles of the out-of-sample trades.")
    var runs: Int = 1_000

    @Option(help: "The drawdown that counts as ruin (30%); default the strategy's max_drawdown limit, else 50%.")
    var ruin: String?

    @Option(name: .shortAndLong, help: "The evidence file (default: beside the strategy, NAME.evidence.json).")
    var output: String?

    @Option(help: "Output: text or json (the evidence file's content).")
    var format: Backtest.OutputFormat = .text

    func validate() throws {
        guard runs >= 1, runs <= 10_000_000 else { throw ValidationError("--runs is from 1 to 10000000") }
        if let ruin, MonteCarloCommand.fraction(ruin) == nil { throw ValidationError("--ruin takes a drawdown above 0%, up to 100%, such as 30%, not '\(ruin)'") }
    }

    func run() throws {
        let inputs = try study.inputs()
        let (trials, searched) = try Optimize.search(inputs, search: study.search, capital: study.capital, range: study.reading.range)
        let walk = try windows.walk(inputs, search: study.search, capital: study.capital, range: study.reading.range)
        let ruinLevel = ruin.flatMap(MonteCarloCommand.fraction) ?? inputs.loaded.checked.risk.limit(.maxDrawdown) ?? 0.5
        let trades = walk.folds.flatMap(\.outOfSample.trades)
        let simulation = MonteCarlo.shuffledTrades(MonteCarlo.tradeReturns(trades, capital: study.capital), capital: study.capital, runs: self.runs, seed: study.search.seed,
                                                   ruin: ruinLevel)
        var figures: [(Gate.Figure, Double)] = [
            (.oosSharpe, walk.metrics.sharpe), (.oosSortino, walk.metrics.sortino), (.oosReturn, walk.metrics.totalReturn), (.oosCagr, walk.metrics.cagr),
            (.maxDrawdown, walk.metrics.maxDrawdown), (.minTrades, Double(walk.metrics.tradeCount)), (.wfe, walk.efficiency),
            (.profitableFolds, walk.profitableFolds), (.ruinProbability, simulation.ruinProbability),
        ]
        if let searched {
            figures += [(.probabilisticSharpe, searched.probabilisticSharpe), (.deflatedSharpe, searched.deflatedSharpe), (.stability, searched.stability)]
            if let pbo = searched.overfitting { figures.append((.pbo, pbo.probability)) }
        }
        let manifest = ReportManifest(command: ["keel"] + CommandLine.arguments.dropFirst(), strategyPath: study.strategy, strategyText: inputs.loaded.text,
                                      data: ReportManifest.checksums(inputs.files))
        let settings: [(String, String)] = [
            ("objective", study.search.goal.metric), ("method", inputs.plan.method.rawValue), ("trials", String(inputs.plan.trials.count)),
            ("seed", String(study.search.seed)), ("schedule", walk.schedule.description), ("carry", windows.carry ? "true" : "false"),
            ("monte_carlo", "trades, \(self.runs) runs, seed \(study.search.seed), ruin at \(ResultFormat.format(ruinLevel * 100, 2))%"),
            ("capital", ResultFormat.format(study.capital, 2)), ("from", study.reading.range.fromText ?? ""), ("to", study.reading.range.toText ?? ""),
        ]
        let chosen = searched.map { trials[$0.trial].params } ?? []
        let evidence = Evidence(manifest: manifest, protocolSettings: settings, chosen: chosen, figures: figures,
                                gates: inputs.loaded.checked.parsed.gates.map(\.value))
        let path = output ?? Evidence.defaultPath(for: study.strategy)
        do { try Data(evidence.json().utf8).write(to: URL(fileURLWithPath: path)) } catch {
            StandardError.say("cannot write the evidence to '\(path)': \(error.localizedDescription)")
            throw Exit.cannotWrite
        }
        print(format == .json ? evidence.json() : Self.text(evidence, path: path), terminator: "")
        if evidence.verdict == "fail" { throw Exit.findings }
    }

    static func text(_ evidence: Evidence, path: String) -> String {
        var text = "figures\n"
        let width = Gate.Figure.allCases.map(\.rawValue.count).max() ?? 0
        for (figure, value) in evidence.figures {
            let shown = value.isFinite ? Evidence.Verdict.show(value, figure) : "n/a"
            text += "  \(figure.rawValue)\(String(repeating: " ", count: width - figure.rawValue.count))  \(shown)\n"
        }
        if evidence.verdicts.isEmpty {
            text += "\nno gates: the strategy declares none (gates: {oos_sharpe: \">= 0.8\", ...}); the evidence is in \(path)\n"
        } else {
            text += "\ngates\n" + evidence.verdicts.map { "  \($0.description)\n" }.joined()
            text += "\nverdict: \(evidence.verdict); the evidence is in \(path)\n"
        }
        return text
    }
}
