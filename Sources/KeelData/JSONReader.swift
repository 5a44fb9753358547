import Foundation

/// Reads JSON text back into `JSON.Value`: keys in their order, numbers exact.
///
/// Foundation's `JSONSerialization` reads about half of all shortest-form doubles one ulp off on
/// Linux (measured: 103,559 of 200,000 random values), so a figure Keel wrote and reads again
/// would drift. A number here goes through `Double(String)`, which rounds correctly; an integer
/// literal that fits stays an `Int`.
package struct JSONReader {
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package let offset: Int
        package let reason: String
        package var description: String { "JSON: \(reason) at byte \(offset)" }
    }

    private let bytes: [UInt8]
    private var at = 0
    /// Deeper than this is refused: the reader recurses, and a hostile body must not blow the stack.
    private static let maximumDepth = 512

    package static func parse(_ data: some Collection<UInt8>) throws(Failure) -> JSON.Value {
        var reader = JSONReader(bytes: Array(data))
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.at == reader.bytes.count else { throw reader.failure("text after the value") }
        return value
    }

    package static func parse(_ text: String) throws(Failure) -> JSON.Value { try parse(Array(text.utf8)) }

    /// The same value as Foundation objects (`[String: Any]`, `[Any]`, `String`, `NSNumber`,
    /// `NSNull`), for code written against `JSONSerialization`, with the numbers read exactly.
    package static func foundationObject(_ data: some Collection<UInt8>) throws(Failure) -> Any { try parse(data).foundation }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ reason: String) -> Failure { Failure(offset: at, reason: reason) }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    private mutating func expect(_ word: String, _ value: JSON.Value) throws(Failure) -> JSON.Value {
        let utf8 = Array(word.utf8)
        guard bytes.count - at >= utf8.count, Array(bytes[at..<at + utf8.count]) == utf8 else { throw failure("expected \(word)") }
        at += utf8.count
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> JSON.Value {
        guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth)") }
        skipSpace()
        guard at < bytes.count else { throw failure("unexpected end") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        default: return try number()
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSON.Value {
        at += 1
        var fields: [(String, JSON.Value)] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
            at += 1
            return .object(fields)
        }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let key = try string()
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            at += 1
            fields.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard at < bytes.count else { throw failure("unexpected end in an object") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            guard bytes[at] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            at += 1
            return .object(fields)
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSON.Value {
        at += 1
        var items: [JSON.Value] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
            at += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard at < bytes.count else { throw failure("unexpected end in an array") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            guard bytes[at] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
            at += 1
            return .array(items)
        }
    }

    private mutating func number() throws(Failure) -> JSON.Value {
        let start = at
        while at < bytes.count, Self.numberBytes.contains(bytes[at]) { at += 1 }
        let literal = bytes[start..<at], text = String(decoding: literal, as: UTF8.self)
        guard Self.isNumber(literal) else {
            at = start
            throw failure(text.isEmpty ? "unexpected character" : "'\(text.prefix(40))' is not a number")
        }
        let integral = !literal.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if integral, let integer = Int(text) { return .int(integer) }
        guard let double = Double(text), double.isFinite else {
            at = start
            throw failure("'\(text.prefix(40))' is out of range")
        }
        return .number(double)
    }

    private static let numberBytes = Set("0123456789.eE+-".utf8)

    /// JSON's number grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
    private static func isNumber(_ text: ArraySlice<UInt8>) -> Bool {
        var i = text.startIndex
        func digits() -> Int {
            let from = i
            while i < text.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[i]) { i += 1 }
            return i - from
        }
        if i < text.endIndex, text[i] == UInt8(ascii: "-") { i += 1 }
        let first = i
        guard digits() > 0, text[first] != UInt8(ascii: "0") || i - first == 1 else { return false }
        if i < text.endIndex, text[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < text.endIndex, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < text.endIndex, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == text.endIndex
    }

    private mutating func string() throws(Failure) -> String {
        at += 1
        var out: [UInt8] = []
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw failure("unexpected end in a string") }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("a high surrogate without its low half") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: throw failure("an unknown escape")
                }
            case 0..<0x20: throw failure("a control character in a string")
            default: out.append(byte)
            }
        }
        throw failure("unexpected end in a string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - at >= 4, let value = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
            throw failure("expected four hex digits")
        }
        at += 4
        return value
    }
}

extension JSON.Value {
    /// A field of an object (the first with that key); nil for anything else.
    package subscript(key: String) -> JSON.Value? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// The value as Foundation objects, the shape `JSONSerialization` gives.
    package var foundation: Any {
        switch self {
        case .string(let text): return text
        case .int(let value): return NSNumber(value: value)
        case .number(let value): return NSNumber(value: value)
        case .bool(let value): return NSNumber(value: value)
        case .null: return NSNull()
        case .array(let items): return items.map(\.foundation)
        case .object(let fields): return Dictionary(fields.map { ($0.0, $0.1.foundation) }, uniquingKeysWith: { first, _ in first })
        case .written: return NSNull()
        }
    }
}
