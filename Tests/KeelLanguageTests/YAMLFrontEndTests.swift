import Foundation
import Testing
@testable import KeelLanguage

@Suite("YAML front end")
struct YAMLFrontEndTests {
    @Test("every node keeps its start and end")
    func ranges() throws {
        let text = "a: 1\nb:\n  - x\n  - {c: hello}\n"
        let (root, problems) = load(text)
        #expect(problems.isEmpty)
        let pairs = try #require(root?.pairs)
        let source = file(text)
        #expect(pairs.map(\.name) == ["a", "b"])
        #expect(source.location(ofOffset: pairs[0].value.range.start).description == "1:4")
        let items = try #require(pairs[1].value.items)
        let inner = try #require(items[1].pairs?.first)
        #expect(source.location(ofOffset: inner.value.range.start).description == "4:9")
        #expect(inner.value.range.end - inner.value.range.start == 5)
    }

    @Test("a duplicate key is reported at the duplicate, with a note at the first")
    func duplicateKey() throws {
        let result = check("keel: 1\nname: a\nentry: {long: close > open}\nname: b\n")
        let duplicate = try #require(result.diagnostics.first { $0.id == "duplicate-key" })
        #expect(result.location(of: "duplicate-key") == "4:1")
        let note = try #require(duplicate.notes.first?.range)
        #expect(result.file.location(ofOffset: note.start).description == "2:1")
    }

    @Test("anchors, aliases and tags are refused")
    func anchorsAliasesTags() {
        let result = check("keel: 1\nentry: {long: close > open}\nname: &n x\ndescription: *n\nsymbols: !!str AAPL\n")
        #expect(result.ids.contains("yaml-anchor"))
        #expect(result.ids.contains("yaml-alias"))
        #expect(result.ids.contains("yaml-tag"))
        #expect(result.location(of: "yaml-alias") == "4:14")
    }

    /// The 386-byte "billion laughs" of YAML: expanded it is 9^9 strings.
    static let aliasBomb = """
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """

    @Test("the alias bomb is rejected without being expanded")
    func aliasBomb() {
        #expect(Self.aliasBomb.utf8.count < 400)
        let start = ContinuousClock.now
        let result = check(Self.aliasBomb)
        let elapsed = ContinuousClock.now - start
        #expect(result.ids.contains("yaml-anchor"))
        #expect(result.ids.contains("yaml-alias"))
        // Expanded, this takes Yams about a minute; refused while streaming it is a single pass.
        #expect(elapsed < .seconds(2))
    }

    @Test("an alias bomb hidden in a complex key is refused too")
    func complexKeyBomb() {
        let text = Self.aliasBomb + "\n? *i\n: 1\n"
        let result = check(text)
        #expect(result.ids.contains("yaml-alias"))
        #expect(result.hasErrors)
    }

    @Test("YAML 1.1 surprises never change a value silently")
    func yaml11() throws {
        let text = """
        keel: 1
        name: no
        symbols: [NO, "ON", AAPL]
        profile: degen
        params: {fast: 010}
        entry: {long: close > sma(close, fast)}
        risk: {allow_short: no}
        """
        let result = check(text)
        let parsed = try #require(result.parsed)
        #expect(parsed.name?.value == "no")
        #expect(parsed.symbols.map(\.value) == ["NO", "ON", "AAPL"])
        #expect(result.checked?.paramValues["fast"] == .number(10))
        #expect(result.checked?.risk.allowShort == false)
        let ambiguous = result.diagnostics.filter { $0.id == "ambiguous-scalar" }
        // name: no, NO (the quoted "ON" is unambiguous), 010, allow_short: no
        #expect(ambiguous.count == 4)
        #expect(ambiguous.allSatisfy { $0.severity == .warning })
    }

    @Test("syntax errors point at the problem")
    func syntaxError() {
        let result = check("keel: 1\nentry:\n  long: close > open\n   bad: x\n")
        #expect(result.ids == ["yaml-syntax"])
        #expect(result.location(of: "yaml-syntax")?.hasPrefix("4:") == true)
    }

    @Test("a tab in the indentation is a clear error")
    func tabs() {
        let result = check("keel: 1\nentry:\n\tlong: close > open\n")
        #expect(result.ids == ["yaml-syntax"])
        #expect(result.diagnostics[0].message.contains("spaces"))
    }

    @Test("several documents in one file are refused")
    func multipleDocuments() {
        let result = check("keel: 1\nentry: {long: close > open}\n---\nkeel: 1\n")
        #expect(result.ids.contains("yaml-multiple-documents"))
    }

    @Test("an empty file says what a strategy needs")
    func emptyFile() {
        #expect(check("").ids == ["empty-file"])
        #expect(check("# only a comment\n").ids == ["empty-file"])
    }
}

@Suite("YAML limits at their boundaries")
struct YAMLLimitTests {
    func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test("depth: at the limit passes, one more fails")
    func depth() {
        let limits = YAMLLimits(maxDepth: 32)
        #expect(load(nested(32), limits: limits).1.isEmpty)
        #expect(load(nested(33), limits: limits).1.map(\.id) == ["yaml-too-deep"])
        // The default is the same 32.
        #expect(load(nested(33)).1.map(\.id) == ["yaml-too-deep"])
    }

    @Test("node count: at the limit passes, one more fails")
    func nodes() {
        // A flow sequence of n - 1 scalars is n nodes.
        let limits = YAMLLimits(maxNodes: 100)
        let atLimit = "[" + Array(repeating: "1", count: 99).joined(separator: ",") + "]"
        let over = "[" + Array(repeating: "1", count: 100).joined(separator: ",") + "]"
        #expect(load(atLimit, limits: limits).1.isEmpty)
        #expect(load(over, limits: limits).1.map(\.id) == ["yaml-too-many-nodes"])
    }

    @Test("file size: at the limit passes, one byte more fails")
    func size() {
        let limits = YAMLLimits(maxBytes: 64)
        let atLimit = "a: " + String(repeating: "x", count: 61)
        #expect(atLimit.utf8.count == 64)
        #expect(load(atLimit, limits: limits).1.isEmpty)
        #expect(load(atLimit + "x", limits: limits).1.map(\.id) == ["file-too-large"])
        #expect(YAMLLimits.default.maxBytes == 1 << 20)
    }
}
