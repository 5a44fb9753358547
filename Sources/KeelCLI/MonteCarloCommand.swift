import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct MonteCarloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "montecarlo",
        abstract: "Simulate the runs a backtest could have had: its trades reshuffled, its returns resampled, or its costs redrawn.",
        usage: "keel montecarlo <result.json> [--method <method>] [--runs <n>] ...",
        discussion: prose("""
        trades shuffles the order of the closed trades (each trade's return on the equity before
        it): the final equity stays, the drawdowns move. bootstrap resamples the per-bar returns
        in blocks of random length (a stationary bootstrap, mean --block, default the cube root of
        the bars); it needs the equity curve (keel backtest --format json --equity, or --strategy
        and --data). costs runs the backtest again with fees and slippage drawn from --fees and
        --slippage (multiples of the strategy's own, 1x..2x and 1x..3x unless given, or absolute,
        0.05%..0.2%) and the fill timing from --fills; it needs --strategy and --data, and checks
        first that they make the result again. Run k is drawn from --seed and k alone. Prints the
        5th, 50th and 95th percentiles of final equity, max drawdown and Sharpe, and the
        probability that the drawdown reaches --ruin (default: the strategy's max_drawdown limit,
        else 50%). Exits 0, 1 when the result does not reproduce or a run fails, 64 on a usage
        error, 66 when a file cannot be read.
        """)
    )

    @Argument(help: "A backtest's JSON (keel backtest --format json).")
    var result: String

    @Option(help: "trades, bootstrap or costs.")
    var method: MonteCarlo.Method = .trades

    @Option(help: "Simulated runs.")
    var runs: Int = 1_000

    @Option(help: "The seed: run k draws from it and k alone.")
    var seed: UInt64 = 0

    @Option(help: "bootstrap: the mean block length in bars (default: the cube root of the bars).")
    var block: Int?

    @Option(help: "The drawdown that counts as ruin (30%); default the strategy's max_drawdown limit, else 50%.")
    var ruin: String?

    @Option(help: "costs: the fee range, as multiples (1x..2x) or absolute (0.05%..0.2%).")
    var fees: String = "1x..2x"

    @Option(help: "costs: the slippage range, as multiples (1x..3x) or absolute (0.01%..0.1%).")
    var slippage: String = "1x..3x"

    @Option(help: "costs: fill timings to draw from, comma-separated (next_open,close); default the strategy's own.")
    var fills: String?

    @Option(help: "The strategy the result came from (bootstrap without an equity curve, and costs).")
    var strategy: String?

    @Option(name: .customLong("data"), help: "Its bars, as keel backtest took them; repeatable.")
    var data: [String] = []

    @Option(name: .customLong("set"), help: "NAME=VALUE: a param as the backtest set it; repeatable.")
    var sets: [String] = []

    @OptionGroup var layout: LayoutOptions

    @Option(help: "Runs at once for costs (default: one per core).")
    var jobs: Int?

    @Option(help: "Output: text or json.")
    var format: Backtest.OutputFormat = .text

    func validate() throws {
        guard runs >= 1, runs <= 10_000_000 else { throw ValidationError("--runs is from 1 to 10000000") }
        if let block, block < 1 { throw ValidationError("--block is at least 1") }
        if let ruin, Self.fraction(ruin) == nil { throw ValidationError("--ruin takes a drawdown above 0%, up to 100%, such as 30%, not '\(ruin)'") }
        for (flag, text) in [("--fees", fees), ("--slippage", slippage)] where MonteCarlo.CostRange(text) == nil {
            throw ValidationError("\(flag) takes LOW..HIGH as multiples (1x..3x) or percents (0.05%..0.2%), not '\(text)'")
        }
        if let fills {
            for name in fills.split(separator: ",") where FillTiming(rawValue: String(name)) == nil {
                throw ValidationError("--fills takes \(FillTiming.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
            }
        }
        if strategy != nil, data.isEmpty { throw ValidationError("--strategy and --data go together: the backtest runs again on them") }
        if method == .costs, strategy == nil { throw ValidationError("--method costs runs the backtest again: give --strategy and --data") }
        do { _ = try ParameterSweep.parse(sets, list: false) } catch { throw ValidationError("\(error)") }
    }

    static func fraction(_ text: String) -> Double? {
        guard text.hasSuffix("%"), let n = Double(text.dropLast()), n > 0, n <= 100 else { return nil }
        return n / 100
    }

    func run() throws {
        let written = try readResult(result)
        var loaded: LoadedStrategy?
        var feeds: [BarSeries] = []
        var again: BacktestResult?
        if let strategy {
            let fixed = try ParameterSweep.fixed(sets)
            let strategyFile = try loadStrategy(strategy, params: fixed)
            (feeds, again) = try reproduce(written, path: result, strategy: strategyFile, data: data, file: layout.file)
            loaded = strategyFile
        }
        let ruinLevel = ruin.flatMap(Self.fraction) ?? loaded?.checked.risk.limit(.maxDrawdown) ?? 0.5
        let simulation: MonteCarlo
        switch method {
        case .trades:
            simulation = MonteCarlo.shuffledTrades(MonteCarlo.tradeReturns(written.trades, capital: written.capital), capital: written.capital,
                                                   runs: runs, seed: seed, ruin: ruinLevel)
        case .bootstrap:
            let curve = written.equityCurve.isEmpty ? again?.equityCurve ?? [] : written.equityCurve
            guard curve.count > 1 else {
                StandardError.say("\(result) holds no equity curve: write it with keel backtest --format json --equity, or give --strategy and --data")
                throw Exit.findings
            }
            let returns = MonteCarlo.curveReturns(curve, capital: written.capital)
            simulation = MonteCarlo.bootstrap(returns, capital: written.capital, blockLength: block ?? MonteCarlo.defaultBlock(returns.count),
                                              annualization: written.metrics.annualization, runs: runs, seed: seed, ruin: ruinLevel)
        case .costs:
            let draws = MonteCarlo.CostDraws(fees: MonteCarlo.CostRange(fees)!, slippage: MonteCarlo.CostRange(slippage)!,
                                             fills: (fills ?? "").split(separator: ",").compactMap { FillTiming(rawValue: String($0)) })
            let progress = Progress(total: runs)
            do {
                simulation = try MonteCarlo.costs(loaded!, original: written, feeds: feeds, draws: draws, runs: runs, seed: seed,
                                                  jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, ruin: ruinLevel, advanced: { progress.advance() })
                progress.finish()
            } catch {
                progress.finish()
                StandardError.say("\(error)")
                throw Exit.findings
            }
        }
        print(format == .json ? MonteCarloFormat.json(simulation) : MonteCarloFormat.text(simulation), terminator: "")
    }
}

extension MonteCarlo.Method: ExpressibleByArgument {}

/// A backtest's JSON read back; an unreadable file exits 66, one that is not a backtest's result 1.
func readResult(_ path: String) throws -> BacktestResult {
    let bytes: Data
    do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        StandardError.say("cannot read '\(path)'")
        throw Exit.unreadable
    }
    do {
        guard case .backtest(let result) = try ResultDocument.read(bytes, path: path) else {
            StandardError.say("\(path) is a sweep's result: give one backtest's (keel backtest --format json)")
            throw Exit.findings
        }
        return result
    } catch let failure as ResultDocument.Failure {
        StandardError.say(failure.description)
        throw Exit.findings
    }
}

/// The backtest of `written` run again from its strategy and bars, with its capital, range and
/// annualisation; it must end where the result did, or the command exits 1 saying so.
func reproduce(_ written: BacktestResult, path: String, strategy: LoadedStrategy, data: [String], file: BarFileOptions) throws
    -> (feeds: [BarSeries], result: BacktestResult) {
    let files = try ReadingOptions.files(data, universe: strategy.program.settings.symbols)
    let feeds: [BarSeries]
    let again: BacktestResult
    do {
        feeds = try MarketData.load(try MarketData.open(files, policy: MarketData.Policy(file: file)))
        again = try KeelEngine.Backtest.run(strategy.program, feeds: feeds, capital: written.capital, keepEquityCurve: true,
                                            annualization: written.metrics.annualization, range: written.range)
    } catch let unreadable as MarketData.Unreadable {
        StandardError.say("\(unreadable)")
        throw Exit.unreadable
    } catch {
        StandardError.say("the backtest does not run again: \(error)")
        throw Exit.findings
    }
    try requireReproduced(written, again: again, path: path, strategy: strategy.path)
    return (feeds, again)
}

/// Exits 1 unless `again` ends at `written`'s final equity after as many trades, on the same symbols.
func requireReproduced(_ written: BacktestResult, again: BacktestResult, path: String, strategy: String) throws {
    guard again.finalEquity == written.finalEquity, again.metrics.tradeCount == written.metrics.tradeCount, again.symbols == written.symbols else {
        StandardError.say("""
        \(path) does not come from \(strategy) on these bars: it ends at \(ResultFormat.format(written.finalEquity, 2)) after \
        \(written.metrics.tradeCount) trades, the run again at \(ResultFormat.format(again.finalEquity, 2)) after \(again.metrics.tradeCount); \
        give the --data, --set, --from and --to the backtest had
        """)
        throw Exit.findings
    }
}
