import Foundation
import KeelStore
import KeelTestSupport
import Testing

/// `/mcp` on a real `keel serve` process: the protocol over plain HTTP (sessions, streams, every
/// tool), and the official Python SDK's client driving it.
@Suite("keel serve: MCP", .serialized)
struct MCPTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body
    static let session = "Mcp-Session-Id"

    /// One JSON-RPC message in a session: (status, headers, the answer as an object).
    static func post(_ server: Server, _ message: [String: Any], session: String?) throws -> (status: Int, session: String?, answer: [String: Any], text: String) {
        let answer = try server.process.send("POST", "/mcp", body: body(message), token: ServiceTests.token,
                                             headers: session.map { [Self.session: $0] } ?? [:])
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
        return (answer.status, answer.headers.first(name: Self.session), object, answer.body)
    }

    /// Opens a session; its id.
    static func initialize(_ server: Server) throws -> String {
        let opened = try post(server, ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["protocolVersion": "2025-06-18"]], session: nil)
        #expect(opened.status == 200, "\(opened.text)")
        #expect((opened.answer["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-06-18")
        return opened.session ?? ""
    }

    /// The JSON a tool answered as text.
    static func content(_ answer: [String: Any]) -> [String: Any] {
        let result = answer["result"] as? [String: Any] ?? [:]
        let text = (result["content"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    static func isError(_ answer: [String: Any]) -> Bool { (answer["result"] as? [String: Any])?["isError"] as? Bool == true }

    @Test("a session: initialize answers Mcp-Session-Id; every later message needs it (400 without, 404 unknown); the tools; DELETE ends it")
    func session() throws {
        let server = try Server()
        defer { server.process.stop() }
        let id = try Self.initialize(server)
        #expect(id.count == 32)
        func call(_ number: Int, _ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
            let sent = try Self.post(server, ["jsonrpc": "2.0", "id": number, "method": method, "params": params], session: id)
            #expect(sent.status == 200, "\(method): \(sent.text)")
            return sent.answer
        }
        #expect(try Self.post(server, ["jsonrpc": "2.0", "method": "notifications/initialized"], session: id).status == 202)
        let tools = ((try call(2, "tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(tools == ["list_strategies", "lint_strategy", "run_backtest", "get_backtest", "backtest_source", "list_runs", "get_run",
                          "halt_run", "resume_run", "get_report"])
        let lint = Self.content(try call(3, "tools/call", ["name": "lint_strategy", "arguments": ["source": "keel: 1\nname: broken\nentry:\n  long: sma(close) > 3\n"]]))
        #expect(lint["errors"] as? Int ?? 0 >= 1)
        let strategy = try server.create("S1")
        let listed = try call(4, "tools/call", ["name": "list_strategies"])
        #expect((listed["result"] as? [String: Any]).map { "\($0)".contains(strategy) } == true)
        let started = Self.content(try call(5, "tools/call", ["name": "run_backtest", "arguments": ["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"]]]))
        let backtest = started["id"] as? String ?? ""
        let done = Self.content(try call(6, "tools/call", ["name": "get_backtest", "arguments": ["id": backtest, "wait_seconds": 30]]))
        #expect(done["status"] as? String == "done")
        #expect(done["report_url"] as? String == "/v1/backtests/\(backtest)/report")
        // The result in a model's measure: every figure as the route has it, the equity curve at 100 points; the whole at result_url.
        let overHTTP = try server.finished(backtest)
        #expect(done["result_url"] as? String == "/v1/backtests/\(backtest)")
        let (short, whole) = (done["result"] as? [String: Any] ?? [:], overHTTP["result"] as? [String: Any] ?? [:])
        #expect(!whole.isEmpty && NSDictionary(dictionary: short["metrics"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: whole["metrics"] as? [String: Any] ?? ["x": 1]))
        #expect(short["final_equity"] as? Double == whole["final_equity"] as? Double)
        let (points, allPoints) = (short["equity"] as? [[String: Any]] ?? [], whole["equity"] as? [[String: Any]] ?? [])
        #expect(allPoints.count > 100 && points.count == 100 && short["equity_shown"] as? String == "100 of \(allPoints.count) points, evenly spaced")
        #expect(points.first?["time"] as? String == allPoints.first?["time"] as? String && points.last?["time"] as? String == allPoints.last?["time"] as? String)
        #expect((short["trades"] as? [Any])?.count == min(50, (whole["trades"] as? [Any])?.count ?? -1))
        // The same report as the route's, as an embedded HTML resource.
        let report = ((try call(7, "tools/call", ["name": "get_report", "arguments": ["backtest_id": backtest]])["result"] as? [String: Any])?["content"]
                      as? [[String: Any]])?.first?["resource"] as? [String: Any] ?? [:]
        #expect(report["mimeType"] as? String == "text/html" && report["uri"] as? String == "/v1/backtests/\(backtest)/report")
        #expect(report["text"] as? String == (try server.send("GET", "/v1/backtests/\(backtest)/report").body))
        // A text backtested without being stored: the same figures as the stored strategy's.
        let source = try String(contentsOf: ServiceTests.strategies.appendingPathComponent("S1.yaml"), encoding: .utf8)
        let unstored = Self.content(try call(8, "tools/call", ["name": "backtest_source", "arguments": ["source": source, "data": ["ORCL": "ORCL.csv"]]]))
        let stored = (overHTTP["result"] as? [String: Any])?["metrics"] as? [String: Any] ?? [:]
        #expect(!stored.isEmpty && NSDictionary(dictionary: unstored["metrics"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: stored))
        #expect(Self.isError(try call(9, "tools/call", ["name": "backtest_source", "arguments": ["source": "keel: 1\nentry: {long: nope > 1}\n", "data": ["ORCL": "ORCL.csv"]]])))
        #expect(Self.isError(try call(10, "tools/call", ["name": "run_backtest", "arguments": ["strategy_id": strategy, "data": ["ORCL": "../etc/passwd"]]])))
        #expect(Self.isError(try call(11, "tools/call", ["name": "halt_run", "arguments": ["id": "run_0000000000000000"]])))
        let runs = ((try call(12, "tools/call", ["name": "list_runs"])["result"] as? [String: Any])?["content"] as? [[String: Any]])?.first?["text"] as? String
        #expect(runs == "[]", "a JSON array, no runs yet")
        #expect(((try call(13, "resources/list"))["error"] as? [String: Any])?["code"] as? Int == -32601)
        #expect(((try call(14, "tools/call", ["name": "nope"]))["error"] as? [String: Any])?["code"] as? Int == -32602)
        // Without the session, with another, without the token.
        #expect(try Self.post(server, ["jsonrpc": "2.0", "id": 15, "method": "tools/list"], session: nil).status == 400)
        #expect(try Self.post(server, ["jsonrpc": "2.0", "id": 16, "method": "tools/list"], session: String(repeating: "0", count: 32)).status == 404)
        #expect(try server.send("POST", "/mcp", "{}", token: nil).status == 401)
        // DELETE ends it: later messages are 404, a second DELETE too.
        #expect(try server.process.send("DELETE", "/mcp", token: ServiceTests.token, headers: [Self.session: id]).status == 204)
        #expect(try Self.post(server, ["jsonrpc": "2.0", "id": 17, "method": "tools/list"], session: id).status == 404)
        #expect(try server.process.send("DELETE", "/mcp", token: ServiceTests.token, headers: [Self.session: id]).status == 404)
        #expect(try server.process.send("DELETE", "/mcp", token: ServiceTests.token).status == 400)
    }

    @Test("runs through MCP: list and read a hosted run, halt and resume it; the run journals both before its next event")
    func runs() async throws {
        let server = try Server()
        defer { server.process.stop() }
        let id = try Self.initialize(server)
        let strategy = try server.create("S1")
        let producer = try LoopbackServer()
        let (status, created) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)",
                                                                                  "symbols": ["ORCL"], "bar_seconds": 86_400]))
        #expect(status == 201, "\(created)")
        let run = created["id"] as? String ?? ""
        let connection = try producer.accept()
        defer { connection.close() }
        let lines = try RunServiceTests.orclLines()
        try connection.send(lines[0..<5].joined(separator: "\n") + "\n")
        try await RunServiceTests.eventually("five bars") { try RunServiceTests.lastSeq(server, run) == 5 }
        func tool(_ name: String, _ arguments: [String: Any] = [:]) throws -> [String: Any] {
            try Self.post(server, ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": name, "arguments": arguments]], session: id).answer
        }
        #expect("\(try tool("list_runs"))".contains(run))
        #expect(Self.content(try tool("get_run", ["id": run]))["id"] as? String == run)
        let halted = try tool("halt_run", ["id": run, "reason": "from a model"])
        #expect(!Self.isError(halted), "\(halted)")
        try connection.send(lines[5] + "\n")
        try await RunServiceTests.eventually("the halt and one bar") { try RunServiceTests.lastSeq(server, run) == 7 }
        #expect(!Self.isError(try tool("resume_run", ["id": run])))
        try connection.send(lines[6] + "\n")
        try await RunServiceTests.eventually("the resume and one bar") { try RunServiceTests.lastSeq(server, run) == 9 }
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let kinds = try store.riskEvents(run: run).map(\.kind)
        #expect(kinds == ["halt", "resume"], "\(kinds)")
    }

    @Test("bounded sessions: 429 with Retry-After when all are in use; an idle one expires (404) and frees its place")
    func capacity() throws {
        let server = try Server(extra: ["--rate-limit", "0", "--auth-failure-limit", "0", "--mcp-sessions", "2", "--mcp-idle", "1"])
        defer { server.process.stop() }
        let first = try Self.initialize(server), second = try Self.initialize(server)
        #expect(first != second)
        let full = try server.process.send("POST", "/mcp", body: Self.body(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": [:]]),
                                           token: ServiceTests.token)
        #expect(full.status == 429 && full.headers.first(name: "Retry-After") == "30", "\(full.body)")
        #expect(full.body.contains("2 MCP sessions"))
        Thread.sleep(forTimeInterval: 1.3)
        #expect(try Self.post(server, ["jsonrpc": "2.0", "id": 2, "method": "ping"], session: first).status == 404)
        let third = try Self.initialize(server)
        #expect(try Self.post(server, ["jsonrpc": "2.0", "id": 3, "method": "ping"], session: third).status == 200)
    }

    @Test("streams: a tools/call with a progressToken answers text/event-stream, progress then the result; GET /mcp holds a stream until the session ends")
    func streams() throws {
        let server = try Server()
        defer { server.process.stop() }
        try server.generateBig(bars: 100_000)
        let id = try Self.initialize(server)
        let strategy = try server.create("S1")
        let call = try server.process.send("POST", "/mcp", body: Self.body([
            "jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": ["name": "run_backtest", "arguments": ["strategy_id": strategy, "data": ["BIG": "BIG.csv"], "wait_seconds": 60],
                       "_meta": ["progressToken": "p1"]]]), token: ServiceTests.token, headers: [Self.session: id, "Accept": "application/json, text/event-stream"])
        #expect(call.status == 200 && call.headers.first(name: "Content-Type") == "text/event-stream")
        let events = call.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.compactMap { event -> [String: Any]? in
            guard event.hasPrefix("event: message\ndata: ") else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(event.dropFirst("event: message\ndata: ".count).utf8)) as? [String: Any]
        }
        let progress = events.filter { $0["method"] as? String == "notifications/progress" }.compactMap { $0["params"] as? [String: Any] }
        #expect(!progress.isEmpty && progress.allSatisfy { $0["progressToken"] as? String == "p1" })
        let fractions = progress.compactMap { $0["progress"] as? Double }
        #expect(fractions == fractions.sorted() && fractions.last == 1, "progress only grows and ends at 1: \(fractions)")
        #expect(events.last?["id"] as? Int == 9 && Self.content(events.last ?? [:])["status"] as? String == "done")

        // The session's own stream: open, held, and closed when the session ends.
        let connection = try RawConnection(port: server.process.port)
        connection.send("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ServiceTests.token)\r\nAccept: text/event-stream\r\n\(Self.session): \(id)\r\n\r\n")
        let head = connection.readHead()
        #expect(head.hasPrefix("HTTP/1.1 200") && head.lowercased().contains("content-type: text/event-stream"), "\(head)")
        #expect(connection.readToEnd(seconds: 0.5).text.contains(": keel mcp stream"))
        #expect(connection.isOpen)
        #expect(try server.process.send("DELETE", "/mcp", token: ServiceTests.token, headers: [Self.session: id]).status == 204)
        #expect(connection.readToEnd(seconds: 5).text.contains("0\r\n\r\n"), "the chunked stream ends once the session does")
        #expect(try server.process.send("GET", "/mcp", token: ServiceTests.token, headers: [Self.session: id, "Accept": "text/event-stream"]).status == 404)
    }

    @Test("the official Python MCP SDK (mcp 2.3.0): initialize, list, call every kind of tool, receive progress, read a report, end the session")
    func pythonSDK() throws {
        let server = try Server()
        defer { server.process.stop() }
        try server.generateBig(bars: 100_000)
        let strategy = try server.create("S1")
        let process = Process()
        process.executableURL = try OutsideTools.python
        process.arguments = [KeelBinary.root.appendingPathComponent("Tests/KeelServiceTests/Fixtures/mcp_client.py").path,
                             server.process.url, ServiceTests.token, strategy]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try Launch.run(process)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problems = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(problems.suffix(2_000))")
        let seen = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        #expect(seen["server"] as? String == "keel")
        #expect((seen["tools"] as? [String])?.count == 10)
        #expect((seen["lint"] as? [String: Any])?["errors"] as? Int ?? 0 >= 1)
        #expect((seen["backtest"] as? [String: Any])?["status"] as? String == "done")
        let progress = seen["progress"] as? [[Any]] ?? []
        #expect(!progress.isEmpty && (progress.last?.first as? Double) == 1, "\(progress)")
        #expect((seen["source_progress"] as? [[Any]])?.isEmpty == false)
        #expect(((seen["source"] as? [String: Any])?["metrics"] as? [String: Any]) != nil)
        #expect(seen["broken_is_error"] as? Bool == true && seen["halt_missing_is_error"] as? Bool == true)
        let report = seen["report"] as? [String: Any] ?? [:]
        #expect(report["mime"] as? String == "text/html" && (report["length"] as? Int ?? 0) > 1_000, "\(report)")
        #expect(seen["session_ended"] as? Bool == true)
        #expect(seen["methods"] as? [String] == ["DELETE", "GET", "POST"], "the SDK opens the session's GET stream too")
    }
}
