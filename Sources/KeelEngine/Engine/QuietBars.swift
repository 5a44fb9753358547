import KeelData

/// Quiet bars, taken in bulk by a backtest of one symbol.
///
/// A bar is quiet when nothing is pending before it, no rule that could act is true at its close,
/// and no protective level is reached: flat with both entry rules false, or holding a position
/// whose exit rule is false and whose bar stays strictly between its stop and its next target (by
/// the fill rule, open included). On such a bar the step order (docs/backtest.md) does only this:
/// the session may roll (step 1's clock), the marks move to the bar (steps 1 and 2), the
/// indicators step (step 3) and the held counts grow, and step 5 marks the equity, checks the
/// limits and records it. `stepQuietBars` makes exactly those calls for a run of such bars, reading
/// the rules from the window the evaluator computed ahead, and skips the rest of the step. The
/// results are the step-by-step run's, bit for bit: QuietBarTests, and every parity test that
/// compares a precomputed run with a bar-by-bar one (which never takes this path).
extension Engine {
    /// The bars after the current one in a backtest's chunk, from the next on.
    package struct UpcomingBars {
        package let time: UnsafeBufferPointer<Int64>
        package let open, high, low, close: UnsafeBufferPointer<Double>

        package init(time: UnsafeBufferPointer<Int64>, open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>,
                     low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>) {
            (self.time, self.open, self.high, self.low, self.close) = (time, open, high, low, close)
        }
    }

    /// Whether this run may take quiet bars in bulk: one symbol, its whole program computed ahead in
    /// windows, and nothing that must see each bar (contexts, other timeframes, external signals, a
    /// rank, volatility sizing's returns).
    package var takesQuietBars: Bool {
        symbols.count == 1 && !windowLeft.isEmpty && books[0].evaluator.computesAhead && symbolContexts.isEmpty
            && books[0].timeframes.isEmpty && signalCount == 0 && program.rank == nil && !tracksReturns
    }

    /// Whether a held position's levels stay put from bar to bar: no trailing stop, no time stop.
    private var levelsStayPut: Bool { !program.trailing && program.timeStop == nil }

    /// Steps the quiet bars at the front of `bars` and returns how many it took: 0 when the next bar
    /// is not quiet, and the caller steps it. Only for a run that `takesQuietBars`.
    package func stepQuietBars(_ bars: UpcomingBars) -> Int {
        guard windowLeft[0] > 0, books[0].pendingEntry == nil, books[0].pendingExit == nil, manualPending.isEmpty,
              !books[0].firstClose.isNaN else { return 0 }
        let limit = min(bars.time.count, windowLeft[0])
        let taken: Int
        if openPositions == 0 {
            taken = stepFlat(bars, limit: limit)
        } else if levelsStayPut, let p = books[0].position, !p.manual, !p.awaitsFirstClose {
            taken = stepHeld(p, bars, limit: limit)
            books[0].position!.barsHeld &+= taken
            books[0].barsInMarket &+= taken
        } else {
            return 0
        }
        books[0].evaluator.skipPrecomputed(taken)
        windowLeft[0] &-= taken
        return taken
    }

    /// Flat: a bar is quiet while neither entry rule is true at its close.
    private func stepFlat(_ bars: UpcomingBars, limit: Int) -> Int {
        let evaluator = books[0].evaluator
        let long = entrySlots[0].map(evaluator.upcoming), short = entrySlots[1].map(evaluator.upcoming)
        var k = 0
        while k < limit, long?[k] != 1, short?[k] != 1 {
            pass(bars, k)
            k &+= 1
        }
        return k
    }

    /// Holding: a bar is quiet while the exit rule is false at its close and the bar reaches neither
    /// the stop nor the next target (a NaN level is not armed and never fills).
    private func stepHeld(_ p: Position, _ bars: UpcomingBars, limit: Int) -> Int {
        let long = p.side == .long
        let exit = exitSlots[long ? 0 : 1].map(books[0].evaluator.upcoming)
        let ladder = program.takeProfit.count
        let stop = p.stop, target = p.nextTarget < ladder ? targetPrices[p.nextTarget] : .nan
        var k = 0
        while k < limit, exit?[k] != 1 {
            let (open, high, low) = (bars.open[k], bars.high[k], bars.low[k])
            // The fill rule (OrderType.fill) negated: a long's stop sells, its target sells at a limit.
            let reached = long ? open <= stop || low <= stop || open >= target || high >= target
                : open >= stop || high >= stop || open <= target || low <= target
            if reached { break }
            pass(bars, k)
            k &+= 1
            // The kill switch, tripped in step 5, places an exit: the next bar is not quiet.
            if books[0].pendingExit != nil { break }
        }
        return k
    }

    /// Bar `k`'s step as a quiet bar: the session, the marks at its close, step 5.
    @inline(__always)
    private func pass(_ bars: UpcomingBars, _ k: Int) {
        let time = bars.time[k]
        beginTime(time)
        books[0].barsSeen &+= 1
        (books[0].lastClose, books[0].mark) = (bars.close[k], bars.close[k])
        endTime(time)
    }
}
