import Foundation
import Testing
import KeelData
import KeelLanguage
import KeelTestSupport
@testable import KeelEngine

/// A backtest computes the bar-only part of a program a chunk of bars at a time; a live run steps
/// every node bar by bar. The two paths must decide identically: same values in every slot, same
/// orders, fills, equity and decisions.
@Suite("Precomputed chunks and bar-by-bar stepping agree")
struct PrecomputeParityTests {
    /// Runs both evaluators over the same bars, writing the same random state values into each,
    /// and compares every slot bit for bit after every bar.
    @Test("every slot, on random expressions that also read the position and account")
    func slots() throws {
        var rng = SeededGenerator(seed: 77)
        let bars = CompilerTests.bars
        var series = BarSeries(symbol: "ORCL")
        for bar in bars {
            series.append(time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        var compared = 0
        for round in 0..<60 {
            let entry = RandomCondition.make(&rng, depth: 3)
            let stateful = "sma(position.pnl_pct + \(RandomCondition.numeric(&rng, depth: 1)), 3) > equity * 0.00001"
            guard let (_, program) = try? CompilerTests.compile(CompilerTests.strategy("\(entry) or (\(stateful) and hour >= 0)")) else {
                continue
            }
            let stepped = Evaluator(program)
            let window = [1, 7, 64, 4_096][round % 4]
            let chunked = Evaluator(program, capacity: window)
            var state = SeededGenerator(seed: UInt64(round))
            for start in stride(from: 0, to: bars.count, by: window) {
                let rows = start..<min(start + window, bars.count)
                chunked.precompute(series, rows: rows, firstIndex: start)
                for row in rows {
                    for field in StateField.allCases {
                        let value = Double.random(in: -1...1, using: &state)
                        stepped.state[field.rawValue] = value
                        chunked.state[field.rawValue] = value
                    }
                    stepped.step(bars[row])
                    chunked.stepPrecomputed()
                    for slot in 0..<program.slotCount where stepped[slot].bitPattern != chunked[slot].bitPattern {
                        guard stepped[slot].isNaN && chunked[slot].isNaN else {
                            Issue.record("slot \(slot) at bar \(row), window \(window): \(stepped[slot]) stepped, \(chunked[slot]) chunked")
                            return
                        }
                    }
                }
            }
            compared += 1
        }
        #expect(compared > 40)
    }

    /// Where two results first differ (JSON with the equity curve, then the decision trace), or nil.
    static func difference(_ a: BacktestResult, _ b: BacktestResult) -> String? {
        for (x, y) in [(ResultFormat.json(a, includeEquity: true), ResultFormat.json(b, includeEquity: true)),
                       (ResultFormat.trace(a), ResultFormat.trace(b))] where x != y {
            let (left, right) = (Array(x.utf8), Array(y.utf8))
            let at = zip(left, right).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(left.count, right.count)
            func around(_ bytes: [UInt8]) -> String { String(decoding: bytes[max(0, at - 80)..<min(bytes.count, at + 80)], as: UTF8.self) }
            return "at byte \(at): \(around(left)) against \(around(right))"
        }
        return a.riskEventCount == b.riskEventCount ? nil : "risk events \(a.riskEventCount) against \(b.riskEventCount)"
    }

    @Test("curated strategies: the same result whatever the window", arguments: CuratedStrategyTests.pins.map(\.name))
    func curated(_ name: String) throws {
        let path = CuratedStrategyTests.root.appendingPathComponent("Strategies/\(name).yaml").path
        let checked = try #require(Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))).checked)
        let program = try Compiler.compile(checked)
        let feeds = try checked.parsed.symbols.map { symbol in
            try CSVBarReader.read(path: CuratedStrategyTests.root.appendingPathComponent("Examples/data/\(symbol.value).csv").path,
                                  symbol: symbol.value).series
        }
        func run(_ rows: Int?) throws -> BacktestResult {
            try Backtest.run(program, feeds: feeds, capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: rows)
        }
        let live = try run(1)
        #expect(live.trades.count > 0)
        for rows in [2, 97, nil] {
            let difference = Self.difference(live, try run(rows))
            #expect(difference == nil, "window \(rows.map(String.init) ?? "default")")
        }
    }

    @Test("conformance cases: the same result whatever the window", arguments: ConformanceTests.cases)
    func conformance(_ item: ConformanceTests.Case) throws {
        let path = ConformanceTests.fixtures.appendingPathComponent("conformance/strategies/\(item.strategy).yaml").path
        let checked = try #require(Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))).checked)
        let program = try Compiler.compile(checked)
        let feed = try CSVBarReader.read(path: ConformanceTests.data.appendingPathComponent("\(item.symbol).csv").path,
                                         symbol: item.symbol).series
        let live = try Backtest.run(program, feeds: [feed], capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: 1)
        let chunked = try Backtest.run(program, feeds: [feed], capital: 100_000, trace: true, keepEquityCurve: true)
        let difference = Self.difference(live, chunked)
        #expect(difference == nil)
    }
}
