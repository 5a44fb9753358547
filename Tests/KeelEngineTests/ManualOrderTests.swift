import KeelData
import KeelLanguage
import Testing
@testable import KeelEngine

/// An operator's order in a paper run, bar by bar: its own size, its own ladders, the step order.
@Suite("Manual orders, bar by bar")
struct ManualOrderTests {
    typealias OHLC = (Double, Double, Double, Double)

    /// A strategy that never enters by itself, with a stop and a target of its own the manual position must not use.
    static func engine(intrabar: String = "stop_first", extra: String = "") throws -> Engine {
        let text = """
            keel: 1
            name: T
            profile: degen
            entry: {long: false}
            stop_loss: 50%
            take_profit: [{at: 90%, close: 100%}]
            execution: {intrabar: \(intrabar)}
            \(extra)
            """
        let front = Frontend.check(SourceFile(path: "t.yaml", text: text))
        let checked = try #require(front.checked)
        return Engine(program: try Compiler.compile(checked), symbols: ["X"], options: .init(capital: 10_000, journal: true))
    }

    static func bar(_ engine: Engine, _ k: Int, _ b: OHLC) {
        let time = 1_577_836_800_000 + Int64(k) * 86_400_000
        engine.stage(0, BarInput(time: time, open: b.0, high: b.1, low: b.2, close: b.3, volume: 1, index: k))
        engine.step(time)
    }

    static let ladder = ManualOrder(side: .long, quantity: 10,
                                    takeProfits: [.init(fraction: 0.5, distance: 0.05), .init(fraction: 0.5, distance: 0.10)],
                                    stopLosses: [.init(fraction: 0.3, distance: 0.02), .init(fraction: 0.7, distance: 0.04)])

    @Test("placed at the last close, filled at the next open, its targets close their shares as reached")
    func targetsInOrder() throws {
        let e = try Self.engine()
        Self.bar(e, 0, (100, 100, 100, 100))
        #expect(e.placeManual(0, Self.ladder, time: 0) == nil)
        Self.bar(e, 1, (100, 106, 99, 105))   // fills at 100; the first target (105) is reached in the bar
        Self.bar(e, 2, (105, 111, 104, 110))  // the second (110)
        let trades = e.takeRecords().trades
        #expect(trades.map(\.quantity) == [5, 5] && trades.map(\.exitPrice) == [100 * (1 + 0.05), 100 * (1 + 0.10)], "\(trades)")
        #expect(trades.allSatisfy { $0.exitReason == .takeProfit && $0.entryPrice == 100 })
        #expect(e.positionQuantity(0) == 0)
    }

    @Test("its stop ladder, and a gap through both stops fills at the open")
    func stopsAndGaps() throws {
        let e = try Self.engine()
        Self.bar(e, 0, (100, 100, 100, 100))
        e.placeManual(0, Self.ladder, time: 0)
        Self.bar(e, 1, (100, 101, 97.5, 99))  // the first stop (98) closes 3
        Self.bar(e, 2, (90, 91, 89, 90))      // gap under the second (96): 7 at the open
        let records = e.takeRecords()
        #expect(records.trades.map(\.quantity) == [3, 7] && records.trades.map(\.exitPrice) == [98, 90])
        let rules = records.journal.compactMap { entry -> String? in if case .filled(let f) = entry { return f.order.rule.description } else { return nil } }
        #expect(rules == ["manual.long", "stop_loss.1", "stop_loss.2"])
    }

    @Test("stop and target inside one bar: the intrabar policy decides, as for the strategy's own", arguments: ["stop_first", "target_first"])
    func intrabar(policy: String) throws {
        let e = try Self.engine(intrabar: policy)
        Self.bar(e, 0, (100, 100, 100, 100))
        e.placeManual(0, ManualOrder(side: .long, quantity: 10, takeProfits: [.init(fraction: 1, distance: 0.05)],
                                     stopLosses: [.init(fraction: 1, distance: 0.05)]), time: 0)
        Self.bar(e, 1, (100, 100, 100, 100))
        Self.bar(e, 2, (100, 106, 94, 100))
        #expect(e.takeRecords().trades.first?.exitReason == (policy == "stop_first" ? .stopLoss : .takeProfit))
    }

    @Test("refused while a position is open or the run is halted; the size is capped by the cash")
    func refusals() throws {
        let e = try Self.engine()
        Self.bar(e, 0, (100, 100, 100, 100))
        e.halt(0, reason: "test")
        #expect(e.placeManual(0, Self.ladder, time: 0) != nil)
        e.resume(0)
        e.placeManual(0, ManualOrder(side: .long, quantity: 1_000, takeProfits: [], stopLosses: []), time: 0)
        #expect(e.placeManual(0, Self.ladder, time: 0) != nil)
        Self.bar(e, 1, (100, 100, 100, 100))
        // 10,000 of cash buys 100 at 100, not 1,000; nothing closes it but the strategy or the operator.
        #expect(e.positionQuantity(0) == 100)
        #expect(e.placeManual(0, Self.ladder, time: 0) != nil)
        Self.bar(e, 2, (20, 20, 20, 20))
        #expect(e.positionQuantity(0) == 100, "the strategy's 50% stop does not apply to a manual position")
    }
}
