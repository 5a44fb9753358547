import GRDB

/// A strategy as the service keeps it: its current version.
package struct StoredStrategy: Sendable, Equatable {
    package var id: String
    package var name: String
    package var mode: String
    package var version: Int
    package var createdAt: Int64
    package var updatedAt: Int64
}

package struct StoredBacktest: Sendable, Equatable {
    package var id: String
    package var strategyId: String
    package var version: Int
    package var status: String
    package var request: String
    package var result: String?
    package var error: String?
    package var createdAt: Int64
    package var finishedAt: Int64?
    /// Where completion is POSTed.
    package var webhook: String?
    /// The equity at the end, and the return on the capital in percent, once done.
    package var finalValue: Double?
    package var totalReturnPct: Double?
}

/// `keel serve`'s side of the store: strategies with versions, and backtests.
extension KeelStore {
    private static func strategy(_ row: Row) -> StoredStrategy {
        StoredStrategy(id: row["id"], name: row["name"], mode: row["mode"], version: row["version"], createdAt: row["created_at"],
                       updatedAt: row["updated_at"])
    }

    package func createStrategy(id: String, name: String, source: String, now: Int64) throws -> StoredStrategy {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO api_strategies (id, name, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
                           arguments: [id, name, now, now])
            try db.execute(sql: "INSERT INTO strategy_versions (strategy_id, version, source, created_at) VALUES (?, 1, ?, ?)",
                           arguments: [id, source, now])
        }
        return StoredStrategy(id: id, name: name, mode: "paper", version: 1, createdAt: now, updatedAt: now)
    }

    /// The strategies not deleted, oldest first.
    package func apiStrategies() throws -> [StoredStrategy] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_strategies WHERE deleted_at IS NULL ORDER BY created_at, id").map(Self.strategy)
        }
    }

    /// The strategies not deleted, oldest first, each with its current version's source.
    package func apiStrategiesWithSources() throws -> [(StoredStrategy, source: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, v.source AS current_source FROM api_strategies s
                JOIN strategy_versions v ON v.strategy_id = s.id AND v.version = s.version
                WHERE s.deleted_at IS NULL ORDER BY s.created_at, s.id
                """).map { (Self.strategy($0), $0["current_source"]) }
        }
    }

    /// A strategy and the source of one of its versions (the current one by default).
    package func apiStrategy(_ id: String, version: Int? = nil) throws -> (StoredStrategy, source: String)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_strategies WHERE id = ? AND deleted_at IS NULL", arguments: [id]) else {
                return nil
            }
            let strategy = Self.strategy(row)
            guard let source = try String.fetchOne(db, sql: "SELECT source FROM strategy_versions WHERE strategy_id = ? AND version = ?",
                                                   arguments: [id, version ?? strategy.version]) else { return nil }
            return (strategy, source)
        }
    }

    /// A new version; nil when there is no such strategy.
    package func updateStrategy(_ id: String, name: String, source: String, now: Int64) throws -> StoredStrategy? {
        try pool.write { db in
            guard let version = try Int.fetchOne(db, sql: "SELECT version FROM api_strategies WHERE id = ? AND deleted_at IS NULL", arguments: [id])
            else { return nil }
            try db.execute(sql: "INSERT INTO strategy_versions (strategy_id, version, source, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [id, version + 1, source, now])
            try db.execute(sql: "UPDATE api_strategies SET version = ?, name = ?, updated_at = ? WHERE id = ?", arguments: [version + 1, name, now, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM api_strategies WHERE id = ?", arguments: [id]).map(Self.strategy)
        }
    }

    /// `paper` or `live`: a live run needs its strategy switched to live and the run's request to say so.
    package func setStrategyMode(_ id: String, mode: String, now: Int64) throws -> StoredStrategy? {
        try pool.write { db in
            try db.execute(sql: "UPDATE api_strategies SET mode = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL", arguments: [mode, now, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM api_strategies WHERE id = ? AND deleted_at IS NULL", arguments: [id]).map(Self.strategy)
        }
    }

    /// Deleted strategies keep their versions, so the backtests that ran them still say what ran.
    package func deleteStrategy(_ id: String, now: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE api_strategies SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", arguments: [now, id])
            return db.changesCount == 1
        }
    }

    // MARK: Backtests

    package func createBacktest(id: String, strategyId: String, version: Int, request: String, webhook: String? = nil, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO backtests (id, strategy_id, version, status, request, webhook, created_at) VALUES (?, ?, ?, 'running', ?, ?, ?)
                """, arguments: [id, strategyId, version, request, webhook, now])
        }
    }

    /// Ends a running backtest; false when it had ended already (cancelled, say).
    @discardableResult
    package func finishBacktest(_ id: String, status: String, result: String?, error: String?, now: Int64,
                                finalValue: Double? = nil, totalReturnPct: Double? = nil) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE backtests SET status = ?, result = ?, error = ?, finished_at = ?, final_value = ?, total_return_pct = ?
                WHERE id = ? AND status = 'running'
                """, arguments: [status, result, error, now, finalValue, totalReturnPct, id])
            return db.changesCount == 1
        }
    }

    /// Backtests a stopped server left running can never finish: they are failed at the next start.
    /// Marks the backtests a stopped (or killed) server left running as failed; their ids, so their webhooks hear it.
    package func failUnfinishedBacktests(now: Int64) throws -> [String] {
        try pool.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM backtests WHERE status = 'running' ORDER BY id")
            try db.execute(sql: """
                UPDATE backtests SET status = 'failed', error = 'the server stopped before it finished', finished_at = ? WHERE status = 'running'
                """, arguments: [now])
            return ids
        }
    }

    private static func backtest(_ row: Row) -> StoredBacktest {
        StoredBacktest(id: row["id"], strategyId: row["strategy_id"], version: row["version"], status: row["status"], request: row["request"],
                       result: row["result"], error: row["error"], createdAt: row["created_at"], finishedAt: row["finished_at"],
                       webhook: row["webhook"], finalValue: row["final_value"], totalReturnPct: row["total_return_pct"])
    }

    package func backtest(_ id: String) throws -> StoredBacktest? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM backtests WHERE id = ?", arguments: [id]).map(Self.backtest) }
    }

    /// Newest first, without their results.
    package func backtests(limit: Int, offset: Int) throws -> [StoredBacktest] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, strategy_id, version, status, request, NULL AS result, error, created_at, finished_at, webhook
                FROM backtests ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
                """, arguments: [limit, offset]).map(Self.backtest)
        }
    }
}
