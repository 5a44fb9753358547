import Foundation
import KeelTestSupport
import Testing

/// `keel lint` as CI runs it: folder scans that cannot pass silently, SARIF that the official schema
/// accepts, GitHub annotations that stay one line each.
@Suite("keel lint in CI")
struct LintCITests {
    static let broken = "keel: 1\nname: x\ndescription: A test.\nprofile: degen\nentry:\n  long: close > smaa(close, 20)\nexit:\n  long: close < sma(close, 20)\nexecution: {fees: 0.1%, slippage: 2bps}\n"
    static let clean = "keel: 1\nname: x\ndescription: A test.\nprofile: degen\nentry:\n  long: close > sma(close, 20)\nexit:\n  long: close < sma(close, 20)\nexecution: {fees: 0.1%, slippage: 2bps}\n"
    static let schema = KeelBinary.root.appendingPathComponent("Tests/KeelLintTests/Fixtures/sarif/sarif-schema-2.1.0.json")

    func keel(_ arguments: [String], in folder: URL) throws -> KeelBinary.Output { try KeelBinary.run(arguments, in: folder) }

    @Test("a folder reached through a symbolic link is scanned, and a link loop is walked once")
    func symlinks() throws {
        let folder = try KeelBinary.temporaryFolder(["data/real/broken.yaml": Self.broken])
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("linkroot"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("linkroot/linked").path,
                                                   withDestinationPath: folder.appendingPathComponent("data/real").path)
        // A loop: data/real/up leads back to data.
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("data/real/up").path,
                                                   withDestinationPath: folder.appendingPathComponent("data").path)
        let linked = try keel(["lint", "linkroot/linked/"], in: folder)
        #expect(linked.status == 1 && linked.stdout.contains("1 file checked: 1 error"), "\(linked.stdout)")
        let looped = try keel(["lint", "data"], in: folder)
        #expect(looped.status == 1 && looped.stdout.contains("1 file checked"), "\(looped.stdout)")
    }

    @Test("a scan that finds no strategy exits 66 unless --allow-empty")
    func empty() throws {
        let folder = try KeelBinary.temporaryFolder(["empty/readme.txt": "nothing here"])
        let run = try keel(["lint", "empty"], in: folder)
        #expect(run.status == 66 && run.stderr.contains("no strategy files") && run.stderr.contains("--allow-empty"), "\(run.stderr)")
        #expect(try keel(["lint", "--allow-empty", "empty"], in: folder).status == 0)
        let sarif = try keel(["lint", "--format", "sarif", "empty"], in: folder)
        #expect(sarif.status == 66 && (try? JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8))) != nil)
    }

    @Test(".YAML and .YML count; hidden folders are skipped even with a dot in their name; a folder named x.yaml is a folder")
    func names() throws {
        let folder = try KeelBinary.temporaryFolder([
            "s/A.YAML": Self.clean, "s/b.Yml": Self.clean, "s/.old.v1/hidden.yaml": Self.broken, "s/x.yaml/inner.yaml": Self.clean,
        ])
        let run = try keel(["lint", "--format", "json", "s"], in: folder)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["files"] as? Int == 3 && object["errors"] as? Int == 0, "\(run.stdout)")
        #expect(run.status == 0 && !run.stdout.contains("unreadable-file") && !run.stdout.contains("hidden"))
    }

    @Test("SARIF: valid against the official 2.1.0 schema, with odd file names, every rule described")
    func sarif() throws {
        let folder = try KeelBinary.temporaryFolder([
            ".git/HEAD": "ref: refs/heads/main\n", "strategies/my strat é.yaml": Self.broken, "strategies/100%,odd:name.yaml": Self.broken,
            "strategies/yaml.yaml": "keel: 1\nentry: [\n", "strategies/alias.yaml": "keel: 1\nx: &a 1\nentry: {long: *a}\n",
            "strategies/keys.yaml": "keel: 1\nentri: {long: close}\nentry: {long: close > 1 +}\nexit: {long: clse > 1}\n",
            "strategies/bad.yaml": "keel: 1\nentry: {long: close > 1}\n# keel-lint: disable-line no-such-rule -- why\n",
            "strategies/latin1.yaml": "keel: 1\nname: caf\u{e9}\n",
        ])
        try Data([0x6b, 0x3a, 0x20, 0xe9, 0x0a]).write(to: folder.appendingPathComponent("strategies/latin1.yaml"))
        let run = try keel(["lint", "--format", "sarif", "strategies"], in: folder)
        #expect(run.status == 1)
        let problems = try OutsideTools.validate(run.stdout, schema: Self.schema)
        #expect(problems.isEmpty, "\(problems)")

        let log = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let sarifRun = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((sarifRun["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect((driver["version"] as? String)?.isEmpty == false)
        let rules = try #require(driver["rules"] as? [[String: Any]])
        let described = Set(rules.compactMap { $0["id"] as? String })
        for rule in rules {
            for key in ["shortDescription", "fullDescription", "help"] {
                #expect(((rule[key] as? [String: Any])?["text"] as? String)?.isEmpty == false, "\(rule["id"] ?? "") lacks \(key)")
            }
            #expect((rule["helpUri"] as? String)?.hasPrefix("https://") == true)
        }
        let results = try #require(sarifRun["results"] as? [[String: Any]])
        let used = Set(results.compactMap { $0["ruleId"] as? String })
        #expect(used.isSuperset(of: ["unknown-function", "yaml-syntax", "yaml-anchor", "unknown-key", "unknown-name", "syntax-error",
                                     "unreadable-file", "unknown-rule"]), "\(used)")
        #expect(used.isSubset(of: described), "not in rules[]: \(used.subtracting(described))")
        var uris = Set<String>()
        for result in results {
            let fingerprint = (result["partialFingerprints"] as? [String: Any])?["primaryLocationLineHash"] as? String
            #expect(fingerprint?.contains(":") == true)
            let location = ((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"]
            let artifact = try #require(location as? [String: Any])
            #expect(artifact["uriBaseId"] as? String == "%SRCROOT%")
            uris.insert(artifact["uri"] as? String ?? "")
        }
        #expect(uris.contains("strategies/my%20strat%20%C3%A9.yaml") && uris.contains("strategies/100%25%2Codd%3Aname.yaml"), "\(uris)")
        let base = (sarifRun["originalUriBaseIds"] as? [String: Any])?["%SRCROOT%"] as? [String: Any]
        #expect((base?["uri"] as? String)?.hasPrefix("file:///") == true && (base?["uri"] as? String)?.hasSuffix("/") == true)
    }

    @Test("--sarif-root makes URIs relative to another folder")
    func sarifRoot() throws {
        let folder = try KeelBinary.temporaryFolder(["repo/sub/s.yaml": Self.broken, "elsewhere/t.yaml": Self.broken])
        let run = try keel(["lint", "--format", "sarif", "--sarif-root", "repo/sub", "repo/sub/s.yaml", "elsewhere/t.yaml"], in: folder)
        #expect(run.stdout.contains("\"uri\": \"s.yaml\""), "\(run.stdout.suffix(800))")
        #expect(try OutsideTools.validate(run.stdout, schema: Self.schema).isEmpty)
        // A file outside the root keeps an absolute URI and no base (SARIF 3.4.4: an absolute URI has no uriBaseId).
        let log = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let results = ((log?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        let outside = results.compactMap { result -> [String: Any]? in
            let location = (result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
            return location?["artifactLocation"] as? [String: Any]
        }.filter { ($0["uri"] as? String)?.hasSuffix("/elsewhere/t.yaml") == true }
        #expect(!outside.isEmpty && outside.allSatisfy { ($0["uri"] as? String)?.hasPrefix("file:///") == true && $0["uriBaseId"] == nil },
                "\(outside)")
    }

    @Test("a missing --config still writes a valid document, carrying the error")
    func missingConfig() throws {
        let folder = try KeelBinary.temporaryFolder(["s.yaml": Self.clean])
        for format in ["sarif", "json"] {
            let run = try keel(["lint", "--format", format, "--config", "nope.yaml", "s.yaml"], in: folder)
            #expect(run.status == 66 && run.stdout.contains("nope.yaml") && run.stdout.contains("unreadable-file"), "\(format): \(run.stdout)")
            #expect((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) != nil, "\(format) is not JSON")
            if format == "sarif" { #expect(try OutsideTools.validate(run.stdout, schema: Self.schema).isEmpty) }
        }
    }

    @Test("GitHub annotations: CR LF is escaped, and a closing line gives the full counts")
    func github() throws {
        let folder = try KeelBinary.temporaryFolder(["s.yaml": "keel: 1\r\nentry: {long: smaa(close, 3)}\r\n"])
        let names = (1...12).map { "f\($0).yaml" }
        for name in names { try Self.broken.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let run = try keel(["lint", "--format", "github", "."], in: folder)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("::") }, "every annotation is one line")
        #expect(!run.stdout.contains("\r"))
        let summary = String(lines.last ?? "")
        #expect(summary.hasPrefix("keel lint: 13 errors") && summary.contains("13 files") && summary.contains("10 annotations"), "\(summary)")
    }

    @Test("the example workflow annotates even when lint fails, with the permissions GitHub needs")
    func workflow() throws {
        let text = try String(contentsOf: KeelBinary.root.appendingPathComponent("Examples/ci/github-lint.yml"), encoding: .utf8)
        #expect(text.contains("actions: read") && text.contains("contents: read") && text.contains("security-events: write"))
        let annotate = try #require(text.range(of: "- name: Annotate"))
        #expect(text[annotate.upperBound...].contains("if: ${{ !cancelled() }}"))
    }
}
