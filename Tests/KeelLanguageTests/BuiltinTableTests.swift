import Foundation
import Testing
@testable import KeelLanguage

@Suite("Built-in table")
struct BuiltinTableTests {
    /// Every name the design's table of built-ins lists.
    static let designNames = """
    open high low close volume hl2 hlc3 ohlc4 bar_index hour minute day_of_week month year position equity cash drawdown
    daily_pnl signal sma ema wma hma rma vwma dema tema kama rsi stoch stochrsi macd cci mfi williams_r roc momentum atr natr
    true_range adx dmi supertrend bbands keltner donchian stdev variance zscore obv vwap cmf highest lowest crosses_above
    crosses_below rising falling change pct_change barssince valuewhen abs min max clamp round floor ceil sqrt log exp pow sign nz
    """.split(whereSeparator: \.isWhitespace).map(String.init)

    @Test("holds every name of the design, each documented once")
    func complete() {
        for name in Self.designNames { #expect(BuiltinTable.named(name) != nil, "\(name)") }
        #expect(Set(BuiltinTable.all.map(\.name)).count == BuiltinTable.all.count)
        for builtin in BuiltinTable.all {
            #expect(!builtin.doc.isEmpty && !builtin.example.isEmpty, "\(builtin.name)")
        }
    }

    @Test("members of multi-output indicators", arguments: [
        ("macd", ["macd", "signal", "histogram"]), ("bbands", ["upper", "middle", "lower"]), ("keltner", ["upper", "middle", "lower"]),
        ("donchian", ["upper", "middle", "lower"]), ("stoch", ["k", "d"]), ("dmi", ["plus", "minus"]),
    ])
    func members(name: String, outputs: [String]) {
        #expect(BuiltinTable.named(name)?.outputs.map(\.name) == outputs)
    }

    @Test("every worked example checks clean", arguments: BuiltinTable.all.map(\.name))
    func example(name: String) throws {
        let builtin = try #require(BuiltinTable.named(name))
        let result = check(strategy(entry: builtin.example))
        #expect(result.errorIDs.isEmpty, "\(builtin.example): \(result.diagnostics.map(\.message))")
        // The example really uses the name it documents.
        #expect(builtin.example.contains(name))
    }

    @Test("Grammar/REFERENCE.md is generated from this table and up to date")
    func referenceIsFresh() throws {
        let path = packageRoot.appendingPathComponent("Grammar/REFERENCE.md")
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == LanguageReference.markdown(), "stale: run `keel reference > Grammar/REFERENCE.md`")
    }

    @Test("a risk limit's ordinal is its place in allCases")
    func riskLimitOrdinals() {
        #expect(RiskLimit.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
    }

    @Test("the JSON Schema names the same keys as the reader")
    func schemaKeys() throws {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("Grammar/keel-strategy.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(StrategyReader.topLevelKeys))
        let risk = try #require((properties["risk"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(risk.keys) == Set(RiskLimit.allCases.map(\.rawValue)))
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}
