/// One event of a live stream. On the wire each is a JSON object on its own line:
///
///     {"type":"bar","symbol":"ORCL","timestamp":"2014-12-31T00:00:00Z","open":45.2,"high":45.5,"low":44.9,"close":44.97,"volume":9100}
///     {"type":"quote","symbol":"ORCL","timestamp":1419984000000,"price":44.97,"size":100}
///     {"type":"signal","symbol":"ORCL","timestamp":"2014-12-31T00:00:00Z","name":"sentiment","value":0.4}
///     {"type":"heartbeat","timestamp":"2014-12-31T00:01:00Z"}
///
/// A timestamp is ISO 8601 (UTC) or an epoch in seconds, milliseconds, microseconds or nanoseconds (by its magnitude). Numbers are read as the CSV
/// reader reads them: the decimal text correctly rounded to binary64.
package enum MarketEvent: Sendable, Equatable {
    case bar(symbol: String, time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double)
    /// A trade or quote: `price` (or the mid of `bid` and `ask`) and an optional `size`.
    case quote(symbol: String, time: Int64, price: Double, size: Double)
    case signal(symbol: String, time: Int64, name: String, value: Double)
    /// Time passes with no data: closes bars and time steps that end at or before it.
    case heartbeat(time: Int64)

    package var time: Int64 {
        switch self {
        case .bar(_, let time, _, _, _, _, _), .quote(_, let time, _, _), .signal(_, let time, _, _), .heartbeat(let time): time
        }
    }

    package var symbol: String? {
        switch self {
        case .bar(let symbol, _, _, _, _, _, _), .quote(let symbol, _, _, _), .signal(let symbol, _, _, _): symbol
        case .heartbeat: nil
        }
    }

    /// The event as one JSON line (no newline). Numbers print in Swift's shortest round-tripping
    /// form, so reading the line back gives the same doubles, bit for bit.
    package var line: String {
        let at = ("timestamp", JSON.Value.string(TimestampParser.format(time)))
        let fields: [(String, JSON.Value)] = switch self {
        case .bar(let symbol, _, let open, let high, let low, let close, let volume):
            [("type", .string("bar")), ("symbol", .string(symbol)), at, ("open", .number(open)), ("high", .number(high)),
             ("low", .number(low)), ("close", .number(close)), ("volume", .number(volume))]
        case .quote(let symbol, _, let price, let size):
            [("type", .string("quote")), ("symbol", .string(symbol)), at, ("price", .number(price)), ("size", .number(size))]
        case .signal(let symbol, _, let name, let value):
            [("type", .string("signal")), ("symbol", .string(symbol)), at, ("name", .string(name)), ("value", .number(value))]
        case .heartbeat:
            [("type", .string("heartbeat")), at]
        }
        return JSON.encode(.object(fields), pretty: false)
    }

    package var kind: String {
        switch self {
        case .bar: "bar"
        case .quote: "quote"
        case .signal: "signal"
        case .heartbeat: "heartbeat"
        }
    }
}

/// Why a line is not an event; `column` counts bytes from 1.
package struct EventLineError: Error, Equatable, CustomStringConvertible {
    package var column: Int
    package var message: String
    package var description: String { "column \(column): \(message)" }
}

/// Reads one JSON-lines event: a flat object of strings, numbers, booleans and nulls. Anything
/// nested, a duplicate key or a missing field is an error that names the column.
package enum EventLine {
    package enum Token: Equatable, Sendable { case string(String), number(Substring), literal(Substring) }

    package static func parse(_ line: String) throws(EventLineError) -> MarketEvent {
        var line = line
        if let bar = line.withUTF8(fastBar) { return bar }
        return try general(line)
    }

    /// Every line, with an error that names the column.
    package static func general(_ line: String) throws(EventLineError) -> MarketEvent {
        let fields = try object(Array(line.utf8))
        func text(_ key: String) throws(EventLineError) -> String {
            guard let token = fields[key] else { throw EventLineError(column: 1, message: "missing \"\(key)\"") }
            guard case .string(let value) = token.token else { throw EventLineError(column: token.column, message: "\"\(key)\" must be a string") }
            return value
        }
        func number(_ key: String, default fallback: Double? = nil) throws(EventLineError) -> Double {
            guard let token = fields[key] else {
                if let fallback { return fallback }
                throw EventLineError(column: 1, message: "missing \"\(key)\"")
            }
            let raw: String
            switch token.token {
            case .number(let digits): raw = String(digits)
            case .string(let quoted): raw = quoted
            case .literal(let word) where word == "null" && fallback != nil: return fallback!
            case .literal: throw EventLineError(column: token.column, message: "\"\(key)\" must be a number")
            }
            guard let value = DecimalParser.parse(raw), value.isFinite else {
                throw EventLineError(column: token.column, message: "\"\(key)\" is not a number: \(raw)")
            }
            return value
        }
        func time() throws(EventLineError) -> Int64 {
            guard let token = fields["timestamp"] ?? fields["time"] else { throw EventLineError(column: 1, message: "missing \"timestamp\"") }
            let raw: String
            switch token.token {
            case .string(let value): raw = value
            case .number(let digits): raw = String(digits)
            case .literal: throw EventLineError(column: token.column, message: "\"timestamp\" must be ISO 8601 text or an epoch number")
            }
            guard let value = TimestampParser.parse(raw) else {
                throw EventLineError(column: token.column, message: "unreadable timestamp \(raw); write ISO 8601 such as 2024-01-02T14:30:00Z")
            }
            return value
        }
        let type = try text("type")
        switch type {
        case "bar":
            let symbol = try text("symbol"), at = try time()
            let (open, high, low, close) = (try number("open"), try number("high"), try number("low"), try number("close"))
            let volume = try number("volume", default: 0)
            // The CSV reader's row checks: finite prices above 0 inside [low, high], a finite volume of at least 0.
            guard low <= min(open, close), high >= max(open, close), low > 0, high.isFinite else {
                throw EventLineError(column: 1, message: "inconsistent bar: low \(low), high \(high), open \(open), close \(close)")
            }
            guard volume.isFinite, volume >= 0 else {
                throw EventLineError(column: fields["volume"]?.column ?? 1, message: "volume \(volume) is not a finite number of at least 0")
            }
            return .bar(symbol: symbol, time: at, open: open, high: high, low: low, close: close, volume: volume)
        case "quote", "trade":
            let symbol = try text("symbol"), at = try time()
            let price: Double
            if fields["price"] != nil {
                price = try number("price")
            } else {
                price = (try number("bid") + number("ask")) / 2
            }
            guard price > 0, price.isFinite else { throw EventLineError(column: fields["price"]?.column ?? 1, message: "price must be a finite number above 0") }
            let size = try number("size", default: 0)
            guard size.isFinite, size >= 0 else { throw EventLineError(column: fields["size"]?.column ?? 1, message: "size \(size) is not a finite number of at least 0") }
            return .quote(symbol: symbol, time: at, price: price, size: size)
        case "signal":
            return .signal(symbol: try text("symbol"), time: try time(), name: try text("name"), value: try number("value"))
        case "heartbeat":
            return .heartbeat(time: try time())
        default:
            throw EventLineError(column: fields["type"]!.column,
                                 message: "unknown event type \"\(type)\"; expected bar, quote, signal or heartbeat")
        }
    }

    /// The common line, read in place: a bar whose keys are the bar's own, each once, with plain
    /// strings and numbers. Anything else (an escape, a literal, another key, a number in quotes, a
    /// bar that fails its checks) is nil, and `parse` reads the line again on the general path,
    /// which says what is wrong: both paths give the same event for every line this one takes.
    package static func fastBar(_ bytes: UnsafeBufferPointer<UInt8>) -> MarketEvent? {
        // The fields found, on the stack: this runs for every line of a stream.
        withUnsafeTemporaryAllocation(of: Field.self, capacity: barKeys.count) { found in
            found.initialize(repeating: Field())
            return fastBar(bytes, found)
        }
    }

    /// Where a bar key's value lies, and whether it was a string; `range` nil when the key is absent.
    struct Field {
        var range: Range<Int>?
        var quoted = false
    }

    private static func fastBar(_ bytes: UnsafeBufferPointer<UInt8>, _ found: UnsafeMutableBufferPointer<Field>) -> MarketEvent? {
        let end = bytes.count
        var i = 0
        @inline(__always) func skipSpace() { while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 } }
        /// A string's bytes, without escapes; nil for one with an escape or unterminated.
        @inline(__always) func string() -> Range<Int>? {
            guard i < end, bytes[i] == 0x22 else { return nil }
            i += 1
            let start = i
            while i < end, bytes[i] != 0x22 {
                if bytes[i] == 0x5C { return nil }
                i += 1
            }
            guard i < end else { return nil }
            i += 1
            return start..<(i - 1)
        }
        func equals(_ range: Range<Int>, _ word: StaticString) -> Bool {
            guard range.count == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for k in 0..<range.count where bytes[range.lowerBound + k] != w[k] { return false }
            return true
        }
        // The value ranges of type, symbol, timestamp (or time), open, high, low, close, volume; numbers flagged.
        let keys = barKeys
        skipSpace()
        guard i < end, bytes[i] == 0x7B else { return nil }
        i += 1
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            guard let slot = keys.indices.first(where: { equals(key, keys[$0]) }), found[slot].range == nil else { return nil }
            skipSpace()
            guard i < end, bytes[i] == 0x3A else { return nil }
            i += 1
            skipSpace()
            guard i < end else { return nil }
            if bytes[i] == 0x22 {
                guard let value = string() else { return nil }
                found[slot] = Field(range: value, quoted: true)
            } else {
                let start = i
                while i < end, bytes[i] != 0x2C, bytes[i] != 0x7D, bytes[i] != 0x20 { i += 1 }
                guard i > start, bytes[start] == 0x2D || (bytes[start] &- 0x30) < 10 else { return nil }
                found[slot].range = start..<i
            }
            skipSpace()
            guard i < end else { return nil }
            if bytes[i] == 0x2C { i += 1; continue }
            guard bytes[i] == 0x7D else { return nil }
            i += 1
            break
        }
        skipSpace()
        guard i == end, let type = found[0].range, found[0].quoted, equals(type, "bar"), let symbol = found[1].range, found[1].quoted,
              found[2].range == nil || found[3].range == nil, let stamp = found[2].range ?? found[3].range else { return nil }
        func number(_ slot: Int) -> Double? {
            guard let range = found[slot].range, !found[slot].quoted, let value = DecimalParser.parse(bytes, range.lowerBound, range.upperBound),
                  value.isFinite else { return nil }
            return value
        }
        guard let time = TimestampParser.parse(bytes, stamp.lowerBound, stamp.upperBound), let open = number(4), let high = number(5),
              let low = number(6), let close = number(7) else { return nil }
        var volume = 0.0
        if found[8].range != nil {
            guard let v = number(8) else { return nil }
            volume = v
        }
        guard low <= min(open, close), high >= max(open, close), low > 0, volume >= 0 else { return nil }
        return .bar(symbol: String(decoding: UnsafeBufferPointer(rebasing: bytes[symbol]), as: UTF8.self), time: time, open: open, high: high,
                    low: low, close: close, volume: volume)
    }

    static let barKeys: [StaticString] = ["type", "symbol", "timestamp", "time", "open", "high", "low", "close", "volume"]

    /// The keys of a flat JSON object with their values' tokens and columns.
    package static func object(_ bytes: [UInt8]) throws(EventLineError) -> [String: (token: Token, column: Int)] {
        var i = 0
        func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 } }
        func fail(_ message: String) -> EventLineError { EventLineError(column: i + 1, message: message) }
        func string() throws(EventLineError) -> String {
            guard i < bytes.count, bytes[i] == 0x22 else { throw fail("expected a string") }
            i += 1
            var scalars: [UInt8] = []
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5C {
                    i += 1
                    guard i < bytes.count else { break }
                    switch bytes[i] {
                    case 0x22, 0x5C, 0x2F: scalars.append(bytes[i])
                    case 0x6E: scalars.append(0x0A)
                    case 0x74: scalars.append(0x09)
                    case 0x72: scalars.append(0x0D)
                    case 0x62: scalars.append(0x08)
                    case 0x66: scalars.append(0x0C)
                    case 0x75:
                        guard i + 4 < bytes.count, let code = UInt32(String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                        i += 4
                    default: throw fail("bad escape")
                    }
                } else {
                    scalars.append(bytes[i])
                }
                i += 1
            }
            guard i < bytes.count else { throw fail("unterminated string") }
            i += 1
            return String(decoding: scalars, as: UTF8.self)
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x7B else { throw fail("an event is a JSON object on one line: expected {") }
        i += 1
        var fields: [String: (token: Token, column: Int)] = [:]
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D { i += 1 } else {
            while true {
                skipSpace()
                let keyColumn = i + 1
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == 0x3A else { throw fail("expected : after \"\(key)\"") }
                i += 1
                skipSpace()
                let column = i + 1
                guard i < bytes.count else { throw fail("expected a value") }
                let token: Token
                switch bytes[i] {
                case 0x22: token = .string(try string())
                case 0x7B, 0x5B: throw fail("\"\(key)\": nested values are not part of an event")
                default:
                    let start = i
                    while i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x7D, bytes[i] != 0x20 { i += 1 }
                    let word = Substring(String(decoding: bytes[start..<i], as: UTF8.self))
                    guard !word.isEmpty else { throw fail("expected a value") }
                    let first = word.utf8.first!
                    token = (first == 0x2D || (0x30...0x39).contains(first)) ? .number(word) : .literal(word)
                    if case .literal = token, !["true", "false", "null"].contains(word) { throw EventLineError(column: column, message: "unexpected \(word)") }
                }
                guard fields[key] == nil else { throw EventLineError(column: keyColumn, message: "duplicate key \"\(key)\"") }
                fields[key] = (token, column)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object: expected , or }") }
                if bytes[i] == 0x2C { i += 1; continue }
                guard bytes[i] == 0x7D else { throw fail("expected , or }") }
                i += 1
                break
            }
        }
        skipSpace()
        guard i == bytes.count else { throw fail("text after the object") }
        return fields
    }
}
