/// Checks a parsed strategy: resolves names, assigns types, checks arity, windows and history
/// indexes, computes every rule's warm-up, and resolves the settings (stops, ladder, sizing, costs,
/// risk). Reports every problem; the result is usable for linting even when there are errors.
public struct Checker {
    public struct Options: Sendable {
        /// Check against this profile instead of the file's own (`keel lint --profile`).
        public var profileOverride: ProfileName?
        /// Values that replace params' own (`keel backtest --set`, sweeps), by param name.
        public var paramOverrides: [String: ConstValue]

        public init(profileOverride: ProfileName? = nil, paramOverrides: [String: ConstValue] = [:]) {
            self.profileOverride = profileOverride
            self.paramOverrides = paramOverrides
        }
    }

    var checked: CheckedStrategy
    var diagnostics = DiagnosticBag()
    /// Let bindings by name, and the state of the walk that types them in dependency order.
    var lets: [String: LetDecl] = [:]
    var letState: [String: LetVisit] = [:]
    var params: [String: ParamDecl] = [:]
    var overrides: [String: ConstValue] = [:]

    enum LetVisit { case inProgress, done(NodeInfo) }

    /// The context an expression is checked in.
    struct Scope {
        var role: ExpressionRole
        /// Bars of the strategy per bar of the evaluated series (above 1 inside `timeframe()`).
        var barsPerBar = 1
        var inOtherSymbol = false
    }

    public static func check(_ parsed: ParsedStrategy, options: Options = Options()) -> (CheckedStrategy, [Diagnostic]) {
        let profileName = options.profileOverride ?? parsed.profileName
        var checker = Checker(checked: CheckedStrategy(parsed: parsed, profile: .named(profileName)))
        checker.overrides = options.paramOverrides
        checker.run()
        checker.checkSpaceValues(profile: options.profileOverride)
        return (checker.checked, checker.diagnostics.items)
    }

    private mutating func run() {
        let parsed = checked.parsed
        for decl in parsed.params { params[decl.name] = decl }
        for decl in parsed.lets {
            if params[decl.name] != nil {
                diagnostics.add(.paramAndLet(decl.name), at: decl.nameRange)
            }
            lets[decl.name] = decl
        }
        for decl in parsed.params { checkParam(decl) }
        // A value given from outside the file (`--set`, a sweep, an embedder) for a param the file
        // does not declare would be silently unused.
        let names = parsed.params.map(\.name)
        for name in overrides.keys.sorted() where params[name] == nil {
            diagnostics.add(.unknownParam(name, declared: names), at: parsed.params.first?.nameRange ?? .at(0))
        }
        for decl in parsed.lets { _ = letInfo(decl.name, at: decl.nameRange) }
        for (side, expr) in parsed.entry.all { checkRule(expr, role: .entry(side), what: "an entry rule") }
        for (side, expr) in parsed.exit.all { checkRule(expr, role: .exit(side), what: "an exit rule") }
        resolveSettings()
    }

    private mutating func checkParam(_ decl: ParamDecl) {
        let info = check(decl.value, in: Scope(role: .param(decl.name)))
        guard info.type != .error else { return }
        guard let value = info.constant, info.type != .string else {
            diagnostics.add(.nonConstantParam(decl.name), at: decl.value.range)
            return
        }
        checked.paramValues[decl.name] = overrides[decl.name] ?? value
        checkSpace(decl, default: value)
    }

    /// Types a let binding once, following its references first; reports cycles.
    mutating func letInfo(_ name: String, at range: SourceRange) -> NodeInfo? {
        guard let decl = lets[name] else { return nil }
        switch letState[name] {
        case .done(let info): return info
        case .inProgress:
            diagnostics.add(.letCycle(name), at: range)
            return .error
        case nil:
            letState[name] = .inProgress
            let info = check(decl.expr, in: Scope(role: .letBinding(name)))
            letState[name] = .done(info)
            checked.ruleWarmups[.letBinding(name)] = info.warmup
            return info
        }
    }

    private mutating func checkRule(_ expr: Expr, role: ExpressionRole, what: String) {
        let info = check(expr, in: Scope(role: role))
        checked.ruleWarmups[role] = info.warmup
        requireCondition(info, expr, what: what)
    }

    mutating func requireCondition(_ info: NodeInfo, _ expr: Expr, what: String) {
        guard !checked.parsed.brokenExpressions.contains(expr.id) else { return }
        switch info.type {
        case .bool, .error: break
        case let type where type.isNumeric:
            diagnostics.add(.conditionExpected(what, numeric: type), at: expr.range)
        default:
            diagnostics.add(.conditionExpected(what, found: info.type), at: expr.range)
        }
    }
}
