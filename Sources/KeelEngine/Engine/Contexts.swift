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
    private var forming: BarInput?
    private var count = 0
    private(set) var value = Double.nan

    init(index: Int, periodMilliseconds: Int64, evaluator: Evaluator, result: Slot) {
        self.index = index
        self.periodMilliseconds = periodMilliseconds
        self.evaluator = evaluator
        self.result = result
    }

    /// Adds a base bar. A higher bar closes when a base bar of the next period arrives, or when this
    /// base bar ends exactly on the period's boundary.
    mutating func add(_ bar: BarInput, baseMilliseconds: Int64) {
        let period = floorDivide(bar.time, periodMilliseconds)
        if let current = forming, floorDivide(current.time, periodMilliseconds) != period { close() }
        if var current = forming {
            current.high = max(current.high, bar.high)
            current.low = min(current.low, bar.low)
            current.close = bar.close
            current.volume += bar.volume
            forming = current
        } else {
            forming = BarInput(time: period * periodMilliseconds, open: bar.open, high: bar.high, low: bar.low, close: bar.close,
                               volume: bar.volume, index: count)
        }
        if baseMilliseconds > 0, (bar.time + baseMilliseconds) % periodMilliseconds == 0 { close() }
    }

    private mutating func close() {
        guard let bar = forming else { return }
        evaluator.step(bar)
        value = evaluator[result]
        count += 1
        forming = nil
    }

    private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
}
