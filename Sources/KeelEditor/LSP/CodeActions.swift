import KeelData
import KeelLanguage

extension LanguageServer {
    /// Code actions: each fix a diagnostic in the range carries (a did-you-mean, the stop-loss the
    /// profile requires, a YAML 1.1 word quoted), and quoting an expression inside `{...}` that
    /// strict YAML tools would split at its ',' or ': ' (a labelled argument).
    func codeActions(_ document: EditorDocument, _ params: [String: Any]) -> [[String: Any]] {
        let file = document.file
        let range = params["range"] as? [String: Any]
        let start = encoding.offset(range?["start"], in: file) ?? 0
        let end = encoding.offset(range?["end"], in: file) ?? file.bytes.count
        let made = analysis(document)
        var actions: [[String: Any]] = []
        func edit(_ fixes: [FixIt]) -> [String: Any] {
            ["changes": [document.uri: fixes.map { ["range": encoding.lspRange($0.range, in: file), "newText": $0.replacement] }]]
        }
        for diagnostic in made.report.diagnostics where !diagnostic.fixIts.isEmpty && diagnostic.range.start <= end && start <= diagnostic.range.end {
            let fix = diagnostic.fixIts[0]
            let original = String(decoding: file.bytes[fix.range.start..<min(fix.range.end, file.bytes.count)], as: UTF8.self)
            let title = fix.range.start == fix.range.end ? "Add '\(fix.replacement.trimmingCharacters(in: .newlines))'"
                : fix.replacement.hasPrefix("\"") && fix.replacement.count > original.count + 1 && !original.hasPrefix("\"") ? "Quote this value"
                : "Replace with '\(fix.replacement)'"
            actions.append(["title": title, "kind": "quickfix", "isPreferred": true, "diagnostics": [lspDiagnostic(diagnostic, in: document)],
                            "edit": edit([fix])])
        }
        for expression in made.unquotedFlowExpressions where expression.start <= end && start <= expression.end {
            let written = String(decoding: file.bytes[expression.start..<expression.end], as: UTF8.self)
            actions.append(["title": "Quote this expression (strict YAML tools split it at ',' or ': ')", "kind": "refactor.rewrite",
                            "edit": edit([FixIt(range: expression, replacement: JSON.quote(written))])])
        }
        return actions
    }
}
