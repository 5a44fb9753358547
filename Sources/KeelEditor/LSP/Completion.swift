import KeelLanguage

extension LanguageServer {
    /// Completion: the keys the mapping at the cursor takes; in a value, the words the key takes
    /// (a profile, `off`), or the expression language: series, indicators with snippets for their
    /// arguments, members after '.', params and `let`s, keywords, and units after a number.
    func completion(_ document: EditorDocument, _ offset: Int) -> Any? {
        let file = document.file
        let context = CursorContext(file: file, offset: offset)
        var items: [[String: Any]] = []
        switch context.place {
        case .key:
            for key in schema.keys(at: context.path) {
                items.append(["label": key.name, "kind": 10, "insertText": key.name + ": ", "documentation": ["kind": "markdown", "value": key.documentation]])
            }
        case .value:
            items = valueItems(document, context, offset: offset)
        }
        return ["isIncomplete": false, "items": items]
    }

    private func valueItems(_ document: EditorDocument, _ context: CursorContext, offset: Int) -> [[String: Any]] {
        let file = document.file
        let wordStart = offset - context.word.utf8.count
        let declared = declarations(document)
        // After '.': the members of what stands before it.
        if wordStart > 0, file.bytes[wordStart - 1] == UInt8(ascii: ".") {
            guard let owner = Self.owner(beforeDot: wordStart - 1, in: file, declarations: declared) else { return [] }
            return owner.outputs.map { ["label": $0.name, "kind": 5, "detail": $0.type.description, "documentation": $0.doc] }
        }
        // After a number: its units.
        if let first = context.word.first, first.isNumber {
            let number = context.word.prefix { $0.isNumber }
            return [("%", "percent: 5% is 0.05"), ("bps", "basis points: 2bps is 0.0002"), ("d", "days"), ("h", "hours"), ("m", "minutes"),
                    ("w", "weeks"), (" bars", "a count of bars")].map { unit, doc in
                ["label": "\(number)\(unit)", "kind": 11, "detail": doc, "filterText": "\(context.word)"]
            }
        }
        // Words the key takes (a profile, a fill timing, `off`), when it takes words.
        let words = schema.words(at: context.path)
        var items: [[String: Any]] = words.map { word in
            var item: [String: Any] = ["label": word, "kind": 20]
            if context.path == ["profile"], let name = ProfileName(rawValue: word) {
                item["documentation"] = ["kind": "markdown", "value": Self.profileText(RiskProfile.named(name))]
            }
            return item
        }
        if Self.textOnly(context.path) { return items }
        for builtin in BuiltinTable.all {
            var item: [String: Any] = ["label": builtin.name, "detail": builtin.signature,
                                       "documentation": ["kind": "markdown", "value": LanguageReference.entry(builtin)]]
            switch builtin.form {
            case .function:
                let required = builtin.parameters.prefix(builtin.requiredParameterCount)
                let arguments = required.enumerated().map { "${\($0.offset + 1):\($0.element.name)}" }.joined(separator: ", ")
                item["kind"] = 3
                item["insertText"] = "\(builtin.name)(\(arguments))"
                item["insertTextFormat"] = 2
            case .variable: item["kind"] = 6
            case .namespace: item["kind"] = 9
            }
            items.append(item)
        }
        for (name, declaration) in declared.sorted(by: { $0.key < $1.key }) {
            items.append(["label": name, "kind": declaration.kind == .param ? 21 : 6, "detail": "\(declaration.kind.rawValue): \(declaration.valueText)"])
        }
        for keyword in ["and", "or", "not", "if", "then", "else", "true", "false"] { items.append(["label": keyword, "kind": 14]) }
        return items
    }

    /// Keys whose values are text, a symbol list or a word, not expressions.
    static func textOnly(_ path: [String]) -> Bool {
        guard let first = path.first else { return true }
        return DocumentAnalysis.textKeys.contains(first) || path.last.map(DocumentAnalysis.wordKeys.contains) == true
    }
}
