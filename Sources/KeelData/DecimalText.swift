/// A double as a decimal string in plain notation: the shortest digits that read back as the same
/// double (Swift's own), with the exponent written out (`1e-08` → `0.00000001`). A decimal with
/// up to 15 significant digits that went in as text comes out as the same text, trailing zeros
/// aside (`0.10` → `0.1`).
package enum DecimalText {
    package static func string(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity" }
        let text = "\(value)"
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return trimmed(text) }
        let exponent = Int(text[text.index(after: e)...]) ?? 0
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        let digits = whole + fraction
        let point = whole.count + exponent
        let plain: String
        if point <= 0 {
            plain = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            plain = digits + String(repeating: "0", count: point - digits.count)
        } else {
            plain = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        return (negative ? "-" : "") + trimmed(plain)
    }

    /// Without a fraction of zeros (`2.0` → `2`, `0.50` → `0.5`). By bytes: Foundation's
    /// `contains` and `hasSuffix` go through a locale-aware search, and the paper broker converts
    /// every price of every bar here.
    private static func trimmed(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: ".")) else { return text }
        var out = Substring(text)
        while out.utf8.last == UInt8(ascii: "0") { out.removeLast() }
        if out.utf8.last == UInt8(ascii: ".") { out.removeLast() }
        return out == "-0" ? "0" : String(out)
    }
}
