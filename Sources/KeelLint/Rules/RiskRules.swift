import KeelLanguage

struct StopRequiredRule: LintRule {
    let description = RuleDescription(
        id: "stop-required", name: "Stop-loss required by the profile", severity: .warning,
        rationale: "Conservative strategies must cap the loss of every trade; balanced and aggressive ones should. The severity follows the profile: error for conservative, warning for balanced and aggressive, nothing for degen.",
        triggering: [LintExample("""
            profile: conservative
            ↓entry: {long: close > sma(close, 20)}
            exit: {long: close < sma(close, 20)}
            """)],
        nonTriggering: [LintExample("""
            profile: conservative
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            allocation: {size: percent_of_equity(10%)}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard strategy.parsed.stopLoss == nil, let severity = strategy.profile.stopLossRequired else { return [] }
        let entry = strategy.keyRange("entry")
        // The fix writes the key on its own line before `entry:`, a top-level key at the line's start.
        return [LintFinding("the \(strategy.profile.name.rawValue) profile requires a stop-loss; add e.g. 'stop_loss: 2%'",
                            at: entry, fixIts: [FixIt(range: .at(entry.start), replacement: "stop_loss: 2%\n")], severity: severity)]
    }
}

struct StopTooWideRule: LintRule {
    let description = RuleDescription(
        id: "stop-too-wide", name: "Stop wider than the profile's risk per trade", severity: .warning,
        rationale: "A position of p% of equity stopped out at s% loses p * s of equity. Above the profile's risk per trade, one stop costs more than the profile allows; narrow the stop or size with risk(...).",
        triggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: ↓10%
            allocation: {size: percent_of_equity(20%)}
            """)],
        nonTriggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: 5%
            allocation: {size: percent_of_equity(20%)}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard let stop = strategy.stopLoss, case .percent(let distance) = stop.level,
              let budget = strategy.risk.limit(.riskPerTrade) else { return [] }
        let position: Double
        switch strategy.sizing {
        case .percentOfEquity(let share): position = min(share, strategy.risk.limit(.maxPosition) ?? share)
        case .risk: return []
        default: position = strategy.risk.limit(.maxPosition) ?? 1
        }
        let loss = position * distance
        guard loss > budget + 1e-12 else { return [] }
        return [LintFinding("a \(pct(distance)) stop on a \(pct(position)) position loses \(pct(loss)) of equity; the \(strategy.profile.name.rawValue) profile risks at most \(pct(budget)) per trade",
                            at: stop.range)]
    }
}

struct ShortNotAllowedRule: LintRule {
    let description = RuleDescription(
        id: "short-not-allowed", name: "Short entries under a profile that forbids them", severity: .error,
        rationale: "The conservative profile does not sell short; the engine would refuse every short order.",
        triggering: [LintExample("""
            profile: conservative
            entry: {short: ↓close < sma(close, 20)}
            stop_loss: 2%
            """)],
        nonTriggering: [LintExample("""
            profile: balanced
            entry: {short: close < sma(close, 20)}
            stop_loss: 2%
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard let short = strategy.parsed.entry.short, !strategy.risk.allowShort else { return [] }
        return [LintFinding("the \(strategy.profile.name.rawValue) profile does not allow short selling; remove 'entry.short' or choose another profile",
                            at: short.range)]
    }
}

struct PositionTooLargeRule: LintRule {
    let description = RuleDescription(
        id: "position-too-large", name: "Position larger than the profile allows", severity: .warning,
        rationale: "The risk manager caps each position at the profile's largest share of equity; sizing above it is silently cut down to the cap.",
        triggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            allocation: {size: ↓percent_of_equity(50%)}
            """)],
        nonTriggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            allocation: {size: percent_of_equity(20%)}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard case .percentOfEquity(let share) = strategy.sizing, let cap = strategy.risk.limit(.maxPosition),
              share > cap + 1e-12, let size = strategy.parsed.allocation.size else { return [] }
        return [LintFinding("percent_of_equity(\(pct(share))) is above the \(strategy.profile.name.rawValue) profile's largest position, \(pct(cap)); the engine will cap it",
                            at: size.range)]
    }
}

struct MaxPositionsOverProfileRule: LintRule {
    let description = RuleDescription(
        id: "max-positions-over-profile", name: "More positions than the profile allows", severity: .warning,
        rationale: "The profile caps open positions; a larger max_positions is never reached.",
        triggering: [LintExample("""
            profile: conservative
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            allocation: {size: percent_of_equity(10%), max_positions: ↓8}
            """)],
        nonTriggering: [LintExample("""
            profile: conservative
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            allocation: {size: percent_of_equity(10%), max_positions: 5}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        guard let wanted = strategy.maxPositions, let cap = strategy.risk.limit(.maxOpenPositions), Double(wanted) > cap,
              let expr = strategy.parsed.allocation.maxPositions else { return [] }
        return [LintFinding("max_positions \(wanted) is above the profile's \(Int(cap)) open positions", at: expr.range)]
    }
}

struct RiskLimitOffRule: LintRule {
    let description = RuleDescription(
        id: "risk-limit-off", name: "A risk limit turned off", severity: .warning,
        rationale: "'off' removes a safety net such as the daily kill switch. Sometimes that is the point (a conformance test, a research run); say so with a suppression and its reason.",
        triggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            risk: {daily_loss_limit: ↓off}
            """)],
        nonTriggering: [LintExample("""
            profile: degen
            entry: {long: close > sma(close, 20)}
            risk: {daily_loss_limit: 10%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        strategy.parsed.risk.compactMap { override in
            guard case .off = override.setting else { return nil }
            return LintFinding("'\(override.limit.rawValue): off' disables the limit on \(override.limit.doc)", at: override.valueRange)
        }
    }
}

struct RiskLimitLoosenedRule: LintRule {
    let description = RuleDescription(
        id: "risk-limit-loosened", name: "A risk limit looser than the profile", severity: .warning,
        rationale: "A strategy may tighten its profile's limits freely; loosening one is a deliberate act that reviewers should see.",
        triggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            risk: {daily_loss_limit: ↓10%}
            """)],
        nonTriggering: [LintExample("""
            profile: balanced
            entry: {long: close > sma(close, 20)}
            stop_loss: 2%
            risk: {daily_loss_limit: 2%}
            """)])

    func check(_ strategy: CheckedStrategy) -> [LintFinding] {
        var findings: [LintFinding] = []
        for override in strategy.parsed.risk {
            switch override.setting {
            case .value:
                guard let profileValue = strategy.profile.value(of: override.limit), override.limit != .cooldown,
                      let mine = strategy.risk.limit(override.limit), mine > profileValue + 1e-12 else { continue }
                let isPercent = override.limit.valueKind == .percent
                let mineText = isPercent ? pct(mine) : ExpressionPrinter.format(mine)
                let profileText = isPercent ? pct(profileValue) : ExpressionPrinter.format(profileValue)
                findings.append(LintFinding("\(override.limit.rawValue) \(mineText) loosens the \(strategy.profile.name.rawValue) profile's \(profileText)",
                                            at: override.valueRange))
            case .flag(true) where !strategy.profile.allowShort:
                findings.append(LintFinding("allow_short: true loosens the \(strategy.profile.name.rawValue) profile, which does not sell short",
                                            at: override.valueRange))
            default: continue
            }
        }
        return findings
    }
}

/// "5%" from 0.05, as every lint message writes a percent.
func pct(_ fraction: Double) -> String { ExpressionPrinter.percent(fraction) }
