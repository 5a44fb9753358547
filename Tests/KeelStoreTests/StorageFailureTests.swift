import Foundation
import GRDB
import KeelStore
import KeelTestSupport
import Testing

/// The disk's refusals in Keel's words (the full disk itself: `FullDiskTests` on a real tmpfs).
@Suite("the disk's refusals, said plainly")
struct StorageFailureTests {
    @Test("a failing disk and a read-only file name the file, say the committed batches are kept and what to do; other errors are left alone")
    func sentences() throws {
        let folder = try KeelBinary.temporaryFolder()
        let path = folder.appendingPathComponent("run.db").path
        let io = try #require(StorageFailure.explain(DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error"), path: path))
        #expect(io.hasPrefix("the disk holding the state file \(path) failed a write (disk I/O error); ") && io.contains(" free there."), "\(io)")
        #expect(io.hasSuffix("check the disk, then run the same command to go on from the last commit"))
        let readOnly = try #require(StorageFailure.explain(DatabaseError(resultCode: .SQLITE_READONLY), path: path))
        #expect(readOnly.contains("read-only. Every batch committed before stays in it: make it writable"), "\(readOnly)")
        #expect(StorageFailure.explain(DatabaseError(resultCode: .SQLITE_CONSTRAINT), path: path) == nil)
        #expect(StorageFailure.explain(CocoaError(.fileNoSuchFile), path: path) == nil)
        // Free space is read on the file's folder while the file does not exist yet.
        #expect((StorageFailure.freeBytes(near: path) ?? -1) > 0)
    }
}
