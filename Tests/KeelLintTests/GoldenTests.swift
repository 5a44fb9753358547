import Foundation
import Testing
import KeelLanguage
@testable import KeelLint

/// Each broken file in Golden/ sits beside its diagnostics as users see them (`NAME.expected`).
/// Run with KEEL_RECORD=1 to write the expected files; a recording run fails so it is never mistaken
/// for a pass.
@Suite("Golden diagnostics")
struct GoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static var fixtures: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("at least 40 broken files")
    func count() {
        #expect(Self.fixtures.count >= 40)
    }

    @Test("rendered diagnostics match", arguments: fixtures)
    func golden(name: String) throws {
        let source = Self.folder.appendingPathComponent(name)
        let text = try String(contentsOf: source, encoding: .utf8)
        let report = lint(text, path: name)
        #expect(report.count(.error) + report.count(.warning) > 0, "\(name) is meant to be broken")
        let rendered = Reporter.render([report], format: .text)
        let expectedURL = source.deletingPathExtension().appendingPathExtension("expected")
        if ProcessInfo.processInfo.environment["KEEL_RECORD"] != nil {
            try rendered.write(to: expectedURL, atomically: true, encoding: .utf8)
            Issue.record("recorded \(expectedURL.lastPathComponent); run again without KEEL_RECORD")
            return
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(rendered == expected, "\(name): rendered output differs; review and re-record with KEEL_RECORD=1")
    }
}
