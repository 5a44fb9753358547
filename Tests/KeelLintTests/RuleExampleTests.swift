import Foundation
import Testing
import KeelLanguage
@testable import KeelLint

/// Every rule's documented examples are its tests.
@Suite("Lint rule examples")
struct RuleExampleTests {
    @Test("at least 20 rules, ids unique, each fully described")
    func registry() {
        #expect(RuleRegistry.all.count >= 20)
        #expect(Set(RuleRegistry.ids).count == RuleRegistry.all.count)
        for rule in RuleRegistry.all {
            let d = rule.description
            #expect(!d.name.isEmpty && !d.rationale.isEmpty, "\(d.id)")
            #expect(!d.triggering.isEmpty && !d.nonTriggering.isEmpty, "\(d.id)")
        }
    }

    @Test("fires on each triggering example exactly where its markers are, and nowhere else", arguments: RuleRegistry.ids)
    func triggering(id: String) throws {
        let rule = try #require(RuleRegistry.rule(id))
        for example in rule.description.triggering {
            #expect(!example.markers.isEmpty, "\(id): a triggering example marks where the rule reports with ↓")
            let report = lint(example.text)
            let starts = report.diagnostics.filter { $0.id == id }.map(\.range.start)
            #expect(starts == example.markers, "\(id) reported at \(starts), marked at \(example.markers), on:\n\(example.text)")
        }
    }

    @Test("stays silent on each non-triggering example, which has no errors and no markers", arguments: RuleRegistry.ids)
    func nonTriggering(id: String) throws {
        let rule = try #require(RuleRegistry.rule(id))
        for example in rule.description.nonTriggering {
            #expect(example.markers.isEmpty)
            let report = lint(example.text)
            #expect(!report.ids.contains(id), "\(id) fired on:\n\(example.text)")
            #expect(report.count(.error) == 0, "\(id)'s good example has errors: \(report.diagnostics.map(\.message))")
        }
    }

    @Test("a marker is a byte offset in the file without it; the header comes first")
    func markers() {
        let example = LintExample("entry: {long: ↓close > open}")
        #expect(example.text == "keel: 1\nname: Example\nentry: {long: close > open}\n")
        #expect(example.markers == ["keel: 1\nname: Example\nentry: {long: ".utf8.count])
        #expect(LintExample(wholeFile: "↓keel: 1\n").markers == [0])
    }

    @Test("stop-required follows the profile", arguments: [
        (ProfileName.conservative, Severity?.some(.error)), (.balanced, .warning), (.aggressive, .warning), (.degen, nil),
    ])
    func stopRequired(profile: ProfileName, severity: Severity?) {
        let report = lint("keel: 1\nname: x\nprofile: \(profile.rawValue)\nentry: {long: close > open}\n")
        #expect(report.first("stop-required")?.severity == severity)
    }

    @Test("the curated strategies lint clean under their own profile")
    func curated() throws {
        let folder = packageRoot.appendingPathComponent("Strategies")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 8)
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let report = lint(text, path: name)
            #expect(report.diagnostics.isEmpty, "\(name): \(report.diagnostics.map { "\($0.id): \($0.message)" })")
            #expect(text.hasPrefix("# "), "\(name) opens with a comment saying what it does")
        }
    }
}

@Suite("Suppressions and configuration")
struct SuppressionTests {
    static let base = "keel: 1\nname: x\ndescription: y\nprofile: degen\nentry: {long: close > open}\nexit: {long: close < open}\n"

    @Test("a line suppression silences its own line only")
    func line() {
        let report = lint(Self.base + "execution: {fees: 0%, slippage: 2bps}  # keel-lint: disable-line zero-fees -- fee-free venue\n")
        #expect(!report.ids.contains("zero-fees"))
        #expect(!report.ids.contains("unused-suppression"))
    }

    @Test("a next-line suppression silences the following line")
    func nextLine() {
        let text = Self.base + "# keel-lint: disable-next-line zero-fees -- fee-free venue\nexecution: {fees: 0%, slippage: 2bps}\n"
        #expect(!lint(text).ids.contains("zero-fees"))
    }

    @Test("a file suppression silences the whole file")
    func file() {
        let text = "# keel-lint: disable-file zero-fees, zero-slippage -- a conformance fixture\n" + Self.base
        let report = lint(text)
        #expect(!report.ids.contains("zero-fees") && !report.ids.contains("zero-slippage"))
    }

    @Test("a suppression without a reason is an error and silences nothing")
    func reasonRequired() {
        let report = lint(Self.base + "execution: {fees: 0%, slippage: 2bps}  # keel-lint: disable-line zero-fees\n")
        #expect(report.ids.contains("suppression-without-reason"))
        #expect(report.ids.contains("zero-fees"))
    }

    @Test("an unused suppression is reported, and so is an unknown rule")
    func unused() {
        let report = lint(Self.base + "execution: {fees: 0.1%, slippage: 2bps}  # keel-lint: disable-line zero-fees, zero-fes -- why\n")
        #expect(report.ids.contains("unused-suppression"))
        #expect(report.first("unknown-rule")?.message.contains("did you mean 'zero-fees'") == true)
    }

    @Test("a '#' inside quotes is not a comment")
    func quotedHash() {
        let report = lint(Self.base.replacingOccurrences(of: "name: x", with: "name: \"a # keel-lint: disable-file zero-fees\""))
        #expect(report.ids.contains("zero-fees"))
    }

    @Test(".keel-lint.yaml turns rules off and re-grades them")
    func configuration() {
        let (configuration, problems) = LintConfiguration.parse(SourceFile(path: ".keel-lint.yaml", text: "rules:\n  zero-fees: off\n  zero-slippage: error\n"))
        #expect(problems.isEmpty)
        let report = lint(Self.base, configuration: configuration)
        #expect(!report.ids.contains("zero-fees"))
        #expect(report.first("zero-slippage")?.severity == .error)
    }

    @Test("problems in .keel-lint.yaml are reported with positions")
    func configurationProblems() {
        let (_, problems) = LintConfiguration.parse(SourceFile(path: ".keel-lint.yaml", text: "rules:\n  zero-fess: off\n  unused-let: loud\nrulez: {}\n"))
        #expect(problems.map(\.id) == ["unknown-rule", "invalid-value", "unknown-key"])
        #expect(problems[0].message.contains("did you mean 'zero-fees'"))
    }
}

@Suite("Reporters")
struct ReporterTests {
    static let broken = "keel: 1\nname: x\nprofile: degen\nentry:\n  long: close > smaa(close, 20)\nexit: {long: close < open}\n"

    @Test("JSON is the documented contract")
    func json() throws {
        let output = Reporter.render([lint(Self.broken, path: "a.yaml"), lint(SuppressionTests.base, path: "b.yaml")], format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(object["files"] as? Int == 2)
        #expect(object["errors"] as? Int == 1)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(object["warnings"] as? Int == diagnostics.filter { $0["severity"] as? String == "warning" }.count)
        let error = try #require(diagnostics.first { $0["id"] as? String == "unknown-function" })
        #expect(error["file"] as? String == "a.yaml")
        #expect(error["line"] as? Int == 5 && error["column"] as? Int == 17)
        #expect(error["severity"] as? String == "error")
        #expect((error["message"] as? String)?.contains("did you mean 'sma'") == true)
        for diagnostic in diagnostics {
            #expect(["error", "warning", "note"].contains(diagnostic["severity"] as? String ?? ""))
        }
    }

    @Test("SARIF 2.1.0 with rules and located results")
    func sarif() throws {
        let output = Reporter.render([lint(Self.broken, path: "a.yaml")], format: .sarif)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let run = try #require((object["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect((driver["rules"] as? [Any])?.count == RuleRegistry.all.count + DiagnosticCatalogue.entries.count)
        let results = try #require(run["results"] as? [[String: Any]])
        let result = try #require(results.first { $0["ruleId"] as? String == "unknown-function" })
        let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        let region = try #require(location["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 5 && region["startColumn"] as? Int == 17 && region["endColumn"] as? Int == 21)
    }

    @Test("SARIF columns count code points: an emoji with a skin tone is one character but two code points")
    func sarifCodePoints() throws {
        let text = "keel: 1\nname: x\nprofile: degen\nsymbols: [\"👍🏽\"]\nentry:\n  long: symbol(\"👍🏽\", close) > smaa(close, 2)\n"
        let report = lint(text, path: "a.yaml")
        let sarif = Reporter.render([report], format: .sarif)
        let json = Reporter.render([report], format: .json)
        // `  long: symbol("` is 16 characters; the emoji is 1 character (2 code points); `", close) > ` 12 more.
        #expect(json.contains("\"column\": 30"))
        #expect(sarif.contains("\"startColumn\": 31"))
    }

    @Test("GitHub annotations escape what the format requires")
    func github() {
        let output = Reporter.render([lint(Self.broken, path: "dir,1/a:b.yaml")], format: .github)
        #expect(output.contains("::error file=dir%2C1/a%3Ab.yaml,line=5,col=17,endLine=5,endColumn=21,title=keel unknown-function::no function 'smaa'"))
        #expect(GitHubReporter.escapeData("50%\nx") == "50%25%0Ax")
    }

    @Test("text shows the source line and a caret under the range")
    func text() {
        let output = Reporter.render([lint(Self.broken, path: "a.yaml")], format: .text)
        #expect(output.contains("""
        a.yaml:5:17: error[unknown-function]: no function 'smaa'; did you mean 'sma'?
           5 |   long: close > smaa(close, 20)
             |                 ^~~~
        """))
        #expect(output.hasSuffix("1 file checked: 1 error, 2 warnings, 1 note\n"))
    }
}

/// Every diagnostic id in the sources has a description SARIF can list: a lint rule or a catalogue
/// entry. Scans the sources for the ways a message is written, so a new id cannot ship undescribed.
@Suite("Diagnostic ids")
struct DiagnosticIdTests {
    /// The Swift sources of the modules that report diagnostics, as (path, text).
    static func sources() throws -> [(String, String)] {
        let root = packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        return try files.filter { ["KeelLanguage", "KeelLint", "Keel/", "KeelCLI/"].contains(where: $0.hasPrefix) }.sorted().map {
            ($0, try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8))
        }
    }

    /// A catalogue message (`.init("id", ...)`, `Self("id", ...)`) or a lint rule's id.
    static var message: Regex<AnyRegexOutput> { try! Regex(#"(?:\.init|Self)\(\s*"([a-z0-9-]+)"|id: (?:String = )?"([a-z0-9-]+)""#) }

    @Test("every id the sources emit is a lint rule or in the catalogue, and the catalogue has no stale entry")
    func described() throws {
        var emitted = Set<String>()
        for (path, text) in try Self.sources() where path.hasSuffix("Messages.swift") || path.hasPrefix("KeelLint/Rules/") {
            for match in text.matches(of: Self.message) {
                if let id = (match.output[1].substring ?? match.output[2].substring).map(String.init) { emitted.insert(id) }
            }
        }
        let described = Set(RuleRegistry.ids).union(DiagnosticCatalogue.entries.map(\.id))
        #expect(emitted.count > 60)
        #expect(emitted.subtracting(described).isEmpty, "undescribed: \(emitted.subtracting(described).sorted())")
        let stale = Set(DiagnosticCatalogue.entries.map(\.id)).subtracting(emitted)
        #expect(stale.isEmpty, "in the catalogue but never emitted: \(stale.sorted())")
        #expect(Set(DiagnosticCatalogue.entries.map(\.id)).count == DiagnosticCatalogue.entries.count, "an id is described twice")
    }

    @Test("every message of a phase is written in that phase's catalogue file, none at the place that reports it")
    func messagesInCatalogues() throws {
        let outside = try Self.sources().filter { !$0.0.hasSuffix("Messages.swift") && !$0.0.hasPrefix("KeelLint/Rules/") }
        // A message is made only by a catalogue; a diagnostic by id and text only from a lint rule's finding.
        let catalogue = try Regex(#"extension DiagnosticMessage|DiagnosticMessage\("#)
        for (path, text) in outside where path != "KeelLanguage/Source/Diagnostic.swift" {
            #expect(text.firstMatch(of: catalogue) == nil, "\(path) writes a catalogue message")
            #expect(path == "KeelLint/Linter.swift" || !text.contains("Diagnostic(id:"), "\(path) writes a diagnostic's text itself")
        }
        let catalogues = try Self.sources().filter { $0.0.hasSuffix("Messages.swift") }.map(\.0)
        #expect(catalogues == ["Keel/CompileMessages.swift", "KeelLanguage/Checker/SettingsMessages.swift",
                               "KeelLanguage/Expression/ExpressionMessages.swift", "KeelLanguage/Model/ReaderMessages.swift",
                               "KeelLanguage/YAML/YAMLMessages.swift", "KeelLint/LintMessages.swift"])
    }
}

extension DiagnosticIdTests {
    @Test("docs/diagnostics.md, where SARIF's helpUri points, has a section for every id")
    func documented() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        let headings = Set(text.split(separator: "\n").filter { $0.hasPrefix("### ") }.map { String($0.dropFirst(4)) })
        let ids = Set(RuleRegistry.ids).union(DiagnosticCatalogue.entries.map(\.id))
        #expect(ids.subtracting(headings).isEmpty, "undocumented: \(ids.subtracting(headings).sorted())")
    }
}
