import KeelLanguage

/// Runs the front end and every enabled lint rule over one file, then applies suppressions.
public struct Linter: Sendable {
    public var configuration: LintConfiguration
    public var profileOverride: ProfileName?
    public var rules: [any LintRule]

    public init(configuration: LintConfiguration = LintConfiguration(), profileOverride: ProfileName? = nil,
                rules: [any LintRule] = RuleRegistry.all) {
        self.configuration = configuration
        self.profileOverride = profileOverride
        self.rules = rules
    }

    public struct Report: Sendable {
        public var file: SourceFile
        /// Sorted by position.
        public var diagnostics: [Diagnostic]
        /// The checked strategy the rules judged; nil when the file is not a readable strategy.
        public var checked: CheckedStrategy?

        public init(file: SourceFile, diagnostics: [Diagnostic], checked: CheckedStrategy? = nil) {
            self.file = file
            self.diagnostics = diagnostics
            self.checked = checked
        }

        public func count(_ severity: Severity) -> Int { diagnostics.filter { $0.severity == severity }.count }
    }

    public func lint(_ file: SourceFile) -> Report {
        let front = Frontend.check(file, checker: Checker.Options(profileOverride: profileOverride))
        var diagnostics = front.diagnostics
        if let checked = front.checked, Self.isReadableStrategy(front.diagnostics) {
            for rule in rules where configuration.isEnabled(rule.id) {
                for finding in rule.check(checked) {
                    // A re-grade in .keel-lint.yaml wins over the rule's own choice, which wins over its default.
                    let severity = configuration.severity(for: rule.id) ?? finding.severity ?? rule.description.severity
                    diagnostics.append(Diagnostic(id: rule.id, severity: severity, message: finding.message, range: finding.range,
                                                  notes: finding.notes, fixIts: finding.fixIts))
                }
            }
        }
        diagnostics = applySuppressions(diagnostics, in: file)
        return Report(file: file, diagnostics: diagnostics.sortedForDisplay(), checked: front.checked)
    }

    /// Lint rules judge strategies, not broken YAML: they run when the file parsed as YAML and has
    /// the keys every strategy needs. Expression errors do not stop them.
    static func isReadableStrategy(_ diagnostics: [Diagnostic]) -> Bool {
        let structural: Set<String> = ["missing-key", "empty-file", "expected-mapping", "file-too-large",
                                       "unsupported-version", "duplicate-key"]
        return !diagnostics.contains { $0.severity == .error && ($0.id.hasPrefix("yaml-") || structural.contains($0.id)) }
    }

    private func applySuppressions(_ diagnostics: [Diagnostic], in file: SourceFile) -> [Diagnostic] {
        let (suppressions, problems) = Suppression.scan(file, knownRules: Set(RuleRegistry.ids))
        var used = [Bool](repeating: false, count: suppressions.count)
        var kept: [Diagnostic] = []
        for diagnostic in diagnostics {
            if let index = suppressions.firstIndex(where: { $0.covers(diagnostic, in: file) }) {
                used[index] = true
            } else {
                kept.append(diagnostic)
            }
        }
        for (index, suppression) in suppressions.enumerated() where !used[index] && !suppression.ruleIDs.isEmpty {
            kept.append(.report(.unusedSuppression(suppression.ruleIDs), at: suppression.range))
        }
        return kept + problems
    }
}
