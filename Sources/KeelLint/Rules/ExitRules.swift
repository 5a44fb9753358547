import KeelLanguage

struct TakeProfitTooManyStepsRule: LintRule {
    let description = RuleDescription(
        id: "take-profit-too-many-steps", name: "Take-profit ladder over 5 steps", severity: .error,
        rationale: "Brokers accept at most 5 take-profit orders per position; the engine enforces the same guardrail.",
        triggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 2%, close: 20%}
              - {at: 4%, close: 20%}
              - {at: 6%, close: 20%}
              - {at: 8%, close: 20%}
              - {at: 10%, close: 20%}
              - ↓{at: 12%, close: 100%}
            """)],
        nonTriggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 5%, close: 50%}
              - {at: 10%, close: 100%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let steps = strategy.parsed.takeProfit
        guard steps.count > Guardrails.maxTakeProfitSteps else { return [] }
        return [LintFinding("the take-profit ladder has \(steps.count) steps; at most \(Guardrails.maxTakeProfitSteps) are allowed",
                            at: steps[Guardrails.maxTakeProfitSteps].range)]
    }
}

struct TooManyExitsRule: LintRule {
    let description = RuleDescription(
        id: "too-many-exits", name: "More than 8 protective exits", severity: .error,
        rationale: "Stop-losses, take-profit steps and the time stop together may not exceed 8 orders per position (broker practice).",
        triggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            time_stop: 20 bars
            take_profit:
              ↓- {at: 1%, close: 10%}
              - {at: 2%, close: 10%}
              - {at: 3%, close: 10%}
              - {at: 4%, close: 10%}
              - {at: 5%, close: 10%}
              - {at: 6%, close: 10%}
              - {at: 7%, close: 10%}
            """)],
        nonTriggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            time_stop: 20 bars
            take_profit: 10%
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let parsed = strategy.parsed
        let exits = parsed.takeProfit.count + (parsed.stopLoss == nil ? 0 : 1) + (parsed.timeStop == nil ? 0 : 1)
        guard exits > Guardrails.maxProtectiveExits else { return [] }
        return [LintFinding("\(exits) protective exits (stop, take-profit steps, time stop); at most \(Guardrails.maxProtectiveExits) per position",
                            at: parsed.takeProfitRange ?? strategy.keyRange("take_profit"))]
    }
}

struct TakeProfitOverHundredRule: LintRule {
    let description = RuleDescription(
        id: "take-profit-over-100", name: "Take-profit ladder closing more than everything", severity: .error,
        rationale: "Each step closes a share of what remains; a step above 100% is impossible, and steps after a 100% step can never fill.",
        triggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 10%, close: 100%}
              - ↓{at: 20%, close: 50%}
            """), LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - ↓{at: 10%, close: 150%}
            """)],
        nonTriggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 10%, close: 50%}
              - {at: 20%, close: 100%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        var closedAll: SourceRange?
        for step in strategy.takeProfit {
            if let closedAll {
                findings.append(LintFinding("this step can never fill: an earlier step already closes 100%", at: step.range,
                                            notes: [DiagnosticNote("the position is fully closed here", at: closedAll)]))
            } else if step.closeFraction > 1 + 1e-12 {
                findings.append(LintFinding("a step closes \(pct(step.closeFraction)) of what remains; at most 100%", at: step.range))
            }
            if step.closeFraction >= 1 - 1e-12, closedAll == nil { closedAll = step.range }
        }
        return findings
    }
}

struct TakeProfitOrderRule: LintRule {
    let description = RuleDescription(
        id: "take-profit-order", name: "Take-profit steps out of order", severity: .warning,
        rationale: "A ladder climbs: each step's level should be further from the entry than the one before, or the later step fills first.",
        triggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 20%, close: 50%}
              - ↓{at: 10%, close: 100%}
            """)],
        nonTriggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            take_profit:
              - {at: 10%, close: 50%}
              - {at: 20%, close: 100%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var previous: Double?
        var findings: [LintFinding] = []
        for step in strategy.takeProfit {
            guard case .percent(let level) = step.level else { continue }
            if let previous, level <= previous {
                findings.append(LintFinding("this step at \(pct(level)) is not above the previous step at \(pct(previous))", at: step.range))
            }
            previous = level
        }
        return findings
    }
}

struct TakeProfitWrongSideRule: LintRule {
    let description = RuleDescription(
        id: "take-profit-wrong-side", name: "Take-profit on the wrong side of the stop", severity: .error,
        rationale: "For a long, the stop sits below the entry and the target above. A target below the stop (or below the entry) and a stop above the entry swap the two orders' meanings.",
        triggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: entry_price * 0.95
            take_profit:
              - ↓{at: entry_price * 0.9}
            """), LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: ↓entry_price + atr(14)
            """)],
        nonTriggering: [LintExample("""
            entry: {long: close > sma(close, 20)}
            stop_loss: entry_price - 2 * atr(14)
            take_profit:
              - {at: entry_price + 3 * atr(14)}
            """)])

    /// Where a level sits relative to the entry: +1 above, -1 below, 0 unknown; and its ratio when known.
    private func side(_ level: StopLevel, _ strategy: CheckedStrategy) -> (sign: Int, ratio: Double?) {
        switch level {
        case .percent: return (0, nil)
        case .price(let expr):
            guard case .binary(let op, let lhs, let rhs) = expr.kind, case .name("entry_price") = lhs.kind else { return (0, nil) }
            let constant = strategy.constant(of: rhs)?.number
            switch op {
            case .multiply: return constant.map { ($0 > 1 ? 1 : $0 < 1 ? -1 : 0, $0) } ?? (0, nil)
            case .add, .subtract:
                let positive = constant.map { $0 > 0 } ?? true   // an indicator such as atr is positive
                let sign = (op == .add) == positive ? 1 : -1
                return (sign, nil)
            default: return (0, nil)
            }
        }
    }

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let longOnly = strategy.parsed.entry.short == nil
        guard longOnly else { return [] }
        var findings: [LintFinding] = []
        var stopRatio: Double?
        if let stop = strategy.stopLoss {
            let (sign, ratio) = side(stop.level, strategy)
            stopRatio = ratio
            if sign > 0, !stop.trailing {
                findings.append(LintFinding("this stop sits above the entry price of a long, where a take-profit belongs", at: stop.range))
            }
        }
        for step in strategy.takeProfit {
            let (sign, ratio) = side(step.level, strategy)
            if let ratio, let stopRatio, ratio <= stopRatio {
                findings.append(LintFinding("this take-profit is at or below the stop-loss; it belongs above the entry", at: step.range))
            } else if sign < 0 {
                findings.append(LintFinding("this take-profit sits below the entry price of a long, on the stop's side", at: step.range))
            }
        }
        return findings
    }
}

struct NoExitRule: LintRule {
    let description = RuleDescription(
        id: "no-exit", name: "An entry with no way out", severity: .warning,
        rationale: "A side that enters but has no exit rule, stop, take-profit or time stop holds its position until the data ends.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: ↓close > sma(close, 20)}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            time_stop: 10 bars
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        let parsed = strategy.parsed
        guard parsed.stopLoss == nil, parsed.takeProfit.isEmpty, parsed.timeStop == nil else { return [] }
        return parsed.entry.all.compactMap { side, expr in
            parsed.exit[side] == nil
                ? LintFinding("'\(side.rawValue)' entries have no exit, stop, take-profit or time stop; positions stay open until the data ends",
                              at: expr.range)
                : nil
        }
    }
}
