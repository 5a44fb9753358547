import Foundation
import GRDB
import Keel

/// The trials of a search as they end, in `RESULTS.partial` beside the results file: a killed
/// search (or shard) started again with the same command skips the trials it holds. The journal is
/// a results file of the trials so far (WAL, one transaction per trial); when the search is done
/// the results file is written whole and the journal removed.
public final class ResultsJournal: @unchecked Sendable {
    public let path: String
    /// The trials it held when opened: the ones a resume does not run again.
    public let done: [ResultsFile.Trial]
    private let queue: DatabaseQueue
    private let lock = NSLock()
    private var failure: Error?

    /// The journal of the results file at `resultsPath`, made for `manifest`: created, or opened and
    /// checked to come from the same search (every manifest entry but `command` equal).
    public init(resultsPath: String, manifest: [(String, String)]) throws {
        path = resultsPath + ".partial"
        let exists = FileManager.default.fileExists(atPath: path)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        guard exists else {
            try queue.write { db in try ResultsFile.createTables(db, manifest: manifest, returns: true) }
            done = []
            return
        }
        let held = try ResultsFile.read(path)
        for (key, value) in manifest where key != "command" {
            let theirs = held.value(key) ?? ""
            guard theirs == value else {
                throw ResultsFile.Failure(description: "\(path) holds trials of another search (its \(key) is '\(theirs.prefix(80))', this one's "
                    + "'\(value.prefix(80))'): remove it to start again, or give another -o")
            }
        }
        done = held.trials
    }

    /// Writes one trial; a failure (a full disk) is kept and thrown by `check`.
    public func add(_ trial: ResultsFile.Trial) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        do { try queue.write { db in try ResultsFile.insert(trial, db) } } catch { failure = error }
    }

    /// Throws the first write that failed.
    public func check() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Closes and removes the journal (the results file now holds its trials).
    public func remove() throws {
        try queue.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
