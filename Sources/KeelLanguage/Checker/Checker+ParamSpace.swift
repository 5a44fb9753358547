/// A param's search space, resolved: what `keel optimize` and `keel walkforward` may try.
public enum ResolvedSpace: Sendable, Equatable {
    /// Every value to try, in order: the choices, or a range walked by its step (whole numbers by 1).
    case values([ConstValue])
    /// Fractional numbers from `low` to `high`, drawn at random (a range without a step).
    case interval(low: Double, high: Double)

    /// The values the checker tries the strategy with: each choice, or the range's two ends.
    var extremes: [ConstValue] {
        switch self {
        case .values(let values): values.count <= 2 ? values : values.count <= 50 ? values : [values[0], values[values.count - 1]]
        case .interval(let low, let high): [.number(low), .number(high)]
        }
    }
}

/// The most values a range with a step may hold: a grid past it is a mistake of `step:`.
let maxSpaceValues = 100_000

extension Checker {
    /// Reads a param's space to values of the default's kind; a range is numbers, low below high,
    /// a positive step, the default inside it.
    mutating func checkSpace(_ decl: ParamDecl, default base: ConstValue) {
        guard let space = decl.space else { return }
        let name = decl.name
        func constant(_ expr: Expr) -> ConstValue? {
            let info = check(expr, in: Scope(role: .param(name)))
            guard info.type != .error else { return nil }
            guard let value = info.constant, info.type != .string else {
                diagnostics.add(.paramSpace(name, "'\(text(expr))' is not a constant; a search space lists values such as 10, 2.5 or 5%"), at: expr.range)
                return nil
            }
            guard Self.sameKind(value, base) else {
                diagnostics.add(.paramSpace(name, "'\(text(expr))' is not of the default's kind (\(Self.kind(base)))"), at: expr.range)
                return nil
            }
            return value
        }
        switch space.kind {
        case .choices(let exprs):
            let values = exprs.compactMap(constant)
            guard values.count == exprs.count else { return }
            checked.paramSpaces[name] = .values(values)
        case .range(let lowExpr, let highExpr, let stepExpr):
            guard let low = constant(lowExpr)?.number, let high = constant(highExpr)?.number else {
                if case .number = base {} else { diagnostics.add(.paramSpace(name, "a range is of numbers; use 'choices:' for other values"), at: space.range) }
                return
            }
            guard low < high else {
                diagnostics.add(.paramSpace(name, "the range's low end \(text(lowExpr)) is not below its high end \(text(highExpr))"), at: space.range)
                return
            }
            if let value = base.number, value < low || value > high {
                diagnostics.add(.paramSpace(name, "the default \(text(decl.value)) is outside the range [\(text(lowExpr)), \(text(highExpr))]"), at: space.range)
                return
            }
            var step: Double?
            if let stepExpr {
                guard let given = constant(stepExpr)?.number else { return }
                guard given > 0 else {
                    diagnostics.add(.paramSpace(name, "'step:' must be above 0"), at: stepExpr.range)
                    return
                }
                step = given
            } else if low == low.rounded(), high == high.rounded(), base.number.map({ $0 == $0.rounded() }) ?? false {
                step = 1
            }
            guard let step else {
                checked.paramSpaces[name] = .interval(low: low, high: high)
                return
            }
            let count = Int(((high - low) / step + 1e-9).rounded(.down)) + 1
            guard count <= maxSpaceValues else {
                diagnostics.add(.paramSpace(name, "the range holds \(count) values by this step, more than \(maxSpaceValues); take a larger step"),
                                at: stepExpr?.range ?? space.range)
                return
            }
            // Each value from the low end and the step, not by adding: 0.1 + 0.1 + 0.1 is not 0.3.
            checked.paramSpaces[name] = .values((0..<count).map { .number(Self.rounded(low + Double($0) * step)) })
        }
    }

    /// Runs the whole check again with each param at its space's ends (or each choice): a window
    /// the range makes too long, a stop it makes negative, is an error at the space's line.
    mutating func checkSpaceValues(profile: ProfileName?) {
        guard overrides.isEmpty, !diagnostics.items.contains(where: { $0.severity == .error }) else { return }
        for decl in checked.parsed.params {
            guard let space = decl.space, let resolved = checked.paramSpaces[decl.name] else { continue }
            for value in resolved.extremes where value != checked.paramValues[decl.name] {
                let (_, problems) = Checker.check(checked.parsed, options: .init(profileOverride: profile, paramOverrides: [decl.name: value]))
                guard let first = problems.first(where: { $0.severity == .error }) else { continue }
                let place = checked.parsed.file.location(ofOffset: first.range.start)
                diagnostics.add(.paramSpace(decl.name, "with \(decl.name) = \(Self.text(value)), line \(place.line): \(first.message)"), at: space.range)
                break
            }
        }
    }

    private func text(_ expr: Expr) -> String {
        let bytes = checked.parsed.file.bytes
        let range = expr.range
        guard range.start >= 0, range.end <= bytes.count, range.start < range.end else { return "?" }
        return String(decoding: bytes[range.start..<range.end], as: UTF8.self)
    }

    static func text(_ value: ConstValue) -> String {
        switch value {
        case .number(let n): ExpressionPrinter.format(n)
        case .bool(let b): b ? "true" : "false"
        case .string(let s): s
        case .duration(let d): d.description
        }
    }

    static func sameKind(_ a: ConstValue, _ b: ConstValue) -> Bool {
        switch (a, b) {
        case (.number, .number), (.bool, .bool), (.string, .string), (.duration, .duration): true
        default: false
        }
    }

    static func kind(_ value: ConstValue) -> String {
        switch value {
        case .number: "a number"
        case .bool: "true or false"
        case .string: "a word"
        case .duration: "a duration"
        }
    }

    /// A grid value without the last bits of floating-point noise (5 + 3 x 0.1 prints as 5.3).
    static func rounded(_ x: Double) -> Double { (x * 1e12).rounded() / 1e12 }
}
