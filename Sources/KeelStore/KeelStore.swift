import Foundation
import GRDB
import KeelEngine
import KeelLanguage

/// Keel's state in one SQLite file (WAL mode): strategies, runs and each run's journal. Every
/// commit is durable before it returns (`synchronous=FULL`), so what a runner was told is written
/// survives a killed process and a power cut.
package final class KeelStore: Sendable {
    package enum Failure: Error, CustomStringConvertible {
        case notDurable(Int)
        case damaged(String)

        package var description: String {
            switch self {
            case .notDurable(let level): "the store is not durable: PRAGMA synchronous is \(level), expected 2 (FULL)"
            case .damaged(let what): "the store holds a value Keel never writes, \(what): was the file edited outside Keel? Restore it from a copy"
            }
        }
    }

    package let path: String
    let pool: DatabasePool

    package init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "keel"
        pool = try Self.open(path, configuration)
        // DatabasePool sets synchronous=NORMAL on its writer once it is set up: WAL's default
        // trade-off, which can lose the last commits on power loss. A runner promises that an
        // order intent is on disk before the order is sent, so FULL, set again here and checked.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let level = try synchronousLevel()
        guard level == 2 else { throw Failure.notDurable(level) }
    }

    /// Two processes opening a new file at once (a runner starting while `keel runs halt` or a
    /// test reads it) race its setup: switching to WAL can find the file busy, and each can find a
    /// migration missing, one applies it and the other's CREATE fails. Each migration is its own
    /// transaction, so the loser's rolled back: it opens and migrates again from what it then
    /// finds. A migration that fails on its own still fails, after the last try.
    private static func open(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
        var attempt = 1
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Schema.migrator.migrate(pool)
                return pool
            } catch is DatabaseError where attempt < 8 {
                Thread.sleep(forTimeInterval: 0.01 * Double(attempt))
                attempt += 1
            }
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL).
    package func synchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    package func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Takes the writer and gives it back at once: it answers when no other connection holds the
    /// file's write lock past SQLite's busy timeout.
    package func takeWriter() throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE; ROLLBACK") }
    }

    /// `ok` when SQLite finds nothing wrong with the file.
    package func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    // MARK: - Runs

    package func createRun(_ run: RunPlan, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO strategies (name, hash, source, path, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run.strategyName, run.strategyHash, run.strategySource, run.strategyPath, now])
            let strategy = try Int64.fetchOne(db, sql: "SELECT id FROM strategies WHERE hash = ?", arguments: [run.strategyHash])
            try db.execute(sql: """
                INSERT INTO runs (id, strategy_id, mode, status, capital, symbols, bar_seconds, stream, created_at, updated_at)
                VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, strategy, run.mode, run.capital, run.symbols.joined(separator: ","), run.barSeconds, run.stream,
                                 now, now])
        }
    }

    private static let runColumns = """
        SELECT r.id, s.name, s.hash, s.source, s.path, r.mode, r.status, r.capital, r.symbols, r.bar_seconds, r.stream,
               r.created_at, r.updated_at, r.stream_offset, r.last_seq, r.summary, r.stream_identity
        FROM runs r JOIN strategies s ON s.id = r.strategy_id
        """

    private static func run(_ row: Row) -> StoredRun {
        StoredRun(plan: RunPlan(id: row[0], strategyName: row[1], strategyHash: row[2], strategySource: row[3], strategyPath: row[4],
                                mode: row[5], capital: row[7], symbols: (row[8] as String).split(separator: ",").map(String.init),
                                barSeconds: row[9], stream: row[10]),
                  status: row[6], createdAt: row[11], updatedAt: row[12], streamOffset: row[13], lastSeq: row[14], summary: row[15],
                  streamIdentity: row[16])
    }

    /// Records which file a run reads (`device:inode`), when it first opens it.
    package func setStreamIdentity(run: String, _ identity: String) throws {
        try pool.write { db in try db.execute(sql: "UPDATE runs SET stream_identity = ? WHERE id = ?", arguments: [identity, run]) }
    }

    package func run(_ id: String) throws -> StoredRun? {
        try pool.read { db in try Row.fetchOne(db, sql: Self.runColumns + " WHERE r.id = ?", arguments: [id]).map(Self.run) }
    }

    package func runs() throws -> [StoredRun] {
        try pool.read { db in try Row.fetchAll(db, sql: Self.runColumns + " ORDER BY r.created_at, r.id").map(Self.run) }
    }

    package func setStatus(run: String, _ status: String, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", arguments: [status, now, run])
        }
    }

    // MARK: - The journal

    /// Writes one batch in one transaction, durable when this returns.
    package func commit(_ batch: Batch, run: String, now: Int64) throws {
        try pool.write { db in
            let events = try RowWriter(db, "INSERT INTO events (run_id, seq, kind, symbol, time, line, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for e in batch.events {
                try events.insert { row in
                    row.text(run)
                    row.integer(e.seq)
                    row.text(e.kind)
                    row.text(e.symbol)
                    row.integer(e.time)
                    row.text(e.line)
                    row.text(e.status)
                    row.text(e.reason)
                }
            }
            for change in batch.orders {
                switch change {
                case .placed(let o):
                    try db.cachedStatement(sql: """
                        INSERT INTO orders (run_id, client_order_id, symbol, side, type, rule, bar, placed_time, status, quantity, updated_time, reason)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [run, o.clientOrderId, o.symbol, o.side, o.type, o.rule, o.bar, o.placedTime, o.status, o.quantity,
                                         o.updatedTime, o.reason])
                case .status(let id, let status, let quantity, let time, let reason):
                    try db.cachedStatement(sql: """
                        UPDATE orders SET status = ?, quantity = COALESCE(?, quantity), updated_time = ?, reason = COALESCE(?, reason)
                        WHERE run_id = ? AND client_order_id = ?
                        """).execute(arguments: [status, quantity, time, reason, run, id])
                }
            }
            for f in batch.fills {
                try db.cachedStatement(sql: """
                    INSERT INTO fills (run_id, fill_id, client_order_id, symbol, side, quantity, price, fee, time, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [run, f.fillId, f.clientOrderId, f.symbol, f.side, f.quantity, f.price, f.fee, f.time, f.reason])
            }
            for t in batch.trades {
                try db.cachedStatement(sql: """
                    INSERT INTO trades (run_id, symbol, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, fees, exit_reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [run, t.symbol, t.side.rawValue, t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.quantity, t.pnl, t.fees,
                                     t.exitReason.rawValue])
            }
            for d in batch.decisions {
                try db.cachedStatement(sql: "INSERT INTO decisions (run_id, time, symbol, action, side, rule, readings) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
                               arguments: [run, d.time, d.symbol, d.action, d.side, d.rule, d.readings])
            }
            for r in batch.riskEvents {
                try db.cachedStatement(sql: "INSERT INTO risk_events (run_id, time, symbol, kind, reason) VALUES (?, ?, ?, ?, ?)").execute(
                               arguments: [run, r.time, r.symbol, r.kind, r.reason])
            }
            let equity = try RowWriter(db, "INSERT INTO equity (run_id, time, equity) VALUES (?, ?, ?)")
            for point in batch.equity {
                try equity.insert { row in
                    row.text(run)
                    row.integer(point.time)
                    row.real(point.equity)
                }
            }
            if let positions = batch.positions {
                try db.cachedStatement(sql: "DELETE FROM positions WHERE run_id = ?").execute(arguments: [run])
                for (ordinal, p) in positions.enumerated() {
                    try db.cachedStatement(sql: """
                        INSERT INTO positions (run_id, symbol, ordinal, side, quantity, entry_time, entry_price, mark_time, mark_price, unrealized_pnl)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [run, p.symbol, ordinal, p.side.rawValue, p.quantity, p.entryTime, p.entryPrice, p.markTime, p.markPrice, p.unrealizedPnl])
                }
            }
            for o in batch.brokerIntents { try Self.insert(o, run: run, now: now, db) }
            for id in batch.brokerCancels {
                try db.cachedStatement(sql: "UPDATE broker_orders SET cancel_requested = 1, updated_at = ? WHERE run_id = ? AND client_order_id = ?").execute(
                               arguments: [now, run, id])
            }
            for applied in batch.appliedControls {
                try db.cachedStatement(sql: "UPDATE control_requests SET applied_seq = ? WHERE id = ?").execute(arguments: [applied.seq, applied.id])
            }
            try db.cachedStatement(sql: """
                UPDATE runs SET updated_at = ?, last_seq = COALESCE(?, last_seq), stream_offset = COALESCE(?, stream_offset),
                                summary = COALESCE(?, summary), status = COALESCE(?, status)
                WHERE id = ?
                """).execute(arguments: [now, batch.events.last?.seq, batch.streamOffset, batch.summary, batch.status, run])
        }
    }

    // MARK: - Operator requests

    /// Queues a halt, resume, flatten, close (of the symbol in `argument`) or risk_profile (switch
    /// to the profile in `argument`) for a run; its runner applies it within a moment, or when it next starts.
    /// Journals a control request; the same request (action and argument) already waiting to be
    /// applied is not stored again, and its id is returned: 600 halts in a row are one halt.
    package func requestControl(run: String, action: String, reason: String?, argument: String? = nil, now: Int64) throws -> Int64 {
        try pool.write { db in
            if let pending = try Int64.fetchOne(db, sql: """
                SELECT id FROM control_requests WHERE run_id = ? AND action = ? AND argument IS ? AND applied_seq IS NULL ORDER BY id LIMIT 1
                """, arguments: [run, action, argument]) {
                return pending
            }
            try db.execute(sql: "INSERT INTO control_requests (run_id, action, reason, argument, requested_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run, action, reason, argument, now])
            return db.lastInsertedRowID
        }
    }

    package func pendingControls(run: String) throws -> [ControlRequest] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, action, reason, argument FROM control_requests WHERE run_id = ? AND applied_seq IS NULL ORDER BY id
                """, arguments: [run]).map { ControlRequest(id: $0[0], action: $0[1], reason: $0[2], argument: $0[3]) }
        }
    }

    // MARK: - Reading a run back

    package func events(run: String) throws -> [StoredEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, kind, symbol, time, line, status, reason FROM events WHERE run_id = ? ORDER BY seq
                """, arguments: [run]).map {
                StoredEvent(seq: $0[0], kind: $0[1], symbol: $0[2], time: $0[3], line: $0[4], status: $0[5], reason: $0[6])
            }
        }
    }

    /// A page of the run's orders; `limit` -1 is all of them (SQLite's own meaning), as for trades and decisions.
    package func orders(run: String, limit: Int = -1, offset: Int = 0) throws -> [StoredOrder] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT client_order_id, symbol, side, type, rule, bar, placed_time, status, quantity, updated_time, reason
                FROM orders WHERE run_id = ? ORDER BY placed_time, symbol, bar, client_order_id LIMIT ? OFFSET ?
                """, arguments: [run, limit, offset]).map {
                StoredOrder(clientOrderId: $0[0], symbol: $0[1], side: $0[2], type: $0[3], rule: $0[4], bar: $0[5], placedTime: $0[6],
                            status: $0[7], quantity: $0[8], updatedTime: $0[9], reason: $0[10])
            }
        }
    }

    package func fills(run: String) throws -> [StoredFill] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT fill_id, client_order_id, symbol, side, quantity, price, fee, time, reason FROM fills WHERE run_id = ? ORDER BY id
                """, arguments: [run]).map {
                StoredFill(fillId: $0[0], clientOrderId: $0[1], symbol: $0[2], side: $0[3], quantity: $0[4], price: $0[5], fee: $0[6],
                           time: $0[7], reason: $0[8])
            }
        }
    }

    package func trades(run: String, limit: Int = -1, offset: Int = 0) throws -> [Trade] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT symbol, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, fees, exit_reason
                FROM trades WHERE run_id = ? ORDER BY id LIMIT ? OFFSET ?
                """, arguments: [run, limit, offset]).map {
                Trade(symbol: $0[0], side: try Self.decode($0[1], "trades.side"), entryTime: $0[2], entryPrice: $0[3], exitTime: $0[4], exitPrice: $0[5],
                      quantity: $0[6], pnl: $0[7], fees: $0[8], exitReason: try Self.decode($0[9], "trades.exit_reason"))
            }
        }
    }

    package func positions(run: String) throws -> [BacktestResult.OpenPosition] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT symbol, side, quantity, entry_time, entry_price, mark_time, mark_price, unrealized_pnl
                FROM positions WHERE run_id = ? ORDER BY ordinal
                """, arguments: [run]).map {
                BacktestResult.OpenPosition(symbol: $0[0], side: try Self.decode($0[1], "positions.side"), quantity: $0[2], entryTime: $0[3], entryPrice: $0[4],
                                            markTime: $0[5], markPrice: $0[6], unrealizedPnl: $0[7])
            }
        }
    }

    /// Whether the operator's halt holds: the later of the run's halt and resume events is a halt.
    package func isHalted(run: String) throws -> Bool {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT kind FROM risk_events WHERE run_id = ? AND kind IN ('halt', 'resume') ORDER BY id DESC LIMIT 1
                """, arguments: [run]) == "halt"
        }
    }

    package func riskEvents(run: String) throws -> [Engine.RiskEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, symbol, kind, reason FROM risk_events WHERE run_id = ? ORDER BY id", arguments: [run]).map {
                Engine.RiskEvent(time: $0[0], symbol: $0[1], kind: $0[2], reason: $0[3])
            }
        }
    }

    /// A side or exit reason as the store wrote it; anything else is a damaged file, never a guess.
    /// `column` names where it was read, for the error.
    static func decode<Value: RawRepresentable>(_ name: String, _ column: String) throws -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: name) else { throw Failure.damaged("'\(name)' in \(column)") }
        return value
    }

    package func equity(run: String) throws -> [(time: Int64, equity: Double)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, equity FROM equity WHERE run_id = ? ORDER BY id", arguments: [run]).map { ($0[0], $0[1]) }
        }
    }

    package func decisions(run: String, limit: Int = -1, offset: Int = 0) throws -> [StoredDecision] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, symbol, action, side, rule, readings FROM decisions WHERE run_id = ? ORDER BY id LIMIT ? OFFSET ?",
                             arguments: [run, limit, offset]).map {
                StoredDecision(time: $0[0], symbol: $0[1], action: $0[2], side: $0[3], rule: $0[4], readings: $0[5])
            }
        }
    }
}
