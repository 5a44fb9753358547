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

/// SARIF 2.1.0, which GitHub code scanning shows inline on pull requests.
enum SARIFReporter {
    static func render(_ reports: [Linter.Report]) -> String {
        let rules: [JSON.Value] = RuleRegistry.all.map { rule in
            let description = rule.description
            return .object([
                ("id", .string(description.id)), ("name", .string(description.name)),
                ("shortDescription", .object([("text", .string(description.name))])),
                ("fullDescription", .object([("text", .string(description.rationale))])),
                ("defaultConfiguration", .object([("level", .string(description.severity.rawValue))])),
            ])
        }
        let results: [JSON.Value] = reports.placed.map { place in
            .object([
                ("ruleId", .string(place.diagnostic.id)), ("level", .string(place.diagnostic.severity.rawValue)),
                ("message", .object([("text", .string(place.diagnostic.message))])),
                ("locations", .array([.object([("physicalLocation", .object([
                    ("artifactLocation", .object([("uri", .string(place.file.path))])),
                    ("region", region(place)),
                ]))])])),
            ])
        }
        return JSON.encode(.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")), ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("keel")), ("rules", .array(rules)),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])) + "\n"
    }
}

extension SARIFReporter {
    /// SARIF counts columns in code points (`columnKind`), not in the characters the other formats use.
    static func region(_ place: Placed) -> JSON.Value {
        let range = place.diagnostic.range
        let startColumn = place.file.scalarColumn(ofOffset: range.start)
        let endColumn = place.file.scalarColumn(ofOffset: range.end)
        return .object([
            ("startLine", .int(place.start.line)), ("startColumn", .int(startColumn)),
            ("endLine", .int(place.end.line)),
            ("endColumn", .int(place.end.line == place.start.line ? max(endColumn, startColumn + 1) : endColumn)),
        ])
    }
}

/// GitHub Actions workflow commands: `::error file=...,line=...,col=...::message`.
enum GitHubReporter {
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
        return output
    }

    static func escapeData(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "%": result += "%25"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.append(character)
            }
        }
        return result
    }

    static func escapeProperty(_ text: String) -> String {
        var result = ""
        for character in escapeData(text) {
            switch character {
            case ":": result += "%3A"
            case ",": result += "%2C"
            default: result.append(character)
            }
        }
        return result
    }
}
