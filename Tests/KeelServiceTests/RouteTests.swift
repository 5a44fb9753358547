import Foundation
import Hummingbird
import HummingbirdTesting
import KeelBrokerClient
import KeelService
import KeelStore
import KeelTestSupport
import Synchronization
import Testing

/// The service's routes in process: HummingbirdTesting's router client, a real store, and the
/// service's clock set by the test. (What needs a real process, crash recovery and sockets, stays
/// in `ServiceTests` and `RunServiceTests`.)
@Suite("the service's routes in process, on a clock the test sets")
struct RouteTests {
    /// A clock the test moves by hand.
    final class HandClock: Sendable {
        let time = Mutex<Int64>(1_767_225_600_000)  // 2026-01-01T00:00:00Z
        var clock: ServiceClock { ServiceClock { self.time.withLock { $0 } } }
        func advance(_ milliseconds: Int64) { time.withLock { $0 += milliseconds } }
        var now: Int64 { time.withLock { $0 } }
    }

    static let token = "route-token"
    static let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    /// A router on a fresh store whose data folder holds ORCL.csv.
    func app(_ clock: HandClock, in folder: URL? = nil) throws -> some ApplicationProtocol {
        let folder = try folder ?? KeelBinary.temporaryFolder()
        try FileManager.default.copyItem(at: ServiceTests.data.appendingPathComponent("ORCL.csv"), to: folder.appendingPathComponent("ORCL.csv"))
        let state = ServiceState(store: try KeelStore(path: folder.appendingPathComponent("keel.db").path), dataDirectory: folder.path,
                                 clock: clock.clock, outbound: OutboundPolicy(allowed: [.init(host: "127.0.0.1")]))
        return Application(router: KeelService.router(state, token: Self.token))
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    /// The object at `uri` once its status is no longer `running` (at most 10 s).
    static func finished(_ uri: String, _ client: some TestClientProtocol) async throws -> [String: Any] {
        var object: [String: Any] = [:]
        for _ in 0..<1_000 {
            object = try Self.object(try await client.execute(uri: uri, method: .get, headers: Self.headers))
            if object["status"] as? String != "running" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return object
    }

    static func body(_ object: [String: Any]) -> ByteBuffer { ByteBuffer(string: ServiceTests.body(object)) }

    static func source(_ name: String) throws -> String {
        try String(contentsOf: ServiceTests.strategies.appendingPathComponent("\(name).yaml"), encoding: .utf8)
    }

    @Test("a strategy's life: created and updated at the clock's times, its versions kept, its mode checked, deleted")
    func strategyLife() async throws {
        let clock = HandClock()
        let created = clock.now
        try await app(clock).test(.router) { client async throws in
            let post = try await client.execute(uri: "/v1/strategies", method: .post, headers: Self.headers,
                                                body: Self.body(["source": try Self.source("S1")]))
            #expect(post.status == .created)
            let strategy = try Self.object(post)
            let id = try #require(strategy["id"] as? String)
            #expect(post.headers[.location] == "/v1/strategies/\(id)")
            #expect(strategy["created_at"] as? Int64 == created && strategy["updated_at"] as? Int64 == created)
            #expect(strategy["mode"] as? String == "paper" && strategy["version"] as? Int == 1)

            clock.advance(90_000)
            let put = try await client.execute(uri: "/v1/strategies/\(id)", method: .put, headers: Self.headers,
                                               body: Self.body(["source": try Self.source("S2E")]))
            let updated = try Self.object(put)
            #expect(updated["version"] as? Int == 2)
            #expect(updated["created_at"] as? Int64 == created && updated["updated_at"] as? Int64 == created + 90_000)

            let first = try Self.object(try await client.execute(uri: "/v1/strategies/\(id)?version=1", method: .get, headers: Self.headers))
            #expect((first["source"] as? String) == (try Self.source("S1")))

            let mode = try await client.execute(uri: "/v1/strategies/\(id)/mode", method: .put, headers: Self.headers, body: Self.body(["mode": "yolo"]))
            #expect(mode.status == .unprocessableContent)
            #expect(try Self.object(mode)["code"] as? String == "invalid_mode")

            #expect(try await client.execute(uri: "/v1/strategies/\(id)", method: .delete, headers: Self.headers).status == .noContent)
            let gone = try await client.execute(uri: "/v1/strategies/\(id)", method: .get, headers: Self.headers)
            #expect(gone.status == .notFound)
            #expect(try Self.object(gone)["code"] as? String == "not_found")
        }
    }

    @Test("a broken strategy is 422 with each diagnostic at its line and column")
    func brokenStrategy() async throws {
        try await app(HandClock()).test(.router) { client async throws in
            let broken = "keel: 1\nname: broken\nentry:\n  long: smaa(close, 10) > close\n"
            let response = try await client.execute(uri: "/v1/strategies", method: .post, headers: Self.headers, body: Self.body(["source": broken]))
            #expect(response.status == .unprocessableContent)
            let details = try #require(try Self.object(response)["details"] as? [[String: Any]])
            let unknown = try #require(details.first { $0["id"] as? String == "unknown-function" })
            #expect(unknown["line"] as? Int == 4 && unknown["column"] as? Int == 9)
        }
    }

    @Test("a backtest runs off the request and ends at the clock's time; data outside the folder is refused")
    func backtest() async throws {
        let clock = HandClock()
        try await app(clock).test(.router) { client async throws in
            let post = try await client.execute(uri: "/v1/strategies", method: .post, headers: Self.headers,
                                                body: Self.body(["source": try Self.source("S1")]))
            let strategy = try #require(try Self.object(post)["id"] as? String)
            let outside = try await client.execute(uri: "/v1/backtests", method: .post, headers: Self.headers,
                                                   body: Self.body(["strategy_id": strategy, "data": ["ORCL": "../ORCL.csv"]]))
            #expect(outside.status == .unprocessableContent)
            #expect(try Self.object(outside)["code"] as? String == "invalid_data")

            clock.advance(5_000)
            let started = try await client.execute(uri: "/v1/backtests", method: .post, headers: Self.headers,
                                                   body: Self.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"]]))
            #expect(started.status == .created || started.status == .accepted)
            let id = try #require(try Self.object(started)["id"] as? String)
            let backtest = try await Self.finished("/v1/backtests/\(id)", client)
            #expect(backtest["status"] as? String == "done")
            #expect(backtest["created_at"] as? Int64 == clock.now && backtest["finished_at"] as? Int64 == clock.now)
        }
    }

    @Test("a hosted run journals at the service's clock: created, committed and ended at the time the test set")
    func hostedRunClock() async throws {
        let clock = HandClock()
        let folder = try KeelBinary.temporaryFolder()
        let events = try KeelBinary.run(["data", "events", "ORCL=\(SharedFixtures.bars("ORCL").path)"])
        #expect(events.status == 0)
        try events.stdout.write(to: folder.appendingPathComponent("ORCL.jsonl"), atomically: true, encoding: .utf8)
        try await app(clock, in: folder).test(.router) { client async throws in
            let post = try await client.execute(uri: "/v1/strategies", method: .post, headers: Self.headers,
                                                body: Self.body(["source": try Self.source("S2E")]))
            let strategy = try #require(try Self.object(post)["id"] as? String)
            let created = clock.now
            let started = try await client.execute(uri: "/v1/runs", method: .post, headers: Self.headers,
                                                   body: Self.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"], "bar_seconds": 86_400]))
            #expect(started.status == .created, "\(String(buffer: started.body))")
            let id = try #require(try Self.object(started)["id"] as? String)
            let run = try await Self.finished("/v1/runs/\(id)", client)
            #expect(run["status"] as? String == "ended")
            #expect((run["last_seq"] as? Int ?? 0) > 1_000)
            #expect(run["created_at"] as? Int64 == created && run["updated_at"] as? Int64 == created)
        }
    }

    @Test("health, readiness and the OpenAPI document answer in process")
    func probes() async throws {
        try await app(HandClock()).test(.router) { client async throws in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(String(buffer: health.body) == #"{"status":"ok"}"#)
            let ready = try await client.execute(uri: "/ready", method: .get, headers: Self.headers)
            #expect(String(buffer: ready.body) == #"{"runs":0,"status":"ready","store":"ok"}"#)
            let document = try Self.object(try await client.execute(uri: "/openapi.json", method: .get, headers: Self.headers))
            #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
            #expect(try await client.execute(uri: "/v1/strategies", method: .get).status == .unauthorized)
        }
    }
}
