import Foundation
import KeelTestSupport
import Testing

/// Connections that never send a valid request: answered and closed, never left to hold the
/// server (section 8 of the attack campaign). Raw sockets, since no HTTP client sends these.
@Suite("connection guard", .serialized)
struct ConnectionGuardTests {
    static let token = "guard-\(UUID().uuidString)"

    static func service(_ extra: [String], descriptorLimit: Int? = nil) throws -> ServerProcess {
        let folder = try KeelBinary.temporaryFolder(["token": token, "data/.keep": ""])
        return try ServerProcess(["serve", "--port", "0", "--db", folder.appendingPathComponent("keel.db").path,
                                  "--token-file", folder.appendingPathComponent("token").path,
                                  "--data-dir", folder.appendingPathComponent("data").path] + extra,
                                 descriptorLimit: descriptorLimit)
    }

    /// (what the client sends, the status it must get, at most how long it may take).
    static let hostile: [(name: String, bytes: [UInt8], status: String, seconds: Double)] = [
        ("nothing", [], "408", 3),
        ("half a request line", Array("GET /hea".utf8), "408", 3),
        ("a malformed request line", Array("GARBAGE \u{1} HTTP/9\r\n\r\n".utf8), "400", 1),
        ("Content-Length and chunked", Array("POST /v1/strategies HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8), "400", 1),
        ("100 KB of headers", Array(("GET /health HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 100_000) + "\r\n").utf8), "431", 1),
        ("a malformed chunked body", Array("POST /v1/strategies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\nabc\r\n".utf8), "400", 1),
    ]

    @Test("every hostile opening gets its answer and the connection is closed", arguments: [false, true])
    func answeredAndClosed(broker: Bool) throws {
        let server: ServerProcess
        if broker {
            let folder = try KeelBinary.temporaryFolder(["token": Self.token])
            server = try ServerProcess(["broker", "serve", "--port", "0", "--token-file", folder.appendingPathComponent("token").path,
                                        "--head-timeout", "1"])
        } else {
            server = try Self.service(["--head-timeout", "1"])
        }
        defer { server.stop() }
        for attack in Self.hostile where !(broker && attack.name.contains("chunked body")) {
            let connection = try RawConnection(port: server.port)
            connection.send(attack.bytes)
            let started = ContinuousClock.now
            let (text, closed) = connection.readToEnd(seconds: 10)
            let took = Double((ContinuousClock.now - started).components.seconds)
            #expect(text.hasPrefix("HTTP/1.1 \(attack.status)"), "\(attack.name): \(text.prefix(120))")
            #expect(text.contains("\"code\":"), "\(attack.name): the answer is Keel's JSON error: \(text.suffix(120))")
            #expect(closed, "\(attack.name): the connection was left open")
            #expect(took <= attack.seconds, "\(attack.name): took \(took) s")
        }
        // Nothing else broke: an ordinary request on a kept-alive connection is served twice.
        let connection = try RawConnection(port: server.port)
        connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (text, closed) = connection.readToEnd(seconds: 5)
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(text)")
        #expect(closed)
    }

    @Test("200 held connections under a 200-descriptor limit: /health and authenticated reads answer at once")
    func heldConnectionsDoNotStarve() throws {
        let server = try Self.service([], descriptorLimit: 200)
        defer { server.stop() }
        let openings = ["", "GET /he", "POST /v1/strategies HTTP/1.1\r\nHost: x\r\n", "GET /health HTTP/1.1\r\nX-A: " + String(repeating: "b", count: 5_000)]
        let held = try (0..<200).map { index in
            let connection = try RawConnection(port: server.port)
            connection.send(openings[index % openings.count])
            return connection
        }
        Thread.sleep(forTimeInterval: 0.5)
        var fastest = Double.infinity
        for path in ["/health", "/v1/strategies", "/health"] {
            let started = ContinuousClock.now
            let answer = try server.send("GET", path, token: Self.token)
            let took = ContinuousClock.now - started
            fastest = min(fastest, Double(took.components.attoseconds) / 1e18 + Double(took.components.seconds))
            #expect(answer.status == 200, "\(path): \(answer.status) \(answer.body.prefix(120))")
        }
        #expect(fastest < 0.1, "fastest answer took \(fastest) s")
        // One address holds at most the cap (64); the rest were closed, oldest first.
        let open = held.filter(\.isOpen).count
        #expect(open <= 64, "\(open) connections of one address held open")
        #expect(open > 0, "the cap closes only what is over it")
    }
}
