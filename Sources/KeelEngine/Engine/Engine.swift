import KeelLanguage

/// The one engine every mode runs: it takes bars one event at a time and applies the step order
/// of DESIGN.md section 4. It reads no clock and does no I/O.
public final class Engine {
    public struct Options: Sendable {
        public var capital: Double
        /// Bar length in seconds, for annualising volatility; nil when unknown.
        public var barSeconds: Int?

        public init(capital: Double, barSeconds: Int? = nil) {
            self.capital = capital
            self.barSeconds = barSeconds
        }
    }

    /// A refusal or a limit event of the risk manager, with its reason.
    public struct RiskEvent: Sendable, Equatable {
        public var time: Int64
        public var symbol: String
        public var kind: String
        public var reason: String
    }

    public let program: CompiledStrategy
    let settings: CheckedStrategy
    let costs: Costs
    public let symbols: [String]
    var books: [Book]
    public private(set) var cash: Double
    public private(set) var trades: [Trade] = []
    public private(set) var riskEvents: [RiskEvent] = []
    /// Equity after each bar, as (time, equity); one point per distinct time.
    public private(set) var equityCurve: [(time: Int64, equity: Double)] = []
    var risk: RiskState
    let options: Options

    /// Everything the engine keeps per symbol.
    struct Book {
        let evaluator: Evaluator
        var position: Position?
        var pendingExit: ExitReason?
        var pendingEntry: Side?
        var lastClose = Double.nan
        var firstClose = Double.nan
        var cooldownUntilBar = -1
        var barsSeen = 0
        var returns: RollingVariance
        var lastReturnVariance = Double.nan
        /// Time the symbol held a position, in bars, for exposure.
        var barsInMarket = 0
    }

    public init(program: CompiledStrategy, symbols: [String], options: Options) {
        self.program = program
        self.settings = program.settings
        self.costs = Costs(settings: program.settings.costs)
        self.symbols = symbols
        self.options = options
        self.cash = options.capital
        let lookback: Int = if case .volatilityTarget(_, let n) = program.settings.sizing { n } else { 20 }
        books = symbols.map { _ in Book(evaluator: Evaluator(program), returns: RollingVariance(period: max(2, lookback))) }
        risk = RiskState(limits: program.settings.risk, capital: options.capital)
    }

    /// Cash plus every open position marked at its symbol's last close.
    public var equity: Double {
        var total = cash
        for book in books {
            if let p = book.position, !book.lastClose.isNaN { total += p.sign * p.quantity * book.lastClose }
        }
        return total
    }

    /// Processes one bar of one symbol, in the order of DESIGN.md section 4.
    public func process(symbol index: Int, bar: BarInput, signals: [Double] = []) {
        risk.beginBar(time: bar.time, equity: equity, sessionStartSeconds: settings.risk.sessionStartSeconds)
        books[index].barsSeen += 1
        if books[index].position != nil { books[index].position!.barsHeld += 1 }
        // 1. Orders placed at the previous close fill at this open.
        fillPending(index, at: bar.open, time: bar.time)
        // 2. Protective orders, armed at the entry fill, are checked against this bar.
        checkProtective(index, bar)
        // 3. Indicators take this bar's values (rules read the position as it now stands).
        if !books[index].lastClose.isNaN {
            books[index].lastReturnVariance = books[index].returns.update(bar.close / books[index].lastClose - 1).variance
        }
        books[index].lastClose = bar.close
        if books[index].firstClose.isNaN { books[index].firstClose = bar.close }
        writeState(index, bar)
        for (i, value) in signals.enumerated() where i < books[index].evaluator.signals.count {
            books[index].evaluator.signals[i] = value
        }
        books[index].evaluator.step(bar)
        // 4. Rules at the close: exits, then entries.
        atClose(index, bar)
        // 5. Mark to market; check the risk limits.
        if books[index].position != nil { books[index].barsInMarket += 1 }
        let now = equity
        risk.afterBar(now)
        if let reason = risk.checkLimits(equity: now) { tripKillSwitch(bar.time, reason) }
        recordEquity(bar.time, now)
    }

    private func recordEquity(_ time: Int64, _ value: Double) {
        if let last = equityCurve.last, last.time == time {
            equityCurve[equityCurve.count - 1].equity = value
        } else {
            equityCurve.append((time, value))
        }
    }

    // MARK: - Fills

    private func fillPending(_ index: Int, at open: Double, time: Int64) {
        if let reason = books[index].pendingExit {
            books[index].pendingExit = nil
            if let p = books[index].position {
                close(index, quantity: p.quantity, at: costs.slipped(open, buying: p.side == .short), time: time, reason: reason)
            }
        }
        if let side = books[index].pendingEntry {
            books[index].pendingEntry = nil
            openPosition(index, side: side, reference: open, time: time)
        }
    }

    func openPosition(_ index: Int, side: Side, reference: Double, time: Int64) {
        guard books[index].position == nil else { return }
        let price = costs.slipped(reference, buying: side == .long)
        let quantity = Sizer(engine: self).quantity(for: index, side: side, price: price)
        guard quantity > 0 else {
            refuse(time, index, "size", "the order would be smaller than one lot (or no cash is left)")
            return
        }
        let fee = costs.fee(quantity: quantity, price: price)
        let sign: Double = side == .long ? 1 : -1
        cash -= sign * quantity * price + fee
        var position = Position(side: side, quantity: quantity, entryPrice: price, entryTime: time, entryFees: fee)
        armProtective(&position)
        books[index].position = position
    }

    /// Closes `quantity` of the position at `price`, records the trade, and drops the position when empty.
    func close(_ index: Int, quantity: Double, at price: Double, time: Int64, reason: ExitReason) {
        guard var p = books[index].position, quantity > 0 else { return }
        let fee = costs.fee(quantity: quantity, price: price)
        let share = min(1, quantity / p.quantity)
        let entryFee = p.entryFees * share
        cash += p.sign * quantity * price - fee
        let gross = p.sign * quantity * (price - p.entryPrice)
        trades.append(Trade(symbol: symbols[index], side: p.side, entryTime: p.entryTime, entryPrice: p.entryPrice, exitTime: time,
                            exitPrice: price, quantity: quantity, pnl: gross - entryFee - fee, fees: entryFee + fee,
                            exitReason: reason))
        risk.recordClosed(pnl: gross - entryFee - fee)
        p.entryFees -= entryFee
        p.quantity -= quantity
        if reason == .stopLoss || reason == .trailingStop, let cooldown = settings.risk.limit(.cooldown), cooldown > 0 {
            books[index].cooldownUntilBar = books[index].barsSeen + Int(cooldown)
        }
        books[index].position = p.quantity > 1e-12 ? p : nil
    }

    // MARK: - Rules at the close

    private func atClose(_ index: Int, _ bar: BarInput) {
        let evaluator = books[index].evaluator
        if books[index].position != nil { updateLevelsAtClose(index, bar) }
        if let p = books[index].position, books[index].pendingExit == nil {
            if let slot = program.exit[p.side], evaluator[slot] == 1 {
                books[index].pendingExit = .signal
            } else if timeStopReached(p, bar) {
                books[index].pendingExit = .timeStop
            }
        }
        let flatOrLeaving = books[index].position == nil || books[index].pendingExit != nil
        if flatOrLeaving, books[index].pendingEntry == nil {
            for side in Side.allCases {
                guard let slot = program.entry[side], evaluator[slot] == 1 else { continue }
                if books[index].position?.side == side { continue }
                if admit(index, side: side, time: bar.time) {
                    books[index].pendingEntry = side
                    break
                }
            }
        }
        if settings.fill == .close { fillPending(index, at: bar.close, time: bar.time) }
    }

    private func timeStopReached(_ p: Position, _ bar: BarInput) -> Bool {
        switch program.timeStop {
        case .bars(let n): p.barsHeld >= n
        case .seconds(let s): bar.time - p.entryTime >= Int64(s) * 1_000
        case nil: false
        }
    }

    /// Writes the position and account values the rules read.
    private func writeState(_ index: Int, _ bar: BarInput) {
        let evaluator = books[index].evaluator
        let now = equity
        func set(_ field: StateField, _ value: Double) { evaluator.state[field.rawValue] = value }
        if let p = books[index].position {
            let pnl = p.sign * p.quantity * (bar.close - p.entryPrice)
            set(.positionSize, p.sign * p.quantity)
            set(.positionSide, p.sign)
            set(.entryPrice, p.entryPrice)
            set(.barsHeld, Double(p.barsHeld))
            set(.pnl, pnl)
            set(.pnlPct, p.sign * (bar.close / p.entryPrice - 1))
        } else {
            for field in [StateField.positionSize, .positionSide, .entryPrice, .barsHeld, .pnl, .pnlPct] { set(field, 0) }
        }
        set(.equity, now)
        set(.cash, cash)
        set(.drawdown, risk.drawdown(now))
        set(.dailyPnl, now - risk.sessionStartEquity)
    }

    // MARK: - Risk

    /// The risk manager's pre-trade checks for a new entry; a refusal is recorded with its reason.
    private func admit(_ index: Int, side: Side, time: Int64) -> Bool {
        if risk.killSwitchActive { return refuse(time, index, "kill_switch", "the daily loss limit tripped; no new orders until the next session") }
        if side == .short, !settings.risk.allowShort {
            return refuse(time, index, "short_selling", "the \(settings.profile.name.rawValue) profile does not sell short")
        }
        if let limit = settings.risk.limit(.maxDrawdown), risk.drawdown(equity) >= limit {
            return refuse(time, index, "drawdown_halt", "drawdown \(percent(risk.drawdown(equity))) reached the \(percent(limit)) limit")
        }
        if books[index].barsSeen < books[index].cooldownUntilBar {
            return refuse(time, index, "cooldown", "cooling down after a stop-out")
        }
        let open = books.filter { $0.position != nil && $0.pendingExit == nil }.count + books.filter { $0.pendingEntry != nil }.count
        let cap = min(Double(settings.maxPositions ?? Int.max), settings.risk.limit(.maxOpenPositions) ?? .infinity)
        if Double(open) >= cap { return refuse(time, index, "max_positions", "already \(open) positions open or pending") }
        return true
    }

    @discardableResult
    func refuse(_ time: Int64, _ index: Int, _ kind: String, _ reason: String) -> Bool {
        riskEvents.append(RiskEvent(time: time, symbol: symbols[index], kind: kind, reason: reason))
        return false
    }

    /// Cancels every pending entry, flattens every position at the next fill, and blocks new orders
    /// until the next session.
    private func tripKillSwitch(_ time: Int64, _ reason: String) {
        riskEvents.append(RiskEvent(time: time, symbol: "*", kind: "kill_switch", reason: reason))
        for index in books.indices {
            books[index].pendingEntry = nil
            if books[index].position != nil { books[index].pendingExit = .killSwitch }
        }
    }
}

func percent(_ fraction: Double) -> String {
    let value = (fraction * 100 * 100).rounded() / 100
    return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
}
