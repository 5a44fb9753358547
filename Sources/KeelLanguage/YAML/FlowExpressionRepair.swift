/// Reads expressions inside `{...}` and `[...]` the way an author means them.
///
/// YAML ends a plain value at the first ',' inside a flow collection, so
/// `entry: {long: crosses_above(sma(close, 10), sma(close, 30))}` would become the value
/// `crosses_above(sma(close` and three stray keys. When a plain value there opens more parentheses
/// or brackets than it closes, Keel reads it again from the source, up to the ',' or closing
/// bracket at depth 0, and drops the fragments YAML made of the rest. Strict YAML tools still split
/// such a value: quote it if other tools must read the file too.
enum FlowExpressionRepair {
    static func pairs(_ pairs: [YAMLPair], in file: SourceFile) -> [YAMLPair] {
        var result: [YAMLPair] = []
        var swallowedUntil = -1
        for pair in pairs {
            if pair.key.range.start < swallowedUntil { continue }
            guard let repaired = repair(pair.value, in: file) else {
                result.append(pair)
                continue
            }
            result.append(YAMLPair(key: pair.key, value: repaired))
            swallowedUntil = repaired.range.end
        }
        return result
    }

    static func items(_ items: [YAMLNode], in file: SourceFile) -> [YAMLNode] {
        var result: [YAMLNode] = []
        var swallowedUntil = -1
        for item in items {
            if item.range.start < swallowedUntil { continue }
            guard let repaired = repair(item, in: file) else {
                result.append(item)
                continue
            }
            result.append(repaired)
            swallowedUntil = repaired.range.end
        }
        return result
    }

    /// The value re-read from the source, or nil when it needs no repair.
    private static func repair(_ node: YAMLNode, in file: SourceFile) -> YAMLNode? {
        guard let scalar = node.scalar, scalar.style == .plain, isUnbalanced(scalar.value) else { return nil }
        let bytes = file.bytes
        var depth = 0
        var quote: UInt8?
        var end = node.range.start
        scan: while end < bytes.count {
            let byte = bytes[end]
            if let open = quote {
                if byte == open { quote = nil }
            } else {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
                case UInt8(ascii: "("), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                case UInt8(ascii: ","), UInt8(ascii: "}"):
                    if depth == 0 { break scan }
                case UInt8(ascii: "#") where end > 0 && (bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\n")):
                    break scan
                default: break
                }
            }
            end += 1
        }
        while end > node.range.start, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[end - 1]) {
            end -= 1
        }
        guard depth == 0, end > node.range.end else { return nil }
        var repaired = scalar
        repaired.value = String(decoding: bytes[node.range.start..<end], as: UTF8.self)
        return YAMLNode(.scalar(repaired), range: SourceRange(node.range.start, end))
    }

    private static func isUnbalanced(_ text: String) -> Bool {
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            default: break
            }
        }
        return depth > 0
    }
}
