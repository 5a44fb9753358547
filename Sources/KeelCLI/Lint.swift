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
            FileHandle.standardError.write(Data("keel: cannot read configuration '\(path)'\n".utf8))
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
            FileHandle.standardError.write(Data("keel: cannot read '\(missing)': no such file or directory\n".utf8))
        }
        if !discovery.missing.isEmpty { throw Exit.unreadable }
        if discovery.files.isEmpty, !allowEmpty {
            // A CI job pointed at the wrong folder must not pass silently.
            FileHandle.standardError.write(Data("keel: no strategy files (.yaml, .yml) in \(paths.joined(separator: ", ")); pass --allow-empty if that is expected\n".utf8))
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
        guard let path = config ?? StrategyFiles.findConfiguration() else { return .none }
        guard let text = try? readText(path) else { return .unreadable(path) }
        let (file, problems) = LintConfiguration.parse(SourceFile(path: path, text: text))
        return .loaded(file, problems)
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

/// Reads, lints, checks and compiles the strategy a command runs (with `params` in place of its
/// own); an unreadable file exits 66, one with errors prints every diagnostic and exits 1.
func loadStrategy(_ path: String, text: String? = nil, params: [String: ConstValue] = [:]) throws -> LoadedStrategy {
    let source: String
    do { source = try text ?? readText(path) } catch {
        FileHandle.standardError.write(Data("keel: cannot read '\(path)': \((error as? TextFileError)?.message ?? "\(error)")\n".utf8))
        throw Exit.unreadable
    }
    let compilation = Keel.compile(source, path: path, params: params)
    guard let strategy = compilation.strategy else {
        FileHandle.standardError.write(Data(compilation.rendered().utf8))
        throw Exit.findings
    }
    return strategy
}

/// Finds strategy files under the paths given on the command line: `.yaml` and `.yml` files in any
/// case, through symbolic links (a folder reached twice, by a link loop or two links, is walked
/// once), skipping folders whose name starts with a dot unless named on the command line.
enum StrategyFiles {
    static func collect(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        var visited = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            // fileExists follows links: a link to a folder is a folder.
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            walk(path, into: &found, visited: &visited)
            files += found.sorted()
        }
        return (files, missing)
    }

    private static func walk(_ folder: String, into found: inout [String], visited: inout Set<String>) {
        // The folder's real path identifies it whatever links led here.
        guard let resolved = realpath(folder, nil) else { return }
        let real = String(cString: resolved)
        free(resolved)
        guard visited.insert(real).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                walk(path, into: &found, visited: &visited)
            } else if isStrategyFile(name) {
                found.append(path)
            }
        }
    }

    static func isStrategyFile(_ name: String) -> Bool {
        let ext = (name as NSString).pathExtension.lowercased()
        return ext == "yaml" || ext == "yml"
    }

    /// The nearest folder at or above `folder` that holds a `.git`: SARIF's URIs are relative to it.
    static func repositoryRoot(from folder: String) -> String? {
        var current = URL(fileURLWithPath: folder)
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current.path }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
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
