import Foundation
import KeelEngine
@testable import KeelStore
import KeelTestSupport
import Testing

@Suite("the store: a real SQLite file")
struct StoreTests {
    func newStore() throws -> (KeelStore, URL) {
        let folder = try KeelBinary.temporaryFolder()
        let path = folder.appendingPathComponent("state.db").path
        let store = try KeelStore(path: path)
        try store.createRun(RunPlan(id: "r", strategyName: "S", strategyHash: "h", strategySource: "keel: 1", strategyPath: nil, mode: "paper",
                                    capital: 1_000, symbols: ["A"], barSeconds: 60, stream: "-"), now: 0)
        return (store, folder)
    }

    func fill(_ id: String, price: Double = 1.1) -> StoredFill {
        StoredFill(fillId: id, clientOrderId: id, symbol: "A", side: "buy", quantity: 3, price: price, fee: 0.1, time: 1, reason: "entry")
    }

    @Test("WAL, and synchronous=FULL holds after opening, after commits and when the file is opened again")
    func durability() throws {
        let (store, folder) = try newStore()
        #expect(try store.journalMode() == "wal")
        #expect(try store.synchronousLevel() == 2)
        var batch = Batch()
        batch.fills = [fill("a")]
        try store.commit(batch, run: "r", now: 1)
        #expect(try store.synchronousLevel() == 2)
        let again = try KeelStore(path: folder.appendingPathComponent("state.db").path)
        #expect(try again.synchronousLevel() == 2)
        #expect(try again.integrityCheck() == "ok")
    }

    @Test("processes opening a new state file at once all open it: the schema race is retried, not fatal")
    func concurrentFirstOpens() throws {
        // Before the retry, about one try in four lost a process to "table … already exists" or
        // "database is locked" (a runner starting while a test polled its file, in CI).
        for _ in 0..<12 {
            let folder = try KeelBinary.temporaryFolder(["state.db": ""])
            let processes = (0..<6).map { _ in
                let process = KeelBinary.start(["runs", "list", "--state", folder.appendingPathComponent("state.db").path])
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                return process
            }
            for process in processes { try process.run() }
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 6))
            #expect(try KeelStore(path: folder.appendingPathComponent("state.db").path).integrityCheck() == "ok")
        }
    }

    @Test("a batch is all or nothing: a doubled fill rolls back everything with it")
    func atomicBatch() throws {
        let (store, _) = try newStore()
        var first = Batch()
        first.fills = [fill("a")]
        first.events = [StoredEvent(seq: 1, kind: "bar", symbol: "A", time: 0, line: "{}", status: "accepted", reason: nil)]
        try store.commit(first, run: "r", now: 1)
        var second = Batch()
        second.events = [StoredEvent(seq: 2, kind: "bar", symbol: "A", time: 1, line: "{}", status: "accepted", reason: nil)]
        second.trades = [Trade(symbol: "A", side: .long, entryTime: 0, entryPrice: 1, exitTime: 1, exitPrice: 2, quantity: 1, pnl: 1,
                               fees: 0, exitReason: .signal)]
        second.fills = [fill("b"), fill("a")]
        #expect(throws: (any Error).self) { try store.commit(second, run: "r", now: 2) }
        #expect(try store.fills(run: "r").map(\.fillId) == ["a"])
        #expect(try store.events(run: "r").count == 1)
        #expect(try store.trades(run: "r").isEmpty)
        #expect(try store.run("r")?.lastSeq == 1)
    }

    @Test("money comes back bit for bit")
    func exactNumbers() throws {
        let (store, _) = try newStore()
        let prices = [0.1 + 0.2, 1.0 / 3.0, 2.179012, 1e-9, 123_456_789.123_456_78, Double.leastNormalMagnitude]
        var batch = Batch()
        batch.fills = prices.enumerated().map { fill("f\($0.offset)", price: $0.element) }
        batch.equity = prices.enumerated().map { (Int64($0.offset), $0.element) }
        try store.commit(batch, run: "r", now: 1)
        #expect(try store.fills(run: "r").map(\.price.bitPattern) == prices.map(\.bitPattern))
        #expect(try store.equity(run: "r").map(\.equity.bitPattern) == prices.map(\.bitPattern))
    }

    @Test("trades and positions come back as the engine's records; a side or reason Keel never writes is an error that names where it is")
    func engineRecords() throws {
        let (store, _) = try newStore()
        let trade = Trade(symbol: "A", side: .short, entryTime: 1, entryPrice: 2, exitTime: 3, exitPrice: 1.5, quantity: 4, pnl: 2, fees: 0.1,
                          exitReason: .takeProfit)
        var batch = Batch()
        batch.trades = [trade]
        batch.positions = [BacktestResult.OpenPosition(symbol: "A", side: .long, quantity: 1, entryTime: 4, entryPrice: 2, markTime: 5,
                                                       markPrice: 3, unrealizedPnl: 1)]
        try store.commit(batch, run: "r", now: 1)
        #expect(try store.trades(run: "r") == [trade])
        #expect(try store.positions(run: "r") == batch.positions)
        // Edited outside Keel.
        try store.pool.write { try $0.execute(sql: "UPDATE trades SET exit_reason = 'moon'") }
        #expect { try store.trades(run: "r") } throws: { "\($0)".contains("'moon' in trades.exit_reason") }
    }

    @Test("orders: placed, then a status; positions are replaced as a whole")
    func ordersAndPositions() throws {
        let (store, _) = try newStore()
        var batch = Batch()
        batch.orders = [.placed(StoredOrder(clientOrderId: "r-A-3-entry.long", symbol: "A", side: "buy", type: "market", rule: "entry.long",
                                            bar: 3, placedTime: 3, status: "placed", quantity: nil, updatedTime: 3, reason: nil))]
        batch.positions = [BacktestResult.OpenPosition(symbol: "A", side: .long, quantity: 1, entryTime: 4, entryPrice: 2, markTime: 4,
                                                       markPrice: 2, unrealizedPnl: 0)]
        try store.commit(batch, run: "r", now: 1)
        var next = Batch()
        next.orders = [.status(clientOrderId: "r-A-3-entry.long", status: "filled", quantity: 5, time: 4, reason: nil)]
        next.positions = []
        try store.commit(next, run: "r", now: 2)
        let order = try #require(try store.orders(run: "r").first)
        #expect(order.status == "filled" && order.quantity == 5 && order.updatedTime == 4 && order.placedTime == 3)
        #expect(try store.positions(run: "r").isEmpty)
    }

    @Test("a control the same as one still waiting is not stored again; once applied, the next is a new request")
    func repeatedControlsCollapse() throws {
        let (store, _) = try newStore()
        let first = try store.requestControl(run: "r", action: "halt", reason: "a", now: 1)
        #expect(try store.requestControl(run: "r", action: "halt", reason: "b", now: 2) == first)
        let close = try store.requestControl(run: "r", action: "close", reason: nil, argument: "A", now: 3)
        let other = try store.requestControl(run: "r", action: "close", reason: nil, argument: "B", now: 4)
        #expect(close != first && other != close)
        #expect(try store.pendingControls(run: "r").map(\.action) == ["halt", "close", "close"])
        var batch = Batch()
        batch.events = [StoredEvent(seq: 1, kind: "control", symbol: nil, time: 0, line: "{}", status: "accepted", reason: nil)]
        batch.appliedControls = [(id: first, seq: 1)]
        try store.commit(batch, run: "r", now: 5)
        let next = try store.requestControl(run: "r", action: "halt", reason: "c", now: 6)
        #expect(next > other)
    }
}
