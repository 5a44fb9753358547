import KeelLanguage

/// Stop-loss, trailing stop and the take-profit ladder: armed at the entry fill, checked in step 2.
extension Engine {
    /// Percent levels are set from the fill price at once; price expressions wait for the entry bar's close.
    func armProtective(_ p: inout Position) {
        if let stop = program.stopLoss {
            switch stop {
            case .percent(let fraction): p.stop = p.entryPrice * (1 - p.sign * fraction)
            case .price: p.awaitsFirstClose = true
            }
        }
        for (level, fraction) in program.takeProfit {
            switch level {
            case .percent(let distance): p.targets.append((p.entryPrice * (1 + p.sign * distance), fraction))
            case .price: p.awaitsFirstClose = true; p.targets.append((.nan, fraction))
            }
        }
    }

    /// At each close: price-expression levels are set on the entry bar; trailing stops ratchet.
    func updateLevelsAtClose(_ index: Int, _ bar: BarInput) {
        guard var p = books[index].position else { return }
        let evaluator = books[index].evaluator
        if p.awaitsFirstClose {
            if case .price(let slot)? = program.stopLoss, !evaluator[slot].isNaN { p.stop = evaluator[slot] }
            for (i, step) in program.takeProfit.enumerated() where i < p.targets.count {
                if case .price(let slot) = step.level { p.targets[i].price = evaluator[slot] }
            }
            p.awaitsFirstClose = false
        } else if program.trailing, let stop = program.stopLoss {
            let candidate: Double
            switch stop {
            case .percent(let fraction): candidate = bar.close * (1 - p.sign * fraction)
            case .price(let slot): candidate = evaluator[slot]
            }
            if !candidate.isNaN {
                p.stop = p.stop.isNaN ? candidate : (p.side == .long ? max(p.stop, candidate) : min(p.stop, candidate))
            }
        }
        books[index].position = p
    }

    /// Step 2: a gap through a level fills at the open, otherwise at the level. When a stop and a
    /// target are both inside the bar, the intrabar policy decides which is reached first.
    func checkProtective(_ index: Int, _ bar: BarInput) {
        guard let p = books[index].position else { return }
        let stopFirst: Bool
        switch settings.intrabar {
        case .stopFirst: stopFirst = true
        case .targetFirst: stopFirst = false
        case .nearestFirst:
            // The extreme nearer the open is reached first: for a long the stop lies toward the low.
            let towardStop = p.side == .long ? bar.open - bar.low : bar.high - bar.open
            let towardTarget = p.side == .long ? bar.high - bar.open : bar.open - bar.low
            stopFirst = towardStop <= towardTarget
        }
        if stopFirst {
            if !hitStop(index, bar) { hitTargets(index, bar) }
        } else {
            hitTargets(index, bar)
            hitStop(index, bar)
        }
    }

    @discardableResult
    private func hitStop(_ index: Int, _ bar: BarInput) -> Bool {
        guard let p = books[index].position, !p.stop.isNaN else { return false }
        let long = p.side == .long
        // A long's stop is a sell stop; a short's a buy stop.
        guard let level = OrderType.stop(p.stop).fill(buying: !long, open: bar.open, high: bar.high, low: bar.low) else { return false }
        let reason: ExitReason = program.trailing ? .trailingStop : .stopLoss
        trace(index, bar.time, reason.rawValue, p.side, nil, level: p.stop)
        close(index, quantity: p.quantity, at: costs.slipped(level, buying: !long), time: bar.time, reason: reason)
        return true
    }

    /// Fills ladder steps in order while the bar reaches them. Limit fills carry no slippage.
    private func hitTargets(_ index: Int, _ bar: BarInput) {
        while let p = books[index].position, let target = p.targets.first, !target.price.isNaN {
            // A long's target is a sell limit; a short's a buy limit.
            guard let price = OrderType.limit(target.price).fill(buying: p.side == .short, open: bar.open, high: bar.high, low: bar.low) else {
                return
            }
            books[index].position!.targets.removeFirst()
            let lot = settings.lot
            let wanted = target.fraction >= 1 ? p.quantity : (p.quantity * target.fraction / lot).rounded(.down) * lot
            let isLast = books[index].position!.targets.isEmpty
            trace(index, bar.time, ExitReason.takeProfit.rawValue, p.side, nil, level: target.price)
            close(index, quantity: isLast ? p.quantity : min(wanted, p.quantity), at: price, time: bar.time, reason: .takeProfit)
        }
    }
}
