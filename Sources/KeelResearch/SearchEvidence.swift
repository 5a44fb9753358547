import Keel

/// What a search can say about its own choice: the chosen trial run again with its equity curve,
/// its per-period returns' probabilistic Sharpe ratio, and the deflated Sharpe ratio against the
/// Sharpe ratios of every trial the search ran.
public struct SearchEvidence: Sendable {
    public var trial: Int
    public var trialsCounted: Int
    /// Per period: the chosen trial's Sharpe ratio, and the best the trials would reach by luck.
    public var sharpe: Double
    public var expectedMaxSharpe: Double
    public var probabilisticSharpe: Double
    public var deflatedSharpe: Double

    /// - Parameters:
    ///   - chosen: the chosen trial's number and its backtest with the equity curve kept.
    ///   - trials: every trial's result (their Sharpe ratios, de-annualised, set the benchmark).
    public init(chosen trial: Int, result: BacktestResult, trials: [BacktestResult]) {
        let returns = Self.returns(result)
        let moments = SharpeStatistics.Moments(returns)
        let sharpes = trials.map { $0.metrics.sharpe / $0.metrics.annualization.squareRoot() }
        let finite = sharpes.filter(\.isFinite)
        self.trial = trial
        trialsCounted = finite.count
        sharpe = moments.sharpe
        expectedMaxSharpe = SharpeStatistics.expectedMaxSharpe(trials: finite.count,
                                                               standardDeviation: finite.count > 1 ? SharpeStatistics.Moments(finite).standardDeviation : 0)
        probabilisticSharpe = SharpeStatistics.probabilisticSharpe(moments)
        deflatedSharpe = SharpeStatistics.deflatedSharpe(moments, trialSharpes: sharpes)
    }

    /// Per-step returns as the metrics read them: the first against the capital.
    static func returns(_ result: BacktestResult) -> [Double] {
        var previous = result.capital
        return result.equityCurve.map { point in
            defer { previous = point.equity }
            return point.equity / previous - 1
        }
    }

    /// As the results file's `statistics` table holds them.
    public var rows: [(String, String)] {
        [("chosen_trial", String(trial)), ("trials_counted", String(trialsCounted)), ("sharpe_per_period", "\(sharpe)"),
         ("expected_max_sharpe_per_period", "\(expectedMaxSharpe)"), ("probabilistic_sharpe", "\(probabilisticSharpe)"),
         ("deflated_sharpe", "\(deflatedSharpe)")]
    }
}
