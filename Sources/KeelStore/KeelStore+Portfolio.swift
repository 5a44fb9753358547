import Foundation
import GRDB
import KeelEngine

/// Which rows of the service's runs a cross-run list wants: a symbol, a time window (ms since the
/// epoch; trades by exit time), a kind (a decision's action or rule), one run; a page of them.
package struct RowFilter: Sendable, Equatable {
    package var symbol: String?
    package var since: Int64?
    package var until: Int64?
    package var kind: String?
    package var run: String?
    package var limit = 50
    package var offset = 0

    package init(symbol: String? = nil, since: Int64? = nil, until: Int64? = nil, kind: String? = nil, run: String? = nil, limit: Int = 50, offset: Int = 0) {
        (self.symbol, self.since, self.until, self.kind, self.run, self.limit, self.offset) = (symbol, since, until, kind, run, limit, offset)
    }

    /// The WHERE clause over a table aliased `t` whose time column is `time`, and its arguments.
    func clause(time: String, kindColumns: [String] = []) -> (String, StatementArguments) {
        var terms = ["t.run_id IN (SELECT run_id FROM service_runs)"]
        var arguments: StatementArguments = []
        if let run { terms.append("t.run_id = ?"); arguments += [run] }
        if let symbol { terms.append("t.symbol = ?"); arguments += [symbol] }
        if let since { terms.append("t.\(time) >= ?"); arguments += [since] }
        if let until { terms.append("t.\(time) <= ?"); arguments += [until] }
        if let kind, !kindColumns.isEmpty {
            terms.append("(" + kindColumns.map { "t.\($0) = ?" }.joined(separator: " OR ") + ")")
            for _ in kindColumns { arguments += [kind] }
        }
        return (terms.joined(separator: " AND "), arguments)
    }
}

/// The service's runs seen together: trades and decisions across runs, counts for lists' totals,
/// and what a portfolio sums (realised P&L in a window, peak equity).
extension KeelStore {
    /// Trades of the service's runs, newest exit first; with their run.
    package func trades(_ filter: RowFilter) throws -> [(run: String, trade: Trade)] {
        let (whereClause, arguments) = filter.clause(time: "exit_time")
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.run_id, t.symbol, t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.quantity, t.pnl, t.fees, t.exit_reason
                FROM trades t WHERE \(whereClause) ORDER BY t.exit_time DESC, t.id DESC LIMIT ? OFFSET ?
                """, arguments: arguments + [filter.limit, filter.offset]).map { row in
                (row[0], Trade(symbol: row[1], side: try Self.decode(row[2], "trades.side"), entryTime: row[3], entryPrice: row[4], exitTime: row[5],
                               exitPrice: row[6], quantity: row[7], pnl: row[8], fees: row[9], exitReason: try Self.decode(row[10], "trades.exit_reason")))
            }
        }
    }

    package func tradeCount(_ filter: RowFilter) throws -> Int {
        let (whereClause, arguments) = filter.clause(time: "exit_time")
        return try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trades t WHERE \(whereClause)", arguments: arguments) ?? 0 }
    }

    /// Decisions of the service's runs, newest first; `kind` matches the action (`entry`, `exit`,
    /// `stop_loss`, ...) or the rule (`entry.long`).
    package func decisions(_ filter: RowFilter) throws -> [(run: String, decision: StoredDecision)] {
        let (whereClause, arguments) = filter.clause(time: "time", kindColumns: ["action", "rule"])
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.run_id, t.time, t.symbol, t.action, t.side, t.rule, t.readings FROM decisions t
                WHERE \(whereClause) ORDER BY t.time DESC, t.id DESC LIMIT ? OFFSET ?
                """, arguments: arguments + [filter.limit, filter.offset]).map { row in
                (row[0], StoredDecision(time: row[1], symbol: row[2], action: row[3], side: row[4], rule: row[5], readings: row[6]))
            }
        }
    }

    package func decisionCount(_ filter: RowFilter) throws -> Int {
        let (whereClause, arguments) = filter.clause(time: "time", kindColumns: ["action", "rule"])
        return try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decisions t WHERE \(whereClause)", arguments: arguments) ?? 0 }
    }

    /// How many decisions each rule of a run made.
    package func decisionCounts(run: String) throws -> [(rule: String, count: Int)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT rule, COUNT(*) FROM decisions WHERE run_id = ? GROUP BY rule ORDER BY rule", arguments: [run]).map { ($0[0], $0[1]) }
        }
    }

    /// Rows of one run's table (`orders`, `trades`, `decisions`), for a list's total.
    package func count(_ table: RunTable, run: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.rawValue) WHERE run_id = ?", arguments: [run]) ?? 0 }
    }

    package enum RunTable: String, Sendable { case orders, trades, decisions }

    /// The P&L of a run's trades that closed at or after `since`.
    package func realizedPnl(run: String, since: Int64) throws -> Double {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT TOTAL(pnl) FROM trades WHERE run_id = ? AND exit_time >= ?", arguments: [run, since]) ?? 0
        }
    }

    /// The highest equity a run has recorded; nil before its first.
    package func peakEquity(run: String) throws -> Double? {
        try pool.read { db in try Double.fetchOne(db, sql: "SELECT MAX(equity) FROM equity WHERE run_id = ?", arguments: [run]) }
    }

    package func serviceRunCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM service_runs") ?? 0 }
    }

    package func backtestCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM backtests") ?? 0 }
    }

    package func researchJobCount(kind: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM research_jobs WHERE kind = ?", arguments: [kind]) ?? 0 }
    }
}
