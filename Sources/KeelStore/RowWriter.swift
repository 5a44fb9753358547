import GRDB
import GRDBSQLite

/// One prepared insert, bound and stepped with SQLite's own calls. The journal writes a row per
/// event and per equity point; GRDB's arguments box every value, which cost more than SQLite's
/// insert itself (a third of a commit). Used inside a GRDB write, on its connection.
struct RowWriter {
    let statement: OpaquePointer
    let connection: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql).sqliteStatement
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database is closed") }
        self.connection = connection
    }

    /// Binds the row's values in order, then inserts it.
    func insert(_ bind: (inout Binder) -> Void) throws {
        sqlite3_reset(statement)
        var binder = Binder(statement: statement)
        bind(&binder)
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }

    struct Binder {
        let statement: OpaquePointer
        var index: Int32 = 1
        /// SQLite copies the text before the call returns.
        static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        mutating func text(_ value: String?) {
            defer { index += 1 }
            guard var value else { sqlite3_bind_null(statement, index); return }
            value.withUTF8 { bytes in
                // An empty buffer may have no address, which SQLite would take for NULL.
                if let base = bytes.baseAddress {
                    sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
                } else {
                    sqlite3_bind_text(statement, index, "", 0, Self.transient)
                }
            }
        }

        mutating func integer(_ value: Int64?) {
            defer { index += 1 }
            if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        }

        mutating func real(_ value: Double) {
            defer { index += 1 }
            // SQLite stores a NaN as NULL, as GRDB writes it.
            if value.isNaN { sqlite3_bind_null(statement, index) } else { sqlite3_bind_double(statement, index, value) }
        }
    }
}
