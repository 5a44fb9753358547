import Foundation
import Keel
import KeelTestSupport
import Testing

/// `--from` and `--to`: a ranged backtest is the backtest of a file cut to the range plus the
/// strategy's warm-up, seen from the range's first bar.
@Suite("Date ranges")
struct DateRangeTests {
    static let root = KeelBinary.root

    static func load(_ name: String) throws -> LoadedStrategy {
        let path = root.appendingPathComponent("Strategies/\(name).yaml").path
        return try #require(Keel.compile(try String(contentsOfFile: path, encoding: .utf8), path: path).strategy)
    }

    static func bars(_ symbol: String) throws -> BarSeries {
        try CSVBarReader.read(path: root.appendingPathComponent("Examples/data/\(symbol).csv").path, symbol: symbol).series
    }

    /// The bars of `series` from `warmup` bars before `from` up to `until`.
    static func cut(_ series: BarSeries, from: Int64, until: Int64, warmup: Int) -> BarSeries {
        let first = series.time.firstIndex { $0 >= from }!
        let end = series.time.firstIndex { $0 >= until } ?? series.count
        var cut = BarSeries(symbol: series.symbol, signalNames: series.signalNames)
        cut.append(contentsOf: series, range: max(0, first - warmup)..<end)
        return cut
    }

    @Test("one symbol and several: the same trades, open positions, final equity and equity curve as on the cut files",
          arguments: [("sma_cross", ["AAPL"]), ("market_filter_trend", ["AAPL", "MSFT", "SPY"]), ("donchian_breakout", ["AAPL", "MSFT"])])
    func equalsCutFile(_ name: String, _ symbols: [String]) throws {
        let strategy = try Self.load(name)
        let range = try DateRange(from: "2018-03-01", to: "2019-12-31")
        let full = try symbols.map(Self.bars)
        let warmup = strategy.program.warmup
        let cut = full.map { Self.cut($0, from: range.from!, until: range.until!, warmup: warmup) }
        let ranged = try Backtest.run(strategy.program, feeds: full, capital: 100_000, keepEquityCurve: true, range: range)
        let reference = try Backtest.run(strategy.program, feeds: cut, capital: 100_000, keepEquityCurve: true)
        #expect(ranged.trades.count > 3, "a range that trades")
        #expect(ranged.trades == reference.trades)
        #expect(ranged.openPositions == reference.openPositions)
        #expect(ranged.finalEquity == reference.finalEquity)
        let seen = reference.equityCurve.filter { $0.time >= range.from! }
        #expect(ranged.equityCurve.map(\.time) == seen.map(\.time) && ranged.equityCurve.map(\.equity) == seen.map(\.equity))
        // The period traded starts at --from; the warm-up is the strategy's, taken in full.
        #expect(ranged.firstTime == range.from! && ranged.warmupBars == symbols.map { _ in warmup } && ranged.warmupNeeded == warmup)
        #expect(ranged.bars == cut.map(\.count).reduce(0, +) - warmup * symbols.count)
    }

    @Test("no trade and no equity before --from, even where a file has no bars to warm up on")
    func nothingBefore() throws {
        let strategy = try Self.load("sma_cross")
        let series = try Self.bars("AAPL")
        let range = try DateRange(from: TimestampParser.format(series.time[5]), to: nil)
        let result = try Backtest.run(strategy.program, feeds: [series], capital: 100_000, keepEquityCurve: true, range: range)
        #expect(result.warmupBars == [5] && result.equityCurve.first?.time == series.time[5])
        #expect(result.trades.allSatisfy { $0.entryTime >= series.time[5] })
        #expect(MarketData.warnings(result).contains { $0.contains("5 of the \(strategy.program.warmup) warm-up bars") })
    }

    @Test("a range outside the data is refused, naming the data's own period")
    func outside() throws {
        let strategy = try Self.load("sma_cross")
        do {
            _ = try Backtest.run(strategy.program, feeds: [try Self.bars("AAPL")], capital: 100_000, range: try DateRange(from: "2030-01-01", to: nil))
            Issue.record("a range after the data ran")
        } catch let refusal as Backtest.Refusal {
            #expect(refusal.description.contains("AAPL: no bars in --from 2030-01-01") && refusal.description.contains("from 2015-01-02"), "\(refusal)")
        }
    }

    @Test("a sweep over a range gives what single ranged backtests give")
    func sweep() throws {
        let strategy = try Self.load("sma_cross")
        let range = try DateRange(from: "2019-01-01", to: "2020-06-30")
        let feeds = [try Self.bars("AAPL")]
        let sweep = try ParameterSweep(strategy, axes: [("fast", [.number(5), .number(10)])])
        let runs = try sweep.run(feeds: feeds, capital: 100_000, jobs: 2, range: range)
        for run in runs {
            let single = try #require(Keel.compile(strategy.text, path: strategy.path, params: Dictionary(uniqueKeysWithValues: run.params)).strategy)
            let alone = try Backtest.run(single.program, feeds: feeds, capital: 100_000, range: range)
            #expect(run.result.finalEquity == alone.finalEquity && run.result.firstTime == range.from!)
        }
    }

    @Test("a figure past 1e15 (a CAGR over four minutes of bars) prints in Swift's form, never traps")
    func hugeFigure() {
        #expect(ResultFormat.format(1e30, 2) == "1e+30" && ResultFormat.format(-2.5e17, 0) == "-2.5e+17")
        #expect(ResultFormat.format(123.456, 2) == "123.46")
    }
}
