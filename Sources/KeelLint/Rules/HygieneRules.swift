import KeelLanguage

struct UnusedParamRule: LintRule {
    let description = RuleDescription(
        id: "unused-param", name: "A param no rule uses", severity: .warning,
        rationale: "An unused param still shows up in sweeps and reports as if it mattered; remove it or use it.",
        triggering: [LintExample("""
            profile: degen
            params: {fast: 10, ↓slow: 30}
            entry: {long: close > sma(close, fast)}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            params: {fast: 10}
            entry: {long: close > sma(close, fast)}
            exit: {long: close < open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        strategy.parsed.params.compactMap { decl in
            strategy.paramUses[decl.name, default: 0] == 0
                ? LintFinding("param '\(decl.name)' is never used", at: decl.nameRange) : nil
        }
    }
}

struct UnusedLetRule: LintRule {
    let description = RuleDescription(
        id: "unused-let", name: "A let no rule uses", severity: .warning,
        rationale: "An unused let is computed on every bar for nothing, and often means a rule reads the wrong name.",
        triggering: [LintExample("""
            profile: degen
            let: {↓trend: close > sma(close, 50)}
            entry: {long: close > open}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            let: {trend: close > sma(close, 50)}
            entry: {long: trend}
            exit: {long: not trend}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        strategy.parsed.lets.compactMap { decl in
            strategy.letUses[decl.name, default: 0] == 0
                ? LintFinding("let '\(decl.name)' is never used", at: decl.nameRange) : nil
        }
    }
}

struct TooManyParamsRule: LintRule {
    let description = RuleDescription(
        id: "too-many-params", name: "More than 10 params", severity: .warning,
        rationale: "Each tunable parameter is a degree of freedom to fit noise. Past ten, a good backtest says more about the search than about the market.",
        triggering: [LintExample("""
            profile: degen
            ↓params: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11}
            entry: {long: close > a + b + c + d + e + f + g + h + i + j + k}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            params: {a: 1, b: 2}
            entry: {long: close > a + b}
            exit: {long: close < open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let params = strategy.parsed.params
        guard params.count > Guardrails.maxParams else { return [] }
        return [LintFinding("\(params.count) params; more than \(Guardrails.maxParams) invite overfitting", at: strategy.keyRange("params"))]
    }
}

struct UnknownSymbolRule: LintRule {
    let description = RuleDescription(
        id: "unknown-symbol", name: "A symbol outside the universe", severity: .warning,
        rationale: "symbol(\"SPY\", ...) reads bars of SPY; when 'symbols:' is given and does not list it, the feed may not carry it and the rule never has a value.",
        triggering: [LintExample("""
            profile: degen
            symbols: [AAPL]
            entry: {long: symbol(↓"SPY", close > sma(close, 200))}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            symbols: [AAPL, SPY]
            entry: {long: symbol("SPY", close > sma(close, 200))}
            exit: {long: close < open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let universe = Set(strategy.parsed.symbols.map(\.value))
        guard !universe.isEmpty else { return [] }
        return strategy.referencedSymbols.filter { !universe.contains($0.value) }.map {
            LintFinding("'\($0.value)' is not in 'symbols:'; add it so the feed carries its bars", at: $0.range)
        }
    }
}

struct MissingDescriptionRule: LintRule {
    let description = RuleDescription(
        id: "missing-description", name: "No description", severity: .note,
        rationale: "A one-line description tells reviewers and the leaderboard what the strategy is meant to do.",
        triggering: [LintExample(wholeFile: """
            keel: 1
            ↓name: Example
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            description: Buys up bars.
            profile: degen
            entry: {long: close > open}
            exit: {long: close < open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        strategy.parsed.description == nil
            ? [LintFinding("no 'description:'; say in one line what the strategy does", at: strategy.keyRange("name"))] : []
    }
}
