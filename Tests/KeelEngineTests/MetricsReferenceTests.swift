import Foundation
import KeelTestSupport
import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// Keel's metrics against two references no one here wrote: empyrical on equity curves Keel made
/// (committed, so the references stay what they were computed from), and backtesting.py's own
/// statistics of its SmaCross on GOOG, which Keel reproduces trade for trade. Where a definition
/// differs on purpose, the test says so and checks Keel's own (docs/metrics.md).
@Suite("Metrics against empyrical and backtesting.py")
struct MetricsReferenceTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let data = SharedFixtures.bars

    /// case name -> (strategy, symbol, data file)
    static let cases: [String: (URL, String, URL)] = [
        "goog_smacross": (fixtures.appendingPathComponent("metrics/smacross.yaml"), "GOOG", fixtures.appendingPathComponent("metrics/GOOG.csv")),
        "idx5m_s1": (SharedFixtures.strategy("S1"), "IDX5M", data.appendingPathComponent("IDX5M.csv")),
        "orcl_s2e": (SharedFixtures.strategy("S2E"), "ORCL", data.appendingPathComponent("ORCL.csv")),
    ]

    static func run(_ name: String, annualization: Double? = nil) throws -> BacktestResult {
        let (strategy, symbol, file) = try #require(cases[name])
        let path = strategy.path
        let checked = try #require(Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))).checked)
        let feed = try CSVBarReader.read(path: file.path, symbol: symbol).series
        return try Backtest.run(try Compiler.compile(checked), feeds: [feed], capital: 100_000, keepEquityCurve: true, annualization: annualization)
    }

    static func json(_ file: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("metrics/\(file)"))) as? [String: Any])
    }

    func near(_ a: Double, _ b: Any?, _ relative: Double = 1e-9) -> Bool {
        guard let b = (b as? NSNumber)?.doubleValue else { return false }
        return abs(a - b) <= relative * max(1e-12, abs(a), abs(b))
    }

    @Test("Sharpe, Sortino, volatility and max drawdown equal empyrical's", arguments: ["goog_smacross", "idx5m_s1", "orcl_s2e"])
    func empyrical(_ name: String) throws {
        let result = try Self.run(name)
        // The curve the references were computed from is still the one Keel makes.
        let committed = try String(contentsOf: Self.fixtures.appendingPathComponent("metrics/\(name).csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(committed.count == result.equityCurve.count)
        for (row, point) in zip(committed, result.equityCurve) where Double(row[1]) != point.equity {
            Issue.record("\(name): equity at \(row[0]) is \(point.equity), the reference has \(row[1])")
            break
        }
        let reference = try #require(try Self.json("empyrical.json")[name] as? [String: Any])
        let m = result.metrics
        #expect(near(m.annualization, reference["annualization"], 1e-12))
        #expect(near(m.sharpe, reference["sharpe"]), "sharpe \(m.sharpe)")
        #expect(near(m.sortino, reference["sortino"]), "sortino \(m.sortino)")
        #expect(near(m.volatility, reference["volatility"]), "volatility \(m.volatility)")
        #expect(near(m.maxDrawdown, reference["max_drawdown"]), "max drawdown \(m.maxDrawdown)")
        // On purpose: Keel's CAGR counts calendar years from the first to the last bar (as
        // backtesting.py does); empyrical counts periods over the annualization. Close, not equal.
        let years = Double(result.lastTime - result.firstTime) / 1_000 / (365.25 * 86_400)
        #expect(abs(m.cagr - (pow(result.finalEquity / 100_000, 1 / years) - 1)) < 1e-12)
        #expect(near(m.cagr, reference["annual_return"], 1e-2))
        #expect(m.calmar == m.cagr / m.maxDrawdown)
    }

    @Test("annualization: observed bars per year (about 252 for weekday daily bars), or --annualization")
    func annualization() throws {
        let observed = try Self.run("goog_smacross")
        #expect(observed.metrics.annualization > 251 && observed.metrics.annualization < 253)
        let fixed = try Self.run("goog_smacross", annualization: 252)
        #expect(fixed.metrics.annualization == 252)
        let scale = (252 / observed.metrics.annualization).squareRoot()
        #expect(abs(fixed.metrics.sharpe - observed.metrics.sharpe * scale) < 1e-12)
        #expect(abs(fixed.metrics.volatility - observed.metrics.volatility * scale) < 1e-12)
        // Intraday bars annualise per bar: IDX5M's 5-minute bars, trading hours only.
        let intraday = try Self.run("idx5m_s1")
        #expect(intraday.metrics.annualization > 20_000 && intraday.metrics.annualization < 40_000)
    }

    @Test("backtesting.py's statistics of SmaCross on GOOG, wherever the definitions agree")
    func backtestingPy() throws {
        let result = try Self.run("goog_smacross")
        let reference = try Self.json("backtesting_py_goog_smacross.json")
        let s = try #require(reference["stats"] as? [String: Any])
        let m = result.metrics
        #expect(m.tradeCount == 93 && (s["# Trades"] as? NSNumber)?.intValue == 93)
        #expect(near(result.finalEquity, s["Equity Final [$]"]))
        #expect(near(m.totalReturn * 100, s["Return [%]"]))
        #expect(near(m.cagr * 100, s["CAGR [%]"]))
        #expect(near(-m.maxDrawdown * 100, s["Max. Drawdown [%]"]))
        #expect(near(-m.averageDrawdown * 100, s["Avg. Drawdown [%]"]))
        #expect(near(m.winRate * 100, s["Win Rate [%]"]))
        #expect(near(m.bestTrade * 100, s["Best Trade [%]"]) && near(m.worstTrade * 100, s["Worst Trade [%]"]))
        #expect(near(m.averageTrade * 100, s["Avg. Trade [%]"]))
        #expect(near(m.expectancy * 100, s["Expectancy [%]"]))
        #expect(near(m.sqn, s["SQN"]) && near(m.kelly, s["Kelly Criterion"]))
        // Durations: backtesting.py rounds up to the data's resolution (a day here).
        func days(_ seconds: Double) -> Double { (seconds / 86_400).rounded(.up) * 86_400 }
        #expect(near(m.maxDrawdownDuration, s["Max. Drawdown Duration"]) && near(days(m.averageDrawdownDuration), s["Avg. Drawdown Duration"]))
        #expect(near(m.maxTradeDuration, s["Max. Trade Duration"]) && near(days(m.averageTradeDuration), s["Avg. Trade Duration"]))
        // backtesting.py counts only closed trades' bars; with the open position closed at the end
        // (finalize_trades=True) it counts what Keel's exposure_time counts.
        let finalized = try #require(reference["finalized"] as? [String: Any])
        #expect(near(m.exposureTime * 100, finalized["Exposure Time [%]"]))
        // On purpose, not compared: its profit factor sums trade returns (Keel's sums P&L), its
        // Sharpe, Sortino, volatility and Calmar compound daily returns over 252 days, and its buy
        // and hold starts after the indicators' warm-up.
        #expect(m.profitFactor > 1 && m.exposure > 0.9)
    }
}
