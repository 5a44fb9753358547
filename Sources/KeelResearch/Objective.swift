import Keel

/// What a search maximises (or minimises): any metric of the result by its JSON name, `return`
/// for `total_return`, or `final_equity`. Drawdowns, volatility and durations are better lower.
public struct Objective: Sendable, Equatable {
    public let metric: String

    public static let lowerIsBetter: Set<String> = [
        "volatility", "max_drawdown", "average_drawdown", "max_drawdown_duration_seconds", "average_drawdown_duration_seconds",
        "average_trade_duration_seconds", "max_trade_duration_seconds",
    ]

    /// Every name an objective may take.
    public static var names: [String] { ["final_equity"] + Metrics().named.map(\.0).filter { $0 != "annualization" } }

    public init?(_ name: String) {
        let metric = name == "return" ? "total_return" : name
        guard Self.names.contains(metric) else { return nil }
        self.metric = metric
    }

    public var higherIsBetter: Bool { !Self.lowerIsBetter.contains(metric) }

    /// The objective's value in a result; NaN (no trade, no variance) never wins.
    public func value(_ result: BacktestResult) -> Double {
        metric == "final_equity" ? result.finalEquity : result.metrics.named.first { $0.0 == metric }?.1 ?? .nan
    }

    /// The objective's value in a trial of a results file.
    public func value(_ trial: ResultsFile.Trial) -> Double {
        metric == "final_equity" ? trial.finalEquity : trial.metrics.named.first { $0.0 == metric }?.1 ?? .nan
    }

    /// The index of the best value (the first of equals); nil when none is finite.
    public func best(of values: [Double]) -> Int? {
        var best: Int?
        for (k, value) in values.enumerated() where value.isFinite {
            if let current = best, !better(value, than: values[current]) { continue }
            best = k
        }
        return best
    }

    /// Whether `a` beats `b`; a tie keeps the earlier trial.
    public func better(_ a: Double, than b: Double) -> Bool {
        guard a.isFinite else { return false }
        guard b.isFinite else { return true }
        return higherIsBetter ? a > b : a < b
    }
}
