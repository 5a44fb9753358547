import KeelLanguage

struct ConstantConditionRule: LintRule {
    let description = RuleDescription(
        id: "constant-condition", name: "A condition that is constant", severity: .warning,
        rationale: "A rule that folds to true or false never depends on the market: it fires on every bar or never. Usually a leftover from debugging or a typo in a threshold.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: ↓close > sma(close, 20) or 2 > 1}
            exit: {long: close < sma(close, 20)}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: close < sma(close, 20)}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        strategy.ruleExpressions.compactMap { role, expr in
            guard case .bool(let value)? = strategy.constant(of: expr), strategy.type(of: expr) == .bool else { return nil }
            return LintFinding("this condition is always \(value)", at: expr.range)
        }
    }
}

struct SelfComparisonRule: LintRule {
    let description = RuleDescription(
        id: "self-comparison", name: "A series compared with itself", severity: .warning,
        rationale: "'x > x' is never true and 'crosses_above(x, x)' never fires: one side was surely meant to be something else.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: ↓crosses_above(sma(close, 10), sma(close, 10))}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: crosses_above(sma(close, 10), sma(close, 30))}
            exit: {long: close < open}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        strategy.forEachRuleNode { expr in
            switch expr.kind {
            case .binary(let op, let lhs, let rhs) where op.isComparison:
                if strategy.text(of: lhs) == strategy.text(of: rhs), strategy.constant(of: expr) == nil {
                    findings.append(LintFinding("both sides of '\(op.rawValue)' are '\(strategy.text(of: lhs))'", at: expr.range))
                }
            case .call(let name, let args) where (name == "crosses_above" || name == "crosses_below") && args.count == 2:
                if strategy.text(of: args[0].value) == strategy.text(of: args[1].value) {
                    findings.append(LintFinding("\(name) of a series with itself never fires", at: expr.range))
                }
            default: break
            }
        }
        return findings
    }
}

struct ExitEqualsEntryRule: LintRule {
    let description = RuleDescription(
        id: "exit-equals-entry", name: "Exit identical to its entry", severity: .error,
        rationale: "When the exit condition is the entry condition, every entry is followed at once by an exit: the strategy churns and pays fees for nothing.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: ↓close > sma(close, 20)}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: close < sma(close, 20)}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let parsed = strategy.parsed
        return Side.allCases.compactMap { side in
            guard let entry = parsed.entry[side], let exit = parsed.exit[side], !entry.containsError,
                  strategy.text(of: entry) == strategy.text(of: exit) else { return nil }
            return LintFinding("the '\(side.rawValue)' exit is the same condition as its entry", at: exit.range,
                               notes: [DiagnosticNote("the entry", at: entry.range)])
        }
    }
}

struct FloatEqualityRule: LintRule {
    let description = RuleDescription(
        id: "float-equality", name: "Exact equality on prices", severity: .warning,
        rationale: "Prices and indicators are real numbers; 'close == sma(close, 20)' is almost never exactly true. Compare with '>' or '<', or use crosses_above / crosses_below.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: ↓close == sma(close, 20)}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20) and day_of_week == 1}
            exit: {long: close < open}
            """)])

    /// Series whose values are whole numbers, where equality is meaningful.
    static let discrete: Set<String> = ["bar_index", "hour", "minute", "day_of_week", "month", "year"]

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        strategy.forEachRuleNode { expr in
            guard case .binary(let op, let lhs, let rhs) = expr.kind, op == .equal || op == .notEqual,
                  strategy.type(of: lhs).isNumeric, strategy.type(of: rhs).isNumeric,
                  isContinuous(lhs, strategy) || isContinuous(rhs, strategy) else { return }
            findings.append(LintFinding("'\(op.rawValue)' on prices is almost never exactly true; compare with '>' or '<', or use crosses_above",
                                        at: expr.range))
        }
        return findings
    }

    private func isContinuous(_ expr: Expr, _ strategy: CheckedStrategy) -> Bool {
        guard strategy.constant(of: expr) == nil else { return false }
        switch expr.kind {
        case .name(let name): return !Self.discrete.contains(name) && strategy.checkedParam(name) == nil
        case .member(_, let name): return !["side", "bars_held"].contains(name)
        case .call(let name, _): return !["barssince", "sign", "round", "floor", "ceil"].contains(name)
        default: return expr.children.contains { isContinuous($0, strategy) }
        }
    }
}

struct ImpossibleThresholdRule: LintRule {
    let description = RuleDescription(
        id: "impossible-threshold", name: "Threshold outside an oscillator's range", severity: .warning,
        rationale: "RSI, MFI, stochastics and ADX live in 0..100 and Williams %R in -100..0. A threshold outside the range makes the comparison constant; a percent such as 30% (0.3) against RSI is a common slip.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: rsi(close, 14) < ↓30%}
            exit: {long: rsi(close, 14) > 70}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: rsi(close, 14) < 30}
            exit: {long: rsi(close, 14) > 70}
            """)])


    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        strategy.forEachRuleNode { expr in
            guard case .binary(let op, let lhs, let rhs) = expr.kind, op.isComparison else { return }
            for (series, threshold) in [(lhs, rhs), (rhs, lhs)] {
                guard let name = oscillator(series), let range = BuiltinTable.named(name)?.bounds,
                      let value = strategy.constant(of: threshold)?.number else { continue }
                let unit = strategy.type(of: threshold) == .percent
                if unit || !range.contains(value) || (value == range.lowerBound && op == .less) || (value == range.upperBound && op == .greater) {
                    let hint = unit ? "; \(name) is on a 0-100 scale, write \(ExpressionPrinter.format(value * 100)) instead of \(pct(value))" : ""
                    findings.append(LintFinding("\(name) ranges over \(ExpressionPrinter.format(range.lowerBound))..\(ExpressionPrinter.format(range.upperBound)); this comparison is constant\(hint)",
                                                at: threshold.range))
                }
            }
        }
        return findings
    }

    private func oscillator(_ expr: Expr) -> String? {
        switch expr.kind {
        case .call(let name, _): name
        case .member(let base, _): oscillator(base)
        default: nil
        }
    }
}

struct PercentExpectedRule: LintRule {
    let description = RuleDescription(
        id: "percent-expected", name: "A number where a percent was meant", severity: .error,
        rationale: "'stop_loss: 5' is a stop at a price of 5, not 5% below the entry; 'fees: 0.1' is 10% of every trade. Write the unit.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            stop_loss: ↓5
            """), LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            exit: {long: close < open}
            execution: {fees: ↓0.1}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            execution: {fees: 0.1%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        let parsed = strategy.parsed
        var candidates: [(Expr, String)] = []
        if let stop = parsed.stopLoss { candidates.append((stop.level, parsed.stopLoss!.trailing ? "stop_loss.trailing" : "stop_loss")) }
        candidates += parsed.takeProfit.map { ($0.at, "take_profit 'at'") }
        if let fees = parsed.execution.fees?.percent { candidates.append((fees, "fees")) }
        if let slippage = parsed.execution.slippage?.fraction { candidates.append((slippage, "slippage")) }
        for (expr, what) in candidates {
            guard case .number(let value) = expr.kind, value != 0 else { continue }
            let written = ExpressionPrinter.format(value)
            findings.append(LintFinding("\(what): \(written) is a plain number; write \(written)% for a percent\(what.hasPrefix("stop") || what.hasPrefix("take") ? " (a bare number is a price)" : "")",
                                        at: expr.range, fixIts: [FixIt(range: expr.range, replacement: "\(written)%")]))
        }
        return findings
    }
}

struct WindowOfOneRule: LintRule {
    let description = RuleDescription(
        id: "window-of-one", name: "A window of one bar", severity: .note,
        rationale: "sma(x, 1), highest(x, 1) and their kin are just x: the indicator does nothing.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > ↓sma(close, 1)}
            exit: {long: close < open}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 2)}
            exit: {long: close < open}
            """)])

    static let identities: Set<String> = ["sma", "ema", "wma", "rma", "vwma", "highest", "lowest"]

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        strategy.forEachRuleNode { expr in
            guard case .call(let name, let args) = expr.kind, Self.identities.contains(name), args.count == 2,
                  strategy.constant(of: args[1].value)?.number == 1 else { return }
            findings.append(LintFinding("\(name)(x, 1) is x itself; widen the window or write the series", at: expr.range))
        }
        return findings
    }
}

extension CheckedStrategy {
    func checkedParam(_ name: String) -> ConstValue? { paramValues[name] }
}
