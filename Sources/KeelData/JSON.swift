/// A tiny JSON writer: deterministic key order, correct escaping, no Foundation.
package enum JSON {
    package indirect enum Value: Sendable {
        case string(String), int(Int), bool(Bool), null
        /// A double in Swift's shortest round-tripping form; NaN and infinities become null.
        case number(Double)
        case array([Value])
        case object([(String, Value)])
        /// A value that writes itself (`JSON.writeObject`) at the indent and layout it is given:
        /// the one definition of a record that is also streamed without building values.
        case written(@Sendable (_ indent: Int, _ pretty: Bool, _ out: inout [UInt8]) -> Void)
    }

    /// The fields of an object being written, with `encode`'s layout. Keys are static ASCII names
    /// (no escaping to look for): a spooled backtest writes millions of them.
    package struct Fields {
        fileprivate var out: [UInt8]
        fileprivate let indent: Int
        fileprivate let pretty: Bool
        fileprivate var count = 0

        private mutating func key(_ name: StaticString) {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            count += 1
            if pretty { JSON.newline(indent + 1, into: &out) }
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out += (pretty ? "\": " : "\":").utf8
        }

        package mutating func string(_ name: StaticString, _ value: String) {
            key(name)
            JSON.quote(value, into: &out)
        }

        /// A time as `TimestampParser.format` writes it, quoted.
        package mutating func time(_ name: StaticString, _ milliseconds: Int64) {
            key(name)
            out.append(UInt8(ascii: "\""))
            TimestampParser.format(milliseconds, into: &out)
            out.append(UInt8(ascii: "\""))
        }

        package mutating func number(_ name: StaticString, _ value: Double) {
            key(name)
            JSON.write(number: value, into: &out)
        }

        package mutating func value(_ name: StaticString, _ value: Value) {
            key(name)
            JSON.write(value, indent: indent + 1, pretty: pretty, into: &out)
        }
    }

    /// A newline and `level` steps of two spaces, appended without building a sequence per call.
    static func newline(_ level: Int, into out: inout [UInt8]) {
        let spaces = 2 * level
        // 40 spaces cover every level the result formats reach; deeper ones take a second pass.
        let margin: StaticString = "\n                                        "
        margin.withUTF8Buffer { bytes in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[0..<(1 + min(spaces, 40))]))
        }
        if spaces > 40 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: spaces - 40)) }
    }

    /// A double in Swift's shortest round-tripping form; NaN and infinities become null.
    static func write(number value: Double, into out: inout [UInt8]) {
        guard value.isFinite else { return out += "null".utf8 }
        // A whole number below 1e15 is written as `description` writes it ("2.0"), without building
        // a string: quantities and fees are mostly whole. -0.0 and the rest go through `description`.
        if value.magnitude < 1e15, value.rounded(.towardZero) == value, !(value == 0 && value.sign == .minus) {
            write(integer: Int(value), into: &out)
            return out += ".0".utf8
        }
        out += value.description.utf8
    }

    /// The decimal digits of `value`, with a minus sign when negative.
    static func write(integer value: Int, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = value.magnitude
            var at = 20
            repeat { at -= 1; digits[at] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10 } while n > 0
            if value < 0 { at -= 1; digits[at] = UInt8(ascii: "-") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[at..<20]))
        }
    }

    /// Writes an object field by field, as `encode` would write the same `.object`.
    package static func writeObject(indent: Int = 0, pretty: Bool = true, into out: inout [UInt8], _ body: (inout Fields) -> Void) {
        out.append(UInt8(ascii: "{"))
        // The bytes move into `fields` and back, never shared (a shared buffer would be copied at the next append).
        var fields = Fields(out: [], indent: indent, pretty: pretty)
        swap(&out, &fields.out)
        body(&fields)
        swap(&out, &fields.out)
        guard fields.count > 0 else { return out.append(UInt8(ascii: "}")) }
        if pretty { newline(indent, into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    package static func encode(_ value: Value, indent: Int = 0, pretty: Bool = true) -> String {
        var bytes: [UInt8] = []
        write(value, indent: indent, pretty: pretty, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the encoding of `value` to `out`: the same bytes as `encode`, without building
    /// strings on the way (a backtest's JSON spools hundreds of thousands of trades through it).
    package static func write(_ value: Value, indent: Int = 0, pretty: Bool = true, into out: inout [UInt8]) {
        func newline(_ level: Int) {
            if pretty { JSON.newline(level, into: &out) }
        }
        switch value {
        case .string(let text): quote(text, into: &out)
        case .int(let number): write(integer: number, into: &out)
        case .bool(let flag): out += (flag ? "true" : "false").utf8
        case .null: out += "null".utf8
        case .number(let value): write(number: value, into: &out)
        case .written(let write): write(indent, pretty, &out)
        case .array(let items):
            guard !items.isEmpty else { return out += "[]".utf8 }
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(item, indent: indent + 1, pretty: pretty, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            guard !pairs.isEmpty else { return out += "{}".utf8 }
            out.append(UInt8(ascii: "{"))
            for (position, pair) in pairs.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                quote(pair.0, into: &out)
                out += (pretty ? ": " : ":").utf8
                write(pair.1, indent: indent + 1, pretty: pretty, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    package static func quote(_ text: String) -> String {
        var bytes: [UInt8] = []
        quote(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text as a JSON string: quote, backslash and control characters escaped, the rest of the
    /// UTF-8 as it is.
    package static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most text needs no escape: copied whole.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain == true { return out.append(UInt8(ascii: "\"")) }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\"".utf8
            case UInt8(ascii: "\\"): out += "\\\\".utf8
            case UInt8(ascii: "\n"): out += "\\n".utf8
            case UInt8(ascii: "\r"): out += "\\r".utf8
            case UInt8(ascii: "\t"): out += "\\t".utf8
            case 0..<0x20:
                out += "\\u00".utf8
                out.append(byte >> 4 + UInt8(ascii: "0"))
                out.append((byte & 0xf) < 10 ? (byte & 0xf) + UInt8(ascii: "0") : (byte & 0xf) - 10 + UInt8(ascii: "a"))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
