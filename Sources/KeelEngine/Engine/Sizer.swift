import KeelLanguage

/// Turns the allocation rule into a quantity at the fill price, fees included, so an all-in order
/// never fails for lack of cash. The risk manager's caps (largest position, gross exposure) apply.
struct Sizer {
    let engine: Engine

    func quantity(for index: Int, side: Side, price: Double) -> Double {
        // Read in place (`settings` yields): a copy of the checked strategy retains its every field.
        let equity = engine.equity
        guard price > 0, equity > 0 else { return 0 }
        var value: Double
        switch engine.settings.sizing {
        case .percentOfEquity(let share): value = share * equity
        case .fixed(let quantity): return fixedQuantity(quantity, price: price, equity: equity)
        case .risk(let share): value = riskValue(share * equity, price: price, index: index)
        case .volatilityTarget(let target, _): value = volatilityValue(target, equity: equity, index: index)
        case .kelly(let fraction, let lookback): value = kellyShare(fraction, lookback: lookback) * equity
        case .equalWeight:
            let slots = engine.settings.rankTop ?? engine.settings.maxPositions ?? engine.symbols.count
            value = equity / Double(max(1, slots))
        }
        value = min(value, capValue(equity))
        return affordable(wholeLots(value / price), price: price)
    }

    /// An operator's quantity: in whole lots, within the risk caps and the cash.
    func manualQuantity(_ wanted: Double, price: Double) -> Double {
        let equity = engine.equity
        guard price > 0, equity > 0 else { return 0 }
        return fixedQuantity(wanted, price: price, equity: equity)
    }

    /// `fixed(q)` is a quantity, never rounded through a value (`(q * p) / p` can fall below q):
    /// q in whole lots, unless a cap or the cash allows less.
    private func fixedQuantity(_ wanted: Double, price: Double, equity: Double) -> Double {
        var quantity = lots(wanted)
        let cap = capValue(equity)
        if quantity * price > cap { quantity = wholeLots(cap / price) }
        return affordable(quantity, price: price)
    }

    /// The largest position value the risk limits allow now.
    private func capValue(_ equity: Double) -> Double {
        var value = Double.infinity
        if let cap = engine.limit(.maxPosition) { value = cap * equity }
        // Gross exposure and leverage both bound the sum of all positions' values against equity.
        for limit in [RiskLimit.maxGrossExposure, .maxLeverage] {
            if let bound = engine.limit(limit) { value = min(value, max(0, bound * equity - grossExposure())) }
        }
        return value
    }

    /// A quantity the author wrote, in whole lots: one that is a whole number of lots up to binary
    /// rounding (0.3 of lot 0.1, where 0.3 / 0.1 is 2.9999999999999996) stays as written.
    private func lots(_ quantity: Double) -> Double {
        let count = quantity / engine.settings.lot
        let nearest = count.rounded()
        if nearest > 0, abs(count - nearest) <= 1e-9 * nearest { return quantity }
        return wholeLots(quantity)
    }

    /// Rounded down to whole lots: a computed size never exceeds what it was computed from.
    private func wholeLots(_ quantity: Double) -> Double {
        let lot = engine.settings.lot
        return (quantity / lot).rounded(.down) * lot
    }

    /// At most what the cash pays for, fees included (a short needs the same as margin); 0 below one lot.
    private func affordable(_ quantity: Double, price: Double) -> Double {
        let lot = engine.settings.lot
        let costs = engine.settings.costs
        let perUnit = price * (1 + costs.feeFraction) + costs.feePerUnit
        let cashQuantity = ((engine.cash - costs.feePerOrder) / perUnit / lot).rounded(.down) * lot
        let quantity = min(quantity, max(0, cashQuantity))
        return quantity >= lot ? quantity : 0
    }

    /// Position value such that hitting the stop loses `budget`.
    private func riskValue(_ budget: Double, price: Double, index: Int) -> Double {
        let distance: Double
        switch engine.program.stopLoss {
        case .percent(let fraction)?: distance = price * fraction
        case .price(let slot)?: distance = abs(price - engine.books[index].values[slot])
        case nil: return 0
        }
        guard distance > 0, distance.isFinite else { return 0 }
        return budget / distance * price
    }

    /// Position value whose annualised volatility is `target` of equity.
    private func volatilityValue(_ target: Double, equity: Double, index: Int) -> Double {
        let perBar = engine.books[index].returnsStdev
        guard perBar > 0, perBar.isFinite else { return 0 }
        let barsPerYear = Double(365 * 86_400) / Double(engine.options.barSeconds ?? 86_400)
        return equity * target / (perBar * barsPerYear.squareRoot())
    }

    /// Fractional Kelly from the strategy's own closed trades: f * (W - (1 - W) / R). Until ten
    /// trades have closed there is no estimate, and it sizes at f times the largest position share.
    private func kellyShare(_ fraction: Double, lookback: Int) -> Double {
        let recent = engine.risk.closedPnls.suffix(lookback)
        let fallback = fraction * (engine.limit(.maxPosition) ?? 1)
        guard recent.count >= 10 else { return fallback }
        let wins = recent.filter { $0 > 0 }, losses = recent.filter { $0 < 0 }
        guard !wins.isEmpty else { return 0 }
        guard !losses.isEmpty else { return fallback }
        let winRate = Double(wins.count) / Double(recent.count)
        let payoff = (wins.reduce(0, +) / Double(wins.count)) / abs(losses.reduce(0, +) / Double(losses.count))
        return max(0, fraction * (winRate - (1 - winRate) / payoff))
    }

    private func grossExposure() -> Double {
        var total = 0.0
        for i in engine.books.indices where engine.books[i].signedQuantity != 0 && !engine.books[i].mark.isNaN {
            total += abs(engine.books[i].signedQuantity) * engine.books[i].mark
        }
        return total
    }
}

extension Engine.Book {
    /// Standard deviation of close-to-close returns over the sizing lookback; NaN until known.
    var returnsStdev: Double { lastReturnVariance.squareRoot() }
}
