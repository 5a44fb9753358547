import Foundation
import KeelTestSupport
import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// The public conformance cases, copied into the shared fixtures (`SharedFixtures.conformance`): four strategies on five
/// real data sets, trade for trade against the answer backtesting.py, backtrader and a literal
/// reference simulator agree on. Compared as check.py compares.
@Suite("Conformance with the peer engines")
struct ConformanceTests {
    static let fixtures = SharedFixtures.root
    static let data = SharedFixtures.bars

    struct Case: CustomTestStringConvertible, Sendable {
        let strategy: String
        let symbol: String
        var testDescription: String { "\(strategy) on \(symbol)" }
    }

    static let cases: [Case] = ["S1", "S2E", "S3", "S4"].flatMap { s in
        ["ORCL", "NVDA", "IDX5M", "UNITBTC1M", "SYNTH20K"].map { Case(strategy: s, symbol: $0) }
    }

    static func run(_ item: Case, keepEquityCurve: Bool = false) throws -> BacktestResult {
        let path = fixtures.appendingPathComponent("conformance/strategies/\(item.strategy).yaml").path
        let front = Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
        let checked = try #require(front.checked)
        let program = try Compiler.compile(checked)
        let feed = try CSVBarReader.read(path: data.appendingPathComponent("\(item.symbol).csv").path, symbol: item.symbol).series
        return try Backtest.run(program, feeds: [feed], capital: 100_000, keepEquityCurve: keepEquityCurve)
    }

    @Test("trade for trade", arguments: cases)
    func conformance(_ item: Case) throws {
        let result = try Self.run(item)
        let url = Self.fixtures.appendingPathComponent("conformance/expected/\(item.strategy)/\(item.symbol).json")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let trades = try #require(expected["trades"] as? [[String: Any]])
        #expect(result.trades.count == trades.count)
        for (i, (want, got)) in zip(trades, result.trades).enumerated() {
            let where_ = "\(item.testDescription) trade #\(i)"
            #expect(TimestampParser.parse(want["entry_time"] as! String) == got.entryTime, "\(where_) entry time")
            #expect(TimestampParser.parse(want["exit_time"] as! String) == got.exitTime, "\(where_) exit time")
            #expect(close(want["entry_price"], got.entryPrice, 1e-9), "\(where_) entry price \(got.entryPrice)")
            #expect(close(want["exit_price"], got.exitPrice, 1e-9), "\(where_) exit price \(got.exitPrice)")
            #expect(close(want["size"], got.quantity, 1e-12), "\(where_) quantity")
            #expect(want["exit_reason"] as? String == got.exitReason.rawValue, "\(where_) exit reason")
            if !(TimestampParser.parse(want["entry_time"] as! String) == got.entryTime) { break }
        }
        #expect(result.openPositions.count == (expected["open_trade"] is NSNull || expected["open_trade"] == nil ? 0 : 1))
        #expect(close(expected["final_equity"], result.finalEquity, 1e-6), "final equity \(result.finalEquity)")
    }

    @Test("two runs give byte-identical JSON")
    func determinism() throws {
        let item = Case(strategy: "S4", symbol: "SYNTH20K")
        let first = try Self.run(item, keepEquityCurve: true)
        #expect(first.equityCurve.count == 20_000)
        #expect(ResultFormat.json(first, includeEquity: true) == ResultFormat.json(try Self.run(item, keepEquityCurve: true), includeEquity: true))
    }

    @Test("without the trade list the metrics are the same: they come from running trade statistics")
    func withoutTrades() throws {
        let path = Self.fixtures.appendingPathComponent("conformance/strategies/S3.yaml").path
        let checked = try #require(Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))).checked)
        let program = try Compiler.compile(checked)
        let feed = try CSVBarReader.read(path: Self.data.appendingPathComponent("ORCL.csv").path, symbol: "ORCL").series
        let kept = try Backtest.run(program, feeds: [feed], capital: 100_000)
        let lean = try Backtest.run(program, feeds: [feed], capital: 100_000, keepTrades: false)
        #expect(lean.trades.isEmpty && kept.trades.count == 14 && lean.riskEvents.isEmpty)
        #expect(lean.riskEventCount == kept.riskEvents.count)
        #expect(ResultFormat.text(lean) == ResultFormat.text(kept))
        #expect(lean.metrics.tradeCount == 14 && lean.finalEquity == kept.finalEquity)
        let wins = kept.trades.filter { $0.pnl > 0 }.count
        #expect(lean.metrics.winRate == Double(wins) / 14)
    }

    @Test("the streaming metrics equal a two-pass computation over the whole equity curve")
    func streamingMetrics() throws {
        let result = try Self.run(Case(strategy: "S2E", symbol: "ORCL"), keepEquityCurve: true)
        var previous = 100_000.0, peak = 100_000.0, drawdown = 0.0
        var returns: [Double] = []
        for point in result.equityCurve {
            returns.append(point.equity / previous - 1)
            previous = point.equity
            peak = max(peak, point.equity)
            drawdown = max(drawdown, 1 - point.equity / peak)
        }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let deviation = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)).squareRoot()
        // Annualised by the observed bars per year: the curve's intervals over its span in years.
        let years = Double(result.equityCurve.last!.time - result.equityCurve.first!.time) / 1_000 / (365.25 * 86_400)
        #expect(result.metrics.annualization == Double(result.equityCurve.count - 1) / years)
        let annual = result.metrics.annualization.squareRoot()
        #expect(abs(result.metrics.sharpe - mean / deviation * annual) <= 1e-9 * abs(result.metrics.sharpe))
        #expect(result.metrics.maxDrawdown == drawdown)
        #expect(abs(result.metrics.totalReturn - (result.finalEquity / 100_000 - 1)) < 1e-15)
    }

    private func close(_ want: Any?, _ got: Double, _ relative: Double) -> Bool {
        guard let want = (want as? NSNumber)?.doubleValue else { return false }
        return abs(want - got) <= relative * max(1, abs(want), abs(got))
    }
}
