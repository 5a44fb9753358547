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
        static let configuration = CommandConfiguration(abstract: "Explain one lint rule, with examples.")

        @Argument(help: "The rule's id, e.g. stop-required.")
        var id: String

        func validate() throws {
            guard RuleRegistry.rule(id) != nil else {
                throw ValidationError("no lint rule '\(id)'\(Suggestions.didYouMean(id, in: RuleRegistry.ids)); 'keel rules' lists them")
            }
        }

        func run() throws {
            guard let rule = RuleRegistry.rule(id) else { return }
            let d = rule.description
            print("\(d.id): \(d.name)\ndefault severity: \(d.severity.rawValue)\n\n\(d.rationale)\n")
            for example in d.triggering { print("Triggers on:\n\n" + indent(example)) }
            for example in d.nonTriggering { print("Does not trigger on:\n\n" + indent(example)) }
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
