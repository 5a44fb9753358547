import Foundation
import KeelTestSupport
import Testing

/// `keel lsp` driven over stdio by pygls' LanguageClient (PyPI, `.ci/tools.sh`), a client no one
/// here wrote: `Fixtures/lsp_client.py` opens a strategy, types a broken expression character by
/// character, and asks for what an editor asks for; a second run fuzzes it with random edits of
/// every curated strategy.
@Suite(.serialized) struct LanguageServerTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/lsp_client.py")

    /// Runs a scenario; its JSON answer.
    static func drive(_ scenario: String, in folder: URL, environment: [String: String] = [:]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = try OutsideTools.python
        process.arguments = [script.path, KeelBinary.executable.path, scenario, folder.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try Launch.run(process)
        let said = out.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the client failed: \(complaint.suffix(3000))")
        return try #require(try JSONSerialization.jsonObject(with: said) as? [String: Any])
    }

    static func strategy() throws -> String {
        try String(contentsOf: KeelBinary.root.appendingPathComponent("Strategies/sma_cross.yaml"), encoding: .utf8)
    }

    @Test("an editor's session: diagnostics as it types, hover, completion, definition, references, rename, a quick fix, formatting, semantic tokens")
    func session() throws {
        let messy = try String(contentsOf: FormatterTests.fixtures.appendingPathComponent("messy.yaml"), encoding: .utf8)
        let unused = try Self.strategy().replacingOccurrences(of: "let:\n", with: "let:\n  spare: ema(close, 5)\n")
        let folder = try KeelBinary.temporaryFolder(["trend.yaml": try Self.strategy(), "messy.yaml": messy, "unused.yaml": unused,
                                                     ".keel-lint.yaml": "rules:\n  unused-let: error\n"])
        let answer = try Self.drive("session", in: folder)
        let capabilities = try #require(answer["capabilities"] as? [String: Any])
        #expect((capabilities["textDocumentSync"] as? [String: Any])?["change"] as? Int == 2, "incremental sync")
        #expect((answer["opened"] as? [Any])?.isEmpty == true, "the curated strategy opens clean")

        // What the linter says of the typed text, with its ids and ranges.
        let typed = try #require(answer["typed"] as? [[String: Any]])
        let text = try #require(answer["text"] as? String)
        func diagnostic(_ code: String) -> [String: Any]? { typed.first { $0["code"] as? String == code } }
        let smaa = try #require(diagnostic("unknown-function"))
        #expect(smaa["message"] as? String == "no function 'smaa'; did you mean 'sma'?" && smaa["severity"] as? Int == 1)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("smaa(") }
        let range = try #require(smaa["range"] as? [String: [String: Int]])
        #expect(range["start"]?["line"] == line && range["end"]!["character"]! - range["start"]!["character"]! == 4)
        #expect(diagnostic("unknown-name")?["message"] as? String == "no series, param or let named 'clse'; did you mean 'close'?")
        try text.write(to: folder.appendingPathComponent("typed.yaml"), atomically: true, encoding: .utf8)
        let cli = try KeelBinary.run(["lint", "--format", "json", "typed.yaml"], in: folder)
        for code in ["unknown-function", "unknown-name"] { #expect(cli.stdout.contains("\"\(code)\""), "keel lint finds \(code) too") }

        func hover(_ key: String) -> String { ((answer[key] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String ?? "" }
        #expect(hover("hover_sma").hasPrefix("```\nsma(source: series, n: window (bars))\n```") && hover("hover_sma").contains("warm-up: n - 1 bars")
            && hover("hover_sma").contains("example: `close > sma(close, 20)`"))
        #expect(hover("hover_stop_loss").hasPrefix("**stop_loss**\n\nA percent from the entry (5%)"))
        #expect(hover("hover_fast_ma") == "**let fast_ma** (number)\n\n```\nfast_ma: sma(close, fast)\n```")
        #expect(hover("hover_profile").contains("`max_drawdown`: 20%"))

        #expect(answer["members"] as? [String] == ["histogram", "macd", "signal"], "macd(close). offers its outputs")
        #expect(answer["execution_keys"] as? [String] == ["fees", "fill", "intrabar", "slippage"])
        #expect(answer["profile_words"] as? [String] == ["aggressive", "balanced", "conservative", "degen"])
        let expression = try #require(answer["expression_items"] as? [String])
        for name in ["close", "sma", "crosses_above", "fast", "slow", "fast_ma", "and", "position"] { #expect(expression.contains(name), "\(name)") }
        #expect(answer["sma_snippet"] as? String == "sma(${1:source}, ${2:n})")

        let definition = try #require((answer["definition"] as? [String: Any])?["range"] as? [String: [String: Int]])
        let letLine = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("  fast_ma:") }
        #expect(definition["start"]?["line"] == letLine && definition["start"]?["character"] == 2)
        #expect((answer["references"] as? [Any])?.count == 2, "fast: its declaration and its one use")
        let renamed = try #require(((answer["rename"] as? [String: Any])?["changes"] as? [String: [[String: Any]]])?.values.first)
        #expect(renamed.count == 3 && renamed.allSatisfy { $0["newText"] as? String == "quick_ma" }, "the key and both uses")
        #expect((answer["rename_refused"] as? String)?.contains("'sma' is a built-in name") == true)

        let action = try #require((answer["actions"] as? [[String: Any]])?.first)
        #expect(action["title"] as? String == "Replace with 'sma'" && action["kind"] as? String == "quickfix")
        let configured = try #require(answer["configured"] as? [[String: Any]])
        #expect(configured.count == 1 && configured.first?["code"] as? String == "unused-let" && configured.first?["severity"] as? Int == 1,
                "unused-let re-graded to an error by the folder's .keel-lint.yaml: \(configured)")
        let quoting = try #require((answer["quote_actions"] as? [[String: Any]])?.first)
        let quoteEdit = (((quoting["edit"] as? [String: Any])?["changes"] as? [String: [[String: Any]]])?.values.first)?.first
        #expect(quoting["title"] as? String == "Quote this value" && quoteEdit?["newText"] as? String == "\"rsi(close, n: 14) < 30\"", "\(quoting)")
        let formatting = try #require(answer["formatting"] as? [[String: Any]])
        let expected = try String(contentsOf: FormatterTests.fixtures.appendingPathComponent("messy.expected"), encoding: .utf8)
        #expect(formatting.count == 1 && formatting.first?["newText"] as? String == expected, "keel fmt's layout, as one edit")
        let tokens = try #require(answer["semantic_tokens"] as? [Int])
        #expect(!tokens.isEmpty && tokens.count % 5 == 0)
        #expect(answer["exit_code"] as? Int == 0, "exit after shutdown is 0")

        let latencies = (answer["latencies_ms"] as? [Double] ?? []).sorted()
        let long = (answer["long_latencies_ms"] as? [Double] ?? []).sorted()
        #expect(answer["long_lines"] as? Int == 202)
        print("keel lsp, keystroke to published diagnostics (this build): \(latencies.count) keystrokes in a 30-line file, median "
            + "\(latencies[latencies.count / 2]) ms; \(long.count) in a 202-line file, median \(long[long.count / 2]) ms, max \(long.last ?? 0) ms")
    }

    @Test("random edits of every curated strategy, each followed by hover, completion, definition, references, rename, code actions and semantic tokens: never a crash; the alias bomb costs what keel lint pays")
    func fuzz() throws {
        var files: [String: String] = [:]
        let strategies = KeelBinary.root.appendingPathComponent("Strategies")
        for name in try FileManager.default.contentsOfDirectory(atPath: strategies.path) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOf: strategies.appendingPathComponent(name), encoding: .utf8)
        }
        let folder = try KeelBinary.temporaryFolder(files)
        let answer = try Self.drive("fuzz", in: folder, environment: ["KEEL_FUZZ_SEED": "11", "KEEL_FUZZ_EDITS": "120"])
        #expect(answer["requests"] as? Int == files.count * 120 * 7)
        #expect(answer["bomb_codes"] as? [String] == ["missing-key", "unknown-key", "yaml-alias", "yaml-anchor"])
        #expect(answer["exit_code"] as? Int == 0, "the server lived to the end and exited cleanly")
        print("keel lsp fuzz: \(answer["requests"] ?? 0) requests over random edits, the alias bomb answered in \(answer["bomb_ms"] ?? 0) ms")
    }
}
