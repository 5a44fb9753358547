import Foundation
import Keel
import KeelTestSupport
import Testing
@testable import KeelResearch

/// Searches over declared spaces: the plan, the results file, and `keel optimize` as a user runs it.
@Suite struct SearchTests {
    static let text = """
        keel: 1
        name: Space
        description: an SMA cross with three searched params
        symbols: [SPY]
        params:
          fast: {default: 10, range: [5, 50], step: 5}
          slow: {default: 30, range: [20, 100]}
          stop: {default: 5%, choices: [2%, 5%, 10%]}
          gain: {default: 0.5, range: [0.1, 0.9]}
        entry: {long: "crosses_above(sma(close, fast), sma(close, slow)) and gain > 0"}
        exit: {long: crosses_below(sma(close, fast), sma(close, slow))}
        stop_loss: stop
        execution: {fees: 0.1%, slippage: 2bps}
        """
    static let examples = KeelBinary.root.appendingPathComponent("Examples/data").path

    @Test("a grid is every combination in the file's order, the last param fastest; fixed params are not searched")
    func grid() throws {
        let strategy = try LoadedStrategy(path: "s.yaml", text: Self.text.replacingOccurrences(of: "gain: {default: 0.5, range: [0.1, 0.9]}", with: "gain: 0.5"))
        let plan = try SearchPlan(strategy, method: .grid)
        #expect(plan.names == ["fast", "slow", "stop"])
        #expect(plan.trials.count == 10 * 81 * 3)
        #expect(plan.trials[0] == [.number(5), .number(20), .number(0.02)] && plan.trials[1] == [.number(5), .number(20), .number(0.05)])
        #expect(plan.trials.last == [.number(50), .number(100), .number(0.1)])
        let fixed = try SearchPlan(strategy, method: .grid, fixed: ["slow"])
        #expect(fixed.names == ["fast", "stop"] && fixed.trials.count == 30)
    }

    @Test("a random trial's draw depends on the seed and its number alone, inside its space")
    func random() throws {
        let strategy = try LoadedStrategy(path: "s.yaml", text: Self.text)
        let ten = try SearchPlan(strategy, method: .random, count: 10, seed: 42)
        let fifty = try SearchPlan(strategy, method: .random, count: 50, seed: 42)
        #expect(Array(fifty.trials.prefix(10)) == ten.trials, "a shard of the trials draws the same values")
        #expect(try SearchPlan(strategy, method: .random, count: 50, seed: 43).trials != fifty.trials)
        for trial in fifty.trials {
            let (fast, slow, gain) = (trial[0].number!, trial[1].number!, trial[3].number!)
            #expect(fast >= 5 && fast <= 50 && fast.truncatingRemainder(dividingBy: 5) == 0)
            #expect(slow >= 20 && slow <= 100 && slow == slow.rounded())
            #expect([0.02, 0.05, 0.1].contains(trial[2].number!))
            #expect(gain >= 0.1 && gain < 0.9)
        }
        #expect(Set(fifty.trials.map { $0[3].number! }).count == 50, "the interval is drawn from, not gridded")
    }

    @Test("what cannot be searched is said: no space, a grid over an interval")
    func refusals() throws {
        let plain = try LoadedStrategy(path: "p.yaml", text: Self.text.replacingOccurrences(of: "params:", with: "params: {}\nunused:")
            .components(separatedBy: "\n").filter { !$0.hasPrefix("  ") && !$0.hasPrefix("unused") }.joined(separator: "\n")
            .replacingOccurrences(of: "stop_loss: stop", with: "stop_loss: 5%").replacingOccurrences(of: "fast", with: "10")
            .replacingOccurrences(of: "slow", with: "30").replacingOccurrences(of: "gain > 0", with: "true"))
        #expect(throws: SearchPlan.Failure.self) { try SearchPlan(plain, method: .grid) }
        let strategy = try LoadedStrategy(path: "s.yaml", text: Self.text)
        do {
            _ = try SearchPlan(strategy, method: .grid)
            Issue.record("a grid over an interval is refused")
        } catch { #expect(error.description.contains("'gain'") && error.description.contains("--method random")) }
    }

    @Test("a results file reads back what was written: params in order, every metric, NaN and infinity")
    func resultsFile() throws {
        var metrics = Metrics()
        (metrics.sharpe, metrics.profitFactor, metrics.sqn, metrics.tradeCount) = (1.25, .infinity, .nan, 7)
        let written = ResultsFile(manifest: [("method", "grid"), ("params", "[\"slow\",\"fast\",\"on\"]"), ("seed", "3")], trials: [
            .init(number: 1, params: [("slow", .number(30)), ("fast", .number(0.05)), ("on", .bool(true))], finalEquity: 101_234.5, metrics: metrics),
            .init(number: 0, params: [("slow", .number(20)), ("fast", .number(5)), ("on", .bool(false))], finalEquity: 99_000, metrics: Metrics()),
        ])
        let path = try KeelBinary.temporaryFolder().appendingPathComponent("r.db").path
        try written.write(to: path)
        #expect(ResultsFile.isResultsFile(path))
        let read = try ResultsFile.read(path)
        #expect(read.manifest.map(\.0) == ["method", "params", "seed"])
        #expect(read.trials.map(\.number) == [0, 1], "in trial order")
        let one = read.trials[1]
        #expect(one.params.map(\.0) == ["slow", "fast", "on"] && one.params[1].1 == .number(0.05) && one.params[2].1 == .bool(true))
        #expect(one.finalEquity == 101_234.5 && one.metrics.sharpe == 1.25 && one.metrics.profitFactor == .infinity && one.metrics.sqn.isNaN)
        #expect(one.metrics.tradeCount == 7)
    }

    @Test("keel optimize: the same command gives the same file byte for byte; 1 core and 2 give the same trials; the best trial is the backtest of its params")
    func optimize() throws {
        let folder = try KeelBinary.temporaryFolder(["s.yaml": Self.text])
        let strategy = folder.appendingPathComponent("s.yaml").path
        func run(_ extra: [String], out: String) throws -> KeelBinary.Output {
            let result = try KeelBinary.run(["optimize", strategy, "--data", Self.examples, "--method", "random", "--trials", "24", "--seed", "5",
                                             "-o", folder.appendingPathComponent(out).path] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return result
        }
        let first = try run(["--format", "json"], out: "a.db")
        let firstBytes = try Data(contentsOf: folder.appendingPathComponent("a.db"))
        _ = try run(["--format", "json"], out: "a.db")
        #expect(try Data(contentsOf: folder.appendingPathComponent("a.db")) == firstBytes, "byte for byte")
        _ = try run(["--jobs", "1"], out: "one.db")
        _ = try run(["--jobs", "2"], out: "two.db")
        let (one, two) = (try ResultsFile.read(folder.appendingPathComponent("one.db").path), try ResultsFile.read(folder.appendingPathComponent("two.db").path))
        #expect(one.trials.count == 24 && one.trials.map(\.finalEquity) == two.trials.map(\.finalEquity))
        #expect(one.trials.map { $0.metrics.named.map(\.1.bitPattern) } == two.trials.map { $0.metrics.named.map(\.1.bitPattern) })
        #expect(one.value("seed") == "5" && one.value("strategy_sha256")?.count == 64 && one.value("data")?.contains("SPY.csv") == true)
        let best = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let chosen = try #require((best["best"] as? [String: Any])?["params"] as? [String: Any])
        let sets = chosen.flatMap { name, value in ["--set", "\(name)=\(value)"] }
        let backtest = try KeelBinary.run(["backtest", strategy, "--data", Self.examples, "--format", "json"] + sets)
        #expect(backtest.status == 0, "\(backtest.stderr)")
        let written = backtest.stdout.firstMatch(of: /\n  "final_equity": ([0-9.e+-]+)/).flatMap { Double($0.1) }
        let bestEquity = first.stdout.firstMatch(of: /"final_equity": ([0-9.e+-]+)/).flatMap { Double($0.1) }
        #expect(written != nil && written == bestEquity, "\(String(describing: written)) against \(String(describing: bestEquity))")
        let sharpes = one.trials.map(\.metrics.sharpe).filter(\.isFinite)
        let bestSharpe = (best["best"] as? [String: Any]).flatMap { ($0["metrics"] as? [String: Any])?["sharpe"] as? Double }
        #expect(bestSharpe.map { abs($0 - (sharpes.max() ?? .nan)) < 1e-12 } == true, "the best by the objective")
        // keel report draws the results file as a sweep, its manifest as recorded.
        let page = folder.appendingPathComponent("a.html")
        let report = try KeelBinary.run(["report", folder.appendingPathComponent("a.db").path, "-o", page.path])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("\"numbering\":\"trial\"") && html.contains("--seed 5") && html.contains("Space: parameter sweep"))
    }

    @Test("keel optimize refuses what it cannot do, saying what to write", arguments: [
        (["--objective", "sharp"], 64, "did you mean 'sharpe'?"),
        (["--trials", "10"], 64, "goes with --method random"),
        (["--method", "grid"], 1, "'gain' ranges over fractions without a step"),
    ])
    func refused(extra: [String], status: Int32, message: String) throws {
        let folder = try KeelBinary.temporaryFolder(["s.yaml": Self.text])
        let run = try KeelBinary.run(["optimize", folder.appendingPathComponent("s.yaml").path, "--data", Self.examples] + extra)
        #expect(run.status == status && run.stderr.contains(message), "\(run.status): \(run.stderr)")
    }
}

/// The parameter-stability score: the chosen point's neighbours' median objective over its own.
@Suite struct StabilityTests {
    static let spaces: [String: ResolvedSpace] = ["fast": .values([5, 10, 15, 20].map { .number($0) }), "gain": .interval(low: 0, high: 1)]

    static func trial(_ fast: Double, _ gain: Double, _ value: Double) -> (params: [(String, ConstValue)], value: Double) {
        ([("fast", .number(fast)), ("gain", .number(gain))], value)
    }

    @Test("a plateau keeps its objective, a knife-edge does not; neighbours are one value away, or a tenth of an interval")
    func scores() throws {
        let sharpe = try #require(Objective("sharpe"))
        let knife = [Self.trial(10, 0.5, 2.0), Self.trial(5, 0.45, 1.0), Self.trial(15, 0.55, 0.2), Self.trial(20, 0.5, 1.9), Self.trial(10, 0.8, 1.9)]
        let edge = SearchEvidence.stability(chosen: 0, trials: knife, spaces: Self.spaces, objective: sharpe)
        #expect(edge.neighbours == 2, "fast 20 is two values away, gain 0.8 three tenths")
        #expect(abs(edge.score - 0.3) < 1e-12, "median of 1.0 and 0.2 over 2.0")
        let plateau = [Self.trial(10, 0.5, 2.0), Self.trial(5, 0.5, 1.9), Self.trial(15, 0.5, 2.1), Self.trial(10, 0.55, 1.95)]
        #expect(abs(SearchEvidence.stability(chosen: 0, trials: plateau, spaces: Self.spaces, objective: sharpe).score - 1.95 / 2.0) < 1e-12)
        let drawdown = try #require(Objective("max_drawdown"))
        let low = [Self.trial(10, 0.5, 0.10), Self.trial(5, 0.5, 0.20), Self.trial(15, 0.5, 0.40)]
        #expect(abs(SearchEvidence.stability(chosen: 0, trials: low, spaces: Self.spaces, objective: drawdown).score - 0.10 / 0.30) < 1e-12)
        let alone = SearchEvidence.stability(chosen: 0, trials: [Self.trial(10, 0.5, 1)], spaces: Self.spaces, objective: sharpe)
        #expect(alone.score.isNaN && alone.neighbours == 0)
    }
}
