import Foundation
import KeelBroker
import KeelBrokerTestSupport
import KeelStore
import KeelTestSupport
import Testing

/// `POST /v1/orders` on a real `keel serve`: an operator's order in a running paper run, with its
/// own take-profit and stop-loss ladders and the 5/5/8 guardrails; and `GET /v1/positions` across
/// runs and broker accounts.
@Suite("keel serve: manual orders and positions across brokers", .serialized)
struct ManualOrderServiceTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body

    static func step(_ percentage: Double, _ trigger: Double) -> [String: Any] { ["percentage": percentage, "triggerPercentage": trigger] }

    @Test("a manual order is journaled, filled at the next open and closed by its own ladder; the guardrails answer 400 with the rule broken")
    func manualOrders() async throws {
        let desk = try await DeskTests.Desk(bars: 300)
        defer { desk.stop() }
        let server = desk.server
        let run = desk.runs[0]
        func order(_ fields: [String: Any]) throws -> (Int, [String: Any]) {
            try server.object("POST", "/v1/orders", Self.body(["run_id": run, "symbol": "ORCL", "side": "long", "quantity": 5].merging(fields) { _, b in b }))
        }
        let six = (0..<6).map { _ in Self.step(10, 1) }
        let broken: [([String: Any], String)] = [
            (["takeProfits": six], "at most 5 take-profits"),
            (["stopLosses": six], "at most 5 stop-losses"),
            (["takeProfits": Array(six.prefix(5)), "stopLosses": Array(six.prefix(4))], "at most 8 take-profits and stop-losses together"),
            (["takeProfits": [Self.step(60, 1), Self.step(50, 2)]], "close 110.0% of the position together"),
            (["stopLosses": [Self.step(100, 100)]], "stopLosses[0].triggerPercentage is above 0 and below 100"),
            (["takeProfits": [Self.step(0, 1)]], "takeProfits[0].percentage is above 0"),
        ]
        for (fields, rule) in broken {
            let (status, refusal) = try order(fields)
            #expect(status == 400 && refusal["code"] as? String == "guardrail" && (refusal["message"] as? String)?.contains(rule) == true, "\(refusal)")
        }
        let (typo, why) = try order(["takeProfit": [Self.step(50, 1)]])
        #expect(typo == 400 && (why["message"] as? String)?.contains("'takeProfit' is not a field of an order") == true, "\(why)")
        #expect(try order(["side": "hold"]).0 == 400)
        #expect(try order(["symbol": "AAPL"]).0 == 422)
        #expect(try order(["run_id": "run_0123456789abcdef"]).0 == 404)

        // Flat first (the operator's close), then the order: both applied, in order, before the next bar.
        #expect(try server.send("POST", "/v1/runs/\(run)/close_all").status == 202)
        let (queued, answer) = try order(["takeProfits": [Self.step(50, 1), Self.step(50, 2)], "stopLosses": [Self.step(100, 1)]])
        #expect(queued == 202 && answer["action"] as? String == "order" && answer["status"] as? String == "queued", "\(answer)")
        let lines = try RunServiceTests.orclLines()
        try desk.connections[0].send(lines[300...330].joined(separator: "\n") + "\n")
        try await RunServiceTests.eventually("31 more bars") { try RunServiceTests.lastSeq(server, run) >= 300 + 2 + 31 }
        let store = try KeelStore(path: server.folder.appendingPathComponent("keel.db").path)
        let orders = try store.orders(run: run, limit: 10_000, offset: 0)
        let manual = try #require(orders.first { $0.rule == "manual.long" }, "\(orders.map(\.rule))")
        #expect(manual.status == "filled" && manual.quantity == 5, "\(manual)")
        // Its own ladder closed it: ORCL fell 1% from the fill before it rose 1%, and its one stop closes all 5.
        let after = orders.filter { $0.placedTime >= manual.placedTime && $0.rule != "manual.long" }
        #expect(after.map(\.rule) == ["stop_loss.1"] && after.first?.quantity == 5 && after.first?.type == "stop", "\(after)")
        #expect(try store.positions(run: run).isEmpty)
        // The document names the route and its rate group.
        let document = try server.object("GET", "/openapi.json").1
        let post = ((document["paths"] as? [String: Any])?["/v1/orders"] as? [String: Any])?["post"] as? [String: Any]
        #expect(post?["x-rate-limit-group"] as? String == "orders")
    }

    @Test("GET /v1/positions lists the runs' positions and each broker account's, with broker_name and mode; a broker that cannot be read says why")
    func positionsAcrossBrokers() throws {
        let broker = try PaperBrokerProcess(extra: ["--symbols", "ORCL"])
        defer { broker.stop() }
        let server = try Server(environment: ["KEEL_SECRET_KEY": LiveServiceTests.key])
        defer { server.process.stop() }
        try broker.bars([#"{"type":"bar","symbol":"ORCL","timestamp":"2024-01-02T00:00:00Z","open":10,"high":10,"low":10,"close":10,"volume":1}"#])
        #expect(try broker.request("POST", "/orders", body: #"{"symbol":"ORCL","side":"BUY","quantity":"0.5","client_order_id":"desk"}"#).0 == 201)
        try broker.bars([#"{"type":"bar","symbol":"ORCL","timestamp":"2024-01-03T00:00:00Z","open":10,"high":11,"low":10,"close":11,"volume":1}"#])
        #expect(try server.object("POST", "/v1/brokers", Self.body(["name": "desk paper", "url": broker.url,
                                                                      "credentials": ["token": PaperBrokerProcess.token]])).0 == 201)
        #expect(try server.object("POST", "/v1/brokers", Self.body(["name": "gone", "url": "http://127.0.0.1:9",
                                                                      "credentials": ["token": "x"]])).0 == 201)
        let (status, text) = try server.send("GET", "/v1/positions")
        #expect(status == 200)
        let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
        let held = try #require(rows.first { $0["broker_name"] as? String == "desk paper" }, "\(text)")
        #expect(held["source"] as? String == "broker" && held["mode"] as? String == "live" && held["symbol"] as? String == "ORCL")
        #expect(held["quantity"] as? Double == 0.5 && held["mark_price"] as? Double == 11 && held["unrealized_pnl"] as? Double == 0.5)
        let gone = try #require(rows.first { $0["broker_name"] as? String == "gone" })
        #expect((gone["error"] as? String)?.contains("GET /positions") == true && gone["symbol"] == nil)
        #expect(try server.send("GET", "/v1/positions?source=runs").body == "[]")
        #expect(try server.send("GET", "/v1/positions?source=nothing").status == 400)
    }
}
