import Foundation
import KeelLanguage
import KeelTestSupport
import Testing
@testable import KeelEditor

/// `keel fmt`: the curated strategies are in layout; a scrambled one comes back to its original
/// byte for byte and backtests the same; every golden broken file is left as it is with why, or
/// formatted idempotently with the same meaning; `--check` prints a diff and exits 1.
@Suite struct FormatterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fmt")
    static let strategies = KeelBinary.root.appendingPathComponent("Strategies")

    static func curated() throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: strategies.path).filter { $0.hasSuffix(".yaml") }.sorted().map {
            ($0, try String(contentsOf: strategies.appendingPathComponent($0), encoding: .utf8))
        }
    }

    static func format(_ text: String, path: String = "s.yaml") -> StrategyFormatter.Outcome {
        StrategyFormatter.format(SourceFile(path: path, text: text))
    }

    @Test("every curated strategy is in the canonical layout: keel fmt --check Strategies/ exits 0")
    func curatedInLayout() throws {
        for (name, text) in try Self.curated() { #expect(Self.format(text) == .formatted(text), "\(name)") }
        let check = try KeelBinary.run(["fmt", "--check", "Strategies/"])
        #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.contains("9 files: 9 in layout"), "\(check.stdout)\(check.stderr)")
    }

    /// A curated strategy scrambled: top-level keys reversed (each with its comments), nested
    /// lines indented four spaces with spaces added inside their expressions, trailing spaces.
    static func scramble(_ text: String) -> String {
        var chunks: [[String]] = []
        for line in text.split(separator: "\n").map(String.init) {
            let startsKey = line.first.map { $0.isLetter } ?? false
            if startsKey, !(chunks.last?.last?.hasPrefix("#") ?? false) || chunks.isEmpty { chunks.append([]) }
            if chunks.isEmpty { chunks.append([]) }
            chunks[chunks.count - 1].append(line)
        }
        let scrambled = chunks.reversed().map { chunk in
            chunk.map { line -> String in
                let indented = line.hasPrefix("  ")
                var line = indented ? "  " + line : line
                if indented, !line.contains("#"), !line.contains("\""), !line.contains("'") {
                    line = line.replacingOccurrences(of: ", ", with: " ,  ").replacingOccurrences(of: "(", with: "( ")
                }
                return line.isEmpty ? "\n" : line + "  "
            }.joined(separator: "\n")
        }
        return scrambled.joined(separator: "\n") + "\n"
    }

    @Test("a scrambled curated strategy formats back to the original, byte for byte, and backtests the same", arguments: ["sma_cross.yaml", "macd_trend.yaml", "conservative_ladder.yaml", "momentum_rotation.yaml", "multi_timeframe.yaml"])
    func scrambled(_ name: String) throws {
        let original = try String(contentsOf: Self.strategies.appendingPathComponent(name), encoding: .utf8)
        let scrambled = Self.scramble(original)
        #expect(scrambled != original)
        let folder = try KeelBinary.temporaryFolder(["a/" + name: scrambled, "b/" + name: scrambled])
        let formatted = try KeelBinary.run(["fmt", "b/" + name], in: folder)
        #expect(formatted.status == 0 && formatted.stderr.contains("1 formatted"), "\(formatted.stderr)")
        let result = try String(contentsOf: folder.appendingPathComponent("b/" + name), encoding: .utf8)
        #expect(result == original, "\(LineDiffForTest.show(original, result))")
        // The program is the same: the scrambled file and the formatted one trade alike.
        let examples = KeelBinary.root.appendingPathComponent("Examples/data").path
        let before = try KeelBinary.run(["backtest", "a/" + name, "--data", examples, "--format", "json"], in: folder)
        let after = try KeelBinary.run(["backtest", "b/" + name, "--data", examples, "--format", "json"], in: folder)
        #expect(before.status == 0 && before.stdout == after.stdout, "\(before.stderr)")
    }

    @Test("a messy file: its golden layout, fmt of fmt the same, and --check prints the diff and exits 1")
    func messy() throws {
        let messy = try String(contentsOf: Self.fixtures.appendingPathComponent("messy.yaml"), encoding: .utf8)
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("messy.expected"), encoding: .utf8)
        #expect(Self.format(messy) == .formatted(expected))
        #expect(Self.format(expected) == .formatted(expected), "idempotent")
        let folder = try KeelBinary.temporaryFolder(["messy.yaml": messy])
        let check = try KeelBinary.run(["fmt", "--check", "messy.yaml"], in: folder)
        #expect(check.status == 1 && check.stdout.hasPrefix("--- messy.yaml\n+++ messy.yaml (keel fmt)\n@@ "), "\(check.stdout)")
        #expect(try String(contentsOf: folder.appendingPathComponent("messy.yaml"), encoding: .utf8) == messy, "--check writes nothing")
        // The diff is one GNU patch applies: it turns the file into the layout.
        try check.stdout.write(to: folder.appendingPathComponent("fmt.diff"), atomically: true, encoding: .utf8)
        let patch = Process()
        patch.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        patch.arguments = ["patch", "-s", "-o", "patched.yaml", "messy.yaml", "fmt.diff"]
        patch.currentDirectoryURL = folder
        try Launch.run(patch)
        patch.waitUntilExit()
        #expect(patch.terminationStatus == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("patched.yaml"), encoding: .utf8) == expected)
    }

    @Test("every golden file of the linter: left as it is with why when it has errors, else formatted idempotently with the same meaning")
    func goldenFiles() throws {
        let golden = KeelBinary.root.appendingPathComponent("Tests/KeelLintTests/Golden")
        let names = try FileManager.default.contentsOfDirectory(atPath: golden.path).filter { $0.hasSuffix(".yaml") }.sorted()
        var summary = ""
        for name in names {
            let text = try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8)
            switch Self.format(text, path: name) {
            case .refused(let why):
                summary += "\(name): left as it is: \(why)\n"
            case .formatted(let result):
                #expect(Self.format(result, path: name) == .formatted(result), "\(name): fmt of fmt")
                let (was, now) = (Frontend.check(SourceFile(path: name, text: text)), Frontend.check(SourceFile(path: name, text: result)))
                #expect(StrategyFormatter.meaning(was.parsed!) == StrategyFormatter.meaning(now.parsed!), "\(name)")
                summary += "\(name): \(result == text ? "in layout" : "formatted")\n"
            }
        }
        let expectedURL = Self.fixtures.appendingPathComponent("golden-files.expected")
        if ProcessInfo.processInfo.environment["KEEL_RECORD"] != nil {
            try summary.write(to: expectedURL, atomically: true, encoding: .utf8)
            Issue.record("recorded golden-files.expected; run again without KEEL_RECORD")
        }
        #expect(summary == (try String(contentsOf: expectedURL, encoding: .utf8)))
        // Through the command: the files left as they are are byte for byte what they were.
        var files: [String: String] = [:]
        for name in names { files[name] = try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8) }
        let folder = try KeelBinary.temporaryFolder(files)
        let run = try KeelBinary.run(["fmt", "."], in: folder)
        #expect(run.status == 1, "some are left as they are")
        for line in summary.split(separator: "\n") where line.contains(": left as it is: ") {
            let name = String(line.prefix { $0 != ":" })
            #expect(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) == files[name], "\(name) untouched")
            #expect(run.stderr.contains("\(name): not formatted: "), "\(name): says why")
        }
    }
}

/// The first differing line of two texts, for a failing expectation's message.
enum LineDiffForTest {
    static func show(_ a: String, _ b: String) -> String { LineDiff.unified(a, b, path: "expected") }
}
