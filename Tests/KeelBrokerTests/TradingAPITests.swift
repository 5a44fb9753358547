import Foundation
import KeelBroker
import KeelBrokerTestSupport
import Testing

/// The broker-neutral order API on a real `keel broker serve`, as raw JSON over loopback: what a
/// client written against docs/trading-api.md sends and reads.
@Suite(.serialized) struct TradingAPITests {
    static func object(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    static func list(_ text: String) -> [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? [] }

    static func bar(_ day: Int, open: String, high: String, low: String, close: String, symbol: String = "X") -> String {
        #"{"type":"bar","symbol":"\#(symbol)","timestamp":"2024-01-\#(String(format: "%02d", day))T00:00:00Z","open":\#(open),"high":\#(high),"low":\#(low),"close":\#(close),"volume":1}"#
    }

    static func broker() throws -> PaperBrokerProcess { try PaperBrokerProcess(extra: ["--symbols", "X,Y", "--commission-rate", "0.001"]) }

    @Test func ordersRoundTripExactDecimals() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        try broker.bars([Self.bar(1, open: "0.1", high: "0.1", low: "0.1", close: "0.1")])
        for (id, quantity) in [("a", "0.1"), ("b", "0.2"), ("c", "1e-8")] {
            let (status, body) = try broker.request("POST", "/orders", body: #"{"symbol":"X","side":"BUY","quantity":"\#(quantity)","client_order_id":"\#(id)"}"#)
            let placed = Self.object(body)
            #expect(status == 201 && placed["status"] as? String == "PENDING" && placed["client_order_id"] as? String == id && placed["id"] is String)
        }
        try broker.bars([Self.bar(2, open: "0.1", high: "0.1", low: "0.1", close: "0.1")])
        let position = try #require(Self.list(try broker.request("GET", "/positions").1).first)
        #expect(position["quantity"] as? String == "0.30000001" && position["side"] as? String == "LONG" && position["entry_price"] as? String == "0.1")
        #expect((position["id"] as? String)?.hasPrefix("P") == true && (position["opened_at"] as? String)?.hasSuffix(".000Z") == true)
        let trades = Self.list(try broker.request("GET", "/trades?order=asc").1)
        #expect(trades.map { $0["quantity"] as? String } == ["0.1", "0.2", "0.00000001"])
        #expect(trades.first?["commission"] as? String == "0.00001" && trades.first?["commission_currency"] as? String == "USD")
        #expect(trades.first?["is_maker"] as? Bool == false && trades.first?["timestamp"] as? String == "2024-01-02T00:00:00.000Z")
        let account = Self.object(try broker.request("GET", "/account").1)
        #expect(account["balance"] as? String == "99999.969969998999" && account["currency"] as? String == "USD")
        #expect(Set(account.keys).isSuperset(of: ["balance", "equity", "margin_used", "margin_available", "unrealized_pnl"]))
    }

    @Test func bodiesAreCheckedFieldByField() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        let cases: [(String, Int, String, String)] = [
            (#"{"symbol":"X","side":"BUY","quantity":10}"#, 400, "INVALID_FIELD", "quantity"),
            (#"{"symbol":"X","side":"BUY","quantity":"1.2.3"}"#, 400, "INVALID_FIELD", "quantity"),
            (#"{"symbol":"X","side":"HOLD","quantity":"1"}"#, 400, "INVALID_FIELD", "side"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","hidden":true}"#, 400, "UNSUPPORTED_FIELD", "hidden"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","display_quantity":"1"}"#, 400, "UNSUPPORTED_FIELD", "display_quantity"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","margin_mode":"CROSS"}"#, 400, "UNSUPPORTED_FIELD", "margin_mode"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","position_id":"P1"}"#, 400, "UNSUPPORTED_FIELD", "position_id"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","limit_prise":"5"}"#, 400, "INVALID_FIELD", "limit_prise"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","order_type":"LIMIT"}"#, 400, "INVALID_FIELD", "limit_price"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","order_type":"TRAILING_STOP"}"#, 400, "INVALID_FIELD", "trailing_distance"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","time_in_force":"GTD"}"#, 400, "INVALID_FIELD", "time_in_force"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","order_type":"MARKET","post_only":true}"#, 400, "INVALID_FIELD", "post_only"),
            (#"{"symbol":"X","side":"BUY","quantity":"1","leverage":"50"}"#, 422, "LEVERAGE_EXCEEDED", ""),
            (#"{"symbol":"Q","side":"BUY","quantity":"1"}"#, 422, "UNKNOWN_SYMBOL", ""),
        ]
        for (body, status, code, field) in cases {
            let (got, text) = try broker.request("POST", "/orders", body: body)
            let error = Self.object(text)
            #expect(got == status && error["code"] as? String == code, "\(body): \(got) \(text)")
            if !field.isEmpty { #expect((error["details"] as? [String: String])?["field"] == field, "\(body): \(text)") }
            #expect(error["message"] is String)
        }
    }

    @Test func ordersAreListedFilteredChangedAndCancelled() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        try broker.bars([Self.bar(1, open: "50", high: "50", low: "50", close: "50"), Self.bar(1, open: "20", high: "20", low: "20", close: "20", symbol: "Y")])
        let bodies = [#"{"symbol":"X","side":"BUY","quantity":"5","order_type":"LIMIT","limit_price":"45","client_order_id":"l1","oco_group_id":"g"}"#,
                      #"{"symbol":"X","side":"SELL","quantity":"5","order_type":"STOP","stop_price":"40","client_order_id":"s1","oco_group_id":"g"}"#,
                      #"{"symbol":"Y","side":"BUY","quantity":"1","order_type":"LIMIT","limit_price":"10","time_in_force":"DAY","client_order_id":"y1"}"#,
                      #"{"symbol":"X","side":"BUY","quantity":"2","client_order_id":"m1"}"#]
        var ids: [String] = []
        for body in bodies {
            let (status, text) = try broker.request("POST", "/orders", body: body)
            #expect(status == 201, "\(text)")
            ids.append(Self.object(text)["id"] as? String ?? "")
        }
        // The same body again is the same order (200), not a second one.
        let (again, repeated) = try broker.request("POST", "/orders", body: bodies[0])
        #expect(again == 200 && Self.object(repeated)["id"] as? String == ids[0])
        #expect(try broker.request("POST", "/orders", body: bodies[0].replacingOccurrences(of: "\"5\"", with: "\"6\"")).0 == 409)
        #expect(Self.list(try broker.request("GET", "/orders").1).map { $0["id"] as? String } == ids.reversed())
        #expect(Self.list(try broker.request("GET", "/orders?symbol=Y").1).map { $0["client_order_id"] as? String } == ["y1"])
        #expect(Self.list(try broker.request("GET", "/orders?oco_group_id=g&side=SELL").1).map { $0["client_order_id"] as? String } == ["s1"])
        #expect(Self.list(try broker.request("GET", "/orders?status=PENDING&limit=2").1).count == 2)
        #expect(try broker.request("GET", "/orders?status=FILLED").0 == 400)
        #expect(try broker.request("GET", "/orders?since=yesterday").0 == 400)
        // PATCH: the limit and the quantity; a field an order does not have is 400; a finished order 409.
        let (patched, changed) = try broker.request("PATCH", "/orders/\(ids[0])", body: #"{"limit_price":"44.5","quantity":"6"}"#)
        #expect(patched == 200 && Self.object(changed)["limit_price"] as? String == "44.5" && Self.object(changed)["quantity"] as? String == "6")
        #expect(try broker.request("PATCH", "/orders/\(ids[0])", body: #"{"stop_price":"1"}"#).0 == 400)
        #expect(try broker.request("PATCH", "/orders/\(ids[0])", body: #"{"colour":"red"}"#).0 == 400)
        #expect(Self.object(try broker.request("PATCH", "/orders/O99", body: #"{"quantity":"1"}"#).1)["code"] as? String == "ORDER_NOT_FOUND")
        try broker.bars([Self.bar(2, open: "50", high: "51", low: "49", close: "50")])
        let filled = Self.object(try broker.request("GET", "/orders/\(ids[3])").1)
        #expect(filled["status"] as? String == "FILLED" && filled["average_fill_price"] as? String == "50")
        #expect(try broker.request("PATCH", "/orders/\(ids[3])", body: #"{"quantity":"3"}"#).0 == 409)
        #expect(Self.list(try broker.request("GET", "/orders/history").1).map { $0["id"] as? String } == [ids[3]])
        #expect(Self.object(try broker.request("GET", "/orders/\(ids[0])").1)["status"] as? String == "OPEN")
        // DELETE one: {success, order}; again: 409; DELETE /orders?symbol=X: the rest of X.
        let (cancelled, answer) = try broker.request("DELETE", "/orders/\(ids[0])")
        #expect(cancelled == 200 && Self.object(answer)["success"] as? Bool == true)
        #expect((Self.object(answer)["order"] as? [String: Any])?["status"] as? String == "CANCELLED")
        #expect(try broker.request("DELETE", "/orders/\(ids[0])").0 == 409)
        let bulk = Self.object(try broker.request("DELETE", "/orders?symbol=X").1)
        #expect(bulk["cancelled_count"] as? Int == 1 && bulk["failed_count"] as? Int == 0 && bulk["failed_order_ids"] as? [String] == [])
        #expect(Self.list(try broker.request("GET", "/orders").1).map { $0["client_order_id"] as? String } == ["y1"])
        // The DAY order ends with its UTC day.
        try broker.bars([Self.bar(3, open: "20", high: "20", low: "20", close: "20", symbol: "Y")])
        #expect(Self.object(try broker.request("GET", "/orders/\(ids[2])").1)["status"] as? String == "EXPIRED")
    }

    @Test func positionsCloseByIdInPartOrWhole() throws {
        let broker = try Self.broker()
        defer { broker.stop() }
        try broker.bars([Self.bar(1, open: "50", high: "50", low: "50", close: "50")])
        let entry = #"{"symbol":"X","side":"SELL","quantity":"10","client_order_id":"short","stop_loss":"60","take_profit":"40"}"#
        #expect(try broker.request("POST", "/orders", body: entry).0 == 201)
        try broker.bars([Self.bar(2, open: "50", high: "51", low: "49", close: "50")])
        let position = try #require(Self.list(try broker.request("GET", "/positions").1).first)
        #expect(position["side"] as? String == "SHORT" && position["quantity"] as? String == "10")
        let id = try #require(position["id"] as? String)
        #expect(Self.object(try broker.request("GET", "/positions/\(id)").1)["symbol"] as? String == "X")
        #expect(Self.list(try broker.request("GET", "/orders").1).compactMap { $0["client_order_id"] as? String }.sorted() == ["short-sl", "short-tp"])
        // A limit close of 4, keeping the bracket's legs: they shrink to what is left when it fills.
        let (placed, close) = try broker.request("DELETE", "/positions/\(id)", body: #"{"quantity":"4","order_type":"LIMIT","limit_price":"49","cancel_associated_orders":false}"#)
        #expect(placed == 201 && Self.object(close)["reduce_only"] as? Bool == true && Self.object(close)["side"] as? String == "BUY", "\(close)")
        try broker.bars([Self.bar(3, open: "50", high: "50", low: "48", close: "49")])
        let after = Self.object(try broker.request("GET", "/positions/\(id)").1)
        #expect(after["quantity"] as? String == "6" && after["realized_pnl"] as? String == "4")
        #expect(try broker.request("DELETE", "/positions/\(id)", body: #"{"quantity":"7"}"#).0 == 400)
        #expect(try broker.request("DELETE", "/positions/\(id)", body: #"{"order_type":"STOP"}"#).0 == 400)
        // Everything at market, cancelling the legs first.
        let all = Self.object(try broker.request("DELETE", "/positions").1)
        #expect(all["closed_count"] as? Int == 1)
        try broker.bars([Self.bar(4, open: "50", high: "50", low: "50", close: "50")])
        let (positions, working) = (Self.list(try broker.request("GET", "/positions").1), Self.list(try broker.request("GET", "/orders").1))
        #expect(positions.isEmpty && working.isEmpty)
        #expect(Self.object(try broker.request("GET", "/positions/\(id)").1)["code"] as? String == "POSITION_NOT_FOUND")
        let trades = Self.list(try broker.request("GET", "/trades?symbol=X&limit=2").1)
        #expect(trades.count == 2 && trades.first?["side"] as? String == "BUY" && trades[1]["is_maker"] as? Bool == true)
        #expect(Self.list(try broker.request("GET", "/trades?since=2024-01-04T00:00:00Z").1).count == 1)
    }
}
