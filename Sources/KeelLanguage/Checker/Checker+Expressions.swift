extension Checker {
    /// Types one expression node and its subtree, recording each node's info.
    @discardableResult
    mutating func check(_ expr: Expr, in scope: Scope) -> NodeInfo {
        let info = infer(expr, in: scope)
        checked.info[expr.id] = info
        return info
    }

    private mutating func infer(_ expr: Expr, in scope: Scope) -> NodeInfo {
        switch expr.kind {
        case .number(let value): return NodeInfo(type: .number, constant: .number(value))
        case .percent(let value): return NodeInfo(type: .percent, constant: .number(value / 100))
        case .bps(let value): return NodeInfo(type: .bps, constant: .number(value / 10_000))
        case .duration(let value): return NodeInfo(type: .duration, constant: .duration(value))
        case .string(let value): return NodeInfo(type: .string, constant: .string(value))
        case .bool(let value): return NodeInfo(type: .bool, constant: .bool(value))
        case .error: return .error
        case .name(let name): return resolveName(name, expr, in: scope)
        case .unary(let op, let operand): return unary(op, operand, expr, in: scope)
        case .binary(let op, let lhs, let rhs): return binary(op, lhs, rhs, expr, in: scope)
        case .conditional(let condition, let then, let otherwise):
            return conditional(condition, then, otherwise, in: scope)
        case .history(let base, let offset): return history(base, offset, in: scope)
        case .member(let base, let name): return member(base, name, expr, in: scope)
        case .call(let name, let arguments): return call(name, arguments, expr, in: scope)
        }
    }

    // MARK: - Names

    private mutating func resolveName(_ name: String, _ expr: Expr, in scope: Scope) -> NodeInfo {
        if let decl = params[name] {
            checked.paramUses[name, default: 0] += 1
            guard case .param(let current) = scope.role else {
                return paramInfo(decl)
            }
            // A param may use earlier params only.
            let order = checked.parsed.params.map(\.name)
            if let mine = order.firstIndex(of: current), let theirs = order.firstIndex(of: name), theirs >= mine {
                diagnostics.add(.paramBeforeDefinition(current), at: expr.range)
                return .error
            }
            return paramInfo(decl)
        }
        if lets[name] != nil {
            checked.letUses[name, default: 0] += 1
            if case .param = scope.role {
                diagnostics.add(.paramUsesSeries(name), at: expr.range)
                return .error
            }
            guard let info = letInfo(name, at: expr.range) else { return .error }
            return NodeInfo(type: info.type, constant: info.constant, warmup: info.warmup * scope.barsPerBar,
                            positional: info.positional)
        }
        if name == "entry_price" {
            guard scope.role == .stopLoss || scope.role == .takeProfitLevel else {
                diagnostics.add(.entryPriceOutsideLevels, at: expr.range)
                return .error
            }
            return NodeInfo(type: .number, positional: true)
        }
        if let builtin = BuiltinTable.named(name) {
            return builtinName(builtin, expr, in: scope)
        }
        var hint = Suggestions.didYouMean(name, in: knownNames)
        var fix = Suggestions.closest(to: name, in: knownNames).map { [FixIt(range: expr.range, replacement: $0)] } ?? []
        if StrategyReader.yaml11Booleans.contains(name) { (hint, fix) = ("; write true or false", []) }
        diagnostics.add(.unknownName(name, suggestion: hint), at: expr.range, fixIts: fix)
        return .error
    }

    private func paramInfo(_ decl: ParamDecl) -> NodeInfo {
        let info = checked.info[decl.value.id] ?? .error
        return NodeInfo(type: info.type, constant: checked.paramValues[decl.name] ?? info.constant)
    }

    private mutating func builtinName(_ builtin: Builtin, _ expr: Expr, in scope: Scope) -> NodeInfo {
        switch builtin.form {
        case .variable:
            if case .param = scope.role {
                diagnostics.add(.paramUsesSeries(builtin.name), at: expr.range)
                return .error
            }
            guard case .fixed(let type) = builtin.result else { return .error }
            return NodeInfo(type: type, positional: builtin.category == .account)
        case .namespace:
            return NodeInfo(type: .namespace(builtin.name), positional: builtin.name == "position")
        case .function:
            let call = builtin.requiredParameterCount == 0 ? "\(builtin.name)()" : builtin.example
            diagnostics.add(.missingCall(builtin.name, example: call), at: expr.range,
                              fixIts: builtin.requiredParameterCount == 0
                                ? [FixIt(range: expr.range, replacement: "\(builtin.name)()")] : [])
            return .error
        }
    }

    var knownNames: [String] {
        Array(params.keys) + Array(lets.keys) + BuiltinTable.all.filter { $0.form != .function }.map(\.name)
    }

    // MARK: - Operators

    private mutating func unary(_ op: UnaryOperator, _ operand: Expr, _ expr: Expr, in scope: Scope) -> NodeInfo {
        let info = value(check(operand, in: scope), operand)
        guard info.type != .error else { return .error }
        switch op {
        case .negate:
            guard info.type.isNumeric else { return mismatch(.negationOfNonNumber(info.type), at: operand) }
            return NodeInfo(type: info.type, constant: info.constant?.number.map { .number(-$0) },
                            warmup: info.warmup, positional: info.positional)
        case .not:
            guard info.type == .bool else { return mismatch(.notOfNonCondition(info.type), at: operand) }
            return NodeInfo(type: .bool, constant: info.constant?.bool.map { .bool(!$0) },
                            warmup: info.warmup, positional: info.positional)
        }
    }

    private mutating func binary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, _ expr: Expr, in scope: Scope) -> NodeInfo {
        let left = value(check(lhs, in: scope), lhs)
        let right = value(check(rhs, in: scope), rhs)
        guard left.type != .error, right.type != .error else { return .error }
        let warmup = max(left.warmup, right.warmup)
        let positional = left.positional || right.positional
        let type: KeelType
        if op.isLogical {
            for (info, side) in [(left, lhs), (right, rhs)] where info.type != .bool {
                return mismatch(.logicOfNonCondition(op.rawValue, found: info.type), at: side)
            }
            type = .bool
        } else if op.isComparison {
            let bothNumeric = left.type.isNumeric && right.type.isNumeric
            let bothBool = left.type == .bool && right.type == .bool && (op == .equal || op == .notEqual)
            guard bothNumeric || bothBool else {
                return mismatch(.incomparable(left.type, right.type, op: op.rawValue), at: expr)
            }
            type = .bool
        } else {
            for (info, side) in [(left, lhs), (right, rhs)] where !info.type.isNumeric {
                return mismatch(.arithmeticOfNonNumber(op.rawValue, found: info.type), at: side)
            }
            if op == .divide, right.constant?.number == 0 {
                diagnostics.add(.divisionByZero, at: rhs.range)
                return .error
            }
            let sameUnit = left.type == right.type && (op == .add || op == .subtract)
            type = sameUnit ? left.type : .number
        }
        let constant = Folding.binary(op, left.constant, right.constant)
        return NodeInfo(type: type, constant: constant, warmup: warmup, positional: positional)
    }

    private mutating func conditional(_ condition: Expr, _ then: Expr, _ otherwise: Expr, in scope: Scope) -> NodeInfo {
        let test = value(check(condition, in: scope), condition)
        let a = value(check(then, in: scope), then)
        let b = value(check(otherwise, in: scope), otherwise)
        guard test.type != .error, a.type != .error, b.type != .error else { return .error }
        if test.type != .bool { return mismatch(.ifConditionType(test.type), at: condition) }
        let compatible = (a.type.isNumeric && b.type.isNumeric) || a.type == b.type
        guard compatible, a.type.isNumeric || a.type == .bool else {
            return mismatch(.ifBranchTypes(a.type, b.type), at: otherwise)
        }
        var constant: ConstValue?
        if let choice = test.constant?.bool { constant = choice ? a.constant : b.constant }
        return NodeInfo(type: a.type == b.type ? a.type : .number, constant: constant,
                        warmup: max(test.warmup, a.warmup, b.warmup), positional: test.positional || a.positional || b.positional)
    }

    private mutating func history(_ base: Expr, _ offset: Expr, in scope: Scope) -> NodeInfo {
        let checkedBase = check(base, in: scope)
        // `donchian(20)[1].upper`: a multi-output result has a history too; its member is picked after.
        let series: NodeInfo
        if case .outputs = checkedBase.type { series = checkedBase } else { series = value(checkedBase, base) }
        let index = check(offset, in: scope)
        guard series.type != .error, index.type != .error else { return .error }
        var isOutputs = false
        if case .outputs = series.type { isOutputs = true }
        guard series.type.isNumeric || series.type == .bool || isOutputs else {
            return mismatch(.historyOfNonSeries(series.type), at: base)
        }
        guard let bars = index.constant?.number, index.type == .number else {
            diagnostics.add(.nonConstantHistory, at: offset.range)
            return .error
        }
        guard bars >= 0 else {
            diagnostics.add(.negativeHistory(bars), at: offset.range)
            return .error
        }
        guard bars == bars.rounded(), bars <= Double(BuiltinTable.maxWindow) else {
            diagnostics.add(.invalidHistory, at: offset.range)
            return .error
        }
        // Never constant: `x[n]` has no value until n bars exist, even when x is a constant.
        return NodeInfo(type: series.type, constant: nil, warmup: series.warmup + Int(bars) * scope.barsPerBar,
                        positional: series.positional)
    }

    /// A multi-output result or a namespace is not a value until a member is picked.
    mutating func value(_ info: NodeInfo, _ expr: Expr) -> NodeInfo {
        switch info.type {
        case .outputs(let name):
            let members = BuiltinTable.named(name)?.outputs.map { "." + $0.name }.joined(separator: ", ") ?? ""
            diagnostics.add(.missingOutput(name, outputs: members), at: expr.range)
            return .error
        case .namespace(let name):
            let members = BuiltinTable.named(name)?.outputs.prefix(3).map { "\(name).\($0.name)" }.joined(separator: ", ")
            let example = members.map { "e.g. \($0)" } ?? "e.g. \(name).sentiment"
            diagnostics.add(.missingField(name, example: example), at: expr.range)
            return .error
        default:
            return info
        }
    }

    mutating func mismatch(_ message: DiagnosticMessage, at expr: Expr) -> NodeInfo {
        diagnostics.add(message, at: expr.range)
        return .error
    }
}

/// Constant folding for the checker (windows, history indexes, constant conditions).
enum Folding {
    static func binary(_ op: BinaryOperator, _ a: ConstValue?, _ b: ConstValue?) -> ConstValue? {
        if case .bool(let x)? = a, case .bool(let y)? = b {
            switch op {
            case .and: return .bool(x && y)
            case .or: return .bool(x || y)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            default: return nil
            }
        }
        // `false and x` and `true or x` are constant whatever x is.
        if op == .and, a?.bool == false || b?.bool == false { return .bool(false) }
        if op == .or, a?.bool == true || b?.bool == true { return .bool(true) }
        guard let x = a?.number, let y = b?.number else { return nil }
        switch op {
        case .add: return .number(x + y)
        case .subtract: return .number(x - y)
        case .multiply: return .number(x * y)
        case .divide: return y == 0 ? nil : .number(x / y)
        case .less: return .bool(x < y)
        case .lessEqual: return .bool(x <= y)
        case .greater: return .bool(x > y)
        case .greaterEqual: return .bool(x >= y)
        case .equal: return .bool(x == y)
        case .notEqual: return .bool(x != y)
        case .and, .or: return nil
        }
    }
}
