import Foundation
import KeelTestSupport
import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// Hand-worked reproductions of what a time step with several symbols must do (the step
/// order of docs/backtest.md, and the findings of a review against outside references), plus the sizing and gap rules: one folder per case under
/// `SharedFixtures.conformance/multi` with the strategy, a CSV per symbol and the expected result. Each
/// case runs with its data in every order; the answer and the JSON must not change.
@Suite("Conformance: several symbols, sizing and gaps")
struct MultiSymbolConformanceTests {
    static let root = SharedFixtures.conformance.appendingPathComponent("multi")
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
        .filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/expected.json").path) }.sorted()

    static func run(_ name: String, order: [String]) throws -> BacktestResult {
        let folder = root.appendingPathComponent(name)
        let path = folder.appendingPathComponent("strategy.yaml").path
        let front = Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
        let checked = try #require(front.checked, "\(front.diagnostics.map(\.message))")
        let feeds = try order.map { try CSVBarReader.read(path: folder.appendingPathComponent("\($0).csv").path, symbol: $0).series }
        return try Backtest.run(try Compiler.compile(checked), feeds: feeds, capital: 100_000)
    }

    static func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("\(name)/expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the cases are there")
    func present() { #expect(Self.cases.count >= 12) }

    @Test("trade for trade, in every order of the data", arguments: cases)
    func conformance(_ name: String) throws {
        let expected = try Self.expected(name)
        let given = try #require(expected["data"] as? [String])
        var outputs: Set<String> = []
        for order in permutations(given) {
            let result = try Self.run(name, order: order)
            outputs.insert(ResultFormat.json(result, includeEquity: false))
            let label = "\(name), data \(order.joined(separator: ","))"
            let trades = try #require(expected["trades"] as? [[String: Any]])
            #expect(result.trades.count == trades.count, "\(label): \(result.trades)")
            for (want, got) in zip(trades, result.trades) {
                #expect(want["symbol"] as? String == got.symbol, "\(label)")
                #expect(TimestampParser.parse(want["entry_time"] as! String) == got.entryTime, "\(label) entry time")
                #expect(TimestampParser.parse(want["exit_time"] as! String) == got.exitTime, "\(label) exit time")
                #expect(near(want["entry_price"], got.entryPrice) && near(want["exit_price"], got.exitPrice), "\(label) prices \(got)")
                #expect(near(want["quantity"], got.quantity) && near(want["pnl"], got.pnl), "\(label) quantity, pnl \(got)")
                #expect(want["exit_reason"] as? String == got.exitReason.rawValue, "\(label) exit reason")
            }
            let open = try #require(expected["open_positions"] as? [[String: Any]])
            #expect(result.openPositions.count == open.count, "\(label): \(result.openPositions)")
            for (want, got) in zip(open, result.openPositions) {
                #expect(want["symbol"] as? String == got.symbol && near(want["quantity"], got.quantity), "\(label): \(got)")
                #expect(near(want["entry_price"], got.entryPrice) && TimestampParser.parse(want["entry_time"] as! String) == got.entryTime,
                        "\(label): \(got)")
            }
            #expect(near(expected["final_equity"], result.finalEquity), "\(label) final equity \(result.finalEquity)")
        }
        #expect(outputs.count == 1, "\(name): the output depends on the order of the data")
    }

    private func near(_ want: Any?, _ got: Double) -> Bool {
        guard let want = (want as? NSNumber)?.doubleValue else { return false }
        return abs(want - got) <= 1e-9 * max(1, abs(want), abs(got))
    }

    private func permutations(_ items: [String]) -> [[String]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            var rest = items
            let first = rest.remove(at: i)
            return permutations(rest).map { [first] + $0 }
        }
    }
}

/// `keel backtest --format json` spools trades and risk events to disk as they happen; its output
/// must be the bytes `ResultFormat.json` builds with the lists in memory.
@Suite("JSON output, spooled")
struct SpooledJSONTests {
    @Test("spooled and in-memory JSON are byte for byte the same, with trades and risk events", arguments: ["rotation_real", "fill_order", "symbol_order"])
    func same(_ name: String) throws {
        let folder = MultiSymbolConformanceTests.root.appendingPathComponent(name)
        let path = folder.appendingPathComponent("strategy.yaml").path
        let checked = try #require(Frontend.check(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))).checked)
        let program = try Compiler.compile(checked)
        let symbols = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }
        let feeds = try symbols.map { try CSVBarReader.read(path: folder.appendingPathComponent("\($0).csv").path, symbol: $0).series }
        let held = try Backtest.run(program, feeds: feeds, capital: 100_000)
        let (spooled, written) = try Self.spooledJSON(program, feeds)
        #expect(spooled.trades.isEmpty && spooled.riskEvents.isEmpty && spooled.riskEventCount == held.riskEventCount)
        #expect(written == ResultFormat.json(held), "\(name)")
        #expect(held.trades.count + held.riskEvents.count > 0)
    }

    /// The run with its lists spooled, and the JSON `keel backtest --format json` writes of it.
    static func spooledJSON(_ program: CompiledStrategy, _ feeds: [BarSeries]) throws -> (result: BacktestResult, json: String) {
        let spool = try ResultSpool()
        let spooled = try Backtest.run(program, sources: feeds.map(MemoryBarSource.init), capital: 100_000, keepTrades: false, spool: spool)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-spooled-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        try ResultFormat.writeJSON(spooled, includeEquity: false, spool: spool, to: handle)
        try handle.close()
        return (spooled, try String(contentsOf: file, encoding: .utf8))
    }

    @Test("tens of thousands of trades and risk events: many batches through the writer queue, in order")
    func manyBatches() throws {
        let text = """
            keel: 1
            name: churn
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            allocation: {size: percent_of_equity(60%)}
            """
        let checked = try #require(Frontend.check(SourceFile(path: "churn.yaml", text: text)).checked)
        let program = try Compiler.compile(checked)
        let feeds = SyntheticMarket(seed: 5).generate(symbols: 3, bars: 30_000)
        let held = try Backtest.run(program, feeds: feeds, capital: 100_000)
        #expect(held.trades.count > 4 * ResultSpool.batch && held.riskEvents.count > ResultSpool.batch,
                "\(held.trades.count) trades, \(held.riskEvents.count) risk events")
        let written = try Self.spooledJSON(program, feeds).json
        #expect(written == ResultFormat.json(held))
    }
}
