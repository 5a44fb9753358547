import Foundation
import KeelStore
import KeelTestSupport
import Testing

/// The service's runs as one desk, on a real `keel serve` over loopback: the kill switch and the
/// profile for every run, the portfolio, positions, trades and signals across runs, health with
/// dependencies, the decision log, metrics by signal, lists' pages and rate limits by route group.
@Suite("keel serve: the desk across runs", .serialized)
struct DeskTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body

    /// Two S1 runs on tcp streams fed ORCL's bars up to `bars`, kept open (so the runs stay running).
    final class Desk {
        let server: Server
        let producers: [LoopbackServer]
        let connections: [LoopbackServer.Connection]
        let runs: [String]
        let strategy: String

        init(bars: Int, extra: [String] = ["--rate-limit", "0", "--auth-failure-limit", "0"]) async throws {
            let server = try Server(extra: extra)
            self.server = server
            strategy = try server.create("S1")
            let lines = try RunServiceTests.orclLines()
            var (producers, connections, runs) = ([LoopbackServer](), [LoopbackServer.Connection](), [String]())
            for count in [bars, bars / 2] {
                let producer = try LoopbackServer()
                let (status, started) = try server.object("POST", "/v1/runs", DeskTests.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:\(producer.port)",
                                                                                          "symbols": ["ORCL"], "bar_seconds": 86_400]))
                #expect(status == 201, "\(started)")
                let id = started["id"] as? String ?? ""
                let connection = try producer.accept()
                try connection.send(lines[0..<count].joined(separator: "\n") + "\n")
                try await RunServiceTests.eventually("\(count) bars in \(id)", every: .milliseconds(50)) { try RunServiceTests.lastSeq(server, id) == Int(count) }
                (producers, connections, runs) = (producers + [producer], connections + [connection], runs + [id])
            }
            (self.producers, self.connections, self.runs) = (producers, connections, runs)
        }

        func stop() {
            connections.forEach { $0.close() }
            server.process.stop()
        }
    }

    static func array(_ text: String) -> [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? [] }

    @Test("POST /v1/trading/halt and /resume act on every running run, each journaled in its own store; POST /v1/profile switches every run")
    func globalControls() async throws {
        let desk = try await Desk(bars: 300)
        defer { desk.stop() }
        let server = desk.server
        let (status, halted) = try server.object("POST", "/v1/trading/halt", Self.body(["reason": "news"]))
        #expect(status == 202 && halted["count"] as? Int == 2, "\(halted)")
        let answers = halted["runs"] as? [[String: Any]] ?? []
        #expect(Set(answers.compactMap { $0["run_id"] as? String }) == Set(desk.runs))
        #expect(answers.allSatisfy { $0["status"] as? Int == 202 && ($0["answer"] as? [String: Any])?["status"] as? String == "queued" })
        // A second halt while the first waits for its run's next event is the same request, not a second one.
        let again = try server.object("POST", "/v1/trading/halt", nil).1["runs"] as? [[String: Any]] ?? []
        func requests(_ answers: [[String: Any]]) -> [Int] { answers.compactMap { ($0["answer"] as? [String: Any])?["request_id"] as? Int } }
        #expect(requests(again) == requests(answers) && requests(again).count == 2, "\(again)")
        #expect(try server.object("POST", "/v1/trading/resume", nil).0 == 202)
        #expect(try server.send("POST", "/v1/profile", Self.body(["profile": "reckless"])).status == 422)
        let (switched, profile) = try server.object("POST", "/v1/profile", Self.body(["profile": "aggressive", "reason": "desk"]))
        #expect(switched == 202 && profile["count"] as? Int == 2)
        // Each control is applied before the run's next event: one more bar each.
        let lines = try RunServiceTests.orclLines()
        for (index, run) in desk.runs.enumerated() {
            let sent = index == 0 ? 300 : 150
            try desk.connections[index].send(lines[sent] + "\n")
            try await RunServiceTests.eventually("the controls and one bar in \(run)") { try RunServiceTests.lastSeq(server, run) == sent + 4 }
        }
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        for run in desk.runs {
            #expect(try store.riskEvents(run: run).map(\.kind) == ["halt", "resume", "risk_profile"])
            #expect(try server.object("GET", "/v1/runs/\(run)").1["risk_profile"] as? String == "aggressive")
        }
        // Never rate limited, like one run's halt.
        #expect(try server.object("POST", "/v1/trading/halt", nil).0 == 202)
    }

    @Test("the portfolio, positions, trades and signals across runs add up to each run's own figures; filters, pages and totals")
    func acrossRuns() async throws {
        let desk = try await Desk(bars: 1_200)
        defer { desk.stop() }
        let server = desk.server
        var equity = 0.0, unrealized = 0.0, cash = 0.0, tradeCount = 0, decisionCount = 0
        var positions: [[String: Any]] = []
        for run in desk.runs {
            let own = try server.object("GET", "/v1/runs/\(run)/portfolio").1
            let held = own["positions"] as? [[String: Any]] ?? []
            equity += own["final_equity"] as? Double ?? .nan
            unrealized += held.reduce(0) { $0 + ($1["unrealized_pnl"] as? Double ?? 0) }
            cash += (own["final_equity"] as? Double ?? .nan) - held.reduce(0) { $0 + ($1["quantity"] as? Double ?? 0) * ($1["mark_price"] as? Double ?? 0) }
            positions += held.map { $0.merging(["run_id": run]) { $1 } }
            tradeCount += Int(try server.process.send("GET", "/v1/runs/\(run)/trades?limit=1", token: ServiceTests.token).headers.first(name: "X-Total-Count") ?? "") ?? -1
            decisionCount += Int(try server.process.send("GET", "/v1/runs/\(run)/signals?limit=1", token: ServiceTests.token).headers.first(name: "X-Total-Count") ?? "") ?? -1
        }
        #expect(tradeCount > 10 && decisionCount > tradeCount)

        let portfolio = try server.object("GET", "/v1/portfolio").1
        #expect(abs((portfolio["total_value"] as? Double ?? 0) - equity) < 1e-6)
        #expect(abs((portfolio["unrealized_pnl"] as? Double ?? 0) - unrealized) < 1e-6)
        #expect(abs((portfolio["cash"] as? Double ?? 0) - cash) < 1e-6)
        #expect((portfolio["runs"] as? [[String: Any]])?.count == 2)
        let drawdown = portfolio["drawdown"] as? Double ?? -1
        #expect((0..<1).contains(drawdown))

        let across = Self.array(try server.send("GET", "/v1/positions").body)
        #expect(across.count == positions.count)
        #expect(across.allSatisfy { $0["broker_name"] as? String == "paper" && $0["mode"] as? String == "paper" && desk.runs.contains($0["run_id"] as? String ?? "") })
        #expect(Set(across.compactMap { $0["run_id"] as? String }) == Set(positions.compactMap { $0["run_id"] as? String }))

        // Trades: newest exit first, every run's, filtered and paged, with the total.
        let all = try server.process.send("GET", "/v1/trades?limit=500", token: ServiceTests.token)
        let trades = Self.array(all.body)
        #expect(all.headers.first(name: "X-Total-Count") == String(tradeCount) && trades.count == tradeCount)
        let exits = trades.compactMap { $0["exit_time"] as? Int }
        #expect(exits == exits.sorted(by: >))
        #expect(Set(trades.compactMap { $0["run_id"] as? String }) == Set(desk.runs))
        let cut = exits[exits.count / 2]
        let since = try server.process.send("GET", "/v1/trades?since=\(cut)&limit=500", token: ServiceTests.token)
        #expect(Self.array(since.body).allSatisfy { ($0["exit_time"] as? Int ?? 0) >= cut })
        #expect(Int(since.headers.first(name: "X-Total-Count") ?? "") == exits.filter { $0 >= cut }.count)
        let iso = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(cut) / 1_000))
        #expect(Self.array(try server.send("GET", "/v1/trades?since=\(iso)&limit=500").body).count == exits.filter { $0 >= cut }.count)
        #expect(try server.send("GET", "/v1/trades?since=yesterday").status == 400)
        let one = try server.process.send("GET", "/v1/trades?run_id=\(desk.runs[1])&page=2&pageSize=3", token: ServiceTests.token)
        #expect(one.headers.first(name: "X-Page") == "2" && one.headers.first(name: "X-Page-Size") == "3")
        let page = Self.array(one.body)
        #expect(page.count == 3 && page.allSatisfy { $0["run_id"] as? String == desk.runs[1] })
        #expect(page.map { $0["exit_time"] as? Int } == Array(trades.filter { $0["run_id"] as? String == desk.runs[1] }.dropFirst(3).prefix(3)).map { $0["exit_time"] as? Int })
        #expect(try server.send("GET", "/v1/trades?symbol=MSFT").body == "[]")

        // Signals: every decision, or one kind.
        let signals = try server.process.send("GET", "/v1/signals?limit=1", token: ServiceTests.token)
        #expect(signals.headers.first(name: "X-Total-Count") == String(decisionCount))
        let entries = Self.array(try server.send("GET", "/v1/signals?signal_type=entry.long&limit=500").body)
        #expect(!entries.isEmpty && entries.allSatisfy { $0["rule"] as? String == "entry.long" && $0["readings"] is [String: Any] })
        #expect(Self.array(try server.send("GET", "/v1/signals?signal_type=entry&limit=500").body).count == entries.count)
        #expect(try server.send("GET", "/v1/signals?pageSize=101").status == 400)
        #expect(try server.send("GET", "/v1/signals?page=1&limit=5").status == 400)
    }

    @Test("the decision log says what a run did and why: the rule, its text in the strategy, the values read; paged newest first")
    func decisionLog() async throws {
        let desk = try await Desk(bars: 600)
        defer { desk.stop() }
        let run = desk.runs[0]
        let answer = try desk.server.process.send("GET", "/v1/runs/\(run)/decisions?signal_type=entry.long&pageSize=5", token: ServiceTests.token)
        let log = Self.array(answer.body)
        #expect(answer.status == 200 && !log.isEmpty && (Int(answer.headers.first(name: "X-Total-Count") ?? "") ?? 0) >= log.count)
        let first = log.first ?? [:]
        #expect(first["expression"] as? String == "crosses_above(fast_ma, slow_ma)")
        let why = first["why"] as? String ?? ""
        #expect(why.hasPrefix("entry.long on ORCL: crosses_above(fast_ma, slow_ma) held; read "), "\(why)")
        #expect(why.contains("fast_ma = ") && why.contains("slow_ma = "), "\(why)")
        #expect((first["time_iso"] as? String)?.hasSuffix("Z") == true)
        let times = log.compactMap { $0["time"] as? Int }
        #expect(times == times.sorted(by: >))
        let exits = Self.array(try desk.server.send("GET", "/v1/runs/\(run)/decisions?signal_type=exit.long&limit=3").body)
        #expect(exits.allSatisfy { ($0["why"] as? String ?? "").contains("crosses_below(fast_ma, slow_ma) held") })
    }

    @Test("metrics by signal: per rule counts, wins and P&L that add up; a signal that is the next bar's return has an information coefficient of 1")
    func signalMetrics() async throws {
        let server = try Server()
        defer { server.process.stop() }
        let source = """
            keel: 1
            name: Foresight
            description: Long while the edge signal says the next bar rises.
            profile: degen
            entry: {long: signal.edge > 0}
            exit: {long: signal.edge < 0}
            stop_loss: 50%
            allocation: {size: percent_of_equity(100%)}
            execution: {fill: next_open, fees: 0%, slippage: 0bps}
            risk: {daily_loss_limit: off, max_drawdown: off}
            """
        let (created, strategy) = try server.object("POST", "/v1/strategies", Self.body(["source": source]))
        #expect(created == 201, "\(strategy)")
        // Each bar is preceded by its signal: the return from its close to the next close.
        let bars = Array(try RunServiceTests.orclLines().prefix(400))
        let closes = bars.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["close"] as? Double ?? .nan }
        var lines: [String] = []
        for (index, bar) in bars.enumerated() {
            let time = (try? JSONSerialization.jsonObject(with: Data(bar.utf8)) as? [String: Any])?["timestamp"] as? String ?? ""
            let edge = index + 1 < closes.count ? closes[index + 1] / closes[index] - 1 : 0
            lines.append(#"{"type":"signal","symbol":"ORCL","timestamp":"\#(time)","name":"edge","value":\#(edge)}"#)
            lines.append(bar)
        }
        try lines.joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/edge.jsonl"), atomically: true, encoding: .utf8)
        let (status, run) = try server.object("POST", "/v1/runs", Self.body(["strategy_id": strategy["id"] as? String ?? "", "stream": "edge.jsonl",
                                                                              "symbols": ["ORCL"], "bar_seconds": 86_400]))
        #expect(status == 201, "\(run)")
        let id = run["id"] as? String ?? ""
        try await RunServiceTests.eventually("the run to end") { try server.object("GET", "/v1/runs/\(id)").1["status"] as? String == "ended" }
        let metrics = try server.object("GET", "/v1/runs/\(id)/metrics/signals").1
        let coefficients = metrics["information_coefficients"] as? [[String: Any]] ?? []
        #expect(coefficients.count == 1 && coefficients.first?["signal"] as? String == "edge")
        #expect(coefficients.first?["observations"] as? Int == 399)
        #expect(abs((coefficients.first?["ic"] as? Double ?? 0) - 1) < 1e-12 && abs((coefficients.first?["pearson"] as? Double ?? 0) - 1) < 1e-12)
        let rules = Dictionary(uniqueKeysWithValues: (metrics["rules"] as? [[String: Any]] ?? []).map { ($0["rule"] as? String ?? "", $0) })
        let trades = Self.array(try server.send("GET", "/v1/runs/\(id)/trades?limit=500").body)
        #expect(!trades.isEmpty && rules["entry.long"]?["trades"] as? Int == trades.count)
        let total = trades.reduce(0.0) { $0 + ($1["pnl"] as? Double ?? 0) }
        #expect(abs((metrics["total_pnl"] as? Double ?? 0) - total) < 1e-6 && abs((rules["entry.long"]?["pnl"] as? Double ?? 0) - total) < 1e-6)
        let closedBy = ["exit.long", "stop_loss", "take_profit", "trailing_stop", "time_stop", "kill_switch", "flatten"].compactMap { rules[$0]?["trades"] as? Int }
        #expect(closedBy.reduce(0, +) == trades.count)
        #expect((rules["entry.long"]?["decisions"] as? Int ?? 0) >= trades.count)
        let wins = trades.filter { ($0["pnl"] as? Double ?? 0) > 0 }.count
        #expect(rules["entry.long"]?["win_rate"] as? Double == Double(wins) / Double(trades.count))
        // Across every run: the same, with one run.
        let all = try server.object("GET", "/v1/metrics/signals").1
        #expect((all["runs"] as? [String]) == [id] && (all["information_coefficients"] as? [[String: Any]])?.first?["observations"] as? Int == 399)
    }

    @Test("GET /healthz: store, runs and brokers each healthy or not; a broker no live run uses is reported, not fatal")
    func health() throws {
        let key = Data((0..<32).map { UInt8($0 * 5 % 256) }).base64EncodedString()
        let server = try Server(environment: ["KEEL_SECRET_KEY": key])
        defer { server.process.stop() }
        #expect(try server.object("POST", "/v1/brokers", Self.body(["name": "self", "url": server.process.url + "/health", "credentials": ["token": "x"]])).0 == 201)
        #expect(try server.object("POST", "/v1/brokers", Self.body(["name": "gone", "url": "http://127.0.0.1:9", "credentials": ["token": "x"]])).0 == 201)
        let (status, health) = try server.object("GET", "/healthz")
        #expect(status == 200 && health["status"] as? String == "healthy", "\(health)")
        #expect((health["store"] as? [String: Any])?["status"] as? String == "healthy")
        #expect((health["runs"] as? [String: Any])?["status"] as? String == "healthy")
        let brokers = Dictionary(uniqueKeysWithValues: (health["brokers"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) })
        #expect(brokers["self"]?["status"] as? String == "healthy" && brokers["self"]?["detail"] as? String == "HTTP 200")
        #expect(brokers["gone"]?["status"] as? String == "unhealthy" && brokers["gone"]?["in_use"] as? Bool == false)
        #expect(try server.send("GET", "/healthz", token: nil).status == 401)
    }

    @Test("lists page as M pages them: page and pageSize, q over name and description, the total in X-Total-Count")
    func pages() throws {
        let server = try Server()
        defer { server.process.stop() }
        for name in ["S1", "S2E", "S3", "S4"] { _ = try server.create(name) }
        let all = try server.process.send("GET", "/v1/strategies?page=1&pageSize=3", token: ServiceTests.token)
        #expect(all.headers.first(name: "X-Total-Count") == "4" && Self.array(all.body).count == 3)
        #expect(Self.array(try server.send("GET", "/v1/strategies?page=2&pageSize=3").body).count == 1)
        let found = try server.process.send("GET", "/v1/strategies?q=sma%20CROSSOVER", token: ServiceTests.token)
        let names = Self.array(found.body).compactMap { $0["name"] as? String }
        #expect(found.headers.first(name: "X-Total-Count") == String(names.count) && names.contains("S1 SMA crossover"), "\(names)")
        #expect(names.allSatisfy { $0.lowercased().contains("sma") })
        #expect(Self.array(try server.send("GET", "/v1/strategies?q=no-such-words").body).isEmpty)
        #expect(try server.send("GET", "/v1/strategies?page=0").status == 400)
        for path in ["/v1/backtests", "/v1/runs", "/v1/brokers", "/v1/optimizations", "/v1/walkforwards"] {
            let answer = try server.process.send("GET", path + "?page=1&pageSize=5", token: ServiceTests.token)
            #expect(answer.status == 200 && answer.headers.first(name: "X-Total-Count") == "0", "\(path)")
        }
    }

    @Test("rate limits by route group: reads, writes and closing positions each have their own budget; X-RateLimit-Group names it")
    func groups() throws {
        let server = try Server(extra: ["--rate-limits", "reads=3,writes=2,close_all=1", "--auth-failure-limit", "0"])
        defer { server.process.stop() }
        for _ in 0..<3 { #expect(try server.send("GET", "/v1/strategies").status == 200) }
        let read = try server.process.send("GET", "/v1/backtests", token: ServiceTests.token)
        #expect(read.status == 429 && read.headers.first(name: "X-RateLimit-Group") == "reads" && read.body.contains("more than 3 reads requests"))
        // Writes still have theirs.
        let write = try server.process.send("POST", "/v1/strategies", body: "{}", token: ServiceTests.token)
        #expect(write.status == 400 && write.headers.first(name: "X-RateLimit-Group") == "writes" && write.headers.first(name: "X-RateLimit-Remaining") == "1")
        let close = try server.process.send("POST", "/v1/runs/run_0123456789abcdef/close_all", token: ServiceTests.token)
        #expect(close.status == 404 && close.headers.first(name: "X-RateLimit-Group") == "close_all")
        #expect(try server.send("POST", "/v1/runs/run_0123456789abcdef/positions/ORCL/close").status == 429)
        #expect(try server.send("POST", "/v1/trading/halt").status == 200, "the kill switch is never limited")
        #expect(try KeelBinary.run(["serve", "--db", "unused.db", "--rate-limits", "reads=x", "--insecure-dev"]).stderr.contains("--rate-limits is GROUP=N"))
    }
}
