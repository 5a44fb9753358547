import ArgumentParser
import KeelLanguage
import KeelLint

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the lint rules.",
        subcommands: [Explain.self]
    )

    func run() throws {
        let width = RuleRegistry.ids.map(\.count).max() ?? 0
        for rule in RuleRegistry.all {
            let d = rule.description
            let padding = String(repeating: " ", count: width - d.id.count)
            print("\(d.id)\(padding)  \(d.severity.rawValue.padding(7))  \(d.name)")
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain one diagnostic id: a lint rule (with examples) or a front-end or checker error.")

        @Argument(help: "The id, e.g. stop-required or unknown-function.")
        var id: String

        func validate() throws {
            guard RuleRegistry.rule(id) != nil || DiagnosticCatalogue.entry(id) != nil else {
                let ids = RuleRegistry.ids + DiagnosticCatalogue.entries.map(\.id)
                throw ValidationError("no diagnostic id '\(id)'\(Suggestions.didYouMean(id, in: ids)) ('keel rules' lists the lint rules, docs/diagnostics.md every id)")
            }
        }

        func run() throws {
            guard let rule = RuleRegistry.rule(id) else {
                guard let entry = DiagnosticCatalogue.entry(id) else { return }
                // Front-end and checker findings cannot be suppressed: the file is broken until fixed.
                return print("\(entry.id)\nseverity: \(entry.severity.rawValue) (not a lint rule: it cannot be disabled or suppressed)\n\n\(entry.summary)\n\n\(entry.help)")
            }
            let d = rule.description
            print("\(d.id): \(d.name)\ndefault severity: \(d.severity.rawValue)\n\n\(d.rationale)\n")
            for example in d.triggering { print("Triggers on (at ↓):\n\n" + indent(example.marked)) }
            for example in d.nonTriggering { print("Does not trigger on:\n\n" + indent(example.text)) }
        }

        private func indent(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        }
    }
}

struct Reference: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the language reference generated from the built-in table (Grammar/REFERENCE.md)."
    )

    func run() throws {
        print(LanguageReference.markdown(), terminator: "")
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
