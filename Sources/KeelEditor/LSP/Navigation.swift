import KeelLanguage

extension LanguageServer {
    /// The `let` or param at the cursor: its declaration, where the cursor is on a use of it or on
    /// its declaring key.
    private func declared(_ document: EditorDocument, _ offset: Int) -> DocumentAnalysis.Declaration? {
        let made = analysis(document)
        if let token = made.token(at: offset), token.role == .parameter || token.role == .letName, let name = token.name {
            return made.declarations[name]
        }
        return made.declarations.values.first { $0.keyRange.start <= offset && offset <= $0.keyRange.end }
    }

    func definition(_ document: EditorDocument, _ offset: Int) -> Any? {
        declared(document, offset).map { location($0.keyRange, in: document) }
    }

    func references(_ document: EditorDocument, _ offset: Int, includeDeclaration: Bool) -> Any? {
        guard let declaration = declared(document, offset) else { return [] }
        let uses = analysis(document).uses(of: declaration.name)
        return ((includeDeclaration ? [declaration.keyRange] : []) + uses).map { location($0, in: document) }
    }

    func prepareRename(_ document: EditorDocument, _ offset: Int) -> Any? {
        guard let declaration = declared(document, offset) else { return nil }
        let range = analysis(document).token(at: offset)?.range ?? declaration.keyRange
        return ["range": encoding.lspRange(range, in: document.file), "placeholder": declaration.name]
    }

    /// Renames a `let` or param: its key and every use, in one edit.
    func rename(_ document: EditorDocument, _ offset: Int, to name: String) throws -> Any? {
        guard let declaration = declared(document, offset) else {
            throw RequestFailure.invalid("only a let or a param can be renamed here")
        }
        let made = analysis(document)
        guard let first = name.first, first.isLetter || first == "_", name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw RequestFailure.invalid("'\(name)' is not a name: letters, digits and _, not starting with a digit")
        }
        guard BuiltinTable.named(name) == nil, !["and", "or", "not", "if", "then", "else", "true", "false"].contains(name) else {
            throw RequestFailure.invalid("'\(name)' is a built-in name of the language")
        }
        if name != declaration.name, made.declarations[name] != nil { throw RequestFailure.invalid("'\(name)' is already declared") }
        let edits = ([declaration.keyRange] + made.uses(of: declaration.name)).map { ["range": encoding.lspRange($0, in: document.file), "newText": name] }
        return ["changes": [document.uri: edits]]
    }
}
