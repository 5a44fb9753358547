import KeelData

/// Quiet bars: taken in bulk by a backtest of one symbol, and as a light time step when every
/// symbol of a multi-symbol backtest's time step is quiet.
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

    /// Whether this run may take quiet bars: every symbol's program computed ahead in windows, and
    /// nothing that must see each bar (contexts, other timeframes, external signals, a rank,
    /// volatility sizing's returns). With one symbol they are taken in bulk (`stepQuietBars`), with
    /// more a time step at a time (`stepQuietly`).
    package var takesQuietBars: Bool {
        !windowLeft.isEmpty && symbolContexts.isEmpty && signalCount == 0 && program.rank == nil && !tracksReturns
            && books.allSatisfy { $0.evaluator.computesAhead && $0.timeframes.isEmpty }
    }

    /// Whether a held position's levels stay put from bar to bar: no trailing stop, no time stop.
    private var levelsStayPut: Bool { !program.trailing && program.timeStop == nil }

    /// Steps the quiet bars at the front of `bars` and returns how many it took: 0 when the next bar
    /// is not quiet, and the caller steps it. Only for a run that `takesQuietBars`.
    package func stepQuietBars(_ bars: UpcomingBars) -> Int {
        guard manualPending.isEmpty, mayBeQuiet(0) else { return 0 }
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
        let target = nextTarget(0, p)
        var k = 0
        while k < limit, exit?[k] != 1 {
            if Self.reaches(long: long, stop: p.stop, target: target, open: bars.open[k], high: bars.high[k], low: bars.low[k]) { break }
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

    /// Whether a bar reaches the stop or the target: the fill rule (`OrderType.fill`) of both, open
    /// included. A long's stop sells at a stop and its target sells at a limit; a short's buy.
    @inline(__always)
    private static func reaches(long: Bool, stop: Double, target: Double, open: Double, high: Double, low: Double) -> Bool {
        long ? open <= stop || low <= stop || open >= target || high >= target
            : open >= stop || high >= stop || open <= target || low <= target
    }

    /// The price of the position's next take-profit step; NaN when none is left (NaN never fills).
    private func nextTarget(_ index: Int, _ p: Position) -> Double {
        let ladder = program.takeProfit.count
        return p.nextTarget < ladder ? targetPrices[index &* ladder &+ p.nextTarget] : .nan
    }

    // MARK: - A time step of several symbols

    /// Takes the staged time step as a quiet one when every staged symbol's bar is quiet (the
    /// conditions above, read for this bar alone): the session, each symbol's marks, held counts and
    /// precomputed row, then step 5. Returns false, having changed nothing, when any is not; the
    /// caller then takes the full `step`. Only for a run that `takesQuietBars`.
    package func stepQuietly(_ time: Int64) -> Bool {
        let symbols = staged[..<stagedCount.pointee]
        guard manualPending.isEmpty else { return false }
        for i in symbols where !isQuiet(i) { return false }
        beginTime(time)
        for i in symbols {
            books[i].barsSeen &+= 1
            if books[i].position != nil {
                books[i].position!.barsHeld &+= 1
                books[i].barsInMarket &+= 1
            }
            (books[i].lastClose, books[i].mark) = (stagedBars[i].close, stagedBars[i].close)
            books[i].evaluator.skipPrecomputed(1)
            windowLeft[i] &-= 1
        }
        endTime(time)
        stagedCount.pointee = 0
        return true
    }

    /// What every quiet bar of symbol `i` needs before its rules are read: a precomputed row left,
    /// nothing pending, and a first close seen (buy and hold starts at it).
    @inline(__always)
    private func mayBeQuiet(_ i: Int) -> Bool {
        windowLeft[i] > 0 && books[i].pendingEntry == nil && books[i].pendingExit == nil && !books[i].firstClose.isNaN
    }

    /// Whether symbol `i`'s staged bar is quiet.
    private func isQuiet(_ i: Int) -> Bool {
        guard mayBeQuiet(i) else { return false }
        let evaluator = books[i].evaluator
        func isTrue(_ slot: Slot?) -> Bool { slot.map { evaluator.upcoming($0)[0] == 1 } ?? false }
        guard let p = books[i].position else { return !isTrue(entrySlots[0]) && !isTrue(entrySlots[1]) }
        let long = p.side == .long, bar = stagedBars[i]
        guard levelsStayPut, !p.manual, !p.awaitsFirstClose, !isTrue(exitSlots[long ? 0 : 1]) else { return false }
        return !Self.reaches(long: long, stop: p.stop, target: nextTarget(i, p), open: bar.open, high: bar.high, low: bar.low)
    }
}
