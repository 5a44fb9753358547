import Foundation
import Hummingbird
import KeelBroker
import KeelData
import KeelHTTP

/// The broker-neutral trading API's market-data and system routes (docs/trading-api.md), served
/// at the root beside the `/v2` order API: quotes and bars from what the paper broker was fed,
/// what it can do, and whether it is connected and ready. Prices and sizes are decimal strings,
/// times ISO-8601 with milliseconds, UTC; errors are `{code, message, details}`.
enum MarketDataRoutes {
    /// The timeframes `GET /bars` makes, in seconds.
    static let timeframes: [(name: String, seconds: Int64)] = [("1m", 60), ("5m", 300), ("15m", 900), ("30m", 1_800), ("1h", 3_600),
                                                              ("4h", 14_400), ("1d", 86_400), ("1w", 604_800)]

    static func add(to router: Router<BrokerContext>, _ state: BrokerState, _ c: PaperBrokerServer.Configuration) {
        router.get("capabilities") { _, _ in json(Capabilities(maxLeverage: DecimalText.string(c.leverage))) }
        router.get("status") { _, _ in
            let start = ContinuousClock.now
            let heartbeat = state.read { $0.lastEventTime }
            let latency = (ContinuousClock.now - start) / .milliseconds(1)
            return json(Status(connected: true, latencyMs: (latency * 1_000).rounded() / 1_000,
                               lastHeartbeat: heartbeat.map(TimestampParser.formatWithMilliseconds)))
        }
        router.get("ready") { _, _ in
            guard state.read({ $0.lastEventTime }) != nil else {
                return errorResponse(APIError(code: "NO_PROVIDERS", message: """
                    no market data yet: the paper exchange cannot price an order until it is fed bars (POST /sim/bars)
                    """, details: ["providers": "[]"]), status: 503)
            }
            return json(Ready(ready: true, providers: ["paper"], providerCount: 1))
        }
        router.get("quotes/:symbol") { _, context in
            let symbol = context.parameters.get("symbol") ?? ""
            guard let quote = state.read({ quote($0, symbol) }) else {
                return errorResponse(APIError(code: "SYMBOL_NOT_FOUND", message: "no bar or quote of '\(symbol.prefix(40))' was fed to this broker",
                                            details: ["symbol": symbol]), status: 404)
            }
            return json(quote)
        }
        router.get("bars/:symbol") { request, context in
            let symbol = context.parameters.get("symbol") ?? ""
            return bars(symbol, request, state)
        }
    }

    struct Capabilities: Encodable {
        var assetClasses = ["EQUITY"]
        var orderTypes = OrderType.allCases.map(\.rawValue)
        var timeInForce = TimeInForce.allCases.map(\.rawValue)
        var trailingTypes = TrailingType.allCases.map(\.rawValue)
        var positionMode = "NETTING"
        var features = ["BRACKET", "OCO", "TRAILING_STOP", "REDUCE_ONLY", "POST_ONLY", "CLIENT_ORDER_ID", "ORDER_MODIFY", "PARTIAL_CLOSE",
                        "PARTIAL_FILLS", "SHORT_SELLING", "QUOTES", "BARS"]
        var maxLeverage: String
        /// Fields a real venue takes that this simulated one cannot honour: an order naming one is refused, never silently done otherwise.
        var unsupportedFields = TradingAPI.unsupportedFields
        var currency = TradingAPI.currency
        var timeframes = MarketDataRoutes.timeframes.map(\.name)

        enum CodingKeys: String, CodingKey {
            case features, timeframes, currency
            case assetClasses = "asset_classes", orderTypes = "order_types", timeInForce = "time_in_force", positionMode = "position_mode",
                 maxLeverage = "max_leverage", unsupportedFields = "unsupported_fields", trailingTypes = "trailing_types"
        }
    }

    struct Status: Encodable {
        var connected: Bool
        var latencyMs: Double
        var lastHeartbeat: String?

        enum CodingKeys: String, CodingKey { case connected, latencyMs = "latency_ms", lastHeartbeat = "last_heartbeat" }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(connected, forKey: .connected)
            try c.encode(latencyMs, forKey: .latencyMs)
            try c.encode(lastHeartbeat, forKey: .lastHeartbeat)
        }
    }

    struct Ready: Encodable {
        var ready: Bool
        var providers: [String]
        var providerCount: Int
        enum CodingKeys: String, CodingKey { case ready, providers, providerCount = "provider_count" }
    }

    /// The paper exchange has no book of bids and asks: both are the last price, the sizes the last
    /// size (a quote's, or a bar's volume).
    struct Quote: Encodable {
        var symbol: String
        var bid: String
        var ask: String
        var bidSize: String
        var askSize: String
        var last: String
        var timestamp: String

        enum CodingKeys: String, CodingKey {
            case symbol, bid, ask, last, timestamp
            case bidSize = "bid_size", askSize = "ask_size"
        }
    }

    /// The later of the symbol's last quote and last bar.
    static func quote(_ exchange: PaperExchange, _ symbol: String) -> Quote? {
        let bar = exchange.history[symbol]?.last.map { (time: $0.time, price: $0.close, size: $0.volume) }
        let quote = exchange.quotes[symbol].map { (time: $0.time, price: $0.price, size: $0.size) }
        guard let latest = [bar, quote].compactMap({ $0 }).max(by: { $0.time < $1.time }) else { return nil }
        let (price, size) = (DecimalText.string(latest.price), DecimalText.string(latest.size))
        return Quote(symbol: symbol, bid: price, ask: price, bidSize: size, askSize: size, last: price,
                     timestamp: TimestampParser.formatWithMilliseconds(latest.time))
    }

    struct Bar: Encodable {
        var timestamp: String
        var open, high, low, close, volume: String
    }

    struct Bars: Encodable {
        var symbol: String
        var timeframe: String
        var bars: [Bar]
    }

    /// `GET /bars/{symbol}?timeframe=&start=&end=&limit=`: the bars it holds, made into bars of
    /// `timeframe` (default 1d) aligned to UTC (a week from Monday); those starting in
    /// [start, end], the last `limit` (default 500, at most 10,000), oldest first.
    static func bars(_ symbol: String, _ request: Request, _ state: BrokerState) -> Response {
        let query = request.uri.queryParameters
        let name = query["timeframe"].map(String.init) ?? "1d"
        guard let seconds = timeframes.first(where: { $0.name == name })?.seconds else {
            return errorResponse(APIError(code: "INVALID_TIMEFRAME", message: "timeframe is one of \(timeframes.map(\.name).joined(separator: ", "))",
                            details: ["timeframe": name]), status: 400)
        }
        var bounds: [Int64?] = []
        for key: Substring in ["start", "end"] {
            guard let text = query[key].map(String.init) else {
                bounds.append(nil)
                continue
            }
            guard let time = TimestampParser.parseMillisecondsOrISO(text) else {
                return errorResponse(APIError(code: "INVALID_TIME", message: "\(key) is ISO-8601 (2024-01-02T00:00:00.000Z) or ms since the epoch",
                                            details: [String(key): text]), status: 400)
            }
            bounds.append(time)
        }
        let (start, end) = (bounds[0], bounds[1])
        let limit = query["limit"].map { Int(String($0)) } ?? 500
        guard let limit, (1...10_000).contains(limit) else {
            return errorResponse(APIError(code: "INVALID_LIMIT", message: "limit is 1 to 10000",
                                        details: ["limit": query["limit"].map(String.init) ?? ""]), status: 400)
        }
        guard let held = state.read({ $0.history[symbol] }) else {
            return errorResponse(APIError(code: "SYMBOL_NOT_FOUND", message: "no bar of '\(symbol.prefix(40))' was fed to this broker",
                                        details: ["symbol": symbol]), status: 404)
        }
        // Bars finer than the ones held cannot be made.
        let spacing = zip(held, held.dropFirst()).map { $1.time - $0.time }.filter { $0 > 0 }.min()
        if let spacing, spacing > seconds * 1_000 {
            return errorResponse(APIError(code: "TIMEFRAME_TOO_FINE", message: "this broker holds \(symbol) bars \(spacing / 1_000) s apart: ask for \(name) or longer",
                            details: ["held_seconds": String(spacing / 1_000)]), status: 422)
        }
        let made = resample(held, seconds: seconds).filter { made in
            (start.map { made.bar.time >= $0 } ?? true) && (end.map { made.bar.time <= $0 } ?? true)
        }
        let shown = made.suffix(limit).map { made in
            let b = made.bar
            return Bar(timestamp: TimestampParser.formatWithMilliseconds(b.time), open: DecimalText.string(b.open), high: DecimalText.string(b.high),
                       low: DecimalText.string(b.low), close: DecimalText.string(b.close), volume: "\(made.volume)")
        }
        return json(Bars(symbol: symbol, timeframe: name, bars: shown))
    }

    /// Monday 1970-01-05 UTC, 4 days after the epoch: weeks start on Mondays.
    static let weekOrigin: Int64 = 4 * 86_400_000

    /// Bars into buckets of `seconds` aligned to UTC: open of the first, extremes, close of the
    /// last, volume summed in decimal (60 volumes of 0.00000001 make 0.0000006, not binary's 6.000000000000001e-07).
    static func resample(_ bars: [HeldBar], seconds: Int64) -> [(bar: HeldBar, volume: Decimal)] {
        let size = seconds * 1_000, origin = seconds == 604_800 ? weekOrigin : 0
        var out: [(bar: HeldBar, volume: Decimal)] = []
        for bar in bars {
            let offset = bar.time - origin
            let bucket = origin + (offset - ((offset % size) + size) % size)
            let volume = Amount(bar.volume).value
            if let last = out.last, last.bar.time == bucket {
                out[out.count - 1] = (HeldBar(time: bucket, open: last.bar.open, high: max(last.bar.high, bar.high), low: min(last.bar.low, bar.low),
                                              close: bar.close, volume: 0), last.volume + volume)
            } else {
                out.append((HeldBar(time: bucket, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: 0), volume))
            }
        }
        return out
    }
}
