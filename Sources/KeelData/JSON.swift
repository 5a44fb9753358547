/// A tiny JSON writer: deterministic key order, correct escaping, no Foundation.
public enum JSON {
    public indirect enum Value: Sendable {
        case string(String), int(Int), bool(Bool), null
        /// A double in Swift's shortest round-tripping form; NaN and infinities become null.
        case number(Double)
        case array([Value])
        case object([(String, Value)])
    }

    public static func encode(_ value: Value, indent: Int = 0, pretty: Bool = true) -> String {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch value {
        case .string(let text): return quote(text)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            let body = items.map { pad + encode($0, indent: indent + 1, pretty: pretty) }.joined(separator: "," + newline)
            return "[" + newline + body + newline + close + "]"
        case .object(let pairs):
            guard !pairs.isEmpty else { return "{}" }
            let separator = pretty ? ": " : ":"
            let body = pairs.map { pad + quote($0.0) + separator + encode($0.1, indent: indent + 1, pretty: pretty) }
                .joined(separator: "," + newline)
            return "{" + newline + body + newline + close + "}"
        }
    }

    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
