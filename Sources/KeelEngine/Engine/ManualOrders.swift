import KeelData
import KeelLanguage

/// An operator's order in a paper run (the service's `POST /v1/orders`): a market entry of its own
/// size, placed at the last close and filled at the symbol's next open as any entry is, whose exits
/// are its own ladders of stop-losses and take-profits instead of the strategy's stop and ladder.
/// The strategy's exit rules, the kill switch and the operator's closes still apply to it.
package struct ManualOrder: Sendable, Equatable {
    /// One step of a ladder: `fraction` of the position as filled, at `distance` from the entry
    /// fill (a fraction: 0.05 is 5% below a long's entry for a stop, above it for a target).
    package struct Level: Sendable, Equatable {
        package var fraction: Double
        package var distance: Double
        package init(fraction: Double, distance: Double) { (self.fraction, self.distance) = (fraction, distance) }
    }

    package var side: Side
    package var quantity: Double
    package var takeProfits: [Level]
    package var stopLosses: [Level]

    package init(side: Side, quantity: Double, takeProfits: [Level], stopLosses: [Level]) {
        (self.side, self.quantity, self.takeProfits, self.stopLosses) = (side, quantity, takeProfits, stopLosses)
    }
}

/// A manual position's armed levels, nearest first: each closes its quantity once, when reached.
struct ManualExits {
    struct Armed {
        var price: Double
        var quantity: Double
        var done = false
    }

    var stops: [Armed]
    var targets: [Armed]
}

extension Engine {
    /// Places a manual entry at the last close of `index`, or says why not (then it is journaled
    /// as placed and cancelled, or refused as a risk event, as a strategy's entry would be).
    @discardableResult
    package func placeManual(_ index: Int, _ order: ManualOrder, time: Int64) -> String? {
        if books[index].position != nil || books[index].pendingEntry != nil {
            let why = "\(symbols[index]) already has a position or an entry waiting; a manual order opens a position from flat"
            refuse(time, index, "manual_order", why)
            return why
        }
        // The 5/5/8 guardrails hold here too, not only at the service's door: a journal replays orders as they were.
        let (targets, stops) = (order.takeProfits.count, order.stopLosses.count)
        if targets > Guardrails.maxTakeProfitSteps || stops > Guardrails.maxStopLosses || targets + stops > Guardrails.maxProtectiveExits {
            let why = """
                at most \(Guardrails.maxTakeProfitSteps) take-profits, \(Guardrails.maxStopLosses) stop-losses and \(Guardrails.maxProtectiveExits) \
                together (the 5/5/8 guardrails); \(targets) and \(stops) given
                """
            refuse(time, index, "manual_order", why)
            return why
        }
        guard order.quantity > 0, order.quantity.isFinite else {
            let why = "a manual order's quantity is above 0, not \(order.quantity)"
            refuse(time, index, "manual_order", why)
            return why
        }
        guard admit(index, side: order.side, time: time) else { return "refused by the risk limits (see the run's risk events)" }
        books[index].pendingEntry = order.side
        books[index].pendingBar = max(0, books[index].barsSeen - 1)
        manualPending[index] = order
        log(.placed(OrderTicket(symbol: index, bar: books[index].pendingBar, rule: .manual(order.side), buying: order.side == .long), time: time,
                    quantity: order.quantity))
        return nil
    }

    /// At the entry's fill (`openPosition`): the strategy's stop and ladder stand aside, the
    /// order's own ladders are armed from the fill price.
    func armManual(_ p: inout Position, _ index: Int, _ order: ManualOrder) {
        p.manual = true
        p.nextTarget = program.takeProfit.count
        manualExits[index] = ManualExits(stops: arm(order.stopLosses, p.quantity, p.entryPrice, -p.sign),
                                         targets: arm(order.takeProfits, p.quantity, p.entryPrice, p.sign))
    }

    /// A ladder's levels from the fill, nearest first, each a whole number of lots; the step that
    /// completes 100% takes whatever the rounding left.
    private func arm(_ levels: [ManualOrder.Level], _ quantity: Double, _ price: Double, _ direction: Double) -> [ManualExits.Armed] {
        let lot = settings.lot
        var armed: [ManualExits.Armed] = []
        var given = 0.0, share = 0.0
        for level in levels.sorted(by: { $0.distance < $1.distance }) {
            share += level.fraction
            var size = ((quantity * level.fraction) / lot).rounded(.down) * lot
            if share >= 1 - 1e-9 { size = quantity - given }
            size = min(size, quantity - given)
            given += size
            armed.append(.init(price: price * (1 + direction * level.distance), quantity: size))
        }
        return armed
    }

    /// Steps 1 and 2 for a manual position: the levels the bar reaches close their quantities, in
    /// the order the intrabar policy says (step 1 passes the open alone, so only gaps fill there).
    func checkManual(_ index: Int, _ bar: BarInput) {
        guard let p = books[index].position, var exits = manualExits[index] else { return }
        let long = p.side == .long
        let stopsFirst: Bool
        switch settings.intrabar {
        case .stopFirst: stopsFirst = true
        case .targetFirst: stopsFirst = false
        case .nearestFirst: stopsFirst = (long ? bar.open - bar.low : bar.high - bar.open) <= (long ? bar.high - bar.open : bar.open - bar.low)
        }
        for pass in 0..<2 {
            let stops = (pass == 0) == stopsFirst
            let count = stops ? exits.stops.count : exits.targets.count
            for k in 0..<count {
                let level = stops ? exits.stops[k] : exits.targets[k]
                guard !level.done, let held = books[index].position else { continue }
                let rule: OrderType = stops ? .stop(level.price) : .limit(level.price)
                // Levels are nearest first: one the bar does not reach leaves the further ones unreached too.
                guard let price = rule.fill(buying: !long, open: bar.open, high: bar.high, low: bar.low) else { break }
                if stops { exits.stops[k].done = true } else { exits.targets[k].done = true }
                let quantity = min(level.quantity, held.quantity)
                guard quantity > 0 else { continue }
                let reason: ExitReason = stops ? .stopLoss : .takeProfit
                trace(index, bar.time, reason.rawValue, p.side, nil, level: level.price)
                let ticket = OrderTicket(symbol: index, bar: books[index].barsSeen - 1, rule: stops ? .stopLossStep(k + 1) : .takeProfit(k + 1),
                                         buying: !long)
                close(index, quantity: quantity, at: stops ? costs.slipped(price, buying: !long) : price, time: bar.time, reason: reason, ticket: ticket)
            }
        }
        manualExits[index] = books[index].position == nil ? nil : exits
    }
}
