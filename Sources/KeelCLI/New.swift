import ArgumentParser
import Foundation
import KeelEditor
import KeelLanguage

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a strategy file from one of the curated strategies.",
        usage: "keel new <name> [--template <kind>] [-o <file>]",
        discussion: prose("""
        Writes NAME.yaml here (the name in lowercase, other characters as _), or -o FILE: the
        template's strategy with its name set to NAME, its comments kept, and a first line naming
        the JSON Schema for editors (yaml-language-server). The schema is this keel's own, written
        to $XDG_DATA_HOME/keel (else ~/.local/share/keel) and named by its absolute file:// URL;
        --schema names another (a team's copy), --no-schema leaves the line out. The file lints
        clean as written. Templates:
        """) + "\n\n" + StrategyTemplate.all.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n") + "\n\n" + prose("""
        Exits 0, 1 when the file exists (--force replaces it), 64 on a usage error, 74 when a file
        cannot be written.
        """)
    )

    @Argument(help: "The strategy's name (its name: and, made a file name, its file).")
    var name: String

    @Option(help: "The kind of strategy to start from (see below).", completion: .list(StrategyTemplate.all.map(\.name)))
    var template: String = "trend"

    @Option(name: .shortAndLong, help: "The file to write (default: NAME.yaml here).")
    var output: String?

    @Option(help: "The schema URL the editor line names (default: this keel's schema, written to the user's data folder).")
    var schema: String?

    @Flag(help: "No schema line.")
    var noSchema = false

    @Flag(help: "Replace the file when it exists.")
    var force = false

    func validate() throws {
        guard StrategyTemplate.named(template) != nil else {
            let names = StrategyTemplate.all.map(\.name)
            throw ValidationError("no template '\(template)'\(Suggestions.didYouMean(template, in: names)); one of: \(names.joined(separator: ", "))")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("give the strategy a name") }
        if schema != nil, noSchema { throw ValidationError("--schema and --no-schema: give one") }
    }

    /// The name as a file name: lowercase letters, digits, '-' and '_', the rest as '_'.
    static func fileName(_ name: String) -> String {
        let stem = String(name.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" ? $0 : "_" })
        return (stem.trimmingCharacters(in: CharacterSet(charactersIn: "_")).isEmpty ? "strategy" : stem) + ".yaml"
    }

    func run() throws {
        let path = output ?? Self.fileName(name)
        if FileManager.default.fileExists(atPath: path), !force {
            StandardError.say("\(path) exists: give another name or -o, or --force to replace it")
            throw Exit.findings
        }
        var url = schema
        if !noSchema, url == nil {
            do { url = try EditorSchema.install(environment: ProcessInfo.processInfo.environment) } catch {
                StandardError.say("no schema line: cannot write the schema (\(error.localizedDescription)); give --schema URL")
            }
        }
        let text = StrategyTemplate.named(template)!.make(named: name, schema: url)
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            StandardError.say("cannot write '\(path)': \(error.localizedDescription)")
            throw Exit.cannotWrite
        }
        print("wrote \(path) (\(template)); try: keel lint \(path)")
    }
}
