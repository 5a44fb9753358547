import Foundation
import GRDB

/// A write the disk refused, said in Keel's words: which file, what the disk said, how much room is
/// left, and that what was committed before is kept. SQLite rolls the failed transaction back, so
/// the file holds every batch committed before it and a resume goes on from there.
package enum StorageFailure {
    /// The message for `error` when it is the disk's (full, failing, read-only); nil for any other error.
    package static func explain(_ error: Error, path: String) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        let free = freeBytes(near: path).map { "; \(bytes($0)) free there" } ?? ""
        let kept = "every batch committed before stays in it"
        switch error.resultCode {
        case .SQLITE_FULL:
            return "the state file \(path) cannot grow: its disk is full\(free). Nothing of the failed batch was kept, and \(kept): "
                + "free space, then run the same command to go on from the last commit"
        case .SQLITE_IOERR:
            return "the disk holding the state file \(path) failed a write (\(error.message ?? "I/O error"))\(free). Nothing of the failed batch "
                + "was kept, and \(kept): check the disk, then run the same command to go on from the last commit"
        case .SQLITE_READONLY:
            return "the state file \(path) cannot be written: it or its folder is read-only. Every batch committed before stays in it: "
                + "make it writable, then run the same command to go on from the last commit"
        default:
            return nil
        }
    }

    /// Bytes an unprivileged writer may still use on the file system holding `path` (its folder when
    /// the file is not there yet).
    package static func freeBytes(near path: String) -> Int64? {
        var stats = statvfs()
        let folder = FileManager.default.fileExists(atPath: path) ? path : URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(folder, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    static func bytes(_ n: Int64) -> String {
        n < 10_240 ? "\(n) bytes" : n < 10_485_760 ? "\(n / 1_024) KB" : "\(n / 1_048_576) MB"
    }
}
