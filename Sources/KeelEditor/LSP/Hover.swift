import KeelLanguage

extension LanguageServer {
    /// Hover: a key's meaning and the words it takes; a built-in's signature, doc, warm-up and
    /// example; a member's doc; a `let`'s or param's definition; a profile's limits.
    func hover(_ document: EditorDocument, _ offset: Int) -> Any? {
        let file = document.file
        guard let (word, range) = Self.word(at: offset, in: file) else { return nil }
        let context = CursorContext(file: file, offset: range.end)
        let declared = declarations(document)[word]
        let declaring = context.place == .key && (context.path == ["let"] || context.path == ["params"])
        var text: String?
        if let declared, declaring || context.place == .value && !Self.followedByColon(range, in: file) && !Self.afterDot(range, in: file) {
            let type = analysis(document).report.checked.flatMap { Self.type(of: declared, in: $0) }.map { " (\($0))" } ?? ""
            text = "**\(declared.kind.rawValue) \(word)**\(type)\n\n```\n\(word): \(declared.valueText)\n```"
        } else if context.place == .key {
            text = schema.documentation(at: context.path + [word]).map { "**\(word)**\n\n\($0)" }
        } else if Self.afterDot(range, in: file) {
            if let owner = Self.owner(beforeDot: range.start - 1, in: file, declarations: declarations(document)),
               let output = owner.outputs.first(where: { $0.name == word }) {
                text = "`\(owner.name)\(owner.form == .namespace ? "" : "(...)").\(word)`: \(output.doc)"
            }
        } else if let builtin = BuiltinTable.named(word) {
            text = "```\n\(builtin.signature)\n```\n\n" + LanguageReference.entry(builtin)
        } else if context.path == ["profile"], let name = ProfileName(rawValue: word) {
            text = Self.profileText(RiskProfile.named(name))
        } else if let doc = schema.documentation(at: context.path) {
            text = "**\(context.path.joined(separator: "."))**\n\n\(doc)"
        }
        guard let text else { return nil }
        return ["contents": ["kind": "markdown", "value": text], "range": encoding.lspRange(range, in: file)]
    }

    /// The identifier under (or just before) the cursor, and where it is.
    static func word(at offset: Int, in file: SourceFile) -> (String, SourceRange)? {
        func isWord(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "_") || byte >= 0x30 && byte <= 0x39 || (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
        let bytes = file.bytes
        var start = min(max(0, offset), bytes.count)
        var end = start
        while start > 0, isWord(bytes[start - 1]) { start -= 1 }
        while end < bytes.count, isWord(bytes[end]) { end += 1 }
        guard end > start else { return nil }
        return (String(decoding: bytes[start..<end], as: UTF8.self), SourceRange(start, end))
    }

    static func afterDot(_ range: SourceRange, in file: SourceFile) -> Bool {
        range.start > 0 && file.bytes[range.start - 1] == UInt8(ascii: ".")
    }

    static func followedByColon(_ range: SourceRange, in file: SourceFile) -> Bool {
        var at = range.end
        while at < file.bytes.count, file.bytes[at] == UInt8(ascii: " ") { at += 1 }
        return at < file.bytes.count && file.bytes[at] == UInt8(ascii: ":")
    }

    /// The built-in whose outputs a '.' at `dot` picks from: `macd(close).`, `position.`, or a
    /// `let` bound to such a call.
    static func owner(beforeDot dot: Int, in file: SourceFile, declarations: [String: DocumentAnalysis.Declaration]) -> Builtin? {
        let bytes = file.bytes
        var at = dot - 1
        while at >= 0, bytes[at] == UInt8(ascii: " ") { at -= 1 }
        guard at >= 0 else { return nil }
        if bytes[at] == UInt8(ascii: ")") {
            // Back to the matching '(' and the name before it.
            var depth = 0
            while at >= 0 {
                if bytes[at] == UInt8(ascii: ")") { depth += 1 }
                if bytes[at] == UInt8(ascii: "(") { depth -= 1; if depth == 0 { break } }
                if bytes[at] == UInt8(ascii: "\n") { return nil }
                at -= 1
            }
            guard at > 0, let (name, _) = word(at: at, in: file) else { return nil }
            return BuiltinTable.named(name)
        }
        guard let (name, _) = word(at: at + 1, in: file) else { return nil }
        if let builtin = BuiltinTable.named(name), builtin.form == .namespace { return builtin }
        // A let bound to a call of a built-in with outputs.
        guard let value = declarations[name]?.valueText else { return nil }
        let callee = value.drop { $0 == " " || $0 == "\"" || $0 == "'" }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return BuiltinTable.named(String(callee)).flatMap { $0.outputs.isEmpty ? nil : $0 }
    }

    /// A `let`'s or param's type as the checker found it.
    static func type(of declared: DocumentAnalysis.Declaration, in checked: CheckedStrategy) -> String? {
        let parsed = checked.parsed
        let expr = declared.kind == .let ? parsed.lets.first { $0.name == declared.name }?.expr : parsed.params.first { $0.name == declared.name }?.value
        return expr.flatMap { checked.info[$0.id]?.type.description }
    }

    static func profileText(_ profile: RiskProfile) -> String {
        var text = "**\(profile.name.rawValue)** profile: its defaults and hard limits (a `risk:` entry overrides one)\n\n"
        for limit in RiskLimit.allCases {
            guard let value = profile.value(of: limit) else { continue }
            let shown = limit.valueKind == .percent ? ExpressionPrinter.format(value * 100) + "%" : ExpressionPrinter.format(value)
            text += "- `\(limit.rawValue)`: \(shown) (\(limit.doc))\n"
        }
        text += "- short entries: \(profile.allowShort ? "allowed" : "not allowed")\n"
        text += "- stop-loss: " + (profile.stopLossRequired.map { "required (\($0.rawValue) without one)" } ?? "not required") + "\n"
        return text
    }
}
