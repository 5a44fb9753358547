/// How bad a finding is. Ordered: a note is below a warning, which is below an error.
public enum Severity: String, Sendable, Comparable, CaseIterable, Codable {
    case note, warning, error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// A suggested edit: replace `range` with `replacement`.
public struct FixIt: Sendable, Hashable {
    public let range: SourceRange
    public let replacement: String

    public init(range: SourceRange, replacement: String) {
        self.range = range
        self.replacement = replacement
    }
}

/// A secondary message pointing at another place, such as the first of two duplicate keys.
public struct DiagnosticNote: Sendable, Hashable {
    public let message: String
    public let range: SourceRange?

    public init(_ message: String, at range: SourceRange? = nil) {
        self.message = message
        self.range = range
    }
}

/// One message of a phase's catalogue: its id, severity and text. Each phase writes all of its
/// messages in one file, as static members (`YAMLMessages.swift`, `ReaderMessages.swift`,
/// `ExpressionMessages.swift`, `SettingsMessages.swift`, `LintMessages.swift`); the code that finds
/// a problem names the message and where it is, never its text.
public struct DiagnosticMessage: Sendable, Hashable {
    public let id: String
    public let severity: Severity
    public let text: String

    package init(_ id: String, _ text: String, severity: Severity = .error) {
        (self.id, self.severity, self.text) = (id, severity, text)
    }
}

/// One finding about a strategy file: a value, never an exception.
///
/// `id` is stable (`unknown-function`, `stop-required`) so that tools, suppressions and
/// `.keel-lint.yaml` can name it.
public struct Diagnostic: Sendable, Hashable {
    public var id: String
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    public var notes: [DiagnosticNote]
    public var fixIts: [FixIt]

    public init(
        id: String, severity: Severity, message: String, range: SourceRange,
        notes: [DiagnosticNote] = [], fixIts: [FixIt] = []
    ) {
        self.id = id
        self.severity = severity
        self.message = message
        self.range = range
        self.notes = notes
        self.fixIts = fixIts
    }

    /// A message of a catalogue, found at `range`.
    public static func report(_ message: DiagnosticMessage, at range: SourceRange, notes: [DiagnosticNote] = [],
                              fixIts: [FixIt] = []) -> Diagnostic {
        Diagnostic(id: message.id, severity: message.severity, message: message.text, range: range, notes: notes, fixIts: fixIts)
    }
}

/// Collects diagnostics from one phase. Phases never stop at the first problem.
public struct DiagnosticBag: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func add(_ diagnostic: Diagnostic) { items.append(diagnostic) }
    public mutating func add(contentsOf other: [Diagnostic]) { items.append(contentsOf: other) }

    /// A message of a catalogue, found at `range`.
    public mutating func add(_ message: DiagnosticMessage, at range: SourceRange, notes: [DiagnosticNote] = [], fixIts: [FixIt] = []) {
        add(.report(message, at: range, notes: notes, fixIts: fixIts))
    }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
}

extension Array where Element == Diagnostic {
    /// By position, then severity (errors first), then id: the order users read.
    public func sortedForDisplay() -> [Diagnostic] {
        sorted {
            if $0.range.start != $1.range.start { return $0.range.start < $1.range.start }
            if $0.severity != $1.severity { return $0.severity > $1.severity }
            return $0.id < $1.id
        }
    }
}
