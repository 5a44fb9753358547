import Foundation
import KeelBroker
import KeelBrokerClient
import KeelBrokerTestSupport
import Testing

/// The paper broker server and the client, as two processes on loopback: auth, limits, and every
/// fault the client must survive without doubling an order.
@Suite(.serialized) struct BrokerServerTests {
    static let bar = #"{"type":"bar","symbol":"X","timestamp":"2024-01-02T00:00:00Z","open":50,"high":51,"low":49,"close":50,"volume":1}"#

    /// A broker listing X and Y (orders are taken before their first bar), and no limit on wrong tokens (sent on purpose).
    static func broker() throws -> PaperBrokerProcess { try PaperBrokerProcess(extra: ["--symbols", "X,Y", "--auth-failure-limit", "0"]) }

    func order(_ id: String, quantity: String = "10", symbol: String = "X") -> NewOrder {
        NewOrder(symbol: symbol, side: .buy, quantity: Amount(quantity)!, clientOrderId: id)
    }

    @Test func everyRouteButHealthNeedsTheToken() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        #expect(try broker.request("GET", "/health", token: nil).0 == 200)
        let routes = [("GET", "/account"), ("GET", "/orders"), ("GET", "/orders/history"), ("POST", "/orders"), ("GET", "/orders/O1"),
                      ("PATCH", "/orders/O1"), ("DELETE", "/orders/O1"), ("DELETE", "/orders"), ("GET", "/positions"), ("GET", "/positions/P1"),
                      ("DELETE", "/positions/P1"), ("DELETE", "/positions"), ("GET", "/trades"), ("POST", "/sim/bars"), ("POST", "/sim/faults")]
        for (method, path) in routes {
            for token in [nil, "wrong", PaperBrokerProcess.token + "x", ""] {
                let (status, body) = try broker.request(method, path, body: "{}", token: token)
                #expect(status == 401, "\(method) \(path) with token \(token ?? "none")")
                #expect(body.contains(#""code":"unauthorized""#))
            }
        }
        #expect(try broker.request("GET", "/account").0 == 200)
    }

    @Test func anOversizedBodyIs413AndAMalformedOne400() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let big = String(repeating: "a", count: (1 << 20) + 10)
        #expect(try broker.request("POST", "/orders", body: big).0 == 413)
        #expect(try broker.request("POST", "/sim/bars", body: big).0 == 413)
        let (status, body) = try broker.request("POST", "/orders", body: #"{"symbol":"X"}"#)
        #expect(status == 400)
        #expect(body.contains(#""code":"INVALID_FIELD""#) && body.contains("side is required") && body.contains(#""field":"side""#))
        #expect(try broker.request("POST", "/orders", body: "{").0 == 400)
        #expect(try broker.request("POST", "/sim/bars", body: "{\"type\":\"bar\"\n").0 == 400)
    }

    @Test func aTimeoutLeavesTheOrderUnknownUntilItsClientIdSettlesIt() throws {
        let broker = try PaperBrokerProcess(faultDelay: 1.5, extra: ["--symbols", "X,Y"])
        defer { broker.stop() }
        let client = broker.client(timeout: .milliseconds(300))
        defer { client.shutdown() }
        try broker.inject(#"{"timeout":1}"#)
        guard case .unknown = client.submit(order("t1")) else { Issue.record("a timed-out submission must be unknown"); return }
        // The order was placed all the same: the query finds it, and sending it again cannot double it.
        #expect(try client.order(clientOrderId: "t1")?.status == .pending)
        // The same order again answers the one placed (idempotent); another order under its id is 409.
        guard case .accepted(let again) = client.submit(order("t1")), again.id == "O1" else { Issue.record("idempotent"); return }
        #expect(client.submit(order("t1", quantity: "11")) == .duplicate)
        #expect(try client.openOrders().count == 1)
    }

    @Test(arguments: ["error", "drop"])
    func aFailureAfterTheOrderIsPlacedIsUnknownNotLost(fault: String) throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        try broker.inject("{\"\(fault)\":1}")
        guard case .unknown = client.submit(order("e1")) else { Issue.record("\(fault) must leave the order unknown"); return }
        #expect(try client.order(clientOrderId: "e1") != nil)
        #expect(client.submit(order("e1", quantity: "1")) == .duplicate)
        try broker.bars([Self.bar])
        #expect(try client.trades(after: nil).map(\.clientOrderId) == ["e1"])
    }

    @Test func aFailureBeforeTheOrderIsPlacedIsFoundMissingAndSentAgainUnderTheSameId() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        try broker.inject(#"{"unavailable":1}"#)
        guard case .unknown = client.submit(order("u1")) else { Issue.record("a 503 must leave the order unknown"); return }
        #expect(try client.order(clientOrderId: "u1") == nil)
        guard case .accepted = client.submit(order("u1")) else { Issue.record("the same id, sent again, is accepted"); return }
        #expect(try client.openOrders().map(\.clientOrderId) == ["u1"])
    }

    @Test func rateLimitsAreWaitedOutAsRetryAfterSays() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        try broker.inject(#"{"rate_limit":2}"#)
        let started = ContinuousClock.now
        guard case .accepted = client.submit(order("r1")) else { Issue.record("a rate-limited order goes through once the limit passes"); return }
        // Two answers of `Retry-After: 1`, honoured.
        #expect(ContinuousClock.now - started >= .seconds(2))
        #expect(try client.openOrders().count == 1)
        let (status, _) = try broker.request("GET", "/account")
        #expect(status == 200)
    }

    @Test func rejectionsArePermanentAndRecorded() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        try broker.inject(#"{"reject":1}"#)
        guard case .rejected(let body) = client.submit(order("j1")) else { Issue.record("an injected rejection is a rejection"); return }
        #expect(body.code == "INSUFFICIENT_MARGIN" && body.details["order_id"] == "O1")
        #expect(try client.order(clientOrderId: "j1")?.status == .rejected)
        guard case .accepted(let again) = client.submit(order("j1")), again.status == .rejected else { Issue.record("still rejected"); return }
    }

    @Test func readsAreRetriedThroughTransientFailures() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        guard case .accepted(let placed) = client.submit(order("c1")) else { Issue.record("accepted"); return }
        try broker.bars([Self.bar])
        // Three reads answered 503 in a row: each read below is retried through them.
        try broker.inject(#"{"read_error":3}"#)
        #expect(try client.position("X")?.quantity == Amount(10))
        #expect(try client.position("Y") == nil)
        #expect(try client.account().balance == Amount(99_500))
        #expect(try client.cancel(orderId: placed.id) == nil)
        // More failures than the client's four attempts: it says so.
        try broker.inject(#"{"read_error":4}"#)
        #expect(throws: BrokerClient.Failure.self) { _ = try client.account() }
        #expect(try client.account().balance == Amount(99_500))
    }

    @Test func anUnknownFaultIsRefusedWithTheNamesThereAre() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let (status, body) = try broker.request("POST", "/sim/faults", body: #"{"timeouts":1}"#)
        #expect(status == 400)
        #expect(body.contains("'timeouts': 1 is not a fault; the faults are timeout, error, drop, rate_limit, unavailable, read_error, reject, partial"))
    }

    @Test("an order for a symbol the broker does not list is 422 UNKNOWN_SYMBOL: by --symbols, or else until its first bar")
    func unknownSymbolsAreRefused() throws {
        let broker = try PaperBrokerProcess()
        defer { broker.stop() }
        let client = broker.client()
        defer { client.shutdown() }
        guard case .rejected(let body) = client.submit(order("u1")) else { Issue.record("an order for X before any bar of it was taken"); return }
        #expect(body.code == "UNKNOWN_SYMBOL" && body.message.contains("no market data"), "\(body)")
        try broker.bars([Self.bar])
        guard case .accepted = client.submit(order("u2")) else { Issue.record("X has a bar now"); return }
        let listed = try PaperBrokerProcess(extra: ["--symbols", "X,Y"])
        defer { listed.stop() }
        let listedClient = listed.client()
        defer { listedClient.shutdown() }
        guard case .accepted = listedClient.submit(order("l1", quantity: "1", symbol: "Y")) else {
            Issue.record("Y is listed"); return
        }
        guard case .rejected(let other) = listedClient.submit(order("l2", quantity: "1", symbol: "ZZZ")) else {
            Issue.record("ZZZ is not listed"); return
        }
        #expect(other.code == "UNKNOWN_SYMBOL" && other.message.contains("lists X, Y"), "\(other)")
    }
}

/// The broker-neutral API's market-data and system routes on a real `keel broker serve`.
@Suite(.serialized) struct BrokerMarketDataTests {
    static func object(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }

    /// 120 minute bars of X from Monday 2024-01-01 00:00 UTC: prices of one decimal, a volume of 1e-8 lots, a last close of 12.345678901234.
    static var minutes: String {
        (0..<120).map { i in
            let time = 1_704_067_200_000 + Int64(i) * 60_000
            let (high, close) = i == 119 ? ("13", "12.345678901234") : ("0.3", "0.2")
            return #"{"type":"bar","symbol":"X","timestamp":\#(time),"open":0.1,"high":\#(high),"low":0.1,"close":\#(close),"volume":0.00000001}"#
        }.joined(separator: "\n")
    }

    @Test func readyStatusAndCapabilities() throws {
        let broker = try PaperBrokerProcess(extra: ["--auth-failure-limit", "0"])
        defer { broker.stop() }
        let (notReady, refusal) = try broker.request("GET", "/ready")
        #expect(notReady == 503 && Self.object(refusal)["code"] as? String == "NO_PROVIDERS" && Self.object(refusal)["details"] is [String: Any])
        #expect(Self.object(try broker.request("GET", "/status").1)["last_heartbeat"] is NSNull)
        #expect(try broker.request("POST", "/sim/bars", body: Self.minutes).0 == 200)
        let ready = Self.object(try broker.request("GET", "/ready").1)
        #expect(ready["ready"] as? Bool == true && ready["providers"] as? [String] == ["paper"] && ready["provider_count"] as? Int == 1)
        let status = Self.object(try broker.request("GET", "/status").1)
        #expect(status["connected"] as? Bool == true && status["last_heartbeat"] as? String == "2024-01-01T01:59:00.000Z" && status["latency_ms"] is Double)
        let capabilities = Self.object(try broker.request("GET", "/capabilities").1)
        #expect(capabilities["order_types"] as? [String] == ["MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP"])
        #expect(capabilities["time_in_force"] as? [String] == ["GTC", "DAY", "IOC", "FOK"] && capabilities["max_leverage"] as? String == "2")
        #expect(capabilities["unsupported_fields"] as? [String] == ["hidden", "display_quantity", "margin_mode", "position_id"])
        for path in ["/ready", "/status", "/capabilities", "/quotes/X", "/bars/X"] {
            #expect(try broker.request("GET", path, token: nil).0 == 401, "\(path)")
        }
    }

    @Test func quotesAndBarsAreDecimalStringsResampledToUTC() throws {
        let broker = try PaperBrokerProcess(extra: ["--auth-failure-limit", "0"])
        defer { broker.stop() }
        #expect(try broker.request("POST", "/sim/bars", body: Self.minutes).0 == 200)
        let hours = Self.object(try broker.request("GET", "/bars/X?timeframe=1h").1)["bars"] as? [[String: String]] ?? []
        #expect(hours.map { $0["timestamp"] } == ["2024-01-01T00:00:00.000Z", "2024-01-01T01:00:00.000Z"])
        #expect(hours.first?["open"] == "0.1" && hours.first?["high"] == "0.3" && hours.first?["close"] == "0.2")
        #expect(hours.last?["close"] == "12.345678901234" && hours.allSatisfy { $0["volume"] == "0.0000006" }, "\(hours)")
        let week = Self.object(try broker.request("GET", "/bars/X?timeframe=1w").1)["bars"] as? [[String: String]] ?? []
        #expect(week.count == 1 && week.first?["timestamp"] == "2024-01-01T00:00:00.000Z" && week.first?["volume"] == "0.0000012")
        let last = Self.object(try broker.request("GET", "/bars/X?timeframe=1m&limit=3").1)["bars"] as? [[String: String]] ?? []
        #expect(last.map { $0["timestamp"] } == ["2024-01-01T01:57:00.000Z", "2024-01-01T01:58:00.000Z", "2024-01-01T01:59:00.000Z"])
        let window = Self.object(try broker.request("GET", "/bars/X?timeframe=15m&start=2024-01-01T01:00:00Z&end=1704071700000").1)["bars"] as? [[String: String]] ?? []
        #expect(window.count == 2 && window.first?["timestamp"] == "2024-01-01T01:00:00.000Z")
        let (badFrame, why) = try broker.request("GET", "/bars/X?timeframe=2h")
        #expect(badFrame == 400 && Self.object(why)["code"] as? String == "INVALID_TIMEFRAME")
        #expect(try broker.request("GET", "/bars/X?start=yesterday").0 == 400)
        #expect(try broker.request("GET", "/bars/X?limit=0").0 == 400)
        #expect(Self.object(try broker.request("GET", "/bars/NOPE").1)["code"] as? String == "SYMBOL_NOT_FOUND")
        let daily = #"{"type":"bar","symbol":"Y","timestamp":"2024-01-01T00:00:00Z","open":1,"high":1,"low":1,"close":1,"volume":1}"# + "\n"
            + #"{"type":"bar","symbol":"Y","timestamp":"2024-01-02T00:00:00Z","open":1,"high":1,"low":1,"close":1,"volume":1}"#
        #expect(try broker.request("POST", "/sim/bars", body: daily).0 == 200)
        let (tooFine, fineWhy) = try broker.request("GET", "/bars/Y?timeframe=1h")
        #expect(tooFine == 422 && Self.object(fineWhy)["code"] as? String == "TIMEFRAME_TOO_FINE")
        // The quote: the last bar's close and volume, then a later trade's price and size.
        let quote = Self.object(try broker.request("GET", "/quotes/X").1)
        #expect(quote["last"] as? String == "12.345678901234" && quote["bid"] as? String == "12.345678901234" && quote["ask_size"] as? String == "0.00000001")
        #expect(quote["timestamp"] as? String == "2024-01-01T01:59:00.000Z")
        let trade = #"{"type":"quote","symbol":"X","timestamp":"2024-01-01T02:00:00.5Z","price":0.3,"size":100}"#
        #expect(Self.object(try broker.request("POST", "/sim/bars", body: trade).1)["quotes"] as? Int == 1)
        let later = Self.object(try broker.request("GET", "/quotes/X").1)
        #expect(later["last"] as? String == "0.3" && later["bid_size"] as? String == "100" && later["timestamp"] as? String == "2024-01-01T02:00:00.500Z")
        #expect(Self.object(try broker.request("GET", "/quotes/Z").1)["code"] as? String == "SYMBOL_NOT_FOUND")
    }
}
