import Foundation
import KeelData

/// A price, a quantity or a sum of money at the broker: an exact decimal of up to 38 digits
/// (Foundation's `Decimal`), written on the wire as a decimal string. `"0.1"` plus `"0.2"` is
/// `"0.3"`, and a lot of `"0.00000001"` stays one. A JSON number is refused where an amount is
/// expected: a JSON reader may have rounded it to binary64 before the broker saw it.
package struct Amount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, SchemaSampled {
    package var value: Decimal

    package init(_ value: Decimal) { self.value = value }

    package init(_ integer: Int) { value = Decimal(integer) }

    /// The shortest decimal that reads back as `double` (what Keel's engine computed), so
    /// nothing is rounded on the way to the broker.
    package init(_ double: Double) {
        value = Decimal(string: DecimalText.string(double), locale: Self.posix) ?? Decimal(double)
    }

    /// Decimal's parser reads the separator from a locale: one, made once.
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A decimal in plain or scientific notation (`"12.5"`, `"-3"`, `".5"`, `"1e-8"`), nothing else:
    /// no spaces, no hexadecimal, no trailing text, at most 40 significant digits and an exponent
    /// within ±100. Foundation's own parser takes `"1.2.3"` as 1.2; this one refuses it.
    package init?(_ text: String) {
        guard text.utf8.count <= 64, Self.isDecimal(text), let parsed = Decimal(string: text, locale: Self.posix),
              !parsed.isNaN else { return nil }
        value = parsed
    }

    private static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        var significant = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            significant += digits()
        }
        guard significant > 0, significant <= 40 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            let exponent = digits()
            guard exponent > 0, exponent <= 3 else { return false }
        }
        return bytes.isEmpty
    }

    package static let zero = Amount(Decimal.zero)

    package static var schemaSample: Amount { Amount(1) }
    package var schema: JSON.Value {
        .object([("type", .string("string")), ("pattern", .string(#"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"#)),
                 ("examples", .array([.string("0.1"), .string("0.00000001")]))])
    }

    /// Plain notation, no exponent, no trailing zeros: `"0.00000001"`, `"100.5"`.
    package var description: String { value.isZero ? "0" : value.description }

    /// The nearest binary64, for Keel's engine and ledger.
    package var double: Double { Double(description) ?? .nan }

    package var isPositive: Bool { value > 0 }
    package var magnitude: Amount { Amount(value.magnitude) }

    package static func < (a: Amount, b: Amount) -> Bool { a.value < b.value }
    package static func + (a: Amount, b: Amount) -> Amount { Amount(a.value + b.value) }
    package static func - (a: Amount, b: Amount) -> Amount { Amount(a.value - b.value) }
    package static func * (a: Amount, b: Amount) -> Amount { Amount(a.value * b.value) }
    /// Rounded to 38 significant digits: only averages and margins divide.
    package static func / (a: Amount, b: Amount) -> Amount { Amount(a.value / b.value) }
    package static prefix func - (a: Amount) -> Amount { Amount(-a.value) }
    package static func += (a: inout Amount, b: Amount) { a = a + b }
    package static func -= (a: inout Amount, b: Amount) { a = a - b }

    package init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let text = try? container.decode(String.self) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: #"an amount is a decimal string such as "0.5", not a JSON number"#)
        }
        guard let amount = Amount(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text.prefix(70))' is not a decimal (write it as \"12.5\" or \"1e-8\")")
        }
        self = amount
    }

    package func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
