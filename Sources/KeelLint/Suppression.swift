import KeelLanguage

/// A `# keel-lint:` comment that silences rules, with its scope and required reason.
///
///     stop_loss: 5      # keel-lint: disable-line percent-expected -- a price level on purpose
///     # keel-lint: disable-next-line zero-fees -- fee-free venue
///     # keel-lint: disable-file risk-limit-off -- conformance fixture
public struct Suppression: Sendable {
    public enum Scope: Sendable, Equatable {
        /// 0-based line numbers.
        case line(Int)
        case file
    }

    public var ruleIDs: [String]
    public var scope: Scope
    public var reason: String
    /// The comment's range, where "unused suppression" is reported.
    public var range: SourceRange

    func covers(_ diagnostic: Diagnostic, in file: SourceFile) -> Bool {
        guard ruleIDs.contains(diagnostic.id) else { return false }
        switch scope {
        case .file: return true
        case .line(let line): return file.lineIndex(ofOffset: diagnostic.range.start) == line
        }
    }

    static let marker = "keel-lint:"

    /// Finds suppression comments; malformed ones become diagnostics.
    static func scan(_ file: SourceFile, knownRules: Set<String>) -> ([Suppression], [Diagnostic]) {
        var suppressions: [Suppression] = []
        var problems: [Diagnostic] = []
        for line in 0..<file.lineCount {
            let text = file.lineText(line + 1)
            guard let hash = commentStart(text), let markerRange = text[hash...].range(of: marker) else { continue }
            let lineStart = file.lineStarts[line]
            let offset = lineStart + text[..<hash].utf8.count
            let range = SourceRange(offset, lineStart + text.utf8.count)
            let body = text[markerRange.upperBound...].trimmingSpaces()
            let (command, rest) = body.splitFirstWord()
            let scope: Scope
            switch command {
            case "disable-line": scope = .line(line)
            case "disable-next-line": scope = .line(line + 1)
            case "disable-file": scope = .file
            default:
                problems.append(.report(.unknownSuppression(command), at: range))
                continue
            }
            let parts = rest.components(separatedBy: "--")
            let ids = parts[0].split { $0 == "," || $0 == " " }.map(String.init)
            let reason = parts.count > 1 ? parts.dropFirst().joined(separator: "--").trimmingSpaces() : ""
            guard !ids.isEmpty else {
                problems.append(.report(.suppressionWithoutRule(command), at: range))
                continue
            }
            guard !reason.isEmpty else {
                problems.append(.report(.suppressionWithoutReason(command, rules: ids), at: range))
                continue
            }
            for id in ids where !knownRules.contains(id) {
                problems.append(.report(.unknownRule(id, severity: .warning), at: range))
            }
            suppressions.append(Suppression(ruleIDs: ids.filter(knownRules.contains), scope: scope, reason: reason, range: range))
        }
        return (suppressions, problems)
    }

    /// Index of a `#` that starts a YAML comment (at the line start or after a space, outside quotes).
    private static func commentStart(_ text: String) -> String.Index? {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return index
            }
            previous = character
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }

    func splitFirstWord() -> (String, String) {
        let trimmed = trimmingSpaces()
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, "") }
        return (String(trimmed[..<space]), String(trimmed[space...]).trimmingSpaces())
    }

    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}
