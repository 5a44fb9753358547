import ArgumentParser
import Foundation
import KeelRunner
import KeelLanguage
import KeelLint

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check strategy files and report every problem at once.",
        discussion: """
        Exits 0 when nothing fails, 1 when an error is found (or a warning, with --strict),
        66 when a path cannot be read. Settings come from --config, else from the nearest
        .keel-lint.yaml in the current folder or above.
        """
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

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one strategy file or folder") }
    }

    func run() throws {
        var reports: [Linter.Report] = []
        var configuration = LintConfiguration()
        if let (file, problems) = try loadConfiguration() {
            configuration = file
            if !problems.isEmpty, let path = file.path, let text = try? readText(path) {
                reports.append(Linter.Report(file: SourceFile(path: path, text: text), diagnostics: problems))
            }
        }
        let linter = Linter(configuration: configuration, profileOverride: profile)
        let discovery = StrategyFiles.collect(paths)
        for path in discovery.files {
            do {
                reports.append(linter.lint(SourceFile(path: path, text: try readText(path))))
            } catch {
                reports.append(unreadable(path, error))
            }
        }
        print(Reporter.render(reports, format: format), terminator: "")
        for missing in discovery.missing {
            FileHandle.standardError.write(Data("keel: cannot read '\(missing)': no such file or directory\n".utf8))
        }
        if !discovery.missing.isEmpty { throw Exit.unreadable }
        let failing = reports.contains { $0.count(.error) > 0 || (strict && $0.count(.warning) > 0) }
        if failing { throw Exit.findings }
    }

    private func loadConfiguration() throws -> (LintConfiguration, [Diagnostic])? {
        guard let path = config ?? StrategyFiles.findConfiguration() else { return nil }
        guard let text = try? readText(path) else {
            FileHandle.standardError.write(Data("keel: cannot read configuration '\(path)'\n".utf8))
            throw Exit.unreadable
        }
        return LintConfiguration.parse(SourceFile(path: path, text: text))
    }

    private func unreadable(_ path: String, _ error: Error) -> Linter.Report {
        let message = (error as? TextFileError)?.message ?? "cannot read the file"
        return Linter.Report(file: SourceFile(path: path, text: ""),
                             diagnostics: [.error("unreadable-file", message, at: .at(0))])
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

/// Reads, lints, checks and compiles the strategy a command runs; an unreadable file exits 66,
/// one with errors prints every diagnostic and exits 1.
func loadStrategy(_ path: String) throws -> LoadedStrategy {
    let text: String
    do { text = try readText(path) } catch {
        FileHandle.standardError.write(Data("keel: cannot read '\(path)': \((error as? TextFileError)?.message ?? "\(error)")\n".utf8))
        throw Exit.unreadable
    }
    do { return try LoadedStrategy(path: path, text: text) } catch {
        FileHandle.standardError.write(Data(error.description.utf8))
        throw Exit.findings
    }
}

/// Finds strategy files under the paths given on the command line.
enum StrategyFiles {
    static func collect(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let enumerator = manager.enumerator(atPath: path)
            var found: [String] = []
            while let relative = enumerator?.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    if (relative as NSString).pathExtension.isEmpty { enumerator?.skipDescendants() }
                    continue
                }
                if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                    found.append((path as NSString).appendingPathComponent(relative))
                }
            }
            files += found.sorted()
        }
        return (files, missing)
    }

    /// The nearest `.keel-lint.yaml` in the current folder or above.
    static func findConfiguration() -> String? {
        var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let candidate = folder.appendingPathComponent(LintConfiguration.fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }
}
