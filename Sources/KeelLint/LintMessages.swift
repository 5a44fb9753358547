import KeelLanguage

/// Every message of the linter's own: `.keel-lint.yaml`, suppression comments, files it cannot
/// read. (A rule's findings are written by the rule; each rule describes itself in `RuleDescription`.)
extension DiagnosticMessage {
    // .keel-lint.yaml

    static func configurationNotMapping(_ fileName: String) -> Self { .init("expected-mapping", "\(fileName) is a mapping with a 'rules:' key") }

    static func unknownConfigurationKey(_ name: String, in fileName: String) -> Self {
        .init("unknown-key", "unknown key '\(name)' in \(fileName)\(Suggestions.didYouMean(name, in: ["rules"]))")
    }

    static let rulesNotMapping = Self("expected-mapping", "'rules:' maps rule ids to off, on, note, warning or error")

    static func unknownRule(_ id: String, severity: Severity = .error) -> Self {
        .init("unknown-rule", "no lint rule '\(id)'\(Suggestions.didYouMean(id, in: RuleRegistry.ids))", severity: severity)
    }

    static func invalidRuleSetting(_ id: String) -> Self { .init("invalid-value", "'\(id)' takes off, on, note, warning or error") }

    // Suppression comments

    static func unknownSuppression(_ command: String) -> Self {
        .init("invalid-suppression", "unknown suppression '\(command)'; use disable-line, disable-next-line or disable-file")
    }

    static func suppressionWithoutRule(_ command: String) -> Self {
        .init("invalid-suppression", "name the rule to disable, e.g. '# keel-lint: \(command) zero-fees -- reason'")
    }

    static func suppressionWithoutReason(_ command: String, rules: [String]) -> Self {
        .init("suppression-without-reason",
              "a suppression needs a reason after '--', e.g. '# keel-lint: \(command) \(rules.joined(separator: ",")) -- why'")
    }

    static func unusedSuppression(_ rules: [String]) -> Self {
        .init("unused-suppression", "this suppression of \(rules.joined(separator: ", ")) silences nothing; remove it", severity: .warning)
    }

    // Files

    /// `reason`: why the file cannot be read (missing, not UTF-8, a folder).
    package static func unreadableFile(_ reason: String) -> Self { .init("unreadable-file", reason) }
}
