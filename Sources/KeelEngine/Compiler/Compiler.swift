import KeelLanguage

/// Compiles a checked strategy into a program. Equal subexpressions (the same node over the same
/// inputs) get one node and one slot: `sma(close, 20)` written in three rules is computed once.
public struct Compiler {
    public struct Unsupported: Error, CustomStringConvertible, Sendable {
        public let message: String
        public let range: SourceRange
        public var description: String { message }
    }

    private let checked: CheckedStrategy
    private var nodes: [Node] = []
    private var slotCount = 0
    /// Hash-consing: a node without its output slot, to the slots it wrote.
    private var shared: [Node: [Slot]] = [:]
    private var lets: [String: [Slot]] = [:]
    private var signalNames: [String] = []
    private var contexts: [ContextProgram] = []

    public static func compile(_ checked: CheckedStrategy) throws(Unsupported) -> CompiledStrategy {
        var compiler = Compiler(checked: checked)
        return try compiler.run()
    }

    private init(checked: CheckedStrategy) { self.checked = checked }

    private mutating func run() throws(Unsupported) -> CompiledStrategy {
        let parsed = checked.parsed
        var entry: [Side: Slot] = [:], exit: [Side: Slot] = [:]
        var readings: [RuleKey: [Reading]] = [:]
        for (side, expr) in parsed.entry.all {
            entry[side] = try value(expr)
            readings[RuleKey(entry: true, side: side)] = try self.readings(of: expr)
        }
        for (side, expr) in parsed.exit.all {
            exit[side] = try value(expr)
            readings[RuleKey(entry: false, side: side)] = try self.readings(of: expr)
        }
        var stop: CompiledLevel?
        if let resolved = checked.stopLoss { stop = try level(resolved.level) }
        var ladder: [(CompiledLevel, Double)] = []
        for step in checked.takeProfit { ladder.append((try level(step.level), step.closeFraction)) }
        let rank = try parsed.allocation.rank.map { expr throws(Unsupported) in try value(expr) }
        return CompiledStrategy(
            name: parsed.name?.value ?? parsed.file.path, nodes: nodes, slotCount: slotCount, entry: entry, exit: exit,
            stopLoss: stop, trailing: checked.stopLoss?.trailing ?? false, takeProfit: ladder, rank: rank,
            signalNames: signalNames, contexts: contexts, readings: readings, warmup: checked.warmup, settings: TradingSettings(checked))
    }

    /// The names, fields and calls a rule reads (its operands, not constants), at most twelve.
    /// Compiling them again costs nothing: equal nodes are shared.
    private mutating func readings(of rule: Expr) throws(Unsupported) -> [Reading] {
        var found: [Expr] = []
        let lets = checked.parsed.lets
        func visit(_ expr: Expr) {
            guard checked.constant(of: expr) == nil else { return }
            let isCondition = checked.type(of: expr) == .bool
            switch expr.kind {
            case .call(let name, _) where BuiltinTable.named(name)?.category == .context:
                // Its operands are another symbol's or timeframe's: record the value it hands over.
                found.append(expr)
            case .call where isCondition:
                // crosses_above(a, b) = 1 says little; a and b say why.
                expr.children.forEach(visit)
            case .name(let name) where isCondition:
                found.append(expr)
                if let decl = lets.first(where: { $0.name == name }) { visit(decl.expr) }
            case .name, .call, .member, .history: found.append(expr)
            default: expr.children.forEach(visit)
            }
        }
        visit(rule)
        var readings: [Reading] = []
        for expr in found.prefix(12) {
            let text = ExpressionPrinter.print(expr)
            guard !readings.contains(where: { $0.text == text }), checked.type(of: expr).isNumeric || checked.type(of: expr) == .bool else { continue }
            readings.append(Reading(text: text, slot: try value(expr)))
        }
        return readings
    }

    private mutating func level(_ level: StopLevel) throws(Unsupported) -> CompiledLevel {
        switch level {
        case .percent(let fraction): .percent(fraction)
        case .price(let expr): .price(try value(expr))
        }
    }

    /// The single slot of a value expression.
    private mutating func value(_ expr: Expr) throws(Unsupported) -> Slot {
        let slots = try compile(expr)
        return slots[0]
    }

    /// The slots of an expression: one for a value, one per output for a multi-output indicator.
    private mutating func compile(_ expr: Expr) throws(Unsupported) -> [Slot] {
        if let constant = checked.constant(of: expr), case .number(let number) = constant {
            return [emit { .constant(number, out: $0) }]
        }
        if let constant = checked.constant(of: expr), case .bool(let flag) = constant {
            return [emit { .constant(flag ? 1 : 0, out: $0) }]
        }
        switch expr.kind {
        case .number(let v): return [emit { .constant(v, out: $0) }]
        case .percent(let v): return [emit { .constant(v / 100, out: $0) }]
        case .bps(let v): return [emit { .constant(v / 10_000, out: $0) }]
        case .bool(let b): return [emit { .constant(b ? 1 : 0, out: $0) }]
        case .duration, .string, .error:
            throw Unsupported(message: "this value cannot be computed per bar", range: expr.range)
        case .name(let identifier): return try resolve(identifier, expr)
        case .unary(let op, let operand):
            let a = try value(operand)
            return [emit { .unary(op, a, out: $0) }]
        case .binary(let op, let lhs, let rhs):
            let a = try value(lhs), b = try value(rhs)
            return [emit { .binary(op, a, b, out: $0) }]
        case .conditional(let c, let t, let e):
            let (x, y, z) = (try value(c), try value(t), try value(e))
            return [emit { .conditional(x, y, z, out: $0) }]
        case .history(let base, let offset):
            let bars = Int(checked.constant(of: offset)?.number ?? 0)
            var slots: [Slot] = []
            for slot in try compile(base) { slots.append(bars == 0 ? slot : emit { .history(slot, bars: bars, out: $0) }) }
            return slots
        case .member(let base, let member):
            return try self.member(base, member, expr)
        case .call(let name, let arguments):
            return try call(name, arguments, expr)
        }
    }

    private mutating func resolve(_ name: String, _ expr: Expr) throws(Unsupported) -> [Slot] {
        if let decl = checked.parsed.lets.first(where: { $0.name == name }) {
            if let slots = lets[name] { return slots }
            let slots = try compile(decl.expr)
            lets[name] = slots
            return slots
        }
        if let field = BarField.byName[name] { return [emit { .bar(field, out: $0) }] }
        if let field = StateField.byName[name] { return [emit { .state(field, out: $0) }] }
        throw Unsupported(message: "'\(name)' has no value at run time", range: expr.range)
    }

    private mutating func member(_ base: Expr, _ member: String, _ expr: Expr) throws(Unsupported) -> [Slot] {
        if case .name(let namespace) = base.kind, namespace == "position" || namespace == "signal" {
            if namespace == "signal" {
                let index = signalNames.firstIndex(of: member) ?? { signalNames.append(member); return signalNames.count - 1 }()
                return [emit { .signal(index, out: $0) }]
            }
            guard let field = StateField.byName["position.\(member)"] else {
                throw Unsupported(message: "no position field '\(member)'", range: expr.range)
            }
            return [emit { .state(field, out: $0) }]
        }
        let slots = try compile(base)
        guard let builtin = outputsBuiltin(base), let index = builtin.outputs.firstIndex(where: { $0.name == member }),
              index < slots.count else {
            throw Unsupported(message: "no output '\(member)'", range: expr.range)
        }
        return [slots[index]]
    }

    /// The multi-output built-in a (possibly historical) expression comes from.
    private func outputsBuiltin(_ expr: Expr) -> Builtin? {
        switch expr.kind {
        case .call(let name, _): BuiltinTable.named(name)
        case .history(let base, _): outputsBuiltin(base)
        default: nil
        }
    }

    private mutating func call(_ name: String, _ arguments: [CallArgument], _ expr: Expr) throws(Unsupported) -> [Slot] {
        guard let builtin = BuiltinTable.named(name) else {
            throw Unsupported(message: "no function '\(name)'", range: expr.range)
        }
        let bound = builtin.bind(arguments)
        if builtin.category == .context { return [try context(name, bound, expr)] }
        var constants: [String: Double] = [:]
        var series: [Slot] = []
        for (index, parameter) in builtin.parameters.enumerated() {
            switch parameter.kind {
            case .series, .condition, .value:
                if let argument = bound[index] { series.append(try value(argument)) }
                else if let fallback = parameter.defaultValue { series.append(emit { .constant(fallback, out: $0) }) }
            case .window, .constant:
                let constant = bound[index].flatMap { checked.constant(of: $0)?.number } ?? parameter.defaultValue
                constants[parameter.name] = constant
                // Math takes its constants (round's digits, nz's replacement) as operands.
                if builtin.category == .math, let constant { series.append(emit { .constant(constant, out: $0) }) }
            case .symbol, .timeframe:
                throw Unsupported(message: "\(name)(...) is not supported by the engine yet", range: expr.range)
            }
        }
        if builtin.category == .math {
            guard let function = MathFunction(rawValue: name) else {
                throw Unsupported(message: "\(name)(...) is not supported by the engine yet", range: expr.range)
            }
            return [emit { .math(function, series, out: $0) }]
        }
        let spec = try Self.indicator(name, constants, expr)
        let reads = builtin.reads.compactMap { BarField.byName[$0] }.map { field in emit { .bar(field, out: $0) } }
        let inputs = series + reads
        let outputCount = max(1, builtin.outputs.count)
        let key = Node.indicator(spec, inputs: inputs, outs: [])
        if let slots = shared[key] { return slots }
        let outs = (0..<outputCount).map { _ in newSlot() }
        nodes.append(.indicator(spec, inputs: inputs, outs: outs))
        shared[key] = outs
        return outs
    }

    /// Compiles the inner expression of symbol(...) or timeframe(...) as a program of its own.
    private mutating func context(_ name: String, _ bound: [Expr?], _ expr: Expr) throws(Unsupported) -> Slot {
        guard let selector = bound[0], let inner = bound[1] else { throw Unsupported(message: "\(name)(...) needs two arguments", range: expr.range) }
        let source: ContextProgram.Source
        switch checked.constant(of: selector) {
        case .string(let symbol)?: source = .symbol(symbol)
        case .duration(let bar)? where bar.seconds != nil: source = .timeframe(Int64(bar.seconds!) * 1_000)
        default: throw Unsupported(message: "\(name)(...) needs a constant symbol or bar size", range: selector.range)
        }
        var sub = Compiler(checked: checked)
        let result = try sub.value(inner)
        guard sub.contexts.isEmpty else {
            throw Unsupported(message: "symbol(...) and timeframe(...) cannot be nested yet", range: expr.range)
        }
        let program = ContextProgram(source: source, nodes: sub.nodes, slotCount: sub.slotCount, result: result, signalNames: sub.signalNames)
        let index = contexts.firstIndex(of: program) ?? { contexts.append(program); return contexts.count - 1 }()
        return emit { .context(index, out: $0) }
    }

    static func indicator(_ name: String, _ c: [String: Double], _ expr: Expr) throws(Unsupported) -> IndicatorSpec {
        func i(_ key: String) -> Int { Int(c[key] ?? 0) }
        switch name {
        case "sma": return .sma(i("n"))
        case "ema": return .ema(i("n"))
        case "wma": return .wma(i("n"))
        case "hma": return .hma(i("n"))
        case "rma": return .rma(i("n"))
        case "vwma": return .vwma(i("n"))
        case "dema": return .dema(i("n"))
        case "tema": return .tema(i("n"))
        case "kama": return .kama(i("n"), fast: i("fast"), slow: i("slow"))
        case "rsi": return .rsi(i("n"))
        case "stoch": return .stoch(i("n"), d: i("d"), smooth: i("smooth"))
        case "stochrsi": return .stochrsi(i("n"), rsi: i("rsi_period"), smooth: i("smooth"), d: i("d"))
        case "macd": return .macd(fast: i("fast"), slow: i("slow"), signal: i("signal"))
        case "cci": return .cci(i("n"))
        case "mfi": return .mfi(i("n"))
        case "williams_r": return .williamsR(i("n"))
        case "roc": return .roc(i("n"))
        case "momentum": return .momentum(i("n"))
        case "change": return .change(i("n"))
        case "pct_change": return .pctChange(i("n"))
        case "atr": return .atr(i("n"))
        case "natr": return .natr(i("n"))
        case "true_range": return .trueRange
        case "adx": return .adx(i("n"))
        case "dmi": return .dmi(i("n"))
        case "supertrend": return .supertrend(i("n"), multiplier: c["multiplier"] ?? 3)
        case "stdev": return .stdev(i("n"))
        case "variance": return .variance(i("n"))
        case "zscore": return .zscore(i("n"))
        case "bbands": return .bbands(i("n"), k: c["k"] ?? 2)
        case "keltner": return .keltner(i("n"), k: c["k"] ?? 2, atr: i("atr_period"))
        case "donchian": return .donchian(i("n"))
        case "highest": return .highest(i("n"))
        case "lowest": return .lowest(i("n"))
        case "obv": return .obv
        case "vwap": return .vwap
        case "cmf": return .cmf(i("n"))
        case "crosses_above": return .crossesAbove
        case "crosses_below": return .crossesBelow
        case "rising": return .rising(i("n"))
        case "falling": return .falling(i("n"))
        case "barssince": return .barssince
        case "valuewhen": return .valuewhen(i("occurrence"))
        default: throw Unsupported(message: "\(name)(...) is not supported by the engine yet", range: expr.range)
        }
    }

    private mutating func newSlot() -> Slot {
        defer { slotCount += 1 }
        return slotCount
    }

    /// Appends a node, or returns the slot of an equal one already compiled.
    private mutating func emit(_ make: (Slot) -> Node) -> Slot {
        let key = make(-1)
        if let slots = shared[key] { return slots[0] }
        let slot = newSlot()
        nodes.append(make(slot))
        shared[key] = [slot]
        return slot
    }
}
