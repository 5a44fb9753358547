import KeelLanguage

/// The human form: `file:line:column: severity[id]: message`, the source line, a caret under the range.
enum TextReporter {
    static func render(_ reports: [Linter.Report]) -> String {
        var output = ""
        for report in reports {
            for diagnostic in report.diagnostics {
                output += render(diagnostic, in: report.file)
            }
        }
        output += summary(reports)
        return output
    }

    static func render(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        let place = Placed(diagnostic, in: file)
        var output = "\(file.path):\(place.start): \(diagnostic.severity.rawValue)[\(diagnostic.id)]: \(diagnostic.message)\n"
        output += excerpt(file, start: place.start, end: place.end)
        for note in diagnostic.notes {
            if let range = note.range {
                let location = file.location(ofOffset: range.start)
                output += "\(file.path):\(location): note: \(note.message)\n"
                output += excerpt(file, start: location, end: file.location(ofOffset: range.end))
            } else {
                output += "  note: \(note.message)\n"
            }
        }
        for fix in diagnostic.fixIts where !fix.replacement.contains("\n") {
            output += "  fix: replace with '\(fix.replacement)'\n"
        }
        return output
    }

    /// The source line with a caret and tildes under the range (clipped to that line).
    static func excerpt(_ file: SourceFile, start: SourceLocation, end: SourceLocation) -> String {
        let line = file.lineText(start.line)
        guard !line.isEmpty || start.line <= file.lineCount else { return "" }
        let number = String(start.line)
        let gutter = String(repeating: " ", count: max(4 - number.count, 1))
        let lineLength = line.count
        let lastColumn = end.line == start.line ? max(end.column, start.column + 1) : lineLength + 1
        let width = max(1, min(lastColumn, lineLength + 1) - start.column)
        let indent = String(line.prefix(start.column - 1).map { $0 == "\t" ? "\t" : " " })
        let blank = String(repeating: " ", count: gutter.count + number.count)
        return "\(gutter)\(number) | \(line)\n\(blank) | \(indent)^\(String(repeating: "~", count: width - 1))\n"
    }

    static func summary(_ reports: [Linter.Report]) -> String {
        let errors = reports.total(.error), warnings = reports.total(.warning), notes = reports.total(.note)
        let files = reports.count == 1 ? "1 file" : "\(reports.count) files"
        func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }
        return "\(files) checked: \(plural(errors, "error")), \(plural(warnings, "warning")), \(plural(notes, "note"))\n"
    }
}
