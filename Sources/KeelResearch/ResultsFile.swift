import Foundation
import GRDB
import Keel

/// A search's results: one SQLite file with a `manifest` table (how the results were made: the
/// strategy's hash, the data's checksums, Keel's version, the command, the method, the seed) and a
/// `trials` table, one row per trial with its params (a JSON object) and every metric as a column.
/// The same trials give the same file, byte for byte: rows go in in trial order, in one
/// transaction, with no time written anywhere.
public struct ResultsFile: Sendable {
    public struct Trial: Sendable {
        public var number: Int
        public var params: [(String, ConstValue)]
        public var finalEquity: Double
        public var metrics: Metrics
        /// The moments and CSCV blocks of its returns (`trial_returns`); nil in a file written without them.
        public var returns: TrialReturns?

        public init(number: Int, params: [(String, ConstValue)], finalEquity: Double, metrics: Metrics, returns: TrialReturns? = nil) {
            (self.number, self.params, self.finalEquity, self.metrics, self.returns) = (number, params, finalEquity, metrics, returns)
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Keys and values, in the order written.
    public var manifest: [(String, String)]
    public var trials: [Trial]
    /// What the search found out about its own choice (`SearchEvidence`): the chosen trial, its
    /// probabilistic and deflated Sharpe ratios. Empty in a file written without them.
    public var statistics: [(String, String)]

    public init(manifest: [(String, String)], trials: [Trial], statistics: [(String, String)] = []) {
        (self.manifest, self.trials, self.statistics) = (manifest, trials, statistics)
    }

    public func statistic(_ key: String) -> String? { statistics.first { $0.0 == key }?.1 }

    public func value(_ key: String) -> String? { manifest.first { $0.0 == key }?.1 }

    /// The metric columns, in `Metrics.named`'s order.
    static var metricNames: [String] { Metrics().named.map(\.0) }

    /// Writes the file whole or not at all: a temporary file beside it, renamed over it.
    public func write(to path: String) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let queue = try DatabaseQueue(path: temporary)
            try queue.write { db in
                try Self.createTables(db, manifest: manifest, returns: trials.contains { $0.returns != nil })
                try db.execute(sql: "CREATE TABLE statistics (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
                for (key, value) in statistics { try db.execute(sql: "INSERT INTO statistics (key, value) VALUES (?, ?)", arguments: [key, value]) }
                for trial in trials.sorted(by: { $0.number < $1.number }) { try Self.insert(trial, db) }
            }
            try queue.close()
            // rename(2) replaces the old file in one step: a reader sees the old results or the new, never half.
            guard rename(temporary, path) == 0 else { throw Failure(description: "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// The manifest and the empty `trials` table (one column per metric), and `trial_returns`
    /// (each trial's return moments and CSCV blocks, `[count, sum, squares]` each) when kept.
    static func createTables(_ db: Database, manifest: [(String, String)], returns: Bool) throws {
        try db.execute(sql: "CREATE TABLE manifest (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        let columns = metricNames.map { "\($0) \($0 == "trade_count" ? "INTEGER" : "REAL")" }.joined(separator: ", ")
        try db.execute(sql: "CREATE TABLE trials (trial INTEGER PRIMARY KEY NOT NULL, params TEXT NOT NULL, final_equity REAL, \(columns))")
        for (key, value) in manifest { try db.execute(sql: "INSERT INTO manifest (key, value) VALUES (?, ?)", arguments: [key, value]) }
        guard returns else { return }
        try db.execute(sql: """
            CREATE TABLE trial_returns (trial INTEGER PRIMARY KEY NOT NULL, count INTEGER NOT NULL, mean REAL, standard_deviation REAL, skew REAL,
                                        kurtosis REAL, blocks TEXT NOT NULL)
            """)
    }

    /// One trial's row, and its returns' row when it has them.
    static func insert(_ trial: Trial, _ db: Database) throws {
        let names = ["trial", "params", "final_equity"] + metricNames
        var values: [DatabaseValue] = [trial.number.databaseValue, json(trial.params).databaseValue, stored(trial.finalEquity).databaseValue]
        values += trial.metrics.named.map { name, value in name == "trade_count" ? Int(value).databaseValue : stored(value).databaseValue }
        try db.cachedStatement(sql: "INSERT INTO trials (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))")
            .execute(arguments: StatementArguments(values))
        guard let r = trial.returns else { return }
        let blocks = JSON.encode(.array(r.blocks.map { .array([.int($0.count), .number($0.sum), .number($0.squares)]) }), pretty: false)
        try db.cachedStatement(sql: "INSERT INTO trial_returns VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
            trial.number, r.moments.count, stored(r.moments.mean), stored(r.moments.standardDeviation), stored(r.moments.skew), stored(r.moments.kurtosis),
            blocks,
        ])
    }

    static func readReturns(_ db: Database) throws -> [Int: TrialReturns] {
        guard try db.tableExists("trial_returns") else { return [:] }
        var returns: [Int: TrialReturns] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM trial_returns ORDER BY trial") {
            let moments = SharpeStatistics.Moments(count: row["count"], mean: (row["mean"] as Double?) ?? .nan,
                                                   standardDeviation: (row["standard_deviation"] as Double?) ?? .nan,
                                                   skew: (row["skew"] as Double?) ?? .nan, kurtosis: (row["kurtosis"] as Double?) ?? .nan)
            let triples = (try? JSONDecoder().decode([[Double]].self, from: Data((row["blocks"] as String).utf8))) ?? []
            let blocks = triples.map { t -> Overfitting.Block in
                var block = Overfitting.Block()
                (block.count, block.sum, block.squares) = (Int(t[0]), t[1], t[2])
                return block
            }
            returns[row["trial"]] = TrialReturns(moments: moments, blocks: blocks)
        }
        return returns
    }

    /// NaN as NULL (SQLite has no NaN); infinities stay REAL.
    static func stored(_ value: Double) -> Double? { value.isNaN ? nil : value }

    /// The params as a JSON object in their order: numbers as numbers, the rest as text.
    static func json(_ params: [(String, ConstValue)]) -> String {
        JSON.encode(.object(params.map { name, value in
            if case .number(let n) = value { return (name, .number(n)) }
            if case .bool(let b) = value { return (name, .bool(b)) }
            return (name, .string(SweepFormat.value(value)))
        }), pretty: false)
    }

    /// A param's value in the JSON: true or false, a number, or text.
    private struct Scalar: Decodable {
        let value: ConstValue

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { value = .bool(flag) }
            else if let number = try? container.decode(Double.self) { value = .number(number) }
            else { value = .string(try container.decode(String.self)) }
        }
    }

    /// Whether a file starts as SQLite files do.
    public static func isResultsFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 16)) == Data("SQLite format 3\0".utf8)
    }

    public static func read(_ path: String) throws -> ResultsFile {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            guard try db.tableExists("manifest"), try db.tableExists("trials") else {
                throw Failure(description: "\(path) is an SQLite file but not a results file of keel optimize (no manifest and trials tables)")
            }
            let manifest = try Row.fetchAll(db, sql: "SELECT key, value FROM manifest ORDER BY rowid").map { ($0["key"] as String, $0["value"] as String) }
            let order = (manifest.first { $0.0 == "params" }?.1).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] } ?? []
            var trials = try Row.fetchAll(db, sql: "SELECT * FROM trials ORDER BY trial").map { row -> Trial in
                let object = (try? JSONDecoder().decode([String: Scalar].self, from: Data((row["params"] as String).utf8))) ?? [:]
                let params: [(String, ConstValue)] = (order.isEmpty ? object.keys.sorted() : order).compactMap { name in
                    object[name].map { (name, $0.value) }
                }
                var values: [String: Double] = [:]
                for name in metricNames { values[name] = (row[name] as Double?) ?? .nan }
                return Trial(number: row["trial"], params: params, finalEquity: (row["final_equity"] as Double?) ?? .nan, metrics: Metrics(named: values))
            }
            let returns = try Self.readReturns(db)
            for k in trials.indices { trials[k].returns = returns[trials[k].number] }
            let statistics = try db.tableExists("statistics")
                ? try Row.fetchAll(db, sql: "SELECT key, value FROM statistics ORDER BY rowid").map { ($0["key"] as String, $0["value"] as String) } : []
            return ResultsFile(manifest: manifest, trials: trials, statistics: statistics)
        }
    }
}
