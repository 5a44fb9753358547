import Foundation
import Testing
@testable import KeelLanguage

@Suite("Checker")
struct CheckerTests {
    @Test("names, types, arity, windows and history", arguments: [
        ("close > sma(close, 20)", nil),
        ("close > smaa(close, 20)", "unknown-function"),
        ("clse > open", "unknown-name"),
        ("close > sma(close)", "arity"),
        ("close > sma(close, 20, 3)", "arity"),
        ("'close > sma(close, n: 20, m: 3)'", "unknown-argument"),
        ("close > sma(close, close)", "non-constant-window"),
        ("close > sma(close, 0)", "window-out-of-range"),
        ("close > sma(close, 10001)", "window-out-of-range"),
        ("close > sma(close, 2.5)", "window-out-of-range"),
        ("close > close[-1]", "negative-history"),
        ("close > close[bar_index]", "non-constant-history"),
        ("close > close[1.5]", "invalid-history"),
        ("close", "type-mismatch"),
        ("close > true", "type-mismatch"),
        ("close and open > 1", "type-mismatch"),
        ("not close", "type-mismatch"),
        ("macd(close) > 0", "missing-member"),
        ("macd(close).sgnal > 0", "unknown-member"),
        ("sma(close, 20).upper > 0", "unknown-member"),
        ("position > 0", "missing-member"),
        ("position.size > 0", nil),
        ("signal.sentiment > 0.5", nil),
        ("sma > 1", "missing-call"),
        ("close() > 1", "not-a-function"),
        ("close / 0 > 1", "division-by-zero"),
        ("entry_price > 1", "unknown-name"),
        ("symbol(\"SPY\", close > sma(close, 200))", nil),
        ("symbol(SPY, close) > 1", "unknown-name"),
        ("timeframe(1d, close > sma(close, 50))", nil),
        ("timeframe(30m, close > open)", "invalid-timeframe"),
        ("timeframe(90m, close > open)", "invalid-timeframe"),
        ("timeframe(10 bars, close > open)", "type-mismatch"),
        ("if close > open then true else 1", "type-mismatch"),
        ("(if close > open then close else open) > 3", nil),
        ("crosses_above(close, true)", "type-mismatch"),
        ("barssince(close) > 3", "type-mismatch"),
        ("roc(close, 10) > 5%", nil),
        ("rsi(close, 14) < 30 and yes", "unknown-name"),
    ] as [(String, String?)])
    func expressions(entry: String, expected: String?) {
        let result = check(strategy(entry: entry))
        if let expected {
            #expect(result.errorIDs.contains(expected), "\(entry): \(result.errorIDs)")
        } else {
            #expect(result.errorIDs.isEmpty, "\(entry): \(result.diagnostics.map(\.message))")
        }
    }

    @Test("warm-up is computed statically, in strategy bars", arguments: [
        ("close > sma(close, 20)", 19), ("crosses_above(sma(close, 10), sma(close, 30))", 30), ("rsi(close, 14) < 30", 14),
        ("close > highest(high, 20)[1]", 20), ("macd(close).macd > 0", 33), ("close > ema(sma(close, 10), 5)", 13),
        ("atr(14) > 1", 14), ("adx(14) > 25", 27), ("close > 1", 0), ("close[5] > close", 5),
        ("timeframe(1d, close > sma(close, 50))", 49 * 24 + 24), ("timeframe(4h, close[1] > close)", 4 + 4),
        ("symbol(\"SPY\", close > sma(close, 200))", 199),
    ] as [(String, Int)])
    func warmup(entry: String, bars: Int) throws {
        let result = check(strategy(entry: entry))
        #expect(result.errorIDs.isEmpty, "\(result.diagnostics.map(\.message))")
        let checked = try #require(result.checked)
        #expect(checked.ruleWarmups[.entry(.long)] == bars)
        #expect(checked.warmup == bars)
    }

    @Test("params fold into windows; lets are shared and typed")
    func paramsAndLets() throws {
        let text = strategy(entry: "trend and fast_ma > 0", extra: """
        params: {fast: 10, slow: fast * 3}
        let:
          fast_ma: sma(close, fast)
          trend: fast_ma > sma(close, slow)
        """)
        let result = check(text)
        #expect(result.errorIDs.isEmpty, "\(result.diagnostics.map(\.message))")
        let checked = try #require(result.checked)
        #expect(checked.paramValues["slow"] == .number(30))
        #expect(checked.warmup == 29)
        #expect(checked.letUses["fast_ma"] == 2)
    }

    @Test("a let that depends on itself is a cycle")
    func cycle() {
        let result = check(strategy(entry: "a", extra: "let:\n  a: b and close > open\n  b: a"))
        #expect(result.errorIDs.contains("let-cycle"))
    }

    @Test("params are constants and may use only earlier params")
    func paramRules() {
        #expect(check(strategy(entry: "close > x", extra: "params: {x: close}")).errorIDs.contains("non-constant-param"))
        #expect(check(strategy(entry: "close > x", extra: "params: {x: y, y: 2}")).errorIDs.contains("unknown-name"))
        #expect(check(strategy(entry: "close > x", extra: "params: {x: sma(close, 3)}")).errorIDs.contains("non-constant-param"))
    }

    @Test("settings resolve: stops, ladder, sizing, costs, risk")
    func settings() throws {
        let text = """
        keel: 1
        name: Settings
        profile: balanced
        entry: {long: close > open}
        stop_loss: {trailing: 3%}
        take_profit:
          - {at: 5%, close: 50%}
          - {at: entry_price + 2 * atr(14)}
        time_stop: 2d
        allocation:
          size: volatility_target(15%, 30)
          lot: 10
          max_positions: 3
        execution: {fill: close, fees: {percent: 10bps, per_order: 1}, slippage: {ticks: 2, tick_size: 0.01}, intrabar: nearest_first}
        risk: {daily_loss_limit: 2%, max_drawdown: off, cooldown: 5 bars, session_start: "13:30", allow_short: false}
        """
        let result = check(text)
        #expect(result.errorIDs.isEmpty, "\(result.diagnostics.map(\.message))")
        let c = try #require(result.checked)
        #expect(c.stopLoss?.trailing == true)
        guard case .percent(let stop)? = c.stopLoss?.level else { Issue.record("stop"); return }
        #expect(abs(stop - 0.03) < 1e-15)
        #expect(c.takeProfit.count == 2)
        #expect(c.takeProfit[0].closeFraction == 0.5 && c.takeProfit[1].closeFraction == 1)
        #expect(c.timeStop == .seconds(2 * 86_400))
        #expect(c.sizing == .volatilityTarget(0.15, lookback: 30))
        #expect(c.lot == 10 && c.maxPositions == 3)
        #expect(c.fill == .close && c.intrabar == .nearestFirst)
        #expect(c.costs.feeFraction == 0.001 && c.costs.feePerOrder == 1 && c.costs.slippageTicks == 2 && c.costs.tickSize == 0.01)
        #expect(c.risk.limit(.dailyLossLimit) == 0.02)
        #expect(c.risk.limit(.maxDrawdown) == nil)
        #expect(c.risk.limit(.cooldown) == 5)
        #expect(c.risk.sessionStartSeconds == 13 * 3_600 + 30 * 60)
        #expect(c.risk.allowShort == false)
    }

    @Test("risk sizing needs a stop")
    func riskSizingNeedsStop() {
        let result = check("keel: 1\nname: x\nentry: {long: close > open}\nallocation: {size: risk(1%)}\n")
        #expect(result.errorIDs.contains("risk-sizing-without-stop"))
    }

    @Test("unknown keys everywhere get a suggestion", arguments: [
        ("stoploss: 5%", "stop_loss"), ("allocation: {sise: fixed(1)}", "size"), ("execution: {fess: 0.1%}", "fees"),
        ("risk: {daily_loss: 2%}", "daily_loss_limit"), ("take_profit: [{att: 5%}]", "at"), ("exit: {lng: close < open}", "long"),
    ])
    func unknownKeys(line: String, suggestion: String) throws {
        let result = check("keel: 1\nname: x\nentry: {long: close > open}\n\(line)\n")
        let unknown = try #require(result.diagnostics.first { $0.id == "unknown-key" })
        #expect(unknown.message.contains("did you mean '\(suggestion)'"))
    }

    @Test("inside {...} and [...] an expression runs to the ',' at depth 0, as authors mean it")
    func flowExpressions() throws {
        let text = """
        keel: 1
        name: x
        profile: degen
        params: {fast: 10, slow: 30}
        entry: {long: crosses_above(sma(close, fast), sma(close, slow)), short: max(sma(close, 5), sma(close, 5)) < open}
        exit: {long: "crosses_below(sma(close, fast), sma(close, slow))"}
        take_profit: [{at: entry_price + max(atr(14), 1), close: 50%}, {at: 20%}]
        """
        let result = check(text)
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics.map(\.message))")
        let parsed = try #require(result.parsed)
        #expect(parsed.entry.long.map(ExpressionPrinter.print) == "crosses_above(sma(close, fast), sma(close, slow))")
        #expect(parsed.entry.short.map(ExpressionPrinter.print) == "max(sma(close, 5), sma(close, 5)) < open")
        #expect(parsed.takeProfit.count == 2)
        #expect(result.checked?.takeProfit.first?.closeFraction == 0.5)
        // Positions inside the repaired value still map to the file.
        let bad = check("keel: 1\nname: x\nentry: {long: crosses_above(sma(close, 10), smaa(close, 30))}\n")
        #expect(bad.location(of: "unknown-function") == "3:45")
    }

    @Test("a ',' that cuts a broken expression inside {...} gets a pointed hint")
    func flowCommaHint() throws {
        let result = check("keel: 1\nname: x\nentry: {long: close > sma(close, 20}\n")
        let problem = try #require(result.diagnostics.first { $0.id == "syntax-error" })
        #expect(problem.message.contains("quote the expression"))
    }

    @Test("missing keel: and entry: are reported together")
    func required() {
        let result = check("name: x\n")
        #expect(result.errorIDs.filter { $0 == "missing-key" }.count == 2)
    }

    @Test("a broken entry does not hide a broken exit")
    func everyError() {
        let result = check("keel: 1\nname: x\nentry: {long: close > smaa(close, 2)}\nexit: {long: close < lowst(low, 3)}\nstop_loss: 5%%\n")
        #expect(result.errorIDs.filter { $0 == "unknown-function" }.count == 2)
        #expect(result.errorIDs.contains("syntax-error"))
    }
}

@Suite("Risk profiles")
struct RiskProfileTests {
    @Test("the numbers of the design's risk-profile table")
    func table() {
        let rows: [(ProfileName, Double, Double, Double, Double, Double, Double, Severity?, Int, Bool)] = [
            (.conservative, 0.005, 0.10, 0.50, 1, 0.02, 0.10, .error, 5, false),
            (.balanced, 0.01, 0.20, 1.00, 1, 0.03, 0.20, .warning, 10, true),
            (.aggressive, 0.02, 0.35, 1.50, 2, 0.05, 0.30, .warning, 20, true),
            (.degen, 0.05, 1.00, 3.00, 10, 0.15, 0.60, nil, 50, true),
        ]
        for row in rows {
            let p = RiskProfile.named(row.0)
            #expect(p.riskPerTrade == row.1 && p.maxPosition == row.2 && p.maxGrossExposure == row.3 && p.maxLeverage == row.4)
            #expect(p.dailyLossLimit == row.5 && p.maxDrawdown == row.6 && p.stopLossRequired == row.7)
            #expect(p.maxOpenPositions == row.8 && p.allowShort == row.9)
        }
        #expect(Guardrails.maxTakeProfitSteps == 5 && Guardrails.maxStopLosses == 5 && Guardrails.maxProtectiveExits == 8)
    }

    @Test("--profile checks against another profile")
    func profileOverride() throws {
        let text = "keel: 1\nname: x\nprofile: degen\nentry: {long: close > open}\n"
        let (parsed, _) = StrategyReader.read(file(text))
        let (checked, _) = Checker.check(try #require(parsed), options: .init(profileOverride: .conservative))
        #expect(checked.profile.name == .conservative)
        #expect(checked.risk.allowShort == false)
    }

    @Test("timeframe(0d, ...) is an error at its duration, not a crash in the engine (found by the strategy fuzz target)")
    func zeroTimeframe() {
        let result = check("""
            keel: 1
            name: t
            symbols: [X]
            timeframe: 1h
            entry: {long: timeframe(0d, close > open)}
            """)
        #expect(result.diagnostics.contains { $0.severity == .error && $0.id == "invalid-timeframe" }, "\(result.diagnostics.map(\.message))")
        #expect(result.hasErrors)
    }
}
