/// The types the checker assigns. Every value is a series (one value per bar) unless it is one of
/// the constant-only kinds (`duration`, `string`).
public enum KeelType: Hashable, Sendable, CustomStringConvertible {
    case number
    /// A fraction written with `%` (`5%` is 0.05).
    case percent
    /// A fraction written in basis points (`2bps` is 0.0002).
    case bps
    case bool
    case duration
    case string
    /// The result of a multi-output indicator; only its members (`.signal`) are values.
    case outputs(builtin: String)
    /// `position` or `signal`: only its members are values.
    case namespace(String)
    /// Already reported; checks on it stay silent.
    case error

    public var isNumeric: Bool { self == .number || self == .percent || self == .bps }

    public var description: String {
        switch self {
        case .number: "number"
        case .percent: "percent"
        case .bps: "bps"
        case .bool: "bool"
        case .duration: "duration"
        case .string: "string"
        case .outputs(let builtin): "\(builtin) result"
        case .namespace(let name): "'\(name)'"
        case .error: "<error>"
        }
    }
}

/// What a parameter of a built-in accepts.
package enum ParameterKind: Sendable, Hashable {
    /// A numeric series (number, percent or bps).
    case series
    /// A bool series (a condition).
    case condition
    /// A numeric or bool series; the result takes its type.
    case value
    /// A whole number of bars, constant, within the window bound.
    case window
    /// A constant number (a multiplier, a count of digits).
    case constant
    /// A constant string: a symbol of the universe.
    case symbol
    /// A constant duration: a bar size.
    case timeframe

    var summary: String {
        switch self {
        case .series: "series"
        case .condition: "condition"
        case .value: "series or condition"
        case .window: "window (bars)"
        case .constant: "constant"
        case .symbol: "symbol (string)"
        case .timeframe: "timeframe (duration)"
        }
    }
}

package struct Parameter: Sendable {
    package let name: String
    package let kind: ParameterKind
    /// Present for optional parameters.
    package let defaultValue: Double?

    package init(_ name: String, _ kind: ParameterKind, default defaultValue: Double? = nil) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
    }
}

package enum ResultType: Sendable {
    case fixed(KeelType)
    /// The type of the argument at this index (math on percents stays a percent).
    case argument(Int)
}

/// Bars an indicator needs before its first value, from its constant arguments (TA-Lib calls this
/// the lookback). A series argument's own warm-up adds to it.
package struct Warmup: Sendable {
    package let describe: String
    package let bars: @Sendable (_ constants: [String: Double]) -> Int

    package init(_ describe: String, _ bars: @escaping @Sendable ([String: Double]) -> Int) {
        self.describe = describe
        self.bars = bars
    }

    package static let none = Warmup("0") { _ in 0 }

    /// `window - 1 + extra`, the usual shape.
    package static func window(_ name: String = "n", plus extra: Int = -1) -> Warmup {
        let text = extra == 0 ? name : extra > 0 ? "\(name) + \(extra)" : "\(name) - \(-extra)"
        return Warmup(text) { Int($0[name] ?? 0) + extra }
    }
}

/// One entry of the built-in table: everything the checker, the linter, the reference and the
/// tests know about a name.
package struct Builtin: Sendable {
    package enum Form: Sendable, Hashable {
        /// A bare name: `close`, `equity`.
        case variable
        /// Called with arguments: `sma(close, 20)`.
        case function
        /// A name whose members are the values: `position.size`, `signal.sentiment`.
        case namespace
    }

    package enum Category: String, Sendable, CaseIterable {
        case price = "Price series"
        case time = "Time"
        case position = "Position"
        case account = "Account"
        case external = "External signals"
        case movingAverage = "Moving averages"
        case oscillator = "Oscillators"
        case volatility = "Volatility and trend"
        case band = "Bands and channels"
        case volume = "Volume"
        case signal = "Crossings and history"
        case math = "Math"
        case context = "Other symbols and timeframes"
    }

    package struct Output: Sendable {
        package let name: String
        package let doc: String
        package let type: KeelType

        package init(_ name: String, _ doc: String, type: KeelType = .number) {
            self.name = name
            self.doc = doc
            self.type = type
        }
    }

    package let name: String
    package let form: Form
    package let category: Category
    package let parameters: [Parameter]
    package let result: ResultType
    package let outputs: [Output]
    package let warmup: Warmup
    /// Bar fields an indicator reads by itself (`atr` reads high, low and close).
    package let reads: [String]
    package let doc: String
    /// A worked example: an expression that checks clean in a strategy on one symbol.
    package let example: String
    /// Where Keel's definition is not the common reference's, or which reference it follows.
    package let definition: String
    /// The values it can take, for bounded oscillators (all outputs alike).
    package let bounds: ClosedRange<Double>?

    package init(_ name: String, form: Form = .function, _ category: Category, parameters: [Parameter] = [],
                result: ResultType = .fixed(.number), outputs: [Output] = [], warmup: Warmup = .none,
                reads: [String] = [], doc: String, example: String, definition: String = "",
                bounds: ClosedRange<Double>? = nil) {
        self.name = name
        self.form = form
        self.category = category
        self.parameters = parameters
        self.result = result
        self.outputs = outputs
        self.warmup = warmup
        self.reads = reads
        self.doc = doc
        self.example = example
        self.definition = definition
        self.bounds = bounds
    }

    package var requiredParameterCount: Int { parameters.prefix { $0.defaultValue == nil }.count }

    /// The argument given for each parameter, in parameter order, for a call the checker accepted.
    package func bind(_ arguments: [CallArgument]) -> [Expr?] {
        var bound = [Expr?](repeating: nil, count: parameters.count)
        for (position, argument) in arguments.enumerated() {
            if let label = argument.label, let index = parameters.firstIndex(where: { $0.name == label }) {
                bound[index] = argument.value
            } else if argument.label == nil, position < bound.count {
                bound[position] = argument.value
            }
        }
        return bound
    }

    /// `sma(source: series, n: window (bars))`, as the reference prints it.
    package var signature: String {
        guard form == .function else { return name }
        let params = parameters.map { p in
            p.defaultValue.map { "\(p.name): \(p.kind.summary) = \(ExpressionPrinter.format($0))" } ?? "\(p.name): \(p.kind.summary)"
        }
        return "\(name)(\(params.joined(separator: ", ")))"
    }
}
