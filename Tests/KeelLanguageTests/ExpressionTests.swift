import Foundation
import KeelTestSupport
import Testing
@testable import KeelLanguage

func parse(_ text: String, limits: ExpressionLimits = .default) -> (Expr, [Diagnostic]) {
    var ids = ExprIDGenerator()
    return ExpressionParser.parse(ExpressionText(standalone: text), ids: &ids, limits: limits)
}

func printed(_ text: String) -> String { ExpressionPrinter.print(parse(text).0) }

@Suite("Expression lexer")
struct LexerTests {
    @Test("units", arguments: [
        ("5%", Token.Kind.percent(5)), ("0.1%", .percent(0.1)), ("2bps", .bps(2)),
        ("30m", .duration(DurationLiteral(count: 30, unit: .minutes))), ("4h", .duration(DurationLiteral(count: 4, unit: .hours))),
        ("2d", .duration(DurationLiteral(count: 2, unit: .days))), ("1w", .duration(DurationLiteral(count: 1, unit: .weeks))),
        ("10 bars", .duration(DurationLiteral(count: 10, unit: .bars))), ("1 bar", .duration(DurationLiteral(count: 1, unit: .bars))),
        ("1e3", .number(1000)), ("2.5e-2", .number(0.025)), (".5", .number(0.5)), ("\"SPY\"", .string("SPY")), ("'a\\'b'", .string("a'b")),
    ])
    func units(text: String, kind: Token.Kind) {
        let tokens = Lexer.tokenize(text)
        #expect(tokens.count == 2)
        #expect(tokens[0].kind == kind)
    }

    @Test("misused operators get a hint", arguments: [("a = b", "'=='"), ("a && b", "'and'"), ("a || b", "'or'"), ("!a", "'not'"), ("5x", "unknown unit 'x'")])
    func hints(text: String, hint: String) {
        let (_, problems) = parse(text)
        #expect(problems.count == 1)
        #expect(problems[0].message.contains(hint))
    }

    @Test("a number then a word is not a unit")
    func numberThenWord() {
        #expect(printed("x > 10 and y") == "x > 10 and y")
    }
}

@Suite("Expression parser")
struct ParserTests {
    @Test("precedence and associativity", arguments: [
        ("a + b * c", "a + b * c"), ("(a + b) * c", "(a + b) * c"), ("a - (b - c)", "a - (b - c)"), ("a - b - c", "a - b - c"),
        ("not a and b", "not a and b"), ("not (a and b)", "not (a and b)"), ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"), ("-x[1]", "-x[1]"), ("(-x)[1]", "(-x)[1]"), ("macd(close).signal[2]", "macd(close).signal[2]"),
        ("if a > b then 1 else 2", "if a > b then 1 else 2"), ("1 + (if c then 1 else 2)", "1 + (if c then 1 else 2)"),
        ("sma(source: close, n: 20)", "sma(source: close, n: 20)"), ("a  >=   b", "a >= b"), ("- -x", "--x"),
    ])
    func precedence(input: String, canonical: String) {
        let (_, problems) = parse(input)
        #expect(problems.isEmpty)
        #expect(printed(input) == canonical)
    }

    @Test("comparisons do not chain")
    func chained() {
        let (_, problems) = parse("a < b < c")
        #expect(problems.map(\.id) == ["chained-comparison"])
    }

    @Test("broken input still yields a tree, and the first error is reported", arguments: [
        "sma(close, 20", "close >", "(a + b", ") a", "a b", "sma(close,, 3)", "x[", "if a then b", "a.5", "close > > open", "",
    ])
    func recovery(text: String) {
        let (tree, problems) = parse(text)
        #expect(problems.count == 1)
        #expect(problems[0].severity == .error)
        _ = ExpressionPrinter.print(tree)
    }

    @Test("an unclosed parenthesis notes where it opened")
    func unclosedNote() throws {
        let (_, problems) = parse("sma(close, 20")
        let note = try #require(problems.first?.notes.first?.range)
        #expect(note.start == 3)
    }

    @Test("length: at the limit parses, one byte more is refused")
    func length() {
        let limits = ExpressionLimits(maxLength: 64, maxDepth: 64)
        let atLimit = Array(repeating: "a", count: 32).joined(separator: "+")
        #expect(atLimit.utf8.count == 63)
        #expect(parse(atLimit + " ", limits: limits).1.isEmpty)
        #expect(parse(atLimit + "  ", limits: limits).1.map(\.id) == ["expression-too-long"])
        #expect(ExpressionLimits.default.maxLength == 4_096)
    }

    @Test("depth: at the limit parses, one more is refused")
    func depth() {
        let limits = ExpressionLimits(maxLength: 4_096, maxDepth: 20)
        func nested(_ n: Int) -> String { String(repeating: "(", count: n - 1) + "x" + String(repeating: ")", count: n - 1) }
        #expect(parse(nested(10), limits: limits).1.isEmpty)
        // Each parenthesis level costs two: the group and the expression inside it.
        #expect(parse(nested(10) , limits: limits).1.isEmpty)
        #expect(parse(nested(11), limits: limits).1.map(\.id) == ["expression-too-deep"])
        #expect(parse(String(repeating: "not ", count: 200) + "x").1.map(\.id) == ["expression-too-deep"])
        #expect(parse(String(repeating: "-", count: 10_000) + "x", limits: ExpressionLimits(maxLength: 20_000)).1.map(\.id) == ["expression-too-deep"])
    }

    @Test("node ids are distinct across a strategy")
    func ids() throws {
        let result = check(strategy(entry: "close > sma(close, 20)", extra: "exit:\n  long: close < sma(close, 20)"))
        let parsed = try #require(result.parsed)
        var seen = Set<ExprID>()
        for (_, expr) in parsed.expressions {
            expr.walk { #expect(seen.insert($0.id).inserted) }
        }
        #expect(seen.count == 10)
    }
}

@Suite("Positions map back into the YAML file")
struct PositionMappingTests {
    /// Where `smaa` is reported, for one entry rule written in several YAML styles.
    @Test("plain, quoted, block and folded scalars, after multi-byte text", arguments: [
        "  long: close > smaa(close, 20)  # é",
        "  long: symbol(\"日本株\", close) > smaa(close, 2)",
        "  long: 'symbol(\"Zürich 📈\", close) > smaa(close, 2)'",
        "  long: \"symbol(\\\"Ünïcödé\\\", close) > smaa(close, 2)\"",
        "  long: |\n    symbol(\"日本\", close) >\n      smaa(close, 2)",
        "  long: >\n    symbol(\"日本\", close) >\n    smaa(close, 2)",
        "  long: symbol(\"€\", close) >\n    smaa(close, 2)",
        "  long: \"symbol('€', close) >\n    smaa(close, 2)\"",
    ])
    func styles(rule: String) throws {
        let text = "keel: 1\nname: Ünïcödé 📈\nsymbols: [AAPL, 日本株, \"Zürich 📈\", Ünïcödé, 日本, €]\ntimeframe: 1d\nprofile: degen\nentry:\n\(rule)\n"
        let result = check(text)
        // The expected place is where `smaa` stands in the file itself.
        let offset = try #require(text.range(of: "smaa")).lowerBound.utf16Offset(in: text)
        let byteOffset = String(text.utf16.prefix(offset))!.utf8.count
        let expected = result.file.location(ofOffset: byteOffset)
        #expect(result.location(of: "unknown-function") == expected.description, "\(result.diagnostics)")
        #expect(expected.line >= 7)
        let diagnostic = try #require(result.diagnostics.first { $0.id == "unknown-function" })
        #expect(diagnostic.range.end - diagnostic.range.start == 4)
    }

    @Test("columns count characters, not bytes")
    func characterColumns() {
        let result = check("keel: 1\nname: x\nprofile: degen\nsymbols: [日本株📈]\nentry:\n  long: symbol(\"日本株📈\", close) > smaa(close, 2)\n")
        // `  long: symbol("` is 16 characters, `日本株📈` 4 more, `", close) > ` 12: smaa is at column 33.
        // Counted in UTF-8 bytes it would be column 46.
        #expect(result.location(of: "unknown-function") == "6:33")
    }
}

@Suite("Property tests")
struct PropertyTests {
    static let fragments = ["close", "sma", "(", ")", "[", "]", ",", ".", "+", "-", "*", "/", "<", ">=", "==", "and", "or", "not",
                            "if", "then", "else", "5%", "2bps", "10 bars", "4h", "\"SPY\"", "1", "0.5", "true", ":", "n", "macd",
                            "signal", "=", "!", "&", "é", "\"", "1e", "x", " "]

    @Test("random token streams never crash the parser, and always yield a tree")
    func randomTokens() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<3_000 {
            let count = Int.random(in: 0...24, using: &rng)
            let text = (0..<count).map { _ in Self.fragments.randomElement(using: &rng)! }.joined(separator: " ")
            let (tree, _) = parse(text)
            _ = ExpressionPrinter.print(tree)
            _ = check(strategy(entry: "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\""))
        }
    }

    @Test("printing a parsed expression and parsing it again gives the same tree")
    func roundTrip() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let tree = RandomExpression.make(depth: 5, using: &rng)
            let text = ExpressionPrinter.print(tree)
            let (reparsed, problems) = parse(text)
            #expect(problems.isEmpty, "\(text)")
            #expect(ExpressionPrinter.print(reparsed) == text)
            #expect(Shape(reparsed) == Shape(tree), "\(text)")
        }
    }

    @Test("a backslash before a combining mark is escaped when printed (found by the expression fuzz target)")
    func backslashBeforeCombiningMark() {
        // The string's value is a backslash and U+0616, one grapheme cluster.
        let text = printed("'\\\\\u{0616}'")
        #expect(text == "\"\\\\\u{0616}\"")
        #expect(printed(text) == text)
    }
}

/// The structure of a tree without ids or ranges, for comparing trees.
indirect enum Shape: Equatable {
    case leaf(String)
    case node(String, [Shape])

    init(_ expr: Expr) {
        switch expr.kind {
        case .number(let v): self = .leaf("n\(v)")
        case .percent(let v): self = .leaf("p\(v)")
        case .bps(let v): self = .leaf("b\(v)")
        case .duration(let d): self = .leaf("d\(d)")
        case .string(let s): self = .leaf("s\(s)")
        case .bool(let b): self = .leaf("\(b)")
        case .name(let n): self = .leaf(n)
        case .error: self = .leaf("<error>")
        case .unary(let op, let x): self = .node(op.rawValue, [Shape(x)])
        case .binary(let op, let a, let b): self = .node(op.rawValue, [Shape(a), Shape(b)])
        case .conditional(let c, let t, let e): self = .node("if", [Shape(c), Shape(t), Shape(e)])
        case .history(let b, let o): self = .node("[]", [Shape(b), Shape(o)])
        case .member(let b, let n): self = .node("." + n, [Shape(b)])
        case .call(let n, let args): self = .node(n + "(" + args.map { $0.label ?? "" }.joined(separator: ",") + ")", args.map { Shape($0.value) })
        }
    }
}

/// Random well-formed trees over the whole grammar.
enum RandomExpression {
    static func make(depth: Int, using rng: inout SeededGenerator) -> Expr {
        var ids = ExprIDGenerator()
        return make(depth: depth, ids: &ids, using: &rng)
    }

    private static func node(_ kind: Expr.Kind, _ ids: inout ExprIDGenerator) -> Expr {
        Expr(id: ids.make(), kind: kind, range: .at(0))
    }

    private static func make(depth: Int, ids: inout ExprIDGenerator, using rng: inout SeededGenerator) -> Expr {
        if depth == 0 || Int.random(in: 0..<4, using: &rng) == 0 { return leaf(&ids, &rng) }
        let d = depth - 1
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            let op = [UnaryOperator.negate, .not].randomElement(using: &rng)!
            return node(.unary(op, make(depth: d, ids: &ids, using: &rng)), &ids)
        case 1, 2:
            let op = BinaryOperator.allCases.randomElement(using: &rng)!
            return node(.binary(op, make(depth: d, ids: &ids, using: &rng), make(depth: d, ids: &ids, using: &rng)), &ids)
        case 3:
            return node(.conditional(make(depth: d, ids: &ids, using: &rng), make(depth: d, ids: &ids, using: &rng),
                                     make(depth: d, ids: &ids, using: &rng)), &ids)
        case 4:
            return node(.history(make(depth: d, ids: &ids, using: &rng), node(.number(Double(Int.random(in: 0...5, using: &rng))), &ids)), &ids)
        case 5:
            return node(.member(make(depth: d, ids: &ids, using: &rng), ["signal", "upper", "k"].randomElement(using: &rng)!), &ids)
        default:
            let count = Int.random(in: 0...3, using: &rng)
            let args = (0..<count).map { i in
                CallArgument(label: i == 2 ? "n" : nil, value: make(depth: d, ids: &ids, using: &rng))
            }
            return node(.call(["sma", "crosses_above", "max"].randomElement(using: &rng)!, args), &ids)
        }
    }

    private static func leaf(_ ids: inout ExprIDGenerator, _ rng: inout SeededGenerator) -> Expr {
        let kinds: [Expr.Kind] = [
            .number(Double(Int.random(in: 0...500, using: &rng))), .number(Double.random(in: 0...10, using: &rng)),
            .percent(Double(Int.random(in: 1...50, using: &rng))), .bps(2.5), .bool(Bool.random(using: &rng)),
            .duration(DurationLiteral(count: Int.random(in: 1...50, using: &rng), unit: DurationLiteral.Unit.allCases.randomElement(using: &rng)!)),
            .string("S\"P\\Y"), .name(["close", "open", "fast_ma", "position"].randomElement(using: &rng)!),
        ]
        return node(kinds.randomElement(using: &rng)!, &ids)
    }
}
