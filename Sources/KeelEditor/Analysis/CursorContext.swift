import KeelLanguage

/// Where the cursor is in a strategy file, read from the lines themselves (a half-typed file does
/// not parse as YAML): the keys above it by indentation, whether it stands where a key or a value
/// goes (also inside a flow mapping such as `{long: ...}`), and the word it ends.
struct CursorContext {
    enum Place: Equatable {
        /// Where a key goes, in the mapping at `path`.
        case key
        /// In the value of the key `path.last`.
        case value
    }

    var place: Place
    /// For a key: the mapping's keys from the top; for a value: those and the value's own key.
    var path: [String]
    /// The value's text up to the cursor (for a value).
    var valuePrefix: String
    /// The identifier characters just before the cursor.
    var word: String

    init(file: SourceFile, offset: Int) {
        let line = file.lineIndex(ofOffset: offset)
        let start = file.lineStarts[line]
        let before = String(decoding: file.bytes[start..<max(start, min(offset, file.bytes.count))], as: UTF8.self)
        word = String(before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
        let (indent, content) = Self.split(before)
        var parents = Self.parents(above: line, indent: indent, in: file)
        valuePrefix = ""
        // A continuation line of a block scalar (`long: |`), or of a value that went on: a value.
        if let last = parents.last, last.blockValue || !Self.isKeyStart(content) && !content.contains(":") && !content.isEmpty && content != word {
            (place, path, valuePrefix) = (.value, parents.map(\.name), content)
            return
        }
        parents = parents.filter { !$0.blockValue }
        guard let colon = Self.keyColon(content) else {
            (place, path) = (.key, parents.map(\.name))
            return
        }
        let key = String(content[content.startIndex..<colon]).trimmingCharacters(in: .whitespaces)
        let rest = String(content[content.index(after: colon)...])
        let path = parents.map(\.name) + [key]
        // Inside `{...}`: the innermost open mapping's last entry decides.
        if let flow = Self.flowEntry(rest) {
            if let inner = flow.key {
                (place, self.path, valuePrefix) = (.value, path + flow.outer + [inner], flow.text)
            } else {
                (place, self.path) = (.key, path + flow.outer)
            }
            return
        }
        (place, self.path, valuePrefix) = (.value, path, rest.trimmingCharacters(in: .whitespaces))
    }

    /// Indentation (a list item's `- ` counted in) and what follows it.
    static func split(_ line: String) -> (indent: Int, content: String) {
        var indent = 0
        var rest = Substring(line)
        while let first = rest.first, first == " " || first == "-" && rest.dropFirst().first.map({ $0 == " " }) ?? true {
            indent += 1
            rest = rest.dropFirst()
        }
        return (indent, String(rest))
    }

    static func isKeyStart(_ text: String) -> Bool { text.first.map { $0.isLetter || $0 == "_" } ?? true }

    /// The ':' that ends a block key at the line's start (`key:` then a space or the end).
    static func keyColon(_ content: String) -> String.Index? {
        guard isKeyStart(content), let colon = content.firstIndex(of: ":") else { return nil }
        let key = content[content.startIndex..<colon]
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == " " }) else { return nil }
        let after = content.index(after: colon)
        return after == content.endIndex || content[after] == " " ? colon : nil
    }

    /// A key above the line: its name, and whether its value is a block scalar (`|`, `>`).
    struct Parent {
        let name: String
        let blockValue: Bool
    }

    /// The keys of the mappings the line at `indent` sits in, from the top.
    static func parents(above line: Int, indent: Int, in file: SourceFile) -> [Parent] {
        var parents: [Parent] = []
        var limit = indent
        var index = line - 1
        while index >= 0, limit > 0 {
            let text = file.lineText(index + 1)
            index -= 1
            let (own, content) = split(text)
            guard !content.isEmpty, !content.hasPrefix("#"), own < limit, let colon = keyColon(content) else { continue }
            let value = content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let block = value.hasPrefix("|") || value.hasPrefix(">")
            parents.insert(Parent(name: String(content[content.startIndex..<colon]).trimmingCharacters(in: .whitespaces), blockValue: block), at: 0)
            limit = own
        }
        return parents
    }

    /// In a value that opens `{`: the open mappings' keys outside the innermost, that mapping's
    /// entry being written (its key, when it has one, and its value's text so far).
    static func flowEntry(_ value: String) -> (outer: [String], key: String?, text: String)? {
        var stack: [(keys: [String], entry: String)] = []
        var depth = 0
        var quote: Character?
        for character in value {
            if let open = quote {
                if character == open { quote = nil }
                if !stack.isEmpty { stack[stack.count - 1].entry.append(character) }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "{":
                let key = stack.last.flatMap { entryKey($0.entry) }
                stack.append((keys: (stack.last?.keys ?? []) + (key.map { [$0] } ?? []), entry: ""))
                depth = 0
                continue
            case "}":
                _ = stack.popLast()
                continue
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            case "," where depth <= 0:
                if !stack.isEmpty { stack[stack.count - 1].entry = "" }
                continue
            default: break
            }
            if !stack.isEmpty { stack[stack.count - 1].entry.append(character) }
        }
        guard let innermost = stack.last else { return nil }
        if let key = entryKey(innermost.entry), let colon = innermost.entry.firstIndex(of: ":") {
            return (innermost.keys, key, innermost.entry[innermost.entry.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (innermost.keys, nil, innermost.entry.trimmingCharacters(in: .whitespaces))
    }

    /// The key of a flow entry `key: value` (nil while only a key is being written).
    static func entryKey(_ entry: String) -> String? {
        let trimmed = entry.drop { $0 == " " }
        guard let colon = trimmed.firstIndex(of: ":") else { return nil }
        let key = trimmed[trimmed.startIndex..<colon]
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return String(key)
    }
}
