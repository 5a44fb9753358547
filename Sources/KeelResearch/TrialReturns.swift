import Keel

/// What a search keeps of a trial's per-step returns as the trial ends: the moments its Sharpe
/// statistics read and its CSCV blocks. Kept for every trial (the results file's `trial_returns`),
/// so the statistics of a search, or of shards merged, are made without running any trial again.
public struct TrialReturns: Sendable, Equatable {
    public var moments: SharpeStatistics.Moments
    public var blocks: [Overfitting.Block]

    public init(moments: SharpeStatistics.Moments, blocks: [Overfitting.Block]) { (self.moments, self.blocks) = (moments, blocks) }

    /// From a trial's equity curve, its returns read as the metrics read them (the first against the capital).
    public init(curve: [(time: Int64, equity: Double)], capital: Double, blocks count: Int = Overfitting.defaultBlocks) {
        let returns = MonteCarlo.curveReturns(curve, capital: capital)
        (moments, blocks) = (SharpeStatistics.Moments(returns), Overfitting.blocks(returns, count: count))
    }
}
