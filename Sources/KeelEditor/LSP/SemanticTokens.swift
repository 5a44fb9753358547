import KeelLanguage

extension LanguageServer {
    /// Semantic tokens for the expressions inside the YAML scalars (the editor's YAML grammar
    /// colours the rest): relative positions, five numbers a token, in the legend's order.
    func semanticTokens(_ document: EditorDocument) -> [String: Any] {
        let file = document.file
        var data: [Int] = []
        var (lastLine, lastStart) = (0, 0)
        for token in analysis(document).tokens {
            let (line, start) = encoding.position(ofOffset: token.range.start, in: file)
            let (endLine, end) = encoding.position(ofOffset: token.range.end, in: file)
            guard endLine == line, end > start else { continue }
            var modifiers = 0
            if token.role == .function || token.role == .variable || token.role == .namespace { modifiers |= 2 }
            data += [line - lastLine, line == lastLine ? start - lastStart : start, end - start, token.role.rawValue, modifiers]
            (lastLine, lastStart) = (line, start)
        }
        return ["data": data]
    }
}
