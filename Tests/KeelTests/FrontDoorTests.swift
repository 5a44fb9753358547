import Foundation
import Keel
import KeelTestSupport
import Testing

/// The front door as an embedder uses it: one import, compile to a program or diagnostics, backtest, sweep.
@Suite("Keel, the front door")
struct FrontDoorTests {
    static let root = KeelBinary.root
    static let smaCross = root.appendingPathComponent("Strategies/sma_cross.yaml").path
    static let aapl = root.appendingPathComponent("Examples/data/AAPL.csv").path

    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test("a clean strategy compiles; its warnings and notes come with it as values")
    func compiles() throws {
        let compilation = Keel.compile(try Self.text(Self.smaCross), path: "sma_cross.yaml")
        #expect(!compilation.hasErrors)
        let strategy = try #require(compilation.strategy)
        #expect(strategy.path == "sma_cross.yaml" && strategy.checked.parsed.params.map(\.name) == ["fast", "slow"])
    }

    @Test("errors of every phase are diagnostics at their positions, sorted; no program")
    func diagnostics() throws {
        let text = """
            keel: 1
            name: broken
            profile: degen
            timeframe: 1d
            symbols: [AAPL, SPY]
            entry:
              long: close > timeframe(1w, symbol("SPY", sma(close, 5)))
            exit:
              long: close < smaa(close, 5)
            """
        let compilation = Keel.compile(text, path: "broken.yaml")
        #expect(compilation.strategy == nil)
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        // The checker's error is reported; the compiler is not reached while the checker refuses.
        #expect(errors.map(\.id) == ["unknown-function"])
        #expect(compilation.rendered().contains("broken.yaml:9:17: error[unknown-function]"))

        // With the checker satisfied, the compiler's refusal is a diagnostic too, at its position.
        let unsupported = Keel.compile(text.replacingOccurrences(of: "smaa", with: "sma"), path: "broken.yaml")
        #expect(unsupported.strategy == nil)
        let diagnostic = try #require(unsupported.diagnostics.first { $0.severity == .error })
        #expect(diagnostic.id == "engine-unsupported" && DiagnosticCatalogue.entry(diagnostic.id) != nil)
        #expect(unsupported.file.location(ofOffset: diagnostic.range.start).description == "7:17")
        #expect(throws: LoadedStrategy.Refusal.self) { try LoadedStrategy(path: "broken.yaml", text: text) }
    }

    @Test("params replace the strategy's own; a param value the checker refuses is a diagnostic")
    func params() throws {
        let text = try Self.text(Self.smaCross)
        let five = try #require(Keel.compile(text, path: "s.yaml", params: ["fast": .number(5)]).strategy)
        let ten = try #require(Keel.compile(text, path: "s.yaml").strategy)
        let data = { try MarketData.open([("AAPL", Self.aapl)], policy: .init(useCache: false)) }
        let a = try Keel.backtest(five, data: try data()), b = try Keel.backtest(ten, data: try data())
        #expect(a.finalEquity != b.finalEquity)
        #expect(Keel.compile(text, path: "s.yaml", params: ["fast": .bool(true)]).hasErrors)
        // A value for a param the file does not declare is an error, never silently unused.
        let misspelled = Keel.compile(text, path: "s.yaml", params: ["fsat": .number(5)])
        let problem = try #require(misspelled.diagnostics.first { $0.id == "unknown-param" })
        #expect(misspelled.strategy == nil && problem.message.contains("did you mean 'fast'"))
        #expect(misspelled.rendered().contains("s.yaml:\(misspelled.file.location(ofOffset: problem.range.start))"))
    }

    @Test("a sweep gives what single backtests give, combination by combination")
    func sweep() throws {
        let text = try Self.text(Self.smaCross)
        let strategy = try #require(Keel.compile(text, path: "s.yaml").strategy)
        let sweep = try ParameterSweep(strategy, fixed: ["slow": .number(40)], axes: ParameterSweep.parse(["fast=5,10"], list: true))
        #expect(sweep.combinations.count == 2)
        let feeds = try MarketData.load(try MarketData.open([("AAPL", Self.aapl)], policy: .init(useCache: false)))
        let runs = try sweep.run(feeds: feeds, capital: 100_000, jobs: 2)
        for (run, fast) in zip(runs, [5.0, 10.0]) {
            let single = try #require(Keel.compile(text, path: "s.yaml", params: ["fast": .number(fast), "slow": .number(40)]).strategy)
            #expect(run.result.finalEquity == (try Keel.backtest(single, data: try MarketData.open([("AAPL", Self.aapl)]))).finalEquity)
        }
        #expect(throws: ParameterSweep.Failure.self) { try ParameterSweep(strategy, axes: [("fsat", [.number(1)])]) }
    }

    @Test("the data policy: the cache is built in its folder, not next to the CSV, and gives the CSV's result; a missing file is Unreadable")
    func marketData() throws {
        let folder = try KeelBinary.temporaryFolder()
        let csv = folder.appendingPathComponent("AAPL.csv").path
        try FileManager.default.copyItem(atPath: Self.aapl, toPath: csv)
        let strategy = try #require(Keel.compile(try Self.text(Self.smaCross), path: "s.yaml").strategy)
        let fromCSV = try Keel.backtest(strategy, data: try MarketData.open([("AAPL", csv)], policy: .init(useCache: false)))
        let cache = folder.appendingPathComponent("cache").path
        let cached = try MarketData.open([("AAPL", csv)], policy: .init(cacheDirectory: cache))
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect((cached.first?.origin?.fromCache ?? false) && entries.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["AAPL.csv", "cache"])
        #expect(try Keel.backtest(strategy, data: cached).finalEquity == fromCSV.finalEquity)
        #expect(throws: MarketData.Unreadable.self) { try MarketData.open([("X", folder.appendingPathComponent("none.csv").path)]) }
    }

    @Test("lint as keel lint runs it: a strategy that checks but the engine cannot run fails lint, at its position")
    func lintCompiles() throws {
        let text = """
            keel: 1
            name: nested
            description: d
            profile: degen
            timeframe: 1d
            symbols: [AAPL, SPY]
            entry:
              long: close > timeframe(1w, symbol("SPY", sma(close, 5)))
            """
        let file = SourceFile(path: "nested.yaml", text: text)
        #expect(Linter().lint(file).count(.error) == 0)
        let report = Keel.lint(file)
        let error = try #require(report.diagnostics.first { $0.severity == .error })
        #expect(error.id == "engine-unsupported" && file.location(ofOffset: error.range.start).description == "8:17")
        #expect(Keel.lint(SourceFile(path: "s.yaml", text: try Self.text(Self.smaCross))).count(.error) == 0)
    }
}

/// A lint rule written outside Keel, through the public extension point: `Linter(rules:)`.
struct SymbolsRequiredRule: LintRule {
    let description = RuleDescription(
        id: "house-symbols-required", name: "The universe is written down", severity: .warning,
        rationale: "Our desk runs only strategies that name their symbols.",
        triggering: [LintExample("↓entry: {long: close > open}\n")],
        nonTriggering: [LintExample("symbols: [AAPL]\nentry: {long: close > open}\n")])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard strategy.parsed.symbols.isEmpty else { return [] }
        return [LintFinding("name the symbols this strategy trades under 'symbols:'", at: strategy.parsed.keys["entry"] ?? .at(0))]
    }
}

@Suite("Keel's extension point: lint rules from outside")
struct CustomRuleTests {
    @Test("a rule of the embedder's own runs beside Keel's, at its marked place, and is silent where it should be")
    func customRule() {
        let linter = Linter(rules: RuleRegistry.all + [SymbolsRequiredRule()])
        let rule = SymbolsRequiredRule()
        for example in rule.description.triggering {
            let found = Keel.compile(example.text, path: "a.yaml", linter: linter).diagnostics.filter { $0.id == rule.id }
            #expect(found.map { $0.range.start } == example.markers)
            #expect(found.first?.severity == .warning)
        }
        for example in rule.description.nonTriggering {
            #expect(!Keel.compile(example.text, path: "b.yaml", linter: linter).diagnostics.contains { $0.id == rule.id })
        }
    }
}

@Suite("The front door's docs")
struct FrontDoorDocsTests {
    @Test("every public declaration of the Keel module has a doc comment (DocC renders them; .ci/docs.sh builds them)")
    func documented() throws {
        let folder = KeelBinary.root.appendingPathComponent("Sources/Keel")
        var undocumented: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let lines = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).hasPrefix("public ") {
                var above = index - 1
                while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
                if above < 0 || !lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    undocumented.append("\(name):\(index + 1)")
                }
            }
        }
        #expect(undocumented.isEmpty, "undocumented: \(undocumented)")
    }
}
