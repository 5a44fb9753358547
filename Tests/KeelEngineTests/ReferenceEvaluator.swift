import KeelLanguage
@testable import KeelEngine

/// A plain tree walk over a checked strategy's expressions, used only by tests to check the
/// compiled program. It shares nothing: every call node has its own indicator, every node is
/// evaluated on every bar, lets once per bar.
final class ReferenceEvaluator {
    let checked: CheckedStrategy
    private var indicators: [ExprID: (kernel: IndicatorKernel, buffer: UnsafeMutablePointer<Double>, inputs: Int)] = [:]
    private var logs: [ExprID: [[Double]]] = [:]
    private var letValues: [String: [Double]] = [:]
    private var bar = BarInput(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, index: 0)
    var state = [Double](repeating: 0, count: StateField.allCases.count)

    init(_ checked: CheckedStrategy) { self.checked = checked }

    deinit { for entry in indicators.values { entry.buffer.deallocate() } }

    /// The values of `rules` on this bar, in order.
    func step(_ bar: BarInput, rules: [Expr]) -> [Double] {
        self.bar = bar
        letValues = [:]
        // Lets are evaluated every bar, used or not, as the program computes every node.
        for decl in checked.parsed.lets where letValues[decl.name] == nil { letValues[decl.name] = evaluate(decl.expr) }
        return rules.map { evaluate($0)[0] }
    }

    private func evaluate(_ expr: Expr) -> [Double] {
        let values = compute(expr)
        logs[expr.id, default: []].append(values)
        return values
    }

    private func compute(_ expr: Expr) -> [Double] {
        switch expr.kind {
        case .number(let v): return [v]
        case .percent(let v): return [v / 100]
        case .bps(let v): return [v / 10_000]
        case .bool(let b): return [b ? 1 : 0]
        case .duration, .string, .error: return [.nan]
        case .name(let name):
            if let decl = checked.parsed.lets.first(where: { $0.name == name }) {
                if let cached = letValues[name] { return cached }
                let values = evaluate(decl.expr)
                letValues[name] = values
                return values
            }
            if case .number(let v)? = checked.paramValues[name] { return [v] }
            if case .bool(let b)? = checked.paramValues[name] { return [b ? 1 : 0] }
            if let field = BarField.byName[name] { return [barValue(field)] }
            return [state[StateField.byName[name]!.rawValue]]
        case .unary(let op, let operand): return [Logic.unary(op, evaluate(operand)[0])]
        case .binary(let op, let lhs, let rhs):
            let a = evaluate(lhs)[0], b = evaluate(rhs)[0]
            return [Logic.binary(op, a, b)]
        case .conditional(let c, let t, let e):
            let test = evaluate(c)[0], a = evaluate(t)[0], b = evaluate(e)[0]
            return [test.isNaN ? .nan : test == 1 ? a : b]
        case .history(let base, let offset):
            let current = evaluate(base)
            _ = evaluate(offset)
            let bars = Int(checked.constant(of: offset)!.number!)
            let log = logs[base.id]!
            return log.count > bars ? log[log.count - 1 - bars] : current.map { _ in .nan }
        case .member(let base, let name):
            if case .name("position") = base.kind { return [state[StateField.byName["position.\(name)"]!.rawValue]] }
            let values = evaluate(base)
            let builtin = outputs(of: base)!
            return [values[builtin.outputs.firstIndex { $0.name == name }!]]
        case .call(let name, let arguments):
            return call(name, arguments, expr)
        }
    }

    private func outputs(of expr: Expr) -> Builtin? {
        switch expr.kind {
        case .call(let name, _): BuiltinTable.named(name)
        case .history(let base, _): outputs(of: base)
        default: nil
        }
    }

    private func call(_ name: String, _ arguments: [CallArgument], _ expr: Expr) -> [Double] {
        let builtin = BuiltinTable.named(name)!
        let bound = builtin.bind(arguments)
        var inputs: [Double] = []
        var constants: [String: Double] = [:]
        for (index, parameter) in builtin.parameters.enumerated() {
            let value = bound[index].map { evaluate($0)[0] }
            switch parameter.kind {
            case .series, .condition, .value: inputs.append(value ?? parameter.defaultValue!)
            default:
                let constant = bound[index].flatMap { checked.constant(of: $0)?.number } ?? parameter.defaultValue!
                constants[parameter.name] = constant
                if builtin.category == .math { inputs.append(constant) }
            }
        }
        if builtin.category == .math {
            let f = MathFunction(rawValue: name)!
            return [f.apply(inputs[0], inputs.count > 1 ? inputs[1] : .nan, inputs.count > 2 ? inputs[2] : .nan)]
        }
        inputs += builtin.reads.map { barValue(BarField.byName[$0]!) }
        let outputCount = max(1, builtin.outputs.count)
        if indicators[expr.id] == nil {
            let spec = try! Compiler.indicator(name, constants, expr)
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: inputs.count + outputCount)
            let kernel = spec.makeKernel(inputs: Array(0..<inputs.count), outs: Array(inputs.count..<(inputs.count + outputCount)))
            indicators[expr.id] = (kernel, buffer, inputs.count)
        }
        let entry = indicators[expr.id]!
        for (i, value) in inputs.enumerated() { entry.buffer[i] = value }
        // One row: a column of capacity 1 per slot.
        var time = bar.time
        withUnsafeMutablePointer(to: &time) { entry.kernel.run(Columns(base: entry.buffer, capacity: 1, times: $0, rows: 0..<1)) }
        return (0..<outputCount).map { entry.buffer[entry.inputs + $0] }
    }

    private func barValue(_ field: BarField) -> Double {
        switch field {
        case .open: return bar.open
        case .high: return bar.high
        case .low: return bar.low
        case .close: return bar.close
        case .volume: return bar.volume
        case .hl2: return (bar.high + bar.low) / 2
        case .hlc3: return (bar.high + bar.low + bar.close) / 3
        case .ohlc4: return (bar.open + bar.high + bar.low + bar.close) / 4
        case .barIndex: return Double(bar.index)
        default:
            let c = Evaluator.Calendar(utcMilliseconds: bar.time)
            return Double([BarField.hour: c.hour, .minute: c.minute, .dayOfWeek: c.dayOfWeek, .month: c.month, .year: c.year][field]!)
        }
    }
}
