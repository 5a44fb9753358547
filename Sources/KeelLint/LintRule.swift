import KeelLanguage

/// What a rule is, for `keel rules`, the docs, SARIF, and the tests that run its examples. A rule
/// of an embedder's own describes itself the same way (`Linter(rules:)` is the extension point).
public struct RuleDescription: Sendable {
    public let id: String
    public let name: String
    public let severity: Severity
    public let rationale: String
    /// Strategy files on which the rule must fire, at each `↓`.
    public let triggering: [LintExample]
    /// Strategy files on which it must not fire (and that have no errors).
    public let nonTriggering: [LintExample]

    public init(id: String, name: String, severity: Severity, rationale: String, triggering: [LintExample],
                nonTriggering: [LintExample]) {
        (self.id, self.name, self.severity, self.rationale) = (id, name, severity, rationale)
        (self.triggering, self.nonTriggering) = (triggering, nonTriggering)
    }
}

/// A rule's example: a strategy file written after the two keys every example shares
/// (`keel: 1`, `name: Example`), with `↓` before each place the rule reports, as a multi-line
/// literal. The tests hold the rule to exactly those places; `keel rules explain` shows them.
public struct LintExample: Sendable {
    /// The whole file, markers removed, ending with a newline.
    public let text: String
    /// Where the rule reports: the byte offsets in `text` of the markers, in order.
    public let markers: [Int]

    public init(_ body: String) { self.init(wholeFile: exampleHeader + body) }

    /// The file with its markers, as the docs show it.
    public var marked: String {
        var bytes = Array(text.utf8)
        for offset in markers.reversed() { bytes.insert(contentsOf: Array("↓".utf8), at: offset) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An example that writes its first two keys itself (the rule reports on one of them).
    public init(wholeFile: String) {
        var text = "", markers: [Int] = []
        for character in wholeFile {
            if character == "↓" { markers.append(text.utf8.count) } else { text.append(character) }
        }
        if !text.hasSuffix("\n") { text.append("\n") }
        (self.text, self.markers) = (text, markers)
    }
}

/// One problem a rule found; the linter turns it into a `Diagnostic` with the rule's id and the
/// configured severity.
public struct LintFinding: Sendable {
    public var message: String
    public var range: SourceRange
    public var notes: [DiagnosticNote]
    public var fixIts: [FixIt]
    /// Overrides the rule's default severity (the profile decides for `stop-required`).
    public var severity: Severity?

    public init(_ message: String, at range: SourceRange, notes: [DiagnosticNote] = [], fixIts: [FixIt] = [],
                severity: Severity? = nil) {
        self.message = message
        self.range = range
        self.notes = notes
        self.fixIts = fixIts
        self.severity = severity
    }
}

/// A lint rule: a small type that looks at a checked strategy.
public protocol LintRule: Sendable {
    var description: RuleDescription { get }
    func check(_ strategy: CheckedStrategy) -> [LintFinding]
}

extension LintRule {
    public var id: String { description.id }
}

/// The start of every rule example: the two keys every strategy needs.
let exampleHeader = "keel: 1\nname: Example\n"

extension CheckedStrategy {
    var file: SourceFile { parsed.file }

    /// The range of a top-level key, or the start of the file.
    func keyRange(_ key: String) -> SourceRange { parsed.keys[key] ?? .at(0) }

    func text(of expr: Expr) -> String { ExpressionPrinter.print(expr) }

    /// Every expression of the strategy with its role.
    var expressions: [(role: ExpressionRole, expr: Expr)] { parsed.expressions }

    /// Visits every node of every entry, exit and let expression.
    func forEachRuleNode(_ visit: (Expr) -> Void) {
        for (_, root) in ruleExpressions { root.walk(visit) }
    }

    var ruleExpressions: [(role: ExpressionRole, expr: Expr)] {
        expressions.filter {
            switch $0.role {
            case .entry, .exit, .letBinding: true
            default: false
            }
        }
    }
}
