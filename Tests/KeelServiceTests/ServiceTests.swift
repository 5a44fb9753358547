import Foundation
import KeelService
import KeelStore
import KeelTestSupport
import Testing

/// `keel serve` as a user runs it: a real process on loopback, a real SQLite file.
@Suite("keel serve", .serialized)
struct ServiceTests {
    static let token = "svc-\(UUID().uuidString)"
    static let strategies = SharedFixtures.strategies
    static let data = SharedFixtures.bars

    /// A server on a fresh database whose data folder holds ORCL.csv.
    final class Server {
        let folder: URL
        let process: ServerProcess

        /// Unlimited unless `extra` sets `--rate-limit` (the tests poll) or `--auth-failure-limit` (they send wrong tokens on purpose).
        /// Webhooks and brokers on loopback are allowed (`--allow-outbound 127.0.0.1`): the tests' listeners are there.
        init(folder: URL? = nil, extra: [String] = ["--rate-limit", "0", "--auth-failure-limit", "0"], environment: [String: String] = [:],
             outbound: [String] = ["--allow-outbound", "127.0.0.1"], database: URL? = nil) throws {
            let folder = try folder ?? KeelBinary.temporaryFolder(["token": ServiceTests.token])
            self.folder = folder
            let csv = folder.appendingPathComponent("data/ORCL.csv")
            if !FileManager.default.fileExists(atPath: csv.path) {
                try FileManager.default.createDirectory(at: csv.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: ServiceTests.data.appendingPathComponent("ORCL.csv"), to: csv)
            }
            process = try ServerProcess(["serve", "--port", "0", "--db", (database ?? folder.appendingPathComponent("keel.db")).path, "--token-file",
                                         folder.appendingPathComponent("token").path, "--data-dir", folder.appendingPathComponent("data").path]
                                        + outbound + extra, environment: environment)
        }

        func send(_ method: String, _ path: String, _ body: String? = nil, token: String? = ServiceTests.token) throws -> (status: Int, body: String) {
            let answer = try process.send(method, path, body: body, token: token)
            return (answer.status, answer.body)
        }

        func object(_ method: String, _ path: String, _ body: String? = nil) throws -> (Int, [String: Any]) {
            let (status, text) = try send(method, path, body)
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(object != nil, "\(method) \(path) answered \(status) with no JSON object: \(text.prefix(200))")
            return (status, object ?? [:])
        }

        /// Generated one-minute bars as data/BIG.csv.
        func generateBig(bars: Int) throws {
            let generated = try KeelBinary.run(["data", "generate", "--names", "BIG", "--bars", "\(bars)", "--out", folder.appendingPathComponent("data").path])
            #expect(generated.status == 0, "\(generated.stderr)")
        }

        /// Creates a strategy from a conformance file; its id.
        func create(_ name: String) throws -> String {
            let source = try String(contentsOf: ServiceTests.strategies.appendingPathComponent("\(name).yaml"), encoding: .utf8)
            let (status, body) = try object("POST", "/v1/strategies", ServiceTests.body(["source": source]))
            #expect(status == 201)
            return body["id"] as? String ?? ""
        }

        /// Waits for a backtest to leave `running`.
        func finished(_ id: String) throws -> [String: Any] {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let (_, body) = try object("GET", "/v1/backtests/\(id)")
                if body["status"] as? String != "running" { return body }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return [:]
        }
    }

    static func body(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The router's routes, as `METHOD /path/{id}`.
    func routes() throws -> [String] {
        let folder = try KeelBinary.temporaryFolder()
        let state = ServiceState(store: try KeelStore(path: folder.appendingPathComponent("r.db").path), dataDirectory: folder.path)
        return KeelService.router(state, token: "t").routes.map { route in
            "\(route.method) " + "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                .reduce("") { $0 + "/" + $1 }
        }.sorted()
    }

    @Test("every route but /health refuses a missing, wrong, empty or longer token (enumerated from the router)")
    func everyRouteNeedsTheToken() throws {
        let server = try Server()
        defer { server.process.stop() }
        let routes = try routes()
        #expect(routes.count >= 12)
        for route in routes {
            let parts = route.split(separator: " ")
            let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "st_0123456789abcdef").replacingOccurrences(of: "{symbol}", with: "ORCL")
            for token in [nil, "wrong", "", Self.token + "x", String(Self.token.dropLast())] {
                let (status, body) = try server.send(String(parts[0]), path, "{}", token: token)
                if path == "/health" {
                    #expect(status == 200)
                } else {
                    #expect(status == 401, "\(route) with token \(token ?? "none")")
                    #expect(body.contains(#""code":"unauthorized""#))
                }
            }
        }
    }

    @Test("the auth scheme is case-insensitive (bearer, BEARER); another scheme or a bare token is refused")
    func schemeCase() throws {
        let server = try Server()
        defer { server.process.stop() }
        for header in ["bearer \(Self.token)", "BEARER \(Self.token)", "Bearer \(Self.token)"] {
            #expect(try server.process.send("GET", "/v1/strategies", token: nil, authorization: header).status == 200, "\(header)")
        }
        for header in ["Basic \(Self.token)", Self.token, "Bearer", "bearer  \(Self.token)"] {
            #expect(try server.process.send("GET", "/v1/strategies", token: nil, authorization: header).status == 401, "\(header)")
        }
    }

    @Test("the OpenAPI document served names exactly the router's routes")
    func openAPIMatchesTheRoutes() throws {
        let server = try Server()
        defer { server.process.stop() }
        let (status, document) = try server.object("GET", "/openapi.json")
        #expect(status == 200)
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        let documented = paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } }.sorted()
        #expect(documented == (try routes()))
    }

    @Test("a strategy with errors is 422 with every diagnostic at its line and column; a good one is versioned and starts on paper")
    func strategies() throws {
        let server = try Server()
        defer { server.process.stop() }
        let broken = "keel: 1\nname: broken\nentry:\n  long: sma(close) > 3\n"
        let (status, refusal) = try server.object("POST", "/v1/strategies", Self.body(["source": broken]))
        #expect(status == 422)
        #expect(refusal["code"] as? String == "invalid_strategy")
        let details = refusal["details"] as? [[String: Any]] ?? []
        let arity = details.first { $0["id"] as? String == "arity" }
        #expect(arity?["line"] as? Int == 4 && arity?["column"] as? Int == 9 && arity?["severity"] as? String == "error")

        let id = try server.create("S1")
        let (_, created) = try server.object("GET", "/v1/strategies/\(id)")
        #expect(created["mode"] as? String == "paper")
        #expect(created["version"] as? Int == 1)
        let s2e = try String(contentsOf: Self.strategies.appendingPathComponent("S2E.yaml"), encoding: .utf8)
        let (updated, v2) = try server.object("PUT", "/v1/strategies/\(id)", Self.body(["source": s2e]))
        #expect(updated == 200 && v2["version"] as? Int == 2)
        let (_, old) = try server.object("GET", "/v1/strategies/\(id)?version=1")
        #expect((old["source"] as? String)?.contains("S1") == true)
        #expect(try server.send("PUT", "/v1/strategies/\(id)", Self.body(["source": broken])).status == 422)
        let (_, list) = try server.send("GET", "/v1/strategies")
        #expect(list.contains(id))
        #expect(try server.send("DELETE", "/v1/strategies/\(id)").status == 204)
        #expect(try server.send("GET", "/v1/strategies/\(id)").status == 404)
        #expect(try server.send("DELETE", "/v1/strategies/\(id)").status == 404)
    }

    @Test("start_date, end_date and initial_capital: the command line's --from, --to and --capital; final_value and total_return_pct beside the result")
    func backtestPeriod() throws {
        let server = try Server()
        defer { server.process.stop() }
        let id = try server.create("S2E")
        let request = Self.body(["strategy_id": id, "data": ["ORCL": "ORCL.csv"], "start_date": "2010-01-01", "end_date": "2010-12-31",
                                 "initial_capital": 50_000])
        let (status, created) = try server.object("POST", "/v1/backtests", request)
        #expect(status == 202)
        let done = try server.finished(created["id"] as? String ?? "")
        #expect(done["status"] as? String == "done")
        let cli = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("S2E.yaml").path, "--data",
                                      "ORCL=\(Self.data.appendingPathComponent("ORCL.csv").path)", "--format", "json", "--equity", "--no-cache",
                                      "--from", "2010-01-01", "--to", "2010-12-31", "--capital", "50000"])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        #expect((done["result"] as? NSDictionary) == expected as NSDictionary)
        let finalEquity = try #require(expected["final_equity"] as? Double)
        #expect(done["final_value"] as? Double == finalEquity)
        let returnPct = try #require(done["total_return_pct"] as? Double)
        #expect(abs(returnPct - (finalEquity / 50_000 - 1) * 100) < 1e-9)
        #expect((expected["first_time"] as? String)?.hasPrefix("2010-01-0") == true && (expected["range"] as? [String: Any])?["to"] as? String == "2010-12-31")
        // Its report: made again from the stored request, the same final equity in its statistics.
        let report = try server.process.send("GET", "/v1/backtests/\(created["id"] as? String ?? "")/report", token: ServiceTests.token)
        #expect(report.status == 200 && report.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
        let shown = report.body.firstMatch(of: /data-metric="final_equity" data-value="([^"]+)"/).flatMap { Double($0.1) }
        let written = cli.stdout.firstMatch(of: /\n  "final_equity": ([0-9.e+-]+)/).flatMap { Double($0.1) }
        #expect(shown != nil && shown == written, "\(String(describing: shown)) against \(String(describing: written))")
        #expect(report.body.contains("2010-01-01 to 2010-12-31") && report.body.contains("id=\"keel-data\""))
        #expect(try server.send("GET", "/v1/backtests/bt_nope/report").status == 404)
        for (bad, code) in [(["start_date": "someday"], "invalid_date"), (["start_date": "2020-01-01", "end_date": "2019-01-01"], "invalid_date"),
                            (["capital": 1_000, "initial_capital": 2_000], "invalid_capital")] as [([String: Any], String)] {
            let (refused, body) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": id, "data": ["ORCL": "ORCL.csv"]].merging(bad) { $1 }))
            #expect(refused == 422 && body["code"] as? String == code, "\(bad)")
            if code == "invalid_date" { #expect((body["message"] as? String)?.contains("start_date") == true, "the request's own names: \(body)") }
        }
    }

    @Test("a backtest created over HTTP equals the same backtest from the command line, and persists across a restart")
    func backtestEqualsTheCLI() throws {
        var server = try Server()
        let id = try server.create("S2E")
        let (status, created) = try server.object("POST", "/v1/backtests", Self.body(["strategy_id": id, "data": ["ORCL": "ORCL.csv"]]))
        #expect(status == 202)
        #expect(created["status"] as? String == "running")
        let backtest = created["id"] as? String ?? ""
        let done = try server.finished(backtest)
        #expect(done["status"] as? String == "done")
        let cli = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("S2E.yaml").path, "--data",
                                      "ORCL=\(Self.data.appendingPathComponent("ORCL.csv").path)", "--format", "json", "--equity", "--no-cache"])
        #expect(cli.status == 0)
        let expected = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary
        #expect((done["result"] as? NSDictionary) == expected)
        // The text itself, as stored: the CLI's bytes.
        let stored = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path).backtest(backtest)?.result
        #expect(stored == cli.stdout)
        server.process.stop()
        server = try Server(folder: server.folder)
        defer { server.process.stop() }
        let (_, again) = try server.object("GET", "/v1/backtests/\(backtest)")
        #expect(again["status"] as? String == "done")
        let (_, list) = try server.send("GET", "/v1/backtests?limit=10")
        #expect(list.contains(backtest))
        #expect(try server.send("DELETE", "/v1/backtests/\(backtest)").status == 409)
    }

    @Test("oversized bodies get 413; traversal and injection in names and ids fail cleanly")
    func hostileInput() throws {
        let server = try Server()
        defer { server.process.stop() }
        let big = String(repeating: "a", count: (1 << 20) + 1)
        #expect(try server.send("POST", "/v1/strategies", Self.body(["source": big])).status == 413)
        #expect(try server.send("POST", "/v1/strategies", "{not json").status == 400)
        let id = try server.create("S1")
        for file in ["../ORCL.csv", "/etc/passwd", "../../../../etc/passwd", "data/../../token", "", "ORCL.csv\u{0}", "."] {
            let (status, body) = try server.send("POST", "/v1/backtests", Self.body(["strategy_id": id, "data": ["ORCL": file]]))
            #expect(status == 422, "\(file)")
            #expect(body.contains("invalid_data"))
        }
        for bad in ["st_'%20OR%201=1", "..%2F..%2Fetc%2Fpasswd", "st_0123456789ABCDEF", "%00", String(repeating: "x", count: 2_000)] {
            #expect(try server.send("GET", "/v1/strategies/\(bad)").status == 404, "\(bad.prefix(40))")
            #expect(try server.send("GET", "/v1/backtests/\(bad)").status == 404)
        }
        // A name that looks like SQL is a name.
        let sql = "keel: 1\nname: \"x'); DROP TABLE api_strategies; --\"\nsymbols: [ORCL]\nentry:\n  long: close > 1\nstop_loss: 5%\n"
        let (status, created) = try server.object("POST", "/v1/strategies", Self.body(["source": sql]))
        #expect(status == 201)
        #expect(created["name"] as? String == "x'); DROP TABLE api_strategies; --")
        #expect(try server.send("GET", "/v1/strategies/\(id)").status == 200)
    }

    @Test("/ready answers from the store; a backtest of an unknown strategy is 404")
    func readiness() throws {
        let server = try Server()
        defer { server.process.stop() }
        let (status, ready) = try server.object("GET", "/ready")
        #expect(status == 200 && ready["status"] as? String == "ready")
        #expect(try server.send("POST", "/v1/backtests", Self.body(["strategy_id": "st_0123456789abcdef", "data": ["ORCL": "ORCL.csv"]])).status == 404)
    }
}
