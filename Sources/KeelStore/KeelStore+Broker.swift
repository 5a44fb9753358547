import GRDB
import KeelEngine

/// A live run's side of the store: its broker orders, the broker's fills, reconciliations.
extension KeelStore {
    static func insert(_ o: BrokerIntent, run: String, now: Int64, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO broker_orders (run_id, client_order_id, seq, kind, symbol, side, qty, stop_price, limit_price, trailing_fraction, status,
                                       broker_order_id, filled_qty, cancel_requested, attempts, reason, event_time, created_at, updated_at)
            VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM broker_orders WHERE run_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, o.clientOrderId, run, o.kind.rawValue, o.symbol, o.side, o.qty, o.stopPrice, o.limitPrice, o.trailingFraction, o.status,
                             o.brokerOrderId, o.filledQty, o.cancelRequested, o.attempts, o.reason, o.eventTime, now, now])
    }

    /// The run's broker orders in the order they were placed; only the unsettled ones when asked.
    package func brokerOrders(run: String, unsettledOnly: Bool = false) throws -> [BrokerIntent] {
        try pool.read { db in
            let filter = unsettledOnly ? "AND status NOT IN ('filled', 'canceled', 'rejected', 'skipped')" : ""
            return try Row.fetchAll(db, sql: """
                SELECT client_order_id, kind, symbol, side, qty, stop_price, limit_price, status, broker_order_id, filled_qty, cancel_requested,
                       attempts, reason, event_time, trailing_fraction
                FROM broker_orders WHERE run_id = ? \(filter) ORDER BY seq
                """, arguments: [run]).map {
                BrokerIntent(clientOrderId: $0[0], kind: BrokerIntent.Kind(rawValue: $0[1]) ?? .open, symbol: $0[2], side: $0[3], qty: $0[4],
                             stopPrice: $0[5], limitPrice: $0[6], status: $0[7], brokerOrderId: $0[8], filledQty: $0[9], cancelRequested: $0[10],
                             attempts: $0[11], reason: $0[12], eventTime: $0[13], trailingFraction: $0[14])
            }
        }
    }

    /// Records what the broker said about an order (and how much a close or reduce really sends).
    package func updateBrokerOrder(run: String, _ o: BrokerIntent, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE broker_orders SET qty = ?, status = ?, broker_order_id = ?, filled_qty = ?, attempts = ?, reason = ?, updated_at = ?
                WHERE run_id = ? AND client_order_id = ?
                """, arguments: [o.qty, o.status, o.brokerOrderId, o.filledQty, o.attempts, o.reason, now, run, o.clientOrderId])
        }
    }

    /// Records the broker's fills, each once (a fill seen again is ignored), with the cursor moved
    /// past them; returns how many were new.
    @discardableResult
    package func recordBrokerFills(run: String, _ fills: [StoredBrokerFill], cursor: String, now: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET broker_cursor = ? WHERE id = ?", arguments: [cursor, run])
            var added = 0
            for f in fills {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO broker_fills (run_id, fill_id, broker_order_id, client_order_id, symbol, side, qty, price, time, kind, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run, f.fillId, f.brokerOrderId, f.clientOrderId, f.symbol, f.side, f.qty, f.price, f.time, f.kind, now])
                added += db.changesCount
            }
            return added
        }
    }

    package func brokerFills(run: String) throws -> [StoredBrokerFill] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT fill_id, broker_order_id, client_order_id, symbol, side, qty, price, time, kind FROM broker_fills WHERE run_id = ? ORDER BY id
                """, arguments: [run]).map {
                StoredBrokerFill(fillId: $0[0], brokerOrderId: $0[1], clientOrderId: $0[2], symbol: $0[3], side: $0[4], qty: $0[5], price: $0[6],
                                 time: $0[7], kind: $0[8])
            }
        }
    }

    /// The last broker fill seen (the run's or not): where the next poll of the broker's fills starts.
    package func brokerCursor(run: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT broker_cursor FROM runs WHERE id = ?", arguments: [run]) }
    }

    /// What the broker holds for the run by Keel's record: its fills and adopted adjustments, per symbol.
    package func brokerPositions(run: String) throws -> [String: Double] {
        try pool.read { db in
            var held: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT symbol, SUM(CASE side WHEN 'buy' THEN qty ELSE -qty END) FROM broker_fills WHERE run_id = ? GROUP BY symbol
                """, arguments: [run]) {
                let qty: Double = row[1]
                if abs(qty) > 1e-9 { held[row[0]] = qty }
            }
            return held
        }
    }

    package func recordReconciliation(run: String, outcome: String, details: String, adjustments: [StoredBrokerFill], now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO reconciliations (run_id, time, outcome, details) VALUES (?, ?, ?, ?)",
                           arguments: [run, now, outcome, details])
            for f in adjustments {
                try db.execute(sql: """
                    INSERT INTO broker_fills (run_id, fill_id, broker_order_id, client_order_id, symbol, side, qty, price, time, kind, recorded_at)
                    VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, 'adjustment', ?)
                    """, arguments: [run, f.fillId, f.clientOrderId, f.symbol, f.side, f.qty, f.price, f.time, now])
            }
        }
    }

    package func reconciliations(run: String) throws -> [(outcome: String, details: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT outcome, details FROM reconciliations WHERE run_id = ? ORDER BY id", arguments: [run])
                .map { ($0[0], $0[1]) }
        }
    }

    /// A note from the broker side (a rejection, a difference) in the run's risk events.
    package func recordRiskEvent(run: String, _ event: Engine.RiskEvent) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO risk_events (run_id, time, symbol, kind, reason) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run, event.time, event.symbol, event.kind, event.reason])
        }
    }
}
