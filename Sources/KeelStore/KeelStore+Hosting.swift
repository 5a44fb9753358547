import Foundation
import GRDB

/// A run started over HTTP, with what the service knows of it beyond the runner's own record.
package struct StoredServiceRun: Sendable, Equatable {
    package var run: StoredRun
    package var strategyId: String
    package var version: Int
    package var brokerId: String?
    package var webhook: String?
    package var request: String
}

/// A broker connection. The sealed credentials stay in the store; the API never hands them out.
package struct StoredBroker: Sendable, Equatable {
    package var id: String
    package var name: String
    package var url: String
    package var sealedCredentials: [UInt8]
    package var createdAt: Int64
}

package struct WebhookDelivery: Sendable, Equatable {
    package var id: Int64
    package var url: String
    package var event: String
    package var subject: String
    package var payload: String
    package var status: String
    package var attempts: Int
    package var lastError: String?

    package init(id: Int64, url: String, event: String, subject: String, payload: String, status: String, attempts: Int, lastError: String? = nil) {
        (self.id, self.url, self.event, self.subject, self.payload) = (id, url, event, subject, payload)
        (self.status, self.attempts, self.lastError) = (status, attempts, lastError)
    }
}

/// One row of the leaderboard: a finished backtest or a paper run, with the figures it is ranked by.
package struct LeaderboardEntry: Sendable, Equatable {
    package var kind: String
    package var id: String
    package var strategyId: String?
    package var strategyName: String
    package var createdAt: Int64
    package var totalReturn: Double?
    package var pnl: Double?
    package var winRate: Double?
    package var maxDrawdown: Double?
}

/// `keel serve`'s runs, broker connections, webhooks and leaderboard.
extension KeelStore {
    // MARK: Runs

    package func createServiceRun(runId: String, strategyId: String, version: Int, brokerId: String?, webhook: String?, request: String,
                                 now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO service_runs (run_id, strategy_id, version, broker_id, webhook, request, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runId, strategyId, version, brokerId, webhook, request, now])
        }
    }

    private func serviceRun(_ row: Row, _ run: StoredRun) -> StoredServiceRun {
        StoredServiceRun(run: run, strategyId: row["strategy_id"], version: row["version"], brokerId: row["broker_id"], webhook: row["webhook"],
                         request: row["request"])
    }

    package func serviceRun(_ id: String) throws -> StoredServiceRun? {
        guard let run = try run(id) else { return nil }
        return try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM service_runs WHERE run_id = ?", arguments: [id]).map { serviceRun($0, run) }
        }
    }

    /// The service's runs, newest first.
    package func serviceRuns(limit: Int, offset: Int) throws -> [StoredServiceRun] {
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM service_runs ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?", arguments: [limit, offset])
        }
        return try rows.compactMap { row in try run(row["run_id"]).map { serviceRun(row, $0) } }
    }

    /// The profile a run trades under now: the last one an operator switched it to, if any.
    package func switchedProfile(run: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT argument FROM control_requests WHERE run_id = ? AND action = 'risk_profile' AND applied_seq IS NOT NULL
                ORDER BY applied_seq DESC LIMIT 1
                """, arguments: [run])
        }
    }

    /// Counts of a run's operator requests by action (halts, closes, ...), applied or not.
    package func controlCounts() throws -> [String: Int] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT action, COUNT(*) FROM control_requests GROUP BY action").map {
                ($0[0] as String, $0[1] as Int)
            })
        }
    }

    // MARK: Brokers

    package func createBroker(id: String, name: String, url: String, sealedCredentials: [UInt8], now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO brokers (id, name, url, sealed_credentials, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, name, url, Data(sealedCredentials), now])
        }
    }

    private static func broker(_ row: Row) -> StoredBroker {
        StoredBroker(id: row["id"], name: row["name"], url: row["url"], sealedCredentials: [UInt8](row["sealed_credentials"] as Data? ?? Data()),
                     createdAt: row["created_at"])
    }

    package func brokers() throws -> [StoredBroker] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM brokers WHERE deleted_at IS NULL ORDER BY created_at, id").map(Self.broker)
        }
    }

    package func broker(_ id: String) throws -> StoredBroker? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM brokers WHERE id = ? AND deleted_at IS NULL", arguments: [id]).map(Self.broker)
        }
    }

    /// Removes a connection: its sealed credentials are erased, the row stays for the runs that named it.
    package func deleteBroker(_ id: String, now: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE brokers SET deleted_at = ?, sealed_credentials = x'' WHERE id = ? AND deleted_at IS NULL",
                           arguments: [now, id])
            return db.changesCount == 1
        }
    }

    // MARK: Webhooks

    package func addDelivery(url: String, event: String, subject: String, payload: String, now: Int64) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO webhook_deliveries (url, event, subject, payload, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
                """, arguments: [url, event, subject, payload, now, now])
            return db.lastInsertedRowID
        }
    }

    package func recordAttempt(delivery: Int64, status: String, error: String?, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?
                """, arguments: [status, error, now, delivery])
        }
    }

    private static func delivery(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(id: row["id"], url: row["url"], event: row["event"], subject: row["subject"], payload: row["payload"],
                        status: row["status"], attempts: row["attempts"], lastError: row["last_error"])
    }

    /// Deliveries, oldest first; only the pending ones (a restarted server sends them) with `pending`.
    package func deliveries(pending: Bool = false) throws -> [WebhookDelivery] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries" + (pending ? " WHERE status = 'pending'" : "") + " ORDER BY id")
                .map(Self.delivery)
        }
    }

    // MARK: Leaderboard

    package enum LeaderboardMetric: String, Sendable, CaseIterable {
        case totalReturn = "return", pnl, winRate = "win_rate", drawdown

        var column: String {
            switch self {
            case .totalReturn: "total_return"
            case .pnl: "pnl"
            case .winRate: "win_rate"
            case .drawdown: "max_drawdown"
            }
        }

        /// Drawdown ranks the smallest first; the others the largest.
        var order: String { self == .drawdown ? "ASC" : "DESC" }
    }

    /// Finished backtests and paper runs created in `[from, to]` (ms), ranked by `metric`, and how many there are in all.
    package func leaderboard(by metric: LeaderboardMetric, from: Int64, to: Int64, limit: Int, offset: Int) throws -> (entries: [LeaderboardEntry], total: Int) {
        // Both sides in one shape; the figures come out of the stored JSON (the backtest contract, a run's summary).
        let union = """
            SELECT 'backtest' AS kind, b.id AS id, b.strategy_id AS strategy_id, s.name AS strategy_name, b.created_at AS created_at,
                   json_extract(b.result, '$.metrics.total_return') AS total_return,
                   json_extract(b.result, '$.final_equity') - json_extract(b.result, '$.capital') AS pnl,
                   json_extract(b.result, '$.metrics.win_rate') AS win_rate,
                   json_extract(b.result, '$.metrics.max_drawdown') AS max_drawdown
            FROM backtests b JOIN api_strategies s ON s.id = b.strategy_id WHERE b.status = 'done'
            UNION ALL
            SELECT 'run', r.id, sr.strategy_id, s.name, r.created_at,
                   json_extract(r.summary, '$.total_return'), json_extract(r.summary, '$.final_equity') - r.capital,
                   json_extract(r.summary, '$.win_rate'), json_extract(r.summary, '$.max_drawdown')
            FROM runs r JOIN strategies s ON s.id = r.strategy_id LEFT JOIN service_runs sr ON sr.run_id = r.id
            WHERE r.mode = 'paper' AND r.summary IS NOT NULL
            """
        let filter = "FROM (\(union)) WHERE created_at BETWEEN ? AND ? AND typeof(\(metric.column)) IN ('real', 'integer')"
        return try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(filter)", arguments: [from, to]) ?? 0
            let entries = try Row.fetchAll(db, sql: """
                SELECT * \(filter) ORDER BY \(metric.column) \(metric.order), created_at, id LIMIT ? OFFSET ?
                """, arguments: [from, to, limit, offset]).map {
                LeaderboardEntry(kind: $0["kind"], id: $0["id"], strategyId: $0["strategy_id"], strategyName: $0["strategy_name"],
                                 createdAt: $0["created_at"], totalReturn: $0["total_return"], pnl: $0["pnl"], winRate: $0["win_rate"],
                                 maxDrawdown: $0["max_drawdown"])
            }
            return (entries, total)
        }
    }
}

extension KeelStore {
    /// Risk events by kind (refusals, halts, kill switches, profile switches): one run's, or every run's.
    package func riskEventCounts(run: String? = nil) throws -> [String: Int] {
        try counts("SELECT kind, COUNT(*) FROM risk_events", run: run, group: "kind")
    }

    /// The strategy's decisions (signals) by action: one run's, or every run's.
    package func signalCounts(run: String? = nil) throws -> [String: Int] {
        try counts("SELECT action, COUNT(*) FROM decisions", run: run, group: "action")
    }

    private func counts(_ select: String, run: String?, group: String) throws -> [String: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: select + (run == nil ? "" : " WHERE run_id = ?") + " GROUP BY \(group)",
                                        arguments: run.map { [$0] } ?? [])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as Int) })
        }
    }
}
