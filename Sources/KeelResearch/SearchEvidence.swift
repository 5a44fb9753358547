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
    /// How much of the objective the chosen point's neighbours keep (`stability`), and how many there were.
    public var stability: Double = .nan
    public var neighbours = 0
    /// The probability of backtest overfitting over every trial (nil where CSCV cannot be made).
    public var overfitting: Overfitting.Estimate?

    /// - Parameters:
    ///   - chosen: the chosen trial's number.
    ///   - moments: its per-step returns' moments.
    ///   - trials: every trial's metrics (their Sharpe ratios, de-annualised, set the benchmark).
    public init(chosen trial: Int, moments: SharpeStatistics.Moments, trials: [Metrics]) {
        let sharpes = trials.map { $0.sharpe / $0.annualization.squareRoot() }
        let finite = sharpes.filter(\.isFinite)
        self.trial = trial
        trialsCounted = finite.count
        sharpe = moments.sharpe
        expectedMaxSharpe = SharpeStatistics.expectedMaxSharpe(trials: finite.count,
                                                               standardDeviation: finite.count > 1 ? SharpeStatistics.Moments(finite).standardDeviation : 0)
        probabilisticSharpe = SharpeStatistics.probabilisticSharpe(moments)
        deflatedSharpe = SharpeStatistics.deflatedSharpe(moments, trialSharpes: sharpes)
    }

    /// What a search says of its choice, from its trials alone (every trial of the plan, in trial
    /// order, with its returns): the chosen trial's PSR and DSR, its stability, and PBO. Nil when no
    /// trial has a finite objective, or the chosen one's returns are not known.
    public static func of(_ trials: [ResultsFile.Trial], spaces: [String: ResolvedSpace], objective: Objective) -> SearchEvidence? {
        let values = trials.map(objective.value)
        guard let best = objective.best(of: values), let returns = trials[best].returns else { return nil }
        var evidence = SearchEvidence(chosen: trials[best].number, moments: returns.moments, trials: trials.map(\.metrics))
        (evidence.stability, evidence.neighbours) = stability(chosen: best, trials: zip(trials, values).map { ($0.params, $1) }, spaces: spaces,
                                                              objective: objective)
        let blocks = trials.compactMap(\.returns?.blocks)
        if blocks.count == trials.count { evidence.overfitting = Overfitting.estimate(blocks) }
        return evidence
    }

    /// The parameter-stability score: the median objective of the chosen trial's neighbours over
    /// its own (for an objective better lower, the other way round), so 1 is a plateau and 0.2 a
    /// knife-edge. A neighbour is a trial whose every searched param is at most one value away
    /// in its space (for an interval, a tenth of its width); NaN without neighbours or when the
    /// chosen objective is not above 0.
    public static func stability(chosen: Int, trials: [(params: [(String, ConstValue)], value: Double)],
                                 spaces: [String: ResolvedSpace], objective: Objective) -> (score: Double, neighbours: Int) {
        let center = trials[chosen]
        func near(_ a: [(String, ConstValue)]) -> Bool {
            zip(a, center.params).allSatisfy { mine, theirs in
                guard mine.0 == theirs.0 else { return false }
                switch spaces[mine.0] {
                case .values(let values)?:
                    guard let i = values.firstIndex(of: mine.1), let j = values.firstIndex(of: theirs.1) else { return mine.1 == theirs.1 }
                    return abs(i - j) <= 1
                case .interval(let low, let high)?:
                    guard let x = mine.1.number, let y = theirs.1.number else { return false }
                    return abs(x - y) <= (high - low) / 10
                case nil: return mine.1 == theirs.1
                }
            }
        }
        let values = trials.indices.filter { $0 != chosen && near(trials[$0].params) }.map { trials[$0].value }.filter(\.isFinite).sorted()
        guard !values.isEmpty, center.value.isFinite, center.value > 0 else { return (.nan, values.count) }
        let median = values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
        return (objective.higherIsBetter ? median / center.value : (median > 0 ? center.value / median : .nan), values.count)
    }

    /// As the results file's `statistics` table holds them.
    public var rows: [(String, String)] {
        [("chosen_trial", String(trial)), ("trials_counted", String(trialsCounted)), ("sharpe_per_period", "\(sharpe)"),
         ("expected_max_sharpe_per_period", "\(expectedMaxSharpe)"), ("probabilistic_sharpe", "\(probabilisticSharpe)"),
         ("deflated_sharpe", "\(deflatedSharpe)"), ("stability", "\(stability)"), ("stability_neighbours", String(neighbours))]
            + (overfitting.map { [("pbo", "\($0.probability)"), ("pbo_blocks", String($0.blocks)), ("pbo_splits", String($0.splits)),
                                  ("pbo_median_logit", "\($0.medianLogit)")] } ?? [])
    }
}
