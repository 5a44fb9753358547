import Foundation
import KeelTestSupport
import Testing

/// Every command's `--help` at 80 columns, as users read it: golden files in `Fixtures/help/`
/// (re-record with `KEEL_RECORD=1 swift test --filter HelpText`, which fails while recording).
@Suite("help texts")
struct HelpTextTests {
    static let folder = KeelBinary.root.appendingPathComponent("Tests/KeelCLITests/Fixtures/help")

    static func help(_ path: [String]) throws -> String {
        let process = KeelBinary.start(path + ["--help"])
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "80"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try Launch.run(process)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The subcommands a help text lists.
    static func subcommands(_ text: String) -> [String] {
        guard let section = text.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [] }
        return section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test("every command's help reads at 80 columns and equals its golden file")
    func golden() throws {
        let record = ProcessInfo.processInfo.environment["KEEL_RECORD"] == "1"
        var pending: [[String]] = [[]]
        var seen = 0
        while let path = pending.popLast() {
            let text = try Self.help(path)
            seen += 1
            pending += Self.subcommands(text).filter { $0 != "help" }.map { path + [$0] }
            for line in text.split(separator: "\n") {
                #expect(line.count <= 80, "keel \(path.joined(separator: " ")): \(line)")
            }
            let file = Self.folder.appendingPathComponent((["keel"] + path).joined(separator: "-") + ".txt")
            if record {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                try text.write(to: file, atomically: true, encoding: .utf8)
            } else {
                let expected = try String(contentsOf: file, encoding: .utf8)
                #expect(text == expected, "keel \(path.joined(separator: " ")) --help changed; re-record with KEEL_RECORD=1")
            }
        }
        #expect(seen >= 15)
        #expect(!record, "recorded the help texts; run again without KEEL_RECORD")
    }

    @Test("keel --version prints the version")
    func version() throws {
        let run = try KeelBinary.run(["--version"])
        #expect(run.status == 0 && run.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(run.stdout)")
    }
}
