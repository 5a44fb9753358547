/// Parses ASCII decimal numbers without Foundation, giving the same binary64 as `Double(text)`.
///
/// The fast path is exact: a mantissa below 2^53 and a power of ten up to 10^22 are both exact
/// doubles, so one multiplication or division rounds correctly (Clinger's fast path). Anything
/// else (long mantissas, large exponents, `nan`) goes to the standard library's correctly rounded
/// parser, so the result never depends on which path ran.
package enum DecimalParser {
    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The value of `bytes[start..<end]`, or nil when it is not a number.
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var index = start
        guard index < end else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        // Two tight loops, whole part then fraction; anything unusual goes to the slow path.
        var mantissa: UInt64 = 0
        let wholeStart = index
        while index < end, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index += 1
        }
        var digitCount = index - wholeStart
        var fractionDigits = 0
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < end, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                index += 1
            }
            fractionDigits = index - fractionStart
            digitCount += fractionDigits
        }
        guard index == end else { return slowParse(bytes, start, end) }
        guard digitCount > 0 else { return nil }
        guard let value = exact(mantissa, digits: digitCount, fractionDigits: fractionDigits) else { return slowParse(bytes, start, end) }
        return negative ? -value : value
    }

    /// `mantissa / 10^fractionDigits` rounded once (Clinger's fast path), or nil when it would round
    /// twice: 19 digits always fit a UInt64, and past 2^53 or 10^22 the operands are not exact.
    @inline(__always)
    static func exact(_ mantissa: UInt64, digits: Int, fractionDigits: Int) -> Double? {
        guard digits <= 19, mantissa < (1 << 53), fractionDigits <= 22 else { return nil }
        return Double(mantissa) / powersOfTen[fractionDigits]
    }

    /// The standard library's parser, on decimal text only: it reads a C string, so a NUL would end
    /// the number early (`1.5\0garbage` read as 1.5), and it takes hexadecimal (`0x1p3`). A field is
    /// all number or it is not one.
    static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        for index in start..<end where !allowedInSlowPath(bytes[index]) { return nil }
        return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }

    /// Digits, sign, point, exponent, and the letters of `nan`, `inf` and `infinity` in either case.
    private static func allowedInSlowPath(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): "eEnNaAiIfFtTyY".utf8.contains(byte)
        default: false
        }
    }

    /// Convenience for tests and small inputs.
    package static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse($0, 0, $0.count) }
    }
}
