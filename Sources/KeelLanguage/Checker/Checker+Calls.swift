extension Checker {
    mutating func member(_ base: Expr, _ name: String, _ expr: Expr, in scope: Scope) -> NodeInfo {
        let info = check(base, in: scope)
        switch info.type {
        case .error:
            return .error
        case .namespace("signal"):
            checked.signalNames.insert(name)
            return NodeInfo(type: .number, warmup: 0)
        case .namespace(let namespace), .outputs(let namespace):
            guard let builtin = BuiltinTable.named(namespace) else { return .error }
            guard let output = builtin.outputs.first(where: { $0.name == name }) else {
                let names = builtin.outputs.map(\.name)
                let hint = Suggestions.closest(to: name, in: names).map { "did you mean '\($0)'?" }
                    ?? "it has: \(names.joined(separator: ", "))"
                diagnostics.add(.unknownOutput(name, of: namespace, hint: hint), at: expr.range)
                return .error
            }
            var type = output.type
            if case .argument(let index) = builtin.result, type == .number, case .call(_, let args) = base.kind,
               index < args.count, let argType = checked.info[args[index].value.id]?.type, argType.isNumeric {
                type = argType
            }
            return NodeInfo(type: type, constant: nil, warmup: info.warmup, positional: info.positional)
        default:
            diagnostics.add(.noMembers(info.type, member: name), at: expr.range)
            return .error
        }
    }

    mutating func call(_ name: String, _ arguments: [CallArgument], _ expr: Expr, in scope: Scope) -> NodeInfo {
        guard let builtin = BuiltinTable.named(name) else {
            for argument in arguments { check(argument.value, in: scope) }
            let functions = BuiltinTable.all.filter { $0.form == .function }.map(\.name)
            let callee = calleeRange(expr, name)
            diagnostics.add(.unknownFunction(name, suggestion: Suggestions.didYouMean(name, in: functions)), at: callee,
                            fixIts: Suggestions.closest(to: name, in: functions).map { [FixIt(range: callee, replacement: $0)] } ?? [])
            return .error
        }
        guard builtin.form == .function else {
            for argument in arguments { check(argument.value, in: scope) }
            diagnostics.add(.notAFunction(name), at: expr.range, fixIts: [FixIt(range: expr.range, replacement: name)])
            return .error
        }
        if case .param = scope.role {
            diagnostics.add(.paramCallsFunction(name), at: expr.range)
            return .error
        }
        guard let bound = bind(arguments, to: builtin, expr) else {
            for argument in arguments { check(argument.value, in: scope) }
            return .error
        }
        return typeCall(builtin, bound, expr, in: scope)
    }

    /// The callee's range: the name only, so a caret points at the misspelt word.
    private func calleeRange(_ expr: Expr, _ name: String) -> SourceRange {
        SourceRange(expr.range.start, min(expr.range.end, expr.range.start + name.utf8.count))
    }

    /// Matches arguments to parameters: positional first, then labelled. Nil when they do not fit.
    private mutating func bind(_ arguments: [CallArgument], to builtin: Builtin, _ expr: Expr) -> [Expr?]? {
        var bound = [Expr?](repeating: nil, count: builtin.parameters.count)
        var ok = true
        var sawLabel = false
        for (position, argument) in arguments.enumerated() {
            if let label = argument.label {
                sawLabel = true
                guard let index = builtin.parameters.firstIndex(where: { $0.name == label }) else {
                    let names = builtin.parameters.map(\.name)
                    let hint = Suggestions.closest(to: label, in: names).map { "; did you mean '\($0)'?" }
                        ?? "; its parameters are \(names.joined(separator: ", "))"
                    diagnostics.add(.unknownArgument(label, of: builtin.name, hint: hint), at: argument.labelRange ?? argument.value.range)
                    ok = false
                    continue
                }
                if bound[index] != nil {
                    diagnostics.add(.duplicateArgument(label), at: argument.labelRange ?? argument.value.range)
                    ok = false
                }
                bound[index] = argument.value
            } else if sawLabel {
                diagnostics.add(.positionalAfterLabelled, at: argument.value.range)
                ok = false
            } else if position < bound.count {
                bound[position] = argument.value
            } else {
                diagnostics.add(.tooManyArguments(builtin, given: arguments.count), at: argument.value.range)
                return nil
            }
        }
        for (index, parameter) in builtin.parameters.enumerated() where ok && bound[index] == nil && parameter.defaultValue == nil {
            diagnostics.add(.missingArgument(parameter, of: builtin), at: expr.range)
            ok = false
        }
        return ok ? bound : nil
    }

    private mutating func typeCall(_ builtin: Builtin, _ bound: [Expr?], _ expr: Expr, in scope: Scope) -> NodeInfo {
        var constants: [String: Double] = [:]
        var seriesWarmup = 0
        var positional = false
        var argumentTypes: [KeelType] = []
        var failed = false
        var inner = scope
        for (index, parameter) in builtin.parameters.enumerated() {
            guard let argument = bound[index] else {
                constants[parameter.name] = parameter.defaultValue
                argumentTypes.append(.number)
                continue
            }
            let info = value(check(argument, in: inner), argument)
            argumentTypes.append(info.type)
            guard info.type != .error, let accepted = accept(info, argument, for: parameter, of: builtin) else {
                failed = true
                continue
            }
            if let number = accepted.number { constants[parameter.name] = number }
            if parameter.kind == .symbol, case .string(let symbol)? = info.constant {
                checked.referencedSymbols.append(Located(symbol, argument.range))
                inner.inOtherSymbol = true
            }
            if parameter.kind == .timeframe, case .duration(let bar)? = info.constant {
                guard let ratio = timeframeRatio(bar, at: argument) else { failed = true; continue }
                checked.referencedTimeframes.append(Located(bar, argument.range))
                inner.barsPerBar = scope.barsPerBar * ratio
            }
            if [.series, .condition, .value].contains(parameter.kind) {
                seriesWarmup = max(seriesWarmup, info.warmup)
                positional = positional || info.positional
            }
        }
        guard !failed else { return .error }
        if builtin.category == .context {
            // The inner value was checked with the context's bar size; its warm-up is already in strategy bars.
            let ratio = inner.barsPerBar / max(1, scope.barsPerBar)
            return NodeInfo(type: argumentTypes[1], warmup: seriesWarmup + (ratio > 1 ? inner.barsPerBar : 0), positional: positional)
        }
        let own = builtin.warmup.bars(constants) * scope.barsPerBar
        let type: KeelType
        switch builtin.result {
        case _ where !builtin.outputs.isEmpty: type = .outputs(builtin: builtin.name)
        case .fixed(let fixed): type = fixed
        case .argument(let index): type = argumentTypes[index] == .error ? .number : argumentTypes[index]
        }
        let constant = builtin.category == .math ? Folding.math(builtin.name, bound.map { $0.flatMap { checked.info[$0.id]?.constant } }) : nil
        return NodeInfo(type: type, constant: constant, warmup: seriesWarmup + own, positional: positional)
    }

    /// Checks one argument against its parameter; returns its constant value (or a placeholder).
    private mutating func accept(_ info: NodeInfo, _ argument: Expr, for parameter: Parameter, of builtin: Builtin) -> ConstValue? {
        let what = "\(builtin.name)'s '\(parameter.name)'"
        switch parameter.kind {
        case .series:
            guard info.type.isNumeric else { return reject(.numberSeriesExpected(what, found: info.type), argument) }
        case .condition:
            guard info.type == .bool else { return reject(.conditionExpected(what, found: info.type), argument) }
        case .value:
            guard info.type.isNumeric || info.type == .bool else { return reject(.seriesExpected(what, found: info.type), argument) }
        case .window:
            guard let bars = info.constant?.number, info.type == .number else {
                diagnostics.add(.nonConstantWindow(what, example: builtin.example), at: argument.range)
                return nil
            }
            guard bars == bars.rounded(), bars >= 1, bars <= Double(BuiltinTable.maxWindow) else {
                diagnostics.add(.windowOutOfRange(what, bars: bars), at: argument.range)
                return nil
            }
            return .number(bars)
        case .constant:
            guard let number = info.constant?.number, info.type.isNumeric else {
                return reject(.nonConstantArgument(what), argument)
            }
            return .number(number)
        case .symbol:
            guard info.type == .string, let constant = info.constant else {
                return reject(.symbolExpected(what), argument)
            }
            return constant
        case .timeframe:
            guard info.type == .duration, case .duration(let bar)? = info.constant, bar.unit != .bars else {
                return reject(.barSizeExpected(what), argument)
            }
            return info.constant
        }
        if info.type == .duration || info.type == .string {
            return reject(.seriesExpected(what, found: info.type), argument)
        }
        return info.constant ?? .bool(true)
    }

    private mutating func reject(_ message: DiagnosticMessage, _ argument: Expr) -> ConstValue? {
        diagnostics.add(message, at: argument.range)
        return nil
    }

    /// Strategy bars per bar of a higher timeframe; nil (reported) unless it is a whole multiple.
    private mutating func timeframeRatio(_ bar: DurationLiteral, at argument: Expr) -> Int? {
        guard let seconds = bar.seconds else { return nil }
        guard let base = checked.parsed.timeframe?.value.seconds else {
            diagnostics.add(.timeframeWithoutBase(bar), at: argument.range)
            return nil
        }
        // `timeframe(0d, ...)` was once let through with no error and crashed the engine (found by
        // the strategy fuzz target): a duration of no time is not a higher timeframe either.
        guard seconds > base, seconds % base == 0 else {
            diagnostics.add(.timeframeNotHigher(bar, base: checked.parsed.timeframe!.value), at: argument.range)
            return nil
        }
        return seconds / base
    }
}

extension Folding {
    /// Math on constants folds (so `max(fast, 5)` can be a window); everything else waits for data.
    static func math(_ name: String, _ arguments: [ConstValue?]) -> ConstValue? {
        let numbers = arguments.map { $0?.number }
        guard let x = numbers.first ?? nil else { return nil }
        let y = numbers.count > 1 ? numbers[1] : nil
        switch name {
        case "abs": return .number(Swift.abs(x))
        case "floor": return .number(x.rounded(.down))
        case "ceil": return .number(x.rounded(.up))
        case "min": return y.map { .number(Swift.min(x, $0)) }
        case "max": return y.map { .number(Swift.max(x, $0)) }
        case "sign": return .number(x > 0 ? 1 : x < 0 ? -1 : 0)
        default: return nil
        }
    }
}
