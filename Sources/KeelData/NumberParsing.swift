/// Parses ASCII decimal numbers without Foundation, giving the same binary64 as `Double(text)`.
///
/// The fast path is exact: a mantissa below 2^53 and a power of ten up to 10^22 are both exact
/// doubles, so one multiplication or division rounds correctly (Clinger's fast path). Anything
/// else (long mantissas, large exponents, `nan`) goes to the standard library's correctly rounded
/// parser, so the result never depends on which path ran.
public enum DecimalParser {
    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The value of `bytes[start..<end]`, or nil when it is not a number.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var index = start
        guard index < end else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while index < end {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                sawDigit = true
                if mantissa != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                if digits > 19 { return slowParse(bytes, start, end) }
                mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                return slowParse(bytes, start, end)
            }
            index += 1
        }
        guard sawDigit else { return nil }
        guard mantissa < (1 << 53), fractionDigits <= 22 else { return slowParse(bytes, start, end) }
        let value = Double(mantissa) / powersOfTen[fractionDigits]
        return negative ? -value : value
    }

    static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }

    /// Convenience for tests and small inputs.
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse($0, 0, $0.count) }
    }
}
