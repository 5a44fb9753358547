import Foundation
import KeelTestSupport
import Testing
import KeelLanguage
@testable import KeelLint

/// Random edits of real strategy files: the front end and every rule must survive them, and every
/// diagnostic must point inside the file.
@Suite("Mutated strategies")
struct MutationTests {
    static let pieces = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "#", "'", "\"", "\n", "  ", "\t",
                         "|", ">", "%", "(", ")", "é", "日本", "📈", "---\n", "? ", "010", "no", "off", "5", "sma(", "close"]

    @Test("random edits never crash, and diagnostics stay inside the file")
    func mutations() throws {
        let folder = packageRoot.appendingPathComponent("Strategies")
        let texts = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        var rng = SeededGenerator(seed: 2026)
        let linter = Linter()
        let rounds = ProcessInfo.processInfo.environment["KEEL_MUTATION_ROUNDS"].flatMap(Int.init) ?? 1_500
        for round in 0..<rounds {
            var characters = Array(texts[round % texts.count])
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0...characters.count, using: &rng)
                if Bool.random(using: &rng), at < characters.count {
                    characters.removeSubrange(at..<min(characters.count, at + Int.random(in: 1...6, using: &rng)))
                } else {
                    characters.insert(contentsOf: Self.pieces.randomElement(using: &rng)!, at: at)
                }
            }
            let file = SourceFile(path: "m.yaml", text: String(characters))
            let report = linter.lint(file)
            for diagnostic in report.diagnostics {
                #expect(diagnostic.range.start >= 0 && diagnostic.range.end <= file.bytes.count)
            }
            _ = Reporter.render([report], format: .text)
        }
    }
}
