import KeelData
import KeelLanguage

/// The JSON contract: one object, `{"files", "errors", "warnings", "diagnostics": [...]}`.
enum JSONReporter {
    static func render(_ reports: [Linter.Report]) -> String {
        let diagnostics: [JSON.Value] = reports.placed.map { place in
            .object([
                ("file", .string(place.file.path)), ("line", .int(place.start.line)), ("column", .int(place.start.column)),
                ("end_line", .int(place.end.line)), ("end_column", .int(place.end.column)),
                ("severity", .string(place.diagnostic.severity.rawValue)), ("id", .string(place.diagnostic.id)),
                ("message", .string(place.diagnostic.message)),
            ])
        }
        return JSON.encode(.object([
            ("files", .int(reports.count)), ("errors", .int(reports.total(.error))),
            ("warnings", .int(reports.total(.warning))), ("diagnostics", .array(diagnostics)),
        ])) + "\n"
    }
}

/// GitHub Actions workflow commands: `::error file=...,line=...,col=...::message`.
enum GitHubReporter {
    /// GitHub shows at most this many annotations of each kind per step; the rest are only in the log.
    static let shownPerKind = 10

    static func render(_ reports: [Linter.Report]) -> String {
        var output = ""
        for place in reports.placed {
            let command = place.diagnostic.severity == .note ? "notice" : place.diagnostic.severity.rawValue
            let properties = [
                "file=\(escapeProperty(place.file.path))", "line=\(place.start.line)", "col=\(place.start.column)",
                "endLine=\(place.end.line)", "endColumn=\(place.end.column)",
                "title=\(escapeProperty("keel \(place.diagnostic.id)"))",
            ]
            output += "::\(command) \(properties.joined(separator: ","))::\(escapeData(place.diagnostic.message))\n"
        }
        // A plain line, not a command: it is not an annotation, so it is never among those cut off.
        let counts = [Severity.error, .warning, .note].map { (reports.total($0), $0) }
        let listed = counts.map { "\($0.0) \($0.1.rawValue)\($0.0 == 1 ? "" : "s")" }.joined(separator: ", ")
        var summary = "keel lint: \(listed) in \(reports.count) file\(reports.count == 1 ? "" : "s")"
        if counts.contains(where: { $0.0 > shownPerKind }) {
            summary += " (GitHub shows \(shownPerKind) annotations of each kind per step: every finding is listed above)"
        }
        return output + summary + "\n"
    }

    /// Walks Unicode scalars, not `Character`s: "\r\n" is one `Character` and would pass unescaped.
    static func escapeData(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": result += "%25"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func escapeProperty(_ text: String) -> String {
        var result = ""
        for scalar in escapeData(text).unicodeScalars {
            switch scalar {
            case ":": result += "%3A"
            case ",": result += "%2C"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
