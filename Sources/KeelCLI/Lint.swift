import ArgumentParser
import Foundation
import Keel
import KeelLanguage
import KeelLint

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check strategy files and report every problem at once.",
        usage: "keel lint <paths> ... [<options>]",
        discussion: prose("""
        Exits 0 when nothing fails, 1 when an error is found (or a warning, with --strict),
        66 when a path cannot be read. Settings come from --config, else from the nearest
        .keel-lint.yaml in the current folder or above.
        """)
    )

    @Argument(help: "Strategy files or folders (searched for .yaml and .yml files).")
    var paths: [String]

    @Option(help: "Output: text, json, sarif or github.")
    var format: ReportFormat = .text

    @Flag(help: "Fail on warnings too.")
    var strict = false

    @Option(help: "Check against this risk profile instead of each file's own.")
    var profile: ProfileName?

    @Option(help: "A .keel-lint.yaml to use.")
    var config: String?

    @Option(help: "The folder SARIF artifact URIs are relative to (default: the repository root, the nearest folder above with a .git).")
    var sarifRoot: String?

    @Flag(help: "Exit 0 when the paths hold no strategy file (by default a scan that finds none exits 66).")
    var allowEmpty = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one strategy file or folder") }
    }

    func run() throws {
        var reports: [Linter.Report] = []
        var configuration = LintConfiguration()
        switch loadConfiguration() {
        case .none: break
        case .loaded(let file, let problems):
            configuration = file
            if !problems.isEmpty, let path = file.path, let text = try? readText(path) {
                reports.append(Linter.Report(file: SourceFile(path: path, text: text), diagnostics: problems))
            }
        case .unreadable(let path):
            // Still a valid document in the format asked for (a redirected keel.sarif must parse), carrying the error.
            print(render([unreadable(path, TextFileError(message: "cannot read the lint configuration '\(path)'"))]), terminator: "")
            StandardError.say("cannot read configuration '\(path)'")
            throw Exit.unreadable
        }
        let linter = Linter(configuration: configuration, profileOverride: profile)
        let discovery = StrategyFiles.collect(paths)
        for path in discovery.files {
            do {
                reports.append(Keel.lint(SourceFile(path: path, text: try readText(path)), linter: linter))
            } catch {
                reports.append(unreadable(path, error))
            }
        }
        print(render(reports), terminator: "")
        for missing in discovery.missing {
            StandardError.say("cannot read '\(missing)': no such file or directory")
        }
        if !discovery.missing.isEmpty { throw Exit.unreadable }
        if discovery.files.isEmpty, !allowEmpty {
            // A CI job pointed at the wrong folder must not pass silently.
            StandardError.say("no strategy files (.yaml, .yml) in \(paths.joined(separator: ", ")); pass --allow-empty if that is expected")
            throw Exit.unreadable
        }
        let failing = reports.contains { $0.count(.error) > 0 || (strict && $0.count(.warning) > 0) }
        if failing { throw Exit.findings }
    }

    private func render(_ reports: [Linter.Report]) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let root = sarifRoot.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? StrategyFiles.repositoryRoot(from: cwd)
        return Reporter.render(reports, format: format, root: ArtifactRoot(rootPath: root, workingDirectory: cwd))
    }

    private enum LoadedConfiguration {
        case none
        case loaded(LintConfiguration, [Diagnostic])
        case unreadable(String)
    }

    private func loadConfiguration() -> LoadedConfiguration {
        guard let path = config ?? StrategyFiles.findConfiguration(from: FileManager.default.currentDirectoryPath) else { return .none }
        guard let text = try? readText(path) else { return .unreadable(path) }
        let (file, problems) = LintConfiguration.parse(SourceFile(path: path, text: text))
        return .loaded(file, problems)
    }

    private func unreadable(_ path: String, _ error: Error) -> Linter.Report {
        let message = (error as? TextFileError)?.message ?? "cannot read the file"
        return Linter.Report(file: SourceFile(path: path, text: ""),
                             diagnostics: [.report(.unreadableFile(message), at: .at(0))])
    }
}

extension ReportFormat: ExpressibleByArgument {}
extension ProfileName: ExpressibleByArgument {}

struct TextFileError: Error {
    let message: String
}

/// Reads a file as UTF-8 text; anything else is a clear error, never a crash.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw TextFileError(message: "cannot read the file") }
    guard let text = String(data: data, encoding: .utf8) else {
        throw TextFileError(message: "the file is not UTF-8 text")
    }
    return text
}

/// Reads, lints, checks and compiles the strategy a command runs (with `params` in place of its
/// own); an unreadable file exits 66, one with errors prints every diagnostic and exits 1.
func loadStrategy(_ path: String, text: String? = nil, params: [String: ConstValue] = [:]) throws -> LoadedStrategy {
    let source: String
    do { source = try text ?? readText(path) } catch {
        StandardError.say("cannot read '\(path)': \((error as? TextFileError)?.message ?? "\(error)")")
        throw Exit.unreadable
    }
    let compilation = Keel.compile(source, path: path, params: params)
    guard let strategy = compilation.strategy else {
        StandardError.write(compilation.rendered())
        throw Exit.findings
    }
    return strategy
}
