/// A promotion gate: a figure of a strategy's research evidence and the bound it must meet before
/// the strategy may trade live (`gates: {oos_sharpe: ">= 0.8", max_drawdown: "<= 20%"}`).
public struct Gate: Sendable, Equatable {
    /// The figures a gate may name, each from `keel research`'s evidence.
    public enum Figure: String, Sendable, CaseIterable {
        /// The stitched walk-forward out-of-sample record's figures.
        case oosSharpe = "oos_sharpe", oosSortino = "oos_sortino", oosReturn = "oos_return", oosCagr = "oos_cagr"
        /// The out-of-sample record's deepest drawdown.
        case maxDrawdown = "max_drawdown"
        /// Closed out-of-sample trades.
        case minTrades = "min_trades"
        /// The full-sample search's chosen trial: its probabilistic and deflated Sharpe ratios.
        case probabilisticSharpe = "probabilistic_sharpe", deflatedSharpe = "deflated_sharpe"
        /// The probability of backtest overfitting (CSCV) of the full-sample search.
        case pbo
        /// The parameter-stability score of the full-sample search's choice.
        case stability
        /// Walk-forward efficiency, and the share of test windows that made money.
        case wfe, profitableFolds = "profitable_folds"
        /// The Monte Carlo (a trade reshuffle of the out-of-sample trades): the probability of ruin.
        case ruinProbability = "ruin_probability"

        /// The comparison a bare number means: at most for the figures better lower, at least otherwise.
        public var defaultComparison: Comparison {
            switch self {
            case .maxDrawdown, .pbo, .ruinProbability: .atMost
            default: .atLeast
            }
        }

        /// Whether the figure is a fraction that may be written as a percent.
        public var isFraction: Bool { ![.oosSharpe, .oosSortino, .minTrades, .stability, .wfe].contains(self) }
    }

    public enum Comparison: String, Sendable, CaseIterable {
        case atLeast = ">=", atMost = "<=", above = ">", below = "<"

        public func holds(_ value: Double, _ bound: Double) -> Bool {
            guard value.isFinite else { return false }
            switch self {
            case .atLeast: return value >= bound
            case .atMost: return value <= bound
            case .above: return value > bound
            case .below: return value < bound
            }
        }
    }

    public var figure: Figure
    public var comparison: Comparison
    public var bound: Double
    /// The gate as written, for messages: `oos_sharpe >= 0.8`.
    public var text: String { "\(figure.rawValue) \(comparison.rawValue) \(Self.show(bound, percent: figure.isFraction && bound < 1 && !isCount))" }
    private var isCount: Bool { figure == .minTrades }

    public init(figure: Figure, comparison: Comparison, bound: Double) { (self.figure, self.comparison, self.bound) = (figure, comparison, bound) }

    /// Reads a gate's value: `">= 0.8"`, `"<= 20%"`, `100` (the figure's default comparison), `"> 5bps"`.
    /// The failure says what to write instead.
    public static func parse(_ figure: Figure, _ text: String) -> Result<Gate, GateProblem> {
        var rest = Substring(text).drop { $0 == " " }
        var comparison = figure.defaultComparison
        for candidate in [Comparison.atLeast, .atMost, .above, .below] where rest.hasPrefix(candidate.rawValue) {
            comparison = candidate
            rest = rest.dropFirst(candidate.rawValue.count)
            break
        }
        let number = String(rest.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        var value: Double?
        if number.hasSuffix("%") { value = Double(number.dropLast()).map { $0 / 100 } } else { value = Double(number) }
        guard let value, value.isFinite else {
            return .failure(GateProblem(message: "gate '\(figure.rawValue)' is a bound such as '>= 0.8', '<= 20%' or a number, not '\(text)'"))
        }
        if number.hasSuffix("%"), !figure.isFraction {
            return .failure(GateProblem(message: "gate '\(figure.rawValue)' is not a fraction: write it without '%', such as '\(comparison.rawValue) \(show(value, percent: false))'"))
        }
        return .success(Gate(figure: figure, comparison: comparison, bound: value))
    }

    static func show(_ value: Double, percent: Bool) -> String {
        func trimmed(_ x: Double) -> String {
            let text = String(x)
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        return percent ? trimmed((value * 100 * 1e9).rounded() / 1e9) + "%" : trimmed(value)
    }
}

public struct GateProblem: Error, Sendable, Equatable {
    public let message: String
}
