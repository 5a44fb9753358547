import Foundation
import KeelTestSupport
import Testing
@testable import KeelEditor

/// `keel new`: every template a file that lints clean, named as asked, with a schema line whose
/// file is this keel's schema; the binary's copies of the curated strategies and schema are the
/// repository's.
@Suite struct NewTests {
    @Test("the binary carries the curated strategies and the schema byte for byte")
    func builtIn() throws {
        let folder = KeelBinary.root.appendingPathComponent("Strategies")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(StrategyTemplate.builtIn.keys) == Set(files))
        for file in files {
            #expect(StrategyTemplate.builtIn[file] == (try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)), "\(file)")
        }
        #expect(Set(StrategyTemplate.all.map(\.file)) == Set(files), "every curated strategy is a template")
        #expect(EditorSchema.text == (try String(contentsOf: KeelBinary.root.appendingPathComponent("Grammar/keel-strategy.schema.json"), encoding: .utf8)))
    }

    @Test("every template: a new file named as asked, its schema line naming this keel's schema, that lints clean", arguments: StrategyTemplate.all)
    func template(_ template: StrategyTemplate) throws {
        let folder = try KeelBinary.temporaryFolder([:])
        let environment = ["XDG_DATA_HOME": folder.appendingPathComponent("data").path]
        let made = try KeelBinary.run(["new", "My \(template.name): v2", "--template", template.name], in: folder, environment: environment)
        let file = "my_\(template.name)__v2.yaml"
        #expect(made.status == 0 && made.stdout == "wrote \(file) (\(template.name)); try: keel lint \(file)\n", "\(made.stdout)\(made.stderr)")
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        let schema = folder.appendingPathComponent("data/keel/keel-strategy.schema.json")
        #expect(text.hasPrefix("# yaml-language-server: $schema=\(schema.absoluteString)\n"))
        #expect(try String(contentsOf: schema, encoding: .utf8) == EditorSchema.text)
        #expect(text.contains("\nname: \"My \(template.name): v2\"\n"))
        let lint = try KeelBinary.run(["lint", file], in: folder)
        #expect(lint.status == 0 && lint.stdout == "1 file checked: 0 errors, 0 warnings, 0 notes\n", "\(lint.stdout)\(lint.stderr)")
    }

    @Test("an existing file is kept unless --force; an unknown template says what there is")
    func refusals() throws {
        let folder = try KeelBinary.temporaryFolder(["mine.yaml": "keep me\n"])
        let kept = try KeelBinary.run(["new", "mine", "--no-schema"], in: folder)
        #expect(kept.status == 1 && kept.stderr.contains("mine.yaml exists"))
        #expect(try String(contentsOf: folder.appendingPathComponent("mine.yaml"), encoding: .utf8) == "keep me\n")
        let forced = try KeelBinary.run(["new", "mine", "--no-schema", "--force", "--template", "breakout"], in: folder)
        #expect(forced.status == 0)
        let text = try String(contentsOf: folder.appendingPathComponent("mine.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("# Donchian breakout") && text.contains("\nname: mine\n"))
        let unknown = try KeelBinary.run(["new", "x", "--template", "breakuot"], in: folder)
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean 'breakout'"), "\(unknown.stderr)")
        let url = try KeelBinary.run(["new", "team", "--schema", "https://example.com/keel.schema.json"], in: folder)
        #expect(url.status == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("team.yaml"), encoding: .utf8)
            .hasPrefix("# yaml-language-server: $schema=https://example.com/keel.schema.json\n"))
    }
}

extension StrategyTemplate: CustomTestStringConvertible {
    public var testDescription: String { name }
}
