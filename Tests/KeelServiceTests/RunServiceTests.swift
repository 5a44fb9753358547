import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import KeelEngine
import KeelStore
import KeelTestSupport
import Logging
import ServiceLifecycle
import Testing
@testable import KeelService

#if canImport(Glibc)
import Glibc
#endif

/// `/v1/runs`, `/v1/ws`, rate limits, brokers, webhooks, the leaderboard and metrics, on a
/// real `keel serve` process on loopback and its real SQLite file.
@Suite("keel serve: runs and the rest", .serialized)
struct RunServiceTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body

    /// ORCL's bars as the stream's JSON lines, one bar per line in time order.
    static func orclLines() throws -> [String] {
        let events = try KeelBinary.run(["data", "events", "ORCL=" + ServiceTests.data.appendingPathComponent("ORCL.csv").path])
        #expect(events.status == 0)
        return events.stdout.split(separator: "\n").map(String.init)
    }

    static func list(_ server: Server, _ path: String) throws -> [[String: Any]] {
        let (status, text) = try server.send("GET", path)
        #expect(status == 200, "\(path): \(text)")
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
    }

    /// Polls until `condition` holds (at most 60 s).
    static func until(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// `until` for async tests: it waits with `Task.sleep`, leaving the cooperative pool to the
    /// WebSocket listeners (a blocked pool thread starved them under the full suite's load).
    static func eventually(_ what: String, every pause: Duration = .milliseconds(20), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: pause)
        }
    }

    struct TimedOut: Error { var what: String }

    /// WebSocket listeners connected, by the server's own count.
    static func listeners(_ server: Server) throws -> Int {
        (try server.object("GET", "/v1/metrics").1["system"] as? [String: Any])?["websocket_listeners"] as? Int ?? -1
    }

    static func lastSeq(_ server: Server, _ run: String) throws -> Int {
        try server.object("GET", "/v1/runs/\(run)").1["last_seq"] as? Int ?? -1
    }

    /// A WebSocket listener that keeps every text message.
    final class Listener: @unchecked Sendable {
        final class Inbox: @unchecked Sendable {
            private let lock = NSLock()
            private var received: [[String: Any]] = []
            private var raw: [String] = []

            func keep(_ text: String) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
                lock.withLock {
                    received.append(object)
                    raw.append(text)
                }
            }

            var messages: [[String: Any]] { lock.withLock { received } }
            var texts: [String] { lock.withLock { raw } }
        }

        private let inbox = Inbox()
        private var task: Task<Void, Never>?

        /// The listeners' own thread: see `ThreadExecutor`.
        static let executor = ThreadExecutor(label: "keel.test.websocket")

        /// `attempts`: a loaded machine can refuse or time out a first attempt, so a listener that
        /// should connect tries again, 50 ms apart. One that should be refused tries once: each
        /// refused attempt leaves the WebSocket client's socket open (CLOSE-WAIT), and a listener
        /// retrying for the length of a test held 8,000 of them.
        init(url: String, headers: HTTPFields = [:], attempts: Int = 400) {
            let inbox = inbox
            task = Task.detached(executorPreference: Self.executor) {
                for _ in 0..<attempts where !Task.isCancelled {
                    do {
                        try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "test")) { inbound, _, _ in
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message { inbox.keep(text) }
                            }
                        }
                        return
                    } catch {
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
        }

        var messages: [[String: Any]] { inbox.messages }
        var texts: [String] { inbox.texts }
        func stop() { task?.cancel() }
    }

    @Test("WebSocket listeners (token in the query or the header) receive a paper run's fills, exactly those in the store")
    func webSocketListenersReceiveFills() async throws {
        let server = try Server()
        defer { server.process.stop() }
        try Self.orclLines().joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let strategy = try server.create("S2E")
        let ws = server.process.url.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws"
        let byQuery = Listener(url: ws + "?token=" + ServiceTests.token)
        let byHeader = Listener(url: ws, headers: [.authorization: "Bearer " + ServiceTests.token])
        let refused = Listener(url: ws + "?token=wrong", attempts: 1)
        defer { [byQuery, byHeader, refused].forEach { $0.stop() } }
        try await Self.eventually("the listeners to connect") { try Self.listeners(server) == 2 }

        let (status, run) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"], "bar_seconds": 86_400]))
        #expect(status == 201)
        let id = run["id"] as? String ?? ""
        func ended(_ listener: Listener) -> Bool {
            listener.messages.contains { $0["type"] as? String == "portfolio_update" && ($0["data"] as? [String: Any])?["status"] as? String == "ended" }
        }
        try await Self.eventually("the run's last portfolio update") { ended(byQuery) && ended(byHeader) }

        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let stored = try store.fills(run: id)
        #expect(stored.count > 10)
        struct Fill: Decodable {
            struct Data: Decodable {
                var fill_id: String
                var price: Double
                var quantity: Double
            }
            var type: String
            var run_id: String
            var data: Data
        }
        for listener in [byQuery, byHeader] {
            // Decoded from the text (JSONSerialization rounds some doubles on the way in).
            let fills = listener.texts.compactMap { try? JSONDecoder().decode(Fill.self, from: Data($0.utf8)) }.filter { $0.type == "fill" && $0.run_id == id }
            #expect(fills.map(\.data.fill_id) == stored.map(\.fillId))
            #expect(fills.map(\.data.price) == stored.map(\.price))
            #expect(fills.map(\.data.quantity) == stored.map(\.quantity))
            let types = Set(listener.messages.compactMap { $0["type"] as? String })
            #expect(types.isSuperset(of: ["order", "fill", "signal", "portfolio_update"]), "\(types)")
        }
        #expect(refused.messages.isEmpty)
        let report = try server.send("GET", "/v1/runs/\(id)/report")
        #expect(report.status == 200 && report.body.contains("This run against the backtest on the same bars"), "\(report.body.prefix(300))")
    }

    @Test("halt stops new orders within one event; resume, a risk profile switch and closing one position apply before the next event")
    func haltWithinOneEvent() async throws {
        // The webhook listener outlives the server (defers run last to first).
        let callbacks = Callbacks(failures: 0)
        let hooks = try await callbacks.start()
        defer { hooks.stop() }
        let server = try Server()
        defer { server.process.stop() }
        let lines = try Self.orclLines()
        try lines.joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let strategy = try server.create("S1")
        // A file run finds the bars where S1 decides to enter.
        let (_, reference) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"], "bar_seconds": 86_400]))
        let referenceId = reference["id"] as? String ?? ""
        try await Self.eventually("the reference run") { try server.object("GET", "/v1/runs/\(referenceId)").1["status"] as? String == "ended" }
        let entries = try Self.list(server, "/v1/runs/\(referenceId)/orders?limit=500").filter { $0["rule"] as? String == "entry.long" }
            .compactMap { $0["bar"] as? Int }
        #expect(entries.count >= 3)
        let first = entries[0]

        let producer = try LoopbackServer()
        let (status, started) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)",
                                                                                 "symbols": ["ORCL"], "bar_seconds": 86_400, "webhook": callbacks.url]))
        #expect(status == 201)
        let id = started["id"] as? String ?? ""
        let connection = try producer.accept()
        defer { connection.close() }
        var sent = 0
        func send(through bar: Int) throws {
            try connection.send(lines[sent...bar].joined(separator: "\n") + "\n")
            sent = bar + 1
        }
        let ws = server.process.url.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws?run_id=\(id)&token=" + ServiceTests.token
        let listener = Listener(url: ws)
        defer { listener.stop() }
        try await Self.eventually("the listener to connect") { try Self.listeners(server) == 1 }
        // One symbol: a bar's step runs as it arrives. Every bar before the entry signal's, then the halt, then that one bar.
        try send(through: first - 1)
        try await Self.eventually("bars up to the entry signal") { try Self.lastSeq(server, id) == sent }
        let (halted, _) = try server.object("POST", "/v1/runs/\(id)/halt", Self.body(["reason": "test"]))
        #expect(halted == 202)
        try send(through: first)
        try await Self.eventually("the halt and one more bar") { try Self.lastSeq(server, id) == sent + 1 }
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let events = try store.events(run: id)
        #expect(events[first].kind == "control" && events[first].line.contains("halt"))
        #expect(events[first + 1].kind == "bar")
        #expect(try store.orders(run: id).isEmpty)
        #expect(try store.riskEvents(run: id).map(\.kind) == ["halt", "halted"])
        // Halts of a halted run cost nothing: answered, never journaled (600 of 600 were stored).
        for _ in 0..<50 {
            let again = try server.object("POST", "/v1/runs/\(id)/halt", Self.body(["reason": "again"]))
            #expect(again.0 == 200 && again.1["status"] as? String == "already_halted")
        }
        #expect(try store.pendingControls(run: id).isEmpty)
        try await Self.eventually("the halt's webhook") { callbacks.received.contains { $0.event == "run.halt" && $0.body.contains(id) } }

        // Resume and switch to balanced (20% of equity at most), then on to the second entry.
        #expect(try server.send("POST", "/v1/runs/\(id)/resume").status == 202)
        let (switched, _) = try server.object("PUT", "/v1/runs/\(id)/risk_profile", Self.body(["profile": "balanced"]))
        #expect(switched == 202)
        let (refusedProfile, refusal) = try server.object("PUT", "/v1/runs/\(id)/risk_profile", Self.body(["profile": "conservative"]))
        #expect(refusedProfile == 422 && refusal["code"] as? String == "invalid_strategy")
        // Decided at bar entries[1], filled at the next bar's open.
        try send(through: entries[1] + 1)
        try await Self.eventually("the second entry's fill") { try store.positions(run: id).count == 1 }
        #expect(try server.object("GET", "/v1/runs/\(id)").1["risk_profile"] as? String == "balanced")
        let position = try store.positions(run: id)[0]
        let equity = try store.equity(run: id).last?.equity ?? 0
        #expect(position.quantity * position.entryPrice <= 0.2 * equity + position.entryPrice)
        #expect(position.quantity * position.entryPrice >= 0.15 * equity)

        // Close that one position: it is closed before the next bar.
        #expect(try server.send("POST", "/v1/runs/\(id)/positions/ORCL/close").status == 202)
        #expect(try server.send("POST", "/v1/runs/\(id)/positions/MSFT/close").status == 404)
        try send(through: sent)
        try await Self.eventually("the close") { try store.positions(run: id).isEmpty }
        #expect(try store.trades(run: id).last?.exitReason == .flatten)
        #expect(try store.riskEvents(run: id).map(\.kind) == ["halt", "halted", "resume", "risk_profile"])
        try await Self.eventually("the listener's risk events") {
            listener.messages.filter { $0["type"] as? String == "risk_event" }.compactMap { ($0["data"] as? [String: Any])?["kind"] as? String }
                == ["halt", "halted", "resume", "risk_profile"]
        }

        #expect(try server.send("POST", "/v1/runs/\(id)/stop").status == 202)
        try await Self.eventually("the stop") { try server.object("GET", "/v1/runs/\(id)").1["status"] as? String == "stopped" }
        #expect(try server.send("POST", "/v1/runs/\(id)/halt").status == 409)
    }

    @Test("a run the server was running when it stopped goes on at its next start, from its journal")
    func runsResumeAfterARestart() throws {
        let lines = try Self.orclLines()
        let producer = try LoopbackServer()
        var server = try Server()
        let folder = server.folder
        let strategy = try server.create("S1")
        let (_, started) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)",
                                                                           "symbols": ["ORCL"], "bar_seconds": 86_400]))
        let id = started["id"] as? String ?? ""
        let first = try producer.accept()
        try first.send(lines[..<500].joined(separator: "\n") + "\n")
        try Self.until("500 bars") { try Self.lastSeq(server, id) == 500 }
        server.process.stop()
        first.close()
        let store = try KeelStore(path: folder.appendingPathComponent("keel.db").path)
        #expect(try store.run(id)?.status == "suspended")

        server = try Server(folder: folder)
        defer { server.process.stop() }
        let second = try producer.accept()
        defer { second.close() }
        let (_, resumed) = try server.object("GET", "/v1/runs/\(id)")
        #expect(resumed["status"] as? String == "running" && resumed["active"] as? Bool == true)
        try second.send(lines[500...].joined(separator: "\n") + "\n")
        try Self.until("every bar") { try Self.lastSeq(server, id) == lines.count }
        #expect(try store.events(run: id).map(\.seq) == Array(1...Int64(lines.count)))
        // The same fills as one uninterrupted run of the same bars from a file.
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let (_, reference) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"],
                                                                             "bar_seconds": 86_400]))
        let referenceId = reference["id"] as? String ?? ""
        try Self.until("the reference run") { try server.object("GET", "/v1/runs/\(referenceId)").1["status"] as? String == "ended" }
        let prices = { (run: String) in try store.fills(run: run).map { [$0.time, Int64($0.quantity), Int64($0.price * 1e6)] } }
        #expect(try prices(id) == prices(referenceId) && !(try prices(id)).isEmpty)
        // A page is read from the store as a page: the second to the fourth signal, then the trades past the last.
        let signals = try store.decisions(run: referenceId)
        let page = try Self.list(server, "/v1/runs/\(referenceId)/signals?limit=3&offset=1")
        #expect(signals.count > 4 && page.compactMap { $0["time"] as? Int64 } == signals[1...3].map(\.time))
        #expect(try Self.list(server, "/v1/runs/\(referenceId)/trades?offset=\(try store.trades(run: referenceId).count)").isEmpty)
    }

    @Test("a resumed run reads on only from its own file inside the data folder: a link out, or a file put in its place, is refused")
    func resumedStreamFileIsTheSameFile() throws {
        let lines = try Self.orclLines()
        var server = try Server()
        let folder = server.folder
        let strategy = try server.create("S1")
        let stream = folder.appendingPathComponent("data/ORCL.jsonl")
        try (lines[..<300].joined(separator: "\n") + "\n").write(to: stream, atomically: true, encoding: .utf8)
        var runs: [String] = []
        for _ in 0..<3 {
            let (_, started) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"],
                                                                               "bar_seconds": 86_400]))
            let id = started["id"] as? String ?? ""
            try Self.until("run \(id) ended") { try server.object("GET", "/v1/runs/\(id)").1["status"] as? String == "ended" }
            // The view names the file as the client did, not where the server keeps it.
            #expect(try server.object("GET", "/v1/runs/\(id)").1["stream"] as? String == "ORCL.jsonl")
            runs.append(id)
        }
        server.process.stop()
        let store = try KeelStore(path: folder.appendingPathComponent("keel.db").path)
        /// Restarts the server with one run as it would be after a stop mid-file: its status once the
        /// server has tried to resume it, and how many events it journaled on resuming.
        func resume(_ id: String) throws -> (status: String, added: Int) {
            let before = try store.events(run: id).count
            try store.setStatus(run: id, "suspended", now: 0)
            server = try Server(folder: folder)
            defer { server.process.stop() }
            try Self.until("run \(id) left running") { !["running", "suspended"].contains(try server.object("GET", "/v1/runs/\(id)").1["status"] as? String) }
            return (try store.run(id)?.status ?? "", try store.events(run: id).count - before)
        }
        // The same file, grown: read on from where the run stopped.
        let handle = try FileHandle(forWritingTo: stream)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines[300..<400].joined(separator: "\n") + "\n").utf8))
        try handle.close()
        let grown = try resume(runs[0])
        #expect(grown.status == "ended" && grown.added >= 100, "\(grown)")
        // Another file in its place (another inode), longer: refused, nothing read.
        try (lines.joined(separator: "\n") + "\n").write(to: stream, atomically: true, encoding: .utf8)
        #expect(try resume(runs[1]) == ("failed", 0))
        // A link that leads out of the data folder: refused, nothing read.
        let outside = folder.appendingPathComponent("outside.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: stream)
        try FileManager.default.createSymbolicLink(at: stream, withDestinationURL: outside)
        #expect(try resume(runs[2]) == ("failed", 0))
    }

    @Test("past the limit a token gets 429 with Retry-After and X-RateLimit-*; halt and resume are never limited")
    func rateLimits() throws {
        let server = try Server(extra: ["--rate-limit", "5"])
        defer { server.process.stop() }
        for expected in (0..<5).reversed() {
            let answer = try server.process.send("GET", "/v1/strategies", token: ServiceTests.token)
            #expect(answer.status == 200)
            #expect(answer.headers["X-RateLimit-Limit"].first == "5")
            #expect(answer.headers["X-RateLimit-Remaining"].first == String(expected))
        }
        let limited = try server.process.send("GET", "/v1/strategies", token: ServiceTests.token)
        #expect(limited.status == 429)
        #expect(limited.body.contains(#""code":"rate_limited""#))
        let reset = Int(limited.headers["X-RateLimit-Reset"].first ?? "") ?? 0
        #expect((1...61).contains(reset))
        #expect(limited.headers["Retry-After"].first == String(reset))
        #expect(limited.headers["X-RateLimit-Remaining"].first == "0")
        // The kill switch still answers (404: no such run), and /health is open and unlimited.
        #expect(try server.send("POST", "/v1/runs/run_0123456789abcdef/halt").status == 404)
        #expect(try server.send("POST", "/v1/runs/run_0123456789abcdef/resume").status == 404)
        #expect(try server.send("GET", "/health", token: nil).status == 200)
    }

    @Test("past 5 wrong tokens from one address in a minute: 429 with Retry-After for anything needing a token, except the kill switch with the right one")
    func wrongTokensAreLimited() throws {
        let server = try Server(extra: ["--rate-limit", "0", "--auth-failure-limit", "5"])
        defer { server.process.stop() }
        for _ in 0..<5 { #expect(try server.send("GET", "/v1/strategies", token: "wrong").status == 401) }
        let started = ContinuousClock.now
        for _ in 0..<1_000 {
            let answer = try server.process.send("GET", "/v1/strategies", token: "wrong")
            guard answer.status == 429 else { Issue.record("a wrong token past the limit: \(answer.status)"); break }
        }
        let limited = try server.process.send("GET", "/v1/strategies", token: "wrong")
        #expect(limited.status == 429 && limited.body.contains("too_many_failed_tokens"), "\(limited.body)")
        #expect((1...61).contains(Int(limited.headers["Retry-After"].first ?? "") ?? 0))
        // Locked out as an address: the right token waits too, but halt and resume still answer it.
        #expect(try server.send("GET", "/v1/strategies").status == 429)
        #expect(try server.send("POST", "/v1/runs/run_0123456789abcdef/halt").status == 404)
        #expect(try server.send("POST", "/v1/runs/run_0123456789abcdef/halt", token: "wrong").status == 429)
        #expect(try server.send("GET", "/health", token: nil).status == 200)
        print("1,000 wrong tokens past the limit answered in \(ContinuousClock.now - started)")
    }

    @Test("broker credentials are sealed at rest, never answered, and a live run needs both opt-ins")
    func brokers() throws {
        let key = Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()
        let server = try Server(environment: ["KEEL_SECRET_KEY": key])
        defer { server.process.stop() }
        let secret = "tok-\(UUID().uuidString)"
        let (status, text) = try server.send("POST", "/v1/brokers", Self.body(["name": "paper", "url": "http://127.0.0.1:9",
                                                                              "credentials": ["token": secret]]))
        #expect(status == 201)
        #expect(!text.contains(secret))
        let broker = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["id"] as? String ?? ""
        #expect(try !server.send("GET", "/v1/brokers").body.contains(secret))
        #expect(try !server.send("GET", "/v1/brokers/\(broker)").body.contains(secret))
        let file = try Data(contentsOf: server.folder.appendingPathComponent("keel.db"))
            + ((try? Data(contentsOf: server.folder.appendingPathComponent("keel.db-wal"))) ?? Data())
        #expect(file.range(of: Data(secret.utf8)) == nil)

        let strategy = try server.create("S1")
        let request = Self.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:9", "symbols": ["ORCL"], "bar_seconds": 86_400, "live": true,
                                 "broker_id": broker])
        let (refused, refusal) = try server.object("POST", "/v1/runs", request)
        #expect(refused == 403 && refusal["code"] as? String == "live_not_enabled")
        #expect(try server.send("PUT", "/v1/strategies/\(strategy)/mode", Self.body(["mode": "live"])).status == 200)
        let (noBroker, _) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:9", "symbols": ["ORCL"],
                                                                             "bar_seconds": 86_400, "live": true]))
        #expect(noBroker == 422)
        #expect(try server.send("DELETE", "/v1/brokers/\(broker)").status == 204)
        #expect(try server.send("GET", "/v1/brokers/\(broker)").status == 404)

        let keyless = try Server()
        defer { keyless.process.stop() }
        let (unavailable, _) = try keyless.object("POST", "/v1/brokers", Self.body(["name": "x", "url": "http://127.0.0.1:9", "credentials": ["token": "t"]]))
        #expect(unavailable == 503)
    }

    /// A loopback listener that fails its first `failures` requests with 500.
    final class Callbacks: @unchecked Sendable {
        private let lock = NSLock()
        private var bodies: [(event: String, body: String)] = []
        private var port = 0
        let failures: Int

        init(failures: Int) { self.failures = failures }

        var received: [(event: String, body: String)] { lock.withLock { bodies } }
        var url: String { lock.withLock { "http://127.0.0.1:\(port)/hook" } }

        /// Shuts the listener down gracefully. Cancelling its task instead traps in NIO when a
        /// connection was accepted but not yet handed on (a late delivery, under load).
        struct Running {
            let group: ServiceGroup
            func stop() { Task { await group.triggerGracefulShutdown() } }
        }

        func start() async throws -> Running {
            let router = Router()
            router.post("hook") { request, _ -> Response in
                let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
                let count = self.lock.withLock {
                    self.bodies.append((request.headers[HTTPField.Name("X-Keel-Event")!] ?? "", text))
                    return self.bodies.count
                }
                return Response(status: count <= self.failures ? .internalServerError : .ok)
            }
            // Redirects: a 302 (or 303) would make a GET of the POST; a 307 keeps it; another host is not followed.
            router.get("hook") { _, _ -> Response in
                self.lock.withLock { self.bodies.append(("GET", "")) }
                return Response(status: .ok)
            }
            router.post("found") { _, _ in Response(status: .found, headers: [.location: "/hook"]) }
            router.post("temporary") { _, _ in Response(status: .temporaryRedirect, headers: [.location: "/hook"]) }
            router.post("away") { _, _ in Response(status: .permanentRedirect, headers: [.location: "http://keel.invalid/hook"]) }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { channel in self.lock.withLock { self.port = channel.localAddress?.port ?? 0 } })
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "callbacks"))
            Task { try await group.run() }
            while lock.withLock({ port }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            return Running(group: group)
        }
    }

    @Test("a webhook answered with a redirect is not delivered, unless it is a 307 or 308 to the same host (then POSTed there with its payload)")
    func webhookRedirects() async throws {
        let callbacks = Callbacks(failures: 0)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        let server = try Server()
        defer { server.process.stop() }
        let strategy = try server.create("S1")
        let hooks = callbacks.url.replacingOccurrences(of: "/hook", with: "")
        var ids: [String: String] = [:]
        for path in ["found", "temporary", "away"] {
            let (_, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"],
                                                                                     "webhook": "\(hooks)/\(path)"]))
            ids[path] = created["id"] as? String ?? ""
        }
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        // Five attempts with waits of 0.2, 0.4, 0.8 and 1.6 s: all settled within a few seconds.
        try await Self.eventually("every delivery settled", every: .milliseconds(100)) {
            let deliveries = try store.deliveries()
            return deliveries.count == 3 && deliveries.allSatisfy { $0.status != "pending" }
        }
        let deliveries = Dictionary(uniqueKeysWithValues: try store.deliveries().map { ($0.subject, $0) })
        #expect(deliveries[ids["temporary"]!]?.status == "delivered")
        #expect(deliveries[ids["found"]!]?.status == "failed" && deliveries[ids["away"]!]?.status == "failed")
        // Only the 307 reached /hook, as a POST with its payload; no GET was ever made of the 302.
        #expect(callbacks.received.map(\.event) == ["backtest.completed"])
        #expect(callbacks.received.first?.body.contains(ids["temporary"]!) == true)
    }

    @Test("a backtest the server was killed in the middle of fails at the next start, and its webhook hears backtest.failed")
    func killedBacktestFails() async throws {
        let callbacks = Callbacks(failures: 0)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        var server = try Server()
        let folder = server.folder
        let generated = try KeelBinary.run(["data", "generate", "--bars", "300000", "--names", "BIG", "--out", folder.appendingPathComponent("data").path])
        #expect(generated.status == 0)
        let strategy = try server.create("S1")
        let (status, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["BIG": "BIG.csv"],
                                                                                     "webhook": callbacks.url]))
        #expect(status == 202 && created["status"] as? String == "running")
        kill(server.process.process.processIdentifier, SIGKILL)
        server.process.process.waitUntilExit()
        server = try Server(folder: folder)
        defer { server.process.stop() }
        let id = created["id"] as? String ?? ""
        #expect(try server.object("GET", "/v1/backtests/\(id)").1["status"] as? String == "failed")
        try await Self.eventually("the failed backtest's webhook") { callbacks.received.contains { $0.event == "backtest.failed" } }
        #expect(callbacks.received.first { $0.event == "backtest.failed" }?.body.contains(id) == true)
    }

    @Test("errors and views show paths relative to the data folder, never where the server keeps it")
    func pathsAreRelative() throws {
        let server = try Server()
        defer { server.process.stop() }
        try "timestamp,open,high,low,close,volume\n2020-01-01,10,11,9,10,1\n2020-01-02,10,9,11,10,1\n"
            .write(to: server.folder.appendingPathComponent("data/BAD.csv"), atomically: true, encoding: .utf8)
        let strategy = try server.create("S1")
        let (_, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["BAD": "BAD.csv"]]))
        let id = created["id"] as? String ?? ""
        let finished = try server.finished(id)
        let error = finished["error"] as? String ?? ""
        #expect(finished["status"] as? String == "failed" && error.contains("BAD.csv"), "\(finished)")
        #expect(!error.contains(server.folder.path) && !error.contains("/data/BAD.csv"), "\(error)")
    }

    @Test("a backtest's completion is POSTed to its webhook, retried until the listener answers 2xx; a run's completion and kill switch too")
    func webhooks() async throws {
        let callbacks = Callbacks(failures: 2)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        let server = try Server()
        defer { server.process.stop() }
        let strategy = try server.create("S1")
        let (status, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"],
                                                                                     "webhook": callbacks.url]))
        #expect(status == 202)
        let id = created["id"] as? String ?? ""
        let deadline = ContinuousClock.now + .seconds(30)
        while callbacks.received.count < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let received = callbacks.received
        #expect(received.count == 3)
        #expect(received.allSatisfy { $0.event == "backtest.completed" })
        let payload = (try? JSONSerialization.jsonObject(with: Data((received.last?.body ?? "").utf8)) as? [String: Any]) ?? [:]
        #expect(payload["subject"] as? String == id)
        #expect((payload["data"] as? [String: Any])?["status"] as? String == "done")
        try await Task.sleep(for: .milliseconds(200))
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let delivery = try store.deliveries().first
        #expect(delivery?.status == "delivered" && delivery?.attempts == 3)
        #expect(callbacks.received.count == 3)

        // A run's completion too (the listener answers 200 from now on).
        try Self.orclLines().joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let (runStatus, run) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"],
                                                                               "bar_seconds": 86_400, "webhook": callbacks.url]))
        #expect(runStatus == 201)
        while callbacks.received.count < 4, ContinuousClock.now < deadline + .seconds(30) { try await Task.sleep(for: .milliseconds(20)) }
        let completed = callbacks.received.dropFirst(3).first
        #expect(completed?.event == "run.completed")
        let runPayload = (try? JSONSerialization.jsonObject(with: Data((completed?.body ?? "").utf8)) as? [String: Any]) ?? [:]
        #expect(runPayload["subject"] as? String == run["id"] as? String)
        #expect((runPayload["data"] as? [String: Any])?["status"] as? String == "ended")

        // The kill switch: all in at hour 1, a crash at hour 3 (a loss past the 5% daily limit)
        // trips it; the run's webhook hears it, then the run's completion.
        let crash = """
            keel: 1
            name: Crash
            timeframe: 1h
            profile: degen
            entry: {long: bar_index == 1 or bar_index == 5}
            allocation: {size: percent_of_equity(100%)}
            risk: {daily_loss_limit: 5%}
            """
        let (crashStatus, crashStrategy) = try server.object("POST", "/v1/strategies", Self.body(["source": crash]))
        #expect(crashStatus == 201, "\(crashStrategy)")
        let bars = (0..<12).map { hour in
            let price = hour < 3 ? 100 : 80
            return #"{"type":"bar","symbol":"X","timestamp":"2020-01-01T\#(hour < 10 ? "0" : "")\#(hour):00:00Z","open":\#(hour == 3 ? 100 : price),"#
                + #""high":\#(hour == 3 ? 100 : price),"low":\#(price),"close":\#(price),"volume":1000}"#
        }
        try bars.joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/crash.jsonl"), atomically: true, encoding: .utf8)
        let (_, crashRun) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": crashStrategy["id"] as? String ?? "", "stream": "crash.jsonl",
                                                                            "symbols": ["X"], "bar_seconds": 3_600, "webhook": callbacks.url]))
        let crashId = crashRun["id"] as? String ?? ""
        // Each delivery goes on its own: their order at the listener is not promised.
        try await Self.eventually("the crash run's kill switch and completion") {
            Set(callbacks.received.dropFirst(4).filter { $0.body.contains(crashId) }.map(\.event)).isSuperset(of: ["run.kill_switch", "run.completed"])
        }
        let tripped = callbacks.received.dropFirst(4).first { $0.event == "run.kill_switch" }
        let trippedPayload = (try? JSONSerialization.jsonObject(with: Data((tripped?.body ?? "").utf8)) as? [String: Any]) ?? [:]
        #expect(trippedPayload["subject"] as? String == crashId)
        #expect((trippedPayload["data"] as? [String: Any])?["kind"] as? String == "kill_switch")
    }

    @Test("the leaderboard ranks backtests by return, P&L, win rate or drawdown, paginated; metrics answer in JSON and Prometheus text")
    func leaderboardAndMetrics() throws {
        let server = try Server()
        defer { server.process.stop() }
        var results: [String: [String: Any]] = [:]
        for name in ["S1", "S2E", "S3"] {
            let strategy = try server.create(name)
            let (_, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"]]))
            let id = created["id"] as? String ?? ""
            results[id] = try server.finished(id)["result"] as? [String: Any]
        }
        func returns(_ id: String) -> Double { (results[id]?["metrics"] as? [String: Any])?["total_return"] as? Double ?? .nan }
        let (_, board) = try server.object("GET", "/v1/leaderboard?by=return")
        let ids = (board["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(board["total"] as? Int == 3)
        #expect(ids == results.keys.sorted { returns($0) > returns($1) })
        let (_, page) = try server.object("GET", "/v1/leaderboard?by=return&limit=1&offset=1")
        #expect((page["entries"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[1]])
        #expect((page["entries"] as? [[String: Any]])?.first?["rank"] as? Int == 2)
        let (_, drawdown) = try server.object("GET", "/v1/leaderboard?by=drawdown")
        let drawdowns = (drawdown["entries"] as? [[String: Any]] ?? []).compactMap { $0["max_drawdown"] as? Double }
        #expect(drawdowns == drawdowns.sorted() && drawdowns.count == 3)
        #expect(try server.send("GET", "/v1/leaderboard?by=luck").status == 400)
        let (_, none) = try server.object("GET", "/v1/leaderboard?from=0&to=1")
        #expect(none["total"] as? Int == 0)

        let (_, metrics) = try server.object("GET", "/v1/metrics")
        let system = metrics["system"] as? [String: Any] ?? [:]
        #expect(((system["requests"] as? [String: Any])?["2xx"] as? Int ?? 0) > 5)
        #expect((system["latency_ms"] as? [String: Any])?["p99"] is Double)
        let text = try server.send("GET", "/metrics").body
        #expect(text.contains("# TYPE keel_http_requests_total counter"))
        #expect(text.contains("keel_http_request_duration_seconds{quantile=\"0.99\"}"))
        #expect(text.contains("keel_kill_switch_activations_total 0"))
    }

    @Test("a running backtest is cancelled by DELETE: it stops, stays cancelled and keeps no result")
    func cancelRunningBacktest() throws {
        let server = try Server()
        defer { server.process.stop() }
        try server.generateBig(bars: 300_000)
        let strategy = try server.create("S1")
        let (_, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": strategy, "data": ["BIG": "BIG.csv"]]))
        let id = created["id"] as? String ?? ""
        #expect(created["status"] as? String == "running")
        let (status, cancelled) = try server.object("DELETE", "/v1/backtests/\(id)")
        #expect(status == 200 && cancelled["status"] as? String == "cancelled")
        Thread.sleep(forTimeInterval: 0.5)
        let (_, later) = try server.object("GET", "/v1/backtests/\(id)")
        #expect(later["status"] as? String == "cancelled")
        #expect(later["result"] is NSNull)
        #expect(try server.send("DELETE", "/v1/backtests/\(id)").status == 409)
        // The backtest stops at its next chunk of bars, or once its cache is built: not at once on a busy machine.
        var running: Int?
        for _ in 0..<200 {
            running = (try server.object("GET", "/v1/metrics").1["system"] as? [String: Any])?["backtests_running"] as? Int
            if running == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(running == 0)
    }

    @Test("a listener that falls behind is dropped; publishing never waits for it")
    func slowListenerIsDropped() async throws {
        let hub = EventHub(capacity: 8)
        let (slow, _) = hub.listen(run: nil)
        let (other, stopOther) = hub.listen(run: "run_b")
        var batch = Batch()
        batch.riskEvents = [Engine.RiskEvent(time: 1, symbol: "*", kind: "halt", reason: "x")]
        for _ in 0..<9 { hub.publish(run: "run_a", batch) }
        #expect(hub.droppedCount == 1)
        #expect(hub.listenerCount == 1)
        var delivered = 0
        for await _ in slow { delivered += 1 }
        #expect(delivered == 8)
        stopOther()
        var none = 0
        for await _ in other { none += 1 }
        #expect(none == 0)
    }
}

extension RunServiceTests {
    @Test("over a real socket, a listener that stops reading is dropped, and the runs it listened to go on to their end")
    func stalledSocketIsDropped() async throws {
        let server = try Server(extra: ["--rate-limit", "0", "--listener-queue", "1024"])
        defer { server.process.stop() }
        let bars = try Self.orclLines()
        try bars.joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let port = Int(server.process.url.split(separator: ":").last ?? "") ?? 0
        let stalled = try StalledListener(port: port, path: "/v1/ws?token=\(ServiceTests.token)")
        defer { stalled.close() }
        let reading = Listener(url: "ws://127.0.0.1:\(port)/v1/ws?token=\(ServiceTests.token)")
        defer { reading.stop() }
        try await Self.eventually("both listeners to connect") { try Self.listeners(server) == 2 }
        // Five runs of ORCL publish some 4,300 messages (1.2 MB): far more than a 4 KB receive
        // window, the listener's fixed 64 KB send buffer (128 KB to the kernel), NIO's 64 KB and a
        // queue of 1,024 hold. Without the fixed buffer, Linux grew it to 4 MB and 6,900 fit.
        let strategy = try server.create("S1")
        let runs = try (0..<5).map { _ in
            try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"],
                                                             "bar_seconds": 86_400])).1["id"] as? String ?? ""
        }
        try await Self.eventually("every run to end") {
            try runs.allSatisfy { try server.object("GET", "/v1/runs/\($0)").1["status"] as? String == "ended" }
        }
        let seqs = try runs.map { try Self.lastSeq(server, $0) }
        #expect(seqs.allSatisfy { $0 == bars.count + 1 }, "every bar and the end of the stream: \(seqs), \(bars.count) bars")
        // The stalled listener alone was dropped; the one that reads heard every run.
        let system = try server.object("GET", "/v1/metrics").1["system"] as? [String: Any] ?? [:]
        #expect(system["websocket_dropped"] as? Int == 1, "\(system)")
        #expect(system["websocket_listeners"] as? Int == 1)
        try await Self.eventually("the reader to hear every run") {
            Set(reading.messages.compactMap { $0["run_id"] as? String }) == Set(runs)
        }
    }
}

/// A WebSocket client that completes the upgrade and then never reads, its receive buffer
/// shrunk so that the server's writes back up at once.
final class StalledListener {
    let connection: RawConnection

    init(port: Int, path: String) throws {
        connection = try RawConnection(port: port, receiveBuffer: 4_096)
        connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        guard connection.readHead().hasPrefix("HTTP/1.1 101") else { throw POSIXError(.EPROTO) }
    }

    func close() { connection.close() }
}
