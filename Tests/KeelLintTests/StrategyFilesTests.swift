import Foundation
import KeelLint
import KeelTestSupport
import Testing

@Suite("the files keel lint reads")
struct StrategyFilesTests {
    @Test("strategy files in any case, through a link loop once, hidden folders skipped, a folder named x.yaml searched")
    func collect() throws {
        let root = try KeelBinary.temporaryFolder(["a.yaml": "", "b.YML": "", "notes.txt": "", ".old.v1/c.yaml": "", "x.yaml/d.yml": ""])
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop").path, withDestinationPath: root.path)
        let found = StrategyFiles.collect([root.path, root.appendingPathComponent("missing").path])
        #expect(found.files.map { String($0.dropFirst(root.path.count + 1)) } == ["a.yaml", "b.YML", "x.yaml/d.yml"])
        #expect(found.missing == [root.appendingPathComponent("missing").path])
    }

    @Test("the nearest .keel-lint.yaml at or above a folder")
    func configuration() throws {
        let root = try KeelBinary.temporaryFolder([".keel-lint.yaml": "rules: {}\n", "team/strategies/s.yaml": ""])
        let found = StrategyFiles.findConfiguration(from: root.appendingPathComponent("team/strategies").path)
        #expect(found.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path } == root.appendingPathComponent(".keel-lint.yaml").resolvingSymlinksInPath().path)
    }
}
