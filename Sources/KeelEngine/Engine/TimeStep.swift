/// What one time step hands the engine: the symbols with a bar at that time, in the universe's
/// order, each one's bar and signals, and a hook before its indicator step. A backtest reads them
/// from its feeds (and precomputes a window of indicators in the hook); a live run from the events
/// it assembled.
package protocol TimeStepInput {
    /// How many symbols have a bar at this time.
    var count: Int { get }
    /// The engine's index of the `k`th of them.
    func symbol(_ k: Int) -> Int
    func bar(_ k: Int) -> BarInput
    /// Its external signals, in `program.signalNames` order.
    mutating func signals(_ k: Int) -> [Double]
    /// Called just before the `k`th symbol's indicator step: until then its slots must still hold the
    /// previous bar's values, which fills and sizing read.
    mutating func willStepIndicators(_ k: Int, _ engine: Engine)
}

extension Engine {
    /// One time step, the only one: the step order of docs/backtest.md, every phase over every
    /// symbol of the step before the next phase starts.
    package func step<Input: TimeStepInput>(_ time: Int64, _ input: inout Input) {
        beginTime(time)
        for k in 0..<input.count { exitsAtOpen(input.symbol(k), input.bar(k)) }
        for k in 0..<input.count { entriesAtOpen(input.symbol(k), input.bar(k)) }
        for k in 0..<input.count { marketStep(input.symbol(k), input.bar(k), signals: input.signals(k)) }
        for k in 0..<input.count {
            input.willStepIndicators(k, self)
            indicatorStep(input.symbol(k), input.bar(k))
        }
        rankStep()
        for k in 0..<input.count { exitStep(input.symbol(k), input.bar(k)) }
        for k in 0..<input.count { exitsAtClose(input.symbol(k), input.bar(k)) }
        for k in 0..<input.count { entryStep(input.symbol(k), input.bar(k)) }
        endTime(time)
    }

    /// One time step of a live run: the bars of every symbol that has one at `time` (indices in
    /// the universe's order). `signals[k]` holds the external signals of `symbols[k]`, in
    /// `program.signalNames` order.
    package func timeStep(_ time: Int64, symbols active: [Int], bars: [BarInput], signals: [[Double]]) {
        struct Events: TimeStepInput {
            let symbols: [Int], bars: [BarInput], signals: [[Double]]
            var count: Int { symbols.count }
            func symbol(_ k: Int) -> Int { symbols[k] }
            func bar(_ k: Int) -> BarInput { bars[k] }
            func signals(_ k: Int) -> [Double] { signals[k] }
            func willStepIndicators(_ k: Int, _ engine: Engine) {}
        }
        var events = Events(symbols: active, bars: bars, signals: signals)
        step(time, &events)
    }
}
