import KeelLanguage

struct ZeroFeesRule: LintRule {
    let description = RuleDescription(
        id: "zero-fees", name: "No trading fees", severity: .warning,
        rationale: "Every real venue charges something. A backtest without fees overstates returns, most of all for strategies that trade often.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            execution: {fees: ↓0%, slippage: 2bps}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            execution: {fees: 0.1%, slippage: 2bps}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let costs = strategy.costs
        guard costs.feeFraction == 0, costs.feePerUnit == 0, costs.feePerOrder == 0 else { return [] }
        let range = strategy.parsed.execution.fees?.range ?? strategy.parsed.execution.range ?? strategy.keyRange("entry")
        let written = strategy.parsed.execution.fees != nil
        return [LintFinding(written ? "fees of zero are unrealistic; set the venue's fee, e.g. 'fees: 0.1%'"
                                    : "no fees set, so trades are free; add e.g. 'execution: {fees: 0.1%}'", at: range)]
    }
}

struct ZeroSlippageRule: LintRule {
    let description = RuleDescription(
        id: "zero-slippage", name: "No slippage", severity: .warning,
        rationale: "Orders rarely fill exactly at the price the backtest sees. Some slippage keeps results honest.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            execution: {fees: 0.1%, slippage: ↓0bps}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            execution: {fees: 0.1%, slippage: 2bps}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let costs = strategy.costs
        guard costs.slippageFraction == 0, costs.slippageTicks == 0 else { return [] }
        let range = strategy.parsed.execution.slippage?.range ?? strategy.parsed.execution.range ?? strategy.keyRange("entry")
        let written = strategy.parsed.execution.slippage != nil
        return [LintFinding(written ? "slippage of zero is unrealistic; e.g. 'slippage: 2bps'"
                                    : "no slippage set, so every fill is perfect; add e.g. 'execution: {slippage: 2bps}'", at: range)]
    }
}

struct FillAtCloseRule: LintRule {
    let description = RuleDescription(
        id: "fill-at-close", name: "Filling at the close that decided", severity: .warning,
        rationale: "With 'fill: close' an order fills at the very price its rule just read. Live, the order reaches the market after that price is gone; 'next_open' is what can really be traded.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: close < sma(close, 20)}
            execution: {fill: ↓close}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: close < sma(close, 20)}
            execution: {fill: next_open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard let fill = strategy.parsed.execution.fill, fill.value == .close else { return [] }
        return [LintFinding("'fill: close' trades at the price the rule just read, which live trading cannot; prefer 'next_open'", at: fill.range)]
    }
}

struct WarmupExceedsHistoryRule: LintRule {
    let description = RuleDescription(
        id: "warmup-exceeds-history", name: "Warm-up longer than the usual history", severity: .warning,
        rationale: "A rule that needs more bars than a feed of its timeframe usually has (20 years of daily or weekly bars, 2 years of intraday bars) never gets a value, so the strategy never trades.",
        triggering: [LintExample("""
            profile: degen
            timeframe: 1w
            entry: {long: ↓close > sma(close, 2000)}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            timeframe: 1w
            entry: {long: close > sma(close, 52)}
            exit: {long: close < open}
            """)])

    /// Bars a feed of this bar size usually holds: 20 years at a day and above, 2 years below.
    static func typicalBars(barSeconds: Int) -> Int {
        let day = 86_400
        let years = barSeconds >= day ? 20 : 2
        let tradingSeconds = barSeconds >= day ? 252 * day : 365 * day
        let bars = Double(years) * Double(tradingSeconds) / Double(barSeconds)
        return barSeconds >= 7 * day ? Int(Double(years) * 52) : Int(bars)
    }

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let bars = strategy.timeframe.map { Self.typicalBars(barSeconds: $0) } ?? Self.typicalBars(barSeconds: 86_400)
        var findings: [LintFinding] = []
        for (role, expr) in strategy.ruleExpressions {
            if case .letBinding = role { continue }
            let warmup = strategy.info[expr.id]?.warmup ?? 0
            guard warmup > bars else { continue }
            let frame = strategy.parsed.timeframe.map { "\($0.value)" } ?? "daily"
            findings.append(LintFinding("this rule needs \(warmup) bars before its first value; \(frame) data usually has about \(bars)",
                                        at: expr.range))
        }
        return findings
    }
}

extension CheckedStrategy {
    var timeframe: Int? { parsed.timeframe?.value.seconds }
}
