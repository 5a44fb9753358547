import Keel
import KeelData
import KeelEngine
@testable import KeelRunner
import KeelStore
import KeelTestSupport
import Testing

/// The restart path in process: a session rebuilt from its journal must be the session that wrote
/// it, whatever the stream threw at it.
@Suite("replay: a journal rebuilds its session exactly")
struct ReplayTests {
    static let strategy = """
        keel: 1
        name: churn
        description: Trades often, reads a signal, and stops out.
        profile: degen
        entry: {long: close > sma(close, 3) and signal.s > 0}
        exit: {long: close < sma(close, 3)}
        stop_loss: 2%
        take_profit: [{at: 3%, close: 50%}, {at: 6%, close: 100%}]
        allocation: {size: percent_of_equity(40%), lot: 1}
        execution: {fees: 0.1%, slippage: 2bps}
        risk: {daily_loss_limit: 4%, max_drawdown: off}
        """

    /// A messy live stream: quotes for A, bars for B (some missing, repeated or contradicted),
    /// signals, heartbeats, late events, foreign symbols and broken lines.
    static func stream(seed: UInt64) -> [String] {
        var random = SeededGenerator(seed: seed)
        var lines: [String] = []
        var price = 100.0, other = 50.0
        let minute: Int64 = 60_000
        for m in 0..<1_500 {
            let t = Int64(m) * minute + Int64.random(in: 0..<59_000, using: &random)
            price *= 1 + Double.random(in: -0.012...0.012, using: &random)
            lines.append(MarketEvent.quote(symbol: "A", time: t, price: (price * 100).rounded() / 100, size: 1).line)
            if m % 5 == 4 {
                other *= 1 + Double.random(in: -0.03...0.03, using: &random)
                let bar = MarketEvent.bar(symbol: "B", time: Int64(m - 4) * minute, open: other, high: other * 1.01, low: other * 0.99,
                                          close: other, volume: 10)
                switch Int.random(in: 0..<10, using: &random) {
                case 0: break
                case 1: lines.append(bar.line); lines.append(bar.line)
                case 2: lines.append(bar.line); lines.append(bar.line.replacingOccurrences(of: "\"volume\":10.0", with: "\"volume\":11.0"))
                default: lines.append(bar.line)
                }
            }
            switch Int.random(in: 0..<40, using: &random) {
            case 0: lines.append(MarketEvent.quote(symbol: "A", time: t - 20 * minute, price: price, size: 1).line)
            case 1: lines.append(MarketEvent.bar(symbol: "B", time: t - 30 * minute, open: 1, high: 1, low: 1, close: 1, volume: 1).line)
            case 2: lines.append(MarketEvent.quote(symbol: "ZZZ", time: t, price: 1, size: 1).line)
            case 3: lines.append("{\"type\":\"bar\",")
            case 4: lines.append(MarketEvent.heartbeat(time: t + minute).line)
            case 5...12:
                let symbol = Bool.random(using: &random) ? "A" : "B"
                lines.append(MarketEvent.signal(symbol: symbol, time: t - Int64.random(in: 0...(3 * minute), using: &random), name: "s",
                                                value: Double.random(in: -1...1, using: &random)).line)
            default: break
            }
        }
        return lines
    }

    func session() throws -> Session {
        let strategy = try LoadedStrategy(path: "churn.yaml", text: Self.strategy)
        return Session(runId: "r", strategy: strategy, symbols: ["A", "B"], capital: 10_000, barSeconds: 300)
    }

    @Test("manual orders and closes among the events, replayed from the journal: the same fills, orders, trades and result", arguments: 0..<4)
    func manualOrdersReplay(seed: UInt64) throws {
        let live = try session()
        var random = SeededGenerator(seed: seed &+ 7)
        let order = ManualOrder(side: .long, quantity: 5, takeProfits: [.init(fraction: 0.5, distance: 0.01)],
                                stopLosses: [.init(fraction: 0.6, distance: 0.01), .init(fraction: 0.4, distance: 0.02)])
        var journal: [StoredEvent] = [], fills: [StoredFill] = [], orders: [OrderChange] = []
        let lines = Self.stream(seed: seed)
        for start in stride(from: 0, to: lines.count, by: 25) {
            for line in lines[start..<min(lines.count, start + 25)] { live.apply(line: line) }
            if Bool.random(using: &random) { live.control("close", reason: nil, argument: "B") }
            live.control("order", reason: nil, argument: ManualOrderText.encode(symbol: "B", order))
            live.sealBatch()
            let written = live.takeBatch()
            (journal, fills, orders) = (journal + written.events, fills + written.fills, orders + written.orders)
        }
        let manual = fills.filter { $0.clientOrderId.hasSuffix("manual.long") }
        #expect(!manual.isEmpty && fills.contains { $0.clientOrderId.hasSuffix("stop_loss.1") || $0.clientOrderId.hasSuffix("take_profit.1") })
        let rebuilt = try session()
        for event in journal { rebuilt.replay(event) }
        let replayed = rebuilt.takeBatch()
        #expect(replayed.fills == fills && replayed.orders == orders)
        #expect(ResultFormat.json(rebuilt.report()) == ResultFormat.json(live.report()))
    }

    @Test("live in random batches, then replayed from the journal: the same fills, orders, trades and result", arguments: 0..<12)
    func replayEqualsLive(seed: UInt64) throws {
        let live = try session()
        var random = SeededGenerator(seed: seed &+ 99)
        var journal: [StoredEvent] = [], fills: [StoredFill] = [], orders: [OrderChange] = [], trades: [Trade] = []
        let lines = Self.stream(seed: seed)
        var i = 0
        while i < lines.count {
            let batch = Int.random(in: 1...40, using: &random)
            for line in lines[i..<min(lines.count, i + batch)] { live.apply(line: line) }
            if Int.random(in: 0..<15, using: &random) == 0 { live.control(Bool.random(using: &random) ? "halt" : "resume", reason: nil) }
            i += batch
            live.sealBatch()
            let written = live.takeBatch()
            journal += written.events
            fills += written.fills
            orders += written.orders
            trades += written.trades
        }
        #expect(fills.count >= 10, "the stream trades")
        #expect(journal.contains { $0.status == "conflict" } && journal.contains { $0.status == "late" } && journal.contains { $0.status == "invalid" })

        let rebuilt = try session()
        for event in journal { rebuilt.replay(event) }
        let replayed = rebuilt.takeBatch()
        #expect(replayed.fills == fills)
        #expect(replayed.orders == orders)
        #expect(replayed.trades == trades)
        #expect(replayed.events.map(\.status) == journal.map(\.status))
        #expect(ResultFormat.json(rebuilt.report()) == ResultFormat.json(live.report()))
    }
}
