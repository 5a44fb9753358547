import KeelLanguage

/// How `keel lint` prints its findings.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, github
}

public enum Reporter {
    public static func render(_ reports: [Linter.Report], format: ReportFormat) -> String {
        switch format {
        case .text: TextReporter.render(reports)
        case .json: JSONReporter.render(reports)
        case .sarif: SARIFReporter.render(reports)
        case .github: GitHubReporter.render(reports)
        }
    }
}

/// A diagnostic located for printing: 1-based line and column of its start and end.
struct Placed {
    let file: SourceFile
    let diagnostic: Diagnostic
    let start: SourceLocation
    let end: SourceLocation

    init(_ diagnostic: Diagnostic, in file: SourceFile) {
        self.file = file
        self.diagnostic = diagnostic
        self.start = file.location(ofOffset: diagnostic.range.start)
        self.end = file.location(ofOffset: diagnostic.range.end)
    }
}

extension Array where Element == Linter.Report {
    func total(_ severity: Severity) -> Int { reduce(0) { $0 + $1.count(severity) } }

    var placed: [Placed] { flatMap { report in report.diagnostics.map { Placed($0, in: report.file) } } }
}

/// A tiny JSON writer: deterministic key order, correct escaping, no Foundation.
struct JSON {
    indirect enum Value {
        case string(String), int(Int), bool(Bool)
        case array([Value])
        case object([(String, Value)])
    }

    static func encode(_ value: Value, indent: Int = 0, pretty: Bool = true) -> String {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch value {
        case .string(let text): return quote(text)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
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

    static func quote(_ text: String) -> String {
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
