import Foundation

/// The built `keel` executable, run as users and CI run it.
package enum KeelBinary {
    /// The repository's root.
    package static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable next to the test bundle.
    package static var executable: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keel"),
            Bundle.main.bundleURL.appendingPathComponent("keel"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("keel"),
            root.appendingPathComponent(".build/debug/keel"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    package struct Output: Sendable {
        package let status: Int32
        package let stdout: String
        package let stderr: String

        package init(status: Int32, stdout: String, stderr: String) { (self.status, self.stdout, self.stderr) = (status, stdout, stderr) }
    }

    /// Runs keel to the end and collects its output; `environment` adds variables to the test's.
    package static func run(_ arguments: [String], in directory: URL = root, environment: [String: String] = [:]) throws -> Output {
        let process = start(arguments, in: directory)
        for (key, value) in environment { process.environment?[key] = value }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try Launch.run(process)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A keel process, configured but not started. Its bar cache is a folder of the test run's
    /// own (`XDG_CACHE_HOME`), never the user's.
    package static func start(_ arguments: [String], in directory: URL = root) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cacheHome
        process.environment = environment
        return process
    }

    /// The cache home of the keel processes a test run starts.
    package static let cacheHome = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-cache-\(ProcessInfo.processInfo.processIdentifier)").path

    /// A fresh folder under the temporary directory, with these files in it.
    package static func temporaryFolder(_ files: [String: String] = [:]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return folder
    }
}
