import KeelLanguage

/// `.keel-lint.yaml`: which rules run and how severe they are.
///
///     rules:
///       zero-slippage: off
///       unused-let: error
public struct LintConfiguration: Sendable {
    public enum Setting: String, Sendable, CaseIterable {
        case off, on, note, warning, error
    }

    public static let fileName = ".keel-lint.yaml"

    public var rules: [String: Setting] = [:]
    /// Where the configuration came from, for messages.
    public var path: String?

    public init(rules: [String: Setting] = [:]) {
        self.rules = rules
    }

    public func isEnabled(_ id: String) -> Bool { rules[id] != .off }

    /// The severity the configuration re-grades a rule to, if it does.
    public func severity(for id: String) -> Severity? {
        switch rules[id] {
        case .note: .note
        case .warning: .warning
        case .error: .error
        default: nil
        }
    }

    /// Reads a configuration file; problems in it are diagnostics against it.
    public static func parse(_ file: SourceFile) -> (LintConfiguration, [Diagnostic]) {
        var bag = DiagnosticBag()
        var configuration = LintConfiguration()
        configuration.path = file.path
        guard let root = YAMLLoader.load(file, diagnostics: &bag) else { return (configuration, bag.items) }
        guard let pairs = root.pairs else {
            bag.add(.configurationNotMapping(fileName), at: root.range)
            return (configuration, bag.items)
        }
        for pair in pairs where !pair.key.isInvalid {
            guard pair.name == "rules" else {
                bag.add(.unknownConfigurationKey(pair.name, in: fileName), at: pair.key.range)
                continue
            }
            guard let rules = pair.value.pairs else {
                bag.add(.rulesNotMapping, at: pair.value.range)
                continue
            }
            for rule in rules where !rule.key.isInvalid {
                guard RuleRegistry.rule(rule.name) != nil else {
                    bag.add(.unknownRule(rule.name), at: rule.key.range)
                    continue
                }
                // `off` would be a boolean in YAML 1.1; here the expected type decides: it is a setting.
                guard let text = rule.value.scalar?.value, let setting = Setting(rawValue: text) else {
                    bag.add(.invalidRuleSetting(rule.name), at: rule.value.range)
                    continue
                }
                configuration.rules[rule.name] = setting
            }
        }
        return (configuration, bag.items)
    }
}
