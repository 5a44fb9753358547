import KeelData
import KeelLanguage

/// Stop-loss, trailing stop and the take-profit ladder: armed at the entry fill, checked in step 2.
extension Engine {
    /// Percent levels are set from the fill price at once; price expressions wait for the entry bar's close.
    func armProtective(_ p: inout Position, _ index: Int) {
        if let stop = program.stopLoss {
            switch stop {
            case .percent(let fraction): p.stop = p.entryPrice * (1 - p.sign * fraction)
            case .price: p.awaitsFirstClose = true
            }
        }
        let ladder = program.takeProfit.count
        for (k, step) in program.takeProfit.enumerated() {
            switch step.level {
            case .percent(let distance): targetPrices[index * ladder + k] = p.entryPrice * (1 + p.sign * distance)
            case .price: p.awaitsFirstClose = true; targetPrices[index * ladder + k] = .nan
            }
        }
        p.nextTarget = 0
    }

    /// At each close: price-expression levels are set on the entry bar; trailing stops ratchet.
    func updateLevelsAtClose(_ index: Int, _ bar: BarInput) {
        guard var p = books[index].position, !p.manual else { return }
        let values = books[index].values
        if p.awaitsFirstClose {
            if case .price(let slot)? = program.stopLoss, !values[slot].isNaN { p.stop = values[slot] }
            let ladder = program.takeProfit.count
            for (k, step) in program.takeProfit.enumerated() {
                if case .price(let slot) = step.level { targetPrices[index * ladder + k] = values[slot] }
            }
            p.awaitsFirstClose = false
        } else if program.trailing, let stop = program.stopLoss {
            let candidate: Double
            switch stop {
            case .percent(let fraction): candidate = bar.close * (1 - p.sign * fraction)
            case .price(let slot): candidate = values[slot]
            }
            if !candidate.isNaN {
                p.stop = p.stop.isNaN ? candidate : (p.side == .long ? max(p.stop, candidate) : min(p.stop, candidate))
            }
        }
        books[index].position = p
    }

    /// Step 1: the levels the open gapped through fill at the open, as exits of this open: the
    /// bar is seen as its open alone, so a level inside the bar waits for step 2.
    func fillGaps(_ index: Int, _ bar: BarInput) {
        guard let held = books[index].position else { return }
        let open = BarInput(time: bar.time, open: bar.open, high: bar.open, low: bar.open, close: bar.open, volume: 0, index: bar.index)
        if held.manual { return checkManual(index, open) }
        if !hitStop(index, open) { hitTargets(index, open) }
    }

    /// Step 2: a gap through a level fills at the open, otherwise at the level. When a stop and a
    /// target are both inside the bar, the intrabar policy decides which is reached first; a level
    /// the open already passed was reached first, whatever the policy.
    func checkProtective(_ index: Int, _ bar: BarInput) {
        guard let p = books[index].position else { return }
        if p.manual { return checkManual(index, bar) }
        let stopFirst: Bool
        if gapped(p.stop, p, bar, stop: true) {
            stopFirst = true
        } else if p.nextTarget < program.takeProfit.count, gapped(targetPrices[index * program.takeProfit.count + p.nextTarget], p, bar, stop: false) {
            stopFirst = false
        } else {
            switch settings.intrabar {
            case .stopFirst: stopFirst = true
            case .targetFirst: stopFirst = false
            case .nearestFirst:
            // The extreme nearer the open is reached first: for a long the stop lies toward the low.
            let towardStop = p.side == .long ? bar.open - bar.low : bar.high - bar.open
            let towardTarget = p.side == .long ? bar.high - bar.open : bar.open - bar.low
            stopFirst = towardStop <= towardTarget
            }
        }
        if stopFirst {
            if !hitStop(index, bar) { hitTargets(index, bar) }
        } else {
            hitTargets(index, bar)
            hitStop(index, bar)
        }
    }

    /// Whether the bar opened at or beyond `level`: past a long's stop below, or its target above.
    private func gapped(_ level: Double, _ p: Position, _ bar: BarInput, stop: Bool) -> Bool {
        guard !level.isNaN else { return false }
        return (p.side == .long) == stop ? bar.open <= level : bar.open >= level
    }

    @discardableResult
    private func hitStop(_ index: Int, _ bar: BarInput) -> Bool {
        guard let p = books[index].position, !p.stop.isNaN else { return false }
        let long = p.side == .long
        // A long's stop is a sell stop; a short's a buy stop.
        guard let level = OrderType.stop(p.stop).fill(buying: !long, open: bar.open, high: bar.high, low: bar.low) else { return false }
        let reason: ExitReason = program.trailing ? .trailingStop : .stopLoss
        trace(index, bar.time, reason.rawValue, p.side, nil, level: p.stop)
        let ticket = OrderTicket(symbol: index, bar: books[index].barsSeen - 1, rule: program.trailing ? .trailingStop : .stopLoss, buying: !long)
        close(index, quantity: p.quantity, at: costs.slipped(level, buying: !long), time: bar.time, reason: reason, ticket: ticket)
        return true
    }

    /// Fills ladder steps in order while the bar reaches them. Limit fills carry no slippage.
    private func hitTargets(_ index: Int, _ bar: BarInput) {
        let ladder = program.takeProfit.count
        while let p = books[index].position, p.nextTarget < ladder, !targetPrices[index * ladder + p.nextTarget].isNaN {
            let level = targetPrices[index * ladder + p.nextTarget], fraction = program.takeProfit[p.nextTarget].closeFraction
            // A long's target is a sell limit; a short's a buy limit.
            guard let price = OrderType.limit(level).fill(buying: p.side == .short, open: bar.open, high: bar.high, low: bar.low) else {
                return
            }
            books[index].position!.nextTarget += 1
            let lot = settings.lot
            let wanted = fraction >= 1 ? p.quantity : (p.quantity * fraction / lot).rounded(.down) * lot
            let isLast = p.nextTarget + 1 == ladder
            trace(index, bar.time, ExitReason.takeProfit.rawValue, p.side, nil, level: level)
            let ticket = OrderTicket(symbol: index, bar: books[index].barsSeen - 1, rule: .takeProfit(p.nextTarget + 1), buying: p.side == .short)
            close(index, quantity: isLast ? p.quantity : min(wanted, p.quantity), at: price, time: bar.time, reason: .takeProfit,
                  ticket: ticket)
        }
    }
}
