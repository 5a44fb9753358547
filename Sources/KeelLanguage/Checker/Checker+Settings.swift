/// Resolves the non-rule keys (stops, ladder, time stop, allocation, execution, risk) to values.
extension Checker {
    static let sizingMethods = ["percent_of_equity", "fixed", "risk", "volatility_target", "kelly", "equal_weight"]
    /// The most bars a count of bars in a setting may hold (a time stop, a cooldown): far past any
    /// data set, and well inside `Int`, so no conversion can trap.
    static let maxBars = 1e9

    mutating func resolveSettings() {
        let parsed = checked.parsed
        if let stop = parsed.stopLoss { resolveStopLoss(stop) }
        for step in parsed.takeProfit { resolveTakeProfit(step) }
        if let timeStop = parsed.timeStop { resolveTimeStop(timeStop) }
        resolveAllocation(parsed.allocation)
        resolveExecution(parsed.execution)
        for override in parsed.risk { resolveRisk(override) }
    }

    /// A percent constant is a distance from the entry; any other number series is a price level.
    private mutating func level(_ expr: Expr, role: ExpressionRole, what: String) -> StopLevel? {
        let info = value(check(expr, in: Scope(role: role)), expr)
        checked.ruleWarmups[role] = max(checked.ruleWarmups[role] ?? 0, info.warmup)
        guard info.type != .error, !checked.parsed.brokenExpressions.contains(expr.id) else { return nil }
        guard info.type.isNumeric else {
            diagnostics.add(.levelType(what, found: info.type), at: expr.range)
            return nil
        }
        if info.type == .percent || info.type == .bps, let fraction = info.constant?.number {
            guard fraction > 0 else {
                diagnostics.add(.levelNotPositive(what), at: expr.range)
                return nil
            }
            return .percent(fraction)
        }
        return .price(expr)
    }

    private mutating func resolveStopLoss(_ spec: StopLossSpec) {
        guard let level = level(spec.level, role: .stopLoss, what: "stop_loss") else { return }
        if case .percent(let fraction) = level, fraction >= 1 {
            diagnostics.add(.stopLossNeverTriggers(fraction: fraction), at: spec.level.range)
            return
        }
        checked.stopLoss = ResolvedStopLoss(level: level, trailing: spec.trailing, range: spec.range)
    }

    private mutating func resolveTakeProfit(_ step: TakeProfitStep) {
        let at = level(step.at, role: .takeProfitLevel, what: "take_profit 'at'")
        var fraction = 1.0
        if let close = step.close {
            guard let value = constant(close, role: .takeProfitClose, expecting: [.percent], what: "take_profit 'close'") else { return }
            guard value > 0 else {
                diagnostics.add(.takeProfitCloseNotPositive, at: close.range)
                return
            }
            fraction = value
        }
        guard let at else { return }
        checked.takeProfit.append(ResolvedTakeProfit(level: at, closeFraction: fraction, range: step.range))
    }

    private mutating func resolveTimeStop(_ expr: Expr) {
        let info = check(expr, in: Scope(role: .timeStop))
        guard info.type != .error, !checked.parsed.brokenExpressions.contains(expr.id) else { return }
        // Checked as a Double before any conversion: `time_stop: 1e19` must be a diagnostic, not a trap.
        if info.type == .number, let bars = info.constant?.number, bars == bars.rounded(), bars >= 1, bars <= Self.maxBars {
            checked.timeStop = .bars(Int(bars))
        } else if case .duration(let duration)? = info.constant, duration.count > 0, Double(duration.count) <= Self.maxBars {
            checked.timeStop = duration.unit == .bars ? .bars(duration.count) : .seconds(duration.seconds ?? 0)
        } else {
            diagnostics.add(.invalidTimeStop, at: expr.range)
        }
    }

    /// Folds a setting to a constant of one of the expected types; reports otherwise.
    mutating func constant(_ expr: Expr, role: ExpressionRole, expecting types: [KeelType], what: String) -> Double? {
        let info = value(check(expr, in: Scope(role: role)), expr)
        guard info.type != .error, !checked.parsed.brokenExpressions.contains(expr.id) else { return nil }
        guard let number = info.constant?.number else {
            diagnostics.add(.nonConstantSetting(what), at: expr.range)
            return nil
        }
        guard types.contains(info.type) || (types.contains(.number) && info.type.isNumeric) else {
            diagnostics.add(.settingType(what, expected: types, found: info.type), at: expr.range)
            return nil
        }
        return number
    }

    private mutating func resolveAllocation(_ allocation: Allocation) {
        if let size = allocation.size, let sizing = sizing(size) { checked.sizing = sizing }
        if let lot = allocation.lot, let value = constant(lot, role: .lot, expecting: [.number], what: "allocation.lot") {
            if value > 0 { checked.lot = value } else { diagnostics.add(.lotNotPositive, at: lot.range) }
        }
        checked.maxPositions = count(allocation.maxPositions, role: .maxPositions, what: "allocation.max_positions")
        checked.rankTop = count(allocation.top, role: .top, what: "allocation.top")
        if let rank = allocation.rank {
            let info = value(check(rank, in: Scope(role: .rank)), rank)
            checked.ruleWarmups[.rank] = info.warmup
            if info.type != .error, !info.type.isNumeric {
                diagnostics.add(.rankType(info.type), at: rank.range)
            }
            if allocation.top == nil {
                diagnostics.add(.rankNeedsTop, at: rank.range)
            }
        } else if let top = allocation.top {
            diagnostics.add(.topNeedsRank, at: top.range)
        }
    }

    private mutating func count(_ expr: Expr?, role: ExpressionRole, what: String) -> Int? {
        guard let expr, let value = constant(expr, role: role, expecting: [.number], what: what) else { return nil }
        guard value == value.rounded(), value >= 1, value <= 100_000 else {
            diagnostics.add(.countBelowOne(what), at: expr.range)
            return nil
        }
        return Int(value)
    }

    private mutating func sizing(_ expr: Expr) -> Sizing? {
        let (name, arguments): (String, [CallArgument])
        switch expr.kind {
        case .name(let bare): (name, arguments) = (bare, [])
        case .call(let callee, let args): (name, arguments) = (callee, args)
        case .error: return nil
        default:
            diagnostics.add(.sizingExpected, at: expr.range)
            return nil
        }
        guard Self.sizingMethods.contains(name) else {
            let hint = Suggestions.closest(to: name, in: Self.sizingMethods).map { "did you mean '\($0)'?" }
                ?? "use one of: \(Self.sizingMethods.joined(separator: ", "))"
            diagnostics.add(.unknownSizing(name, hint: hint), at: expr.range)
            return nil
        }
        var values: [Double] = []
        for argument in arguments {
            guard let value = constant(argument.value, role: .sizing, expecting: [.percent, .number], what: "\(name)(...)") else { return nil }
            values.append(value)
        }
        return makeSizing(name, values, expr)
    }

    private mutating func makeSizing(_ name: String, _ values: [Double], _ expr: Expr) -> Sizing? {
        let arity: (min: Int, max: Int) = switch name {
        case "equal_weight": (0, 0)
        case "volatility_target", "kelly": (1, 2)
        default: (1, 1)
        }
        guard values.count >= arity.min, values.count <= arity.max else {
            let usage = ["percent_of_equity": "percent_of_equity(10%)", "fixed": "fixed(100)", "risk": "risk(1%)",
                         "volatility_target": "volatility_target(15%, 20)", "kelly": "kelly(0.5, 50)",
                         "equal_weight": "equal_weight"][name] ?? name
            diagnostics.add(.sizingArity(name, usage: usage), at: expr.range)
            return nil
        }
        guard values.allSatisfy({ $0 > 0 }) else {
            diagnostics.add(.sizingNotPositive(name), at: expr.range)
            return nil
        }
        if values.count > 1, !(values[1] == values[1].rounded() && values[1] >= 2 && values[1] <= Double(BuiltinTable.maxWindow)) {
            diagnostics.add(.sizingLookback(name), at: expr.range)
            return nil
        }
        let lookback = values.count > 1 ? Int(values[1]) : (name == "kelly" ? 50 : 20)
        switch name {
        case "percent_of_equity": return .percentOfEquity(values[0])
        case "fixed": return .fixed(values[0])
        case "risk":
            if checked.parsed.stopLoss == nil {
                diagnostics.add(.riskSizingWithoutStop(fraction: values[0]), at: expr.range)
            }
            return .risk(values[0])
        case "volatility_target": return .volatilityTarget(values[0], lookback: lookback)
        case "kelly":
            guard values[0] <= 1 else {
                diagnostics.add(.kellyFraction, at: expr.range)
                return nil
            }
            return .kelly(values[0], lookback: lookback)
        default: return .equalWeight
        }
    }

    private mutating func resolveExecution(_ execution: ExecutionSpec) {
        if let fill = execution.fill { checked.fill = fill.value }
        if let intrabar = execution.intrabar { checked.intrabar = intrabar.value }
        if let fees = execution.fees {
            checked.costs.feeFraction = nonNegative(fees.percent, .feePercent, [.percent, .bps, .number], "fees") ?? 0
            checked.costs.feePerUnit = nonNegative(fees.perUnit, .feePerUnit, [.number], "fees.per_unit") ?? 0
            checked.costs.feePerOrder = nonNegative(fees.perOrder, .feePerOrder, [.number], "fees.per_order") ?? 0
        }
        if let slippage = execution.slippage {
            checked.costs.slippageFraction = nonNegative(slippage.fraction, .slippage, [.percent, .bps, .number], "slippage") ?? 0
            checked.costs.slippageTicks = nonNegative(slippage.ticks, .slippageTicks, [.number], "slippage.ticks") ?? 0
            checked.costs.tickSize = nonNegative(slippage.tickSize, .tickSize, [.number], "slippage.tick_size") ?? 0
        }
    }

    private mutating func nonNegative(_ expr: Expr?, _ role: ExpressionRole, _ types: [KeelType], _ what: String) -> Double? {
        guard let expr, let value = constant(expr, role: role, expecting: types, what: what) else { return nil }
        guard value >= 0 else {
            diagnostics.add(.negativeCost(what), at: expr.range)
            return nil
        }
        return value
    }

    private mutating func resolveRisk(_ override: RiskOverride) {
        let limit = override.limit
        switch override.setting {
        case .off:
            checked.risk.limits[limit] = .some(nil)
        case .flag(let allowed):
            checked.risk.allowShort = allowed
        case .text(let text):
            guard let seconds = Self.timeOfDay(text) else {
                diagnostics.add(.sessionStart, at: override.valueRange)
                return
            }
            checked.risk.sessionStartSeconds = seconds
        case .value(let expr):
            let types: [KeelType] = switch limit.valueKind {
            case .percent: [.percent, .bps]
            case .bars: [.number, .duration]
            default: [.number]
            }
            if limit.valueKind == .bars, case .duration(let duration)? = check(expr, in: Scope(role: .risk(limit))).constant {
                guard duration.unit == .bars else {
                    diagnostics.add(.cooldownNotBars, at: expr.range)
                    return
                }
                guard Double(duration.count) <= Self.maxBars else {
                    diagnostics.add(.cooldownTooLong, at: expr.range)
                    return
                }
                checked.risk.limits[limit] = .some(Double(duration.count))
                return
            }
            guard let value = constant(expr, role: .risk(limit), expecting: types, what: "risk.\(limit.rawValue)") else { return }
            guard value >= 0, value.isFinite else {
                diagnostics.add(.negativeLimit(limit), at: expr.range)
                return
            }
            switch limit.valueKind {
            case .bars where !(value == value.rounded() && value <= Self.maxBars):
                diagnostics.add(.limitBars(limit), at: expr.range)
                return
            case .count where !(value == value.rounded() && value >= 1 && value <= 100_000):
                diagnostics.add(.limitCount(limit), at: expr.range)
                return
            default: break
            }
            checked.risk.limits[limit] = .some(value)
        }
    }

    /// "HH:MM" to seconds after midnight.
    static func timeOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
              (0..<24).contains(hours), (0..<60).contains(minutes), parts[1].count == 2 else { return nil }
        return hours * 3_600 + minutes * 60
    }
}
