import Foundation

/// The MCP sessions the server holds: made at `initialize` (the id goes back in `Mcp-Session-Id`),
/// touched by every message that names them, ended by `DELETE /mcp`, and forgotten after `idle`
/// without a message. At most `capacity` at once: a new one first evicts the expired, and is
/// refused (429) while every held session is in use.
final class MCPSessions: @unchecked Sendable {
    struct Session {
        var protocolVersion: String
        var lastUsed: ContinuousClock.Instant
    }

    enum Lookup: Equatable { case found, missing, unknown }

    let capacity: Int
    let idle: Duration
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]

    init(capacity: Int = 64, idle: Duration = .seconds(1_800)) {
        (self.capacity, self.idle) = (max(1, capacity), idle)
    }

    /// A new session's id, or nil when the server holds `capacity` sessions in use.
    func open(protocolVersion: String) -> String? {
        let now = ContinuousClock.now
        return lock.withLock {
            sessions = sessions.filter { now - $0.value.lastUsed < idle }
            guard sessions.count < capacity else { return nil }
            var id: String
            repeat { id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() } while sessions[id] != nil
            sessions[id] = Session(protocolVersion: protocolVersion, lastUsed: now)
            return id
        }
    }

    /// Whether the header names a live session (and marks it used): absent, unknown or expired.
    func touch(_ id: String?) -> Lookup {
        guard let id else { return .missing }
        let now = ContinuousClock.now
        return lock.withLock {
            guard let session = sessions[id] else { return .unknown }
            guard now - session.lastUsed < idle else {
                sessions[id] = nil
                return .unknown
            }
            sessions[id]?.lastUsed = now
            return .found
        }
    }

    /// Ends a session; false when there was none.
    func close(_ id: String) -> Bool { lock.withLock { sessions.removeValue(forKey: id) != nil } }

    func isOpen(_ id: String) -> Bool {
        let now = ContinuousClock.now
        return lock.withLock { sessions[id].map { now - $0.lastUsed < idle } ?? false }
    }

    var count: Int { lock.withLock { sessions.count } }
}
