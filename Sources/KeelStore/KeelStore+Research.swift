import GRDB

/// A research job of the service (`POST /v1/optimizations`, `POST /v1/walkforwards`): its request
/// and, once done, its result, both JSON as the API gives them.
package struct StoredResearchJob: Sendable, Equatable {
    package var id: String
    package var kind: String
    package var strategyId: String
    package var version: Int
    package var status: String
    package var request: String
    package var result: String?
    package var error: String?
    package var createdAt: Int64
    package var finishedAt: Int64?
}

extension KeelStore {
    /// Stores a strategy's research evidence (replacing any); false when there is no such strategy.
    package func setStrategyEvidence(_ id: String, evidence: String, now: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE api_strategies SET evidence = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
                           arguments: [evidence, now, id])
            return db.changesCount == 1
        }
    }

    package func strategyEvidence(_ id: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT evidence FROM api_strategies WHERE id = ? AND deleted_at IS NULL", arguments: [id])
        }
    }

    package func createResearchJob(id: String, kind: String, strategyId: String, version: Int, request: String, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO research_jobs (id, kind, strategy_id, version, status, request, created_at) VALUES (?, ?, ?, ?, 'running', ?, ?)
                """, arguments: [id, kind, strategyId, version, request, now])
        }
    }

    /// Ends a running job; false when it had ended already (cancelled).
    @discardableResult
    package func finishResearchJob(_ id: String, status: String, result: String?, error: String?, now: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE research_jobs SET status = ?, result = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
                           arguments: [status, result, error, now, id])
            return db.changesCount == 1
        }
    }

    /// Jobs a stopped server left running can never finish: failed at the next start.
    package func failUnfinishedResearchJobs(now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE research_jobs SET status = 'failed', error = 'the server stopped before it finished', finished_at = ? WHERE status = 'running'
                """, arguments: [now])
        }
    }

    private static func researchJob(_ row: Row) -> StoredResearchJob {
        StoredResearchJob(id: row["id"], kind: row["kind"], strategyId: row["strategy_id"], version: row["version"], status: row["status"],
                          request: row["request"], result: row["result"], error: row["error"], createdAt: row["created_at"],
                          finishedAt: row["finished_at"])
    }

    package func researchJob(_ id: String, kind: String) throws -> StoredResearchJob? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM research_jobs WHERE id = ? AND kind = ?", arguments: [id, kind]).map(Self.researchJob)
        }
    }

    /// Newest first, without their results.
    package func researchJobs(kind: String, limit: Int, offset: Int) throws -> [StoredResearchJob] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, kind, strategy_id, version, status, request, NULL AS result, error, created_at, finished_at
                FROM research_jobs WHERE kind = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
                """, arguments: [kind, limit, offset]).map(Self.researchJob)
        }
    }
}
