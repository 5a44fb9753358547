import KeelData

/// `symbol("SPY", expr)`: one evaluator over the other symbol's bars, shared by every symbol's rules.
struct SymbolContext {
    let index: Int
    let symbol: Int
    let evaluator: Evaluator
    let result: Slot

    var value: Double { evaluator[result] }
}

/// `timeframe(1d, expr)` for one symbol: higher bars built from its bars, and an evaluator stepped
/// only when a higher bar has closed, so rules never see a bar still forming.
struct TimeframeContext {
    let index: Int
    let periodMilliseconds: Int64
    let evaluator: Evaluator
    let result: Slot
    /// The higher bar being formed, merged as every resampled bar is (`BarBuilder`).
    private var forming: BarBuilder
    private var count = 0
    private(set) var value = Double.nan

    init(index: Int, periodMilliseconds: Int64, evaluator: Evaluator, result: Slot) {
        self.index = index
        self.periodMilliseconds = periodMilliseconds
        self.evaluator = evaluator
        self.result = result
        forming = BarBuilder(periodMilliseconds: periodMilliseconds)
    }

    /// Adds a base bar. A higher bar closes when a base bar of the next period arrives, or when this
    /// base bar ends exactly on the period's boundary.
    mutating func add(_ bar: BarInput, baseMilliseconds: Int64) {
        if let closed = forming.add(bar.built) { close(closed) }
        if baseMilliseconds > 0, (bar.time + baseMilliseconds) % periodMilliseconds == 0, let complete = forming.finish() { close(complete) }
    }

    private mutating func close(_ bar: BarBuilder.Bar) {
        evaluator.step(BarInput(bar, index: count))
        value = evaluator[result]
        count += 1
    }
}
