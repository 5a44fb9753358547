import Foundation
import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// Every curated strategy backtested on the bundled data, results pinned. A change in these figures
/// is a change in behaviour: look at why before re-pinning.
@Suite("Curated strategies on bundled data")
struct CuratedStrategyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Pin: CustomTestStringConvertible, Sendable {
        let name: String
        let finalEquity: Double
        let trades: Int
        let open: Int
        var testDescription: String { name }
    }

    // The multi-symbol strategies size entries on equity valued at the open (it once read the close
    // of symbols stepped before them), after every exit of the step.
    static let pins = [
        Pin(name: "bollinger_reversion", finalEquity: 96723.18194654002, trades: 75, open: 0),
        Pin(name: "conservative_ladder", finalEquity: 100400.29708330774, trades: 173, open: 1),
        Pin(name: "donchian_breakout", finalEquity: 79490.0662506746, trades: 92, open: 0),
        Pin(name: "macd_trend", finalEquity: 101645.19434331302, trades: 111, open: 0),
        Pin(name: "market_filter_trend", finalEquity: 92003.31696720344, trades: 143, open: 1),
        Pin(name: "momentum_rotation", finalEquity: 101525.43274177346, trades: 449, open: 3),
        Pin(name: "multi_timeframe", finalEquity: 99512.3698295386, trades: 2, open: 0),
        Pin(name: "rsi_mean_reversion", finalEquity: 100357.92229051201, trades: 1, open: 0),
        Pin(name: "sma_cross", finalEquity: 93065.94192714745, trades: 47, open: 1),
    ]

    static func run(_ name: String, keepTrades: Bool = true) throws -> BacktestResult {
        let path = root.appendingPathComponent("Strategies/\(name).yaml").path
        let front = Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
        let checked = try #require(front.checked)
        let feeds = try checked.parsed.symbols.map { symbol in
            try CSVBarReader.read(path: root.appendingPathComponent("Examples/data/\(symbol.value).csv").path, symbol: symbol.value).series
        }
        return try Backtest.run(try Compiler.compile(checked), feeds: feeds, capital: 100_000, keepTrades: keepTrades)
    }

    @Test("pinned results", arguments: pins)
    func pinned(_ pin: Pin) throws {
        let result = try Self.run(pin.name)
        #expect(result.trades.count == pin.trades)
        #expect(result.openPositions.count == pin.open)
        #expect(abs(result.finalEquity - pin.finalEquity) <= 1e-9 * pin.finalEquity, "final equity \(result.finalEquity)")
    }

    @Test("without the lists, risk events are still counted and the summary is the same")
    func counted() throws {
        // The market filter's universe refuses entries at its position limit.
        let kept = try Self.run("market_filter_trend")
        let lean = try Self.run("market_filter_trend", keepTrades: false)
        #expect(kept.riskEvents.count > 0 && lean.riskEvents.isEmpty && lean.trades.isEmpty)
        #expect(lean.riskEventCount == kept.riskEvents.count && kept.riskEventCount == kept.riskEvents.count)
        #expect(ResultFormat.text(lean) == ResultFormat.text(kept))
    }

    @Test("every curated strategy is pinned")
    func coverage() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Strategies").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        #expect(Set(names) == Set(Self.pins.map(\.name)))
    }

    @Test("the rotation holds at most its top 3, and swaps at one close")
    func rotation() throws {
        let result = try Self.run("momentum_rotation")
        #expect(!result.riskEvents.contains { $0.kind == "max_positions" })
        // Replay the trades: never more than three open at once.
        var events: [(Int64, Int)] = []
        for t in result.trades { events.append((t.entryTime, 1)); events.append((t.exitTime, -1)) }
        events.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var open = 0, most = 0
        for (_, delta) in events { open += delta; most = max(most, open) }
        #expect(most <= 3)
    }

    @Test("the market filter reads SPY: no AAPL or MSFT entry while SPY is below its 200-day average")
    func marketFilter() throws {
        let result = try Self.run("market_filter_trend")
        let spy = try CSVBarReader.read(path: Self.root.appendingPathComponent("Examples/data/SPY.csv").path, symbol: "SPY").series
        var sma = SMA(period: 200)
        var above: [Int64: Bool] = [:]
        for i in 0..<spy.count {
            let average = sma.update(spy.close[i])
            above[spy.time[i]] = !average.isNaN && spy.close[i] > average
        }
        // An entry fills at the open after the deciding close, one day later in this daily data.
        for trade in result.trades where trade.symbol != "SPY" {
            #expect(above[trade.entryTime - 86_400_000] == true, "\(trade.symbol) entered \(TimestampParser.format(trade.entryTime))")
        }
        #expect(result.trades.contains { $0.symbol != "SPY" })
    }
}
