import KeelData
import KeelLanguage

/// The one engine every mode runs: it takes bars one event at a time and applies the step order
/// of docs/backtest.md. It reads no clock and does no I/O.
public final class Engine {
    package struct Options: Sendable {
        package var capital: Double
        /// Bar length in seconds, for annualising volatility; nil when unknown.
        package var barSeconds: Int?
        /// Record every decision with the values its rule read (`keel backtest --trace`).
        package var trace: Bool
        /// Keep the whole equity curve (`--equity`); memory then grows with the bars.
        package var keepEquityCurve: Bool
        /// Keep every closed trade and risk event (for output that lists them); memory then grows with them.
        package var keepTrades: Bool
        /// Bars per `precompute` window of each symbol's evaluator; 1 when bars arrive one at a time.
        package var precomputeRows: Int
        /// Keep every order placed, filled or cancelled in `journal` (the runner stores them).
        package var journal: Bool
        /// Periods per year for Sharpe, Sortino and volatility; nil: the data's observed bars per year.
        package var annualization: Double?

        package init(capital: Double, barSeconds: Int? = nil, trace: Bool = false, keepEquityCurve: Bool = false,
                    keepTrades: Bool = true, precomputeRows: Int = 1, journal: Bool = false, annualization: Double? = nil) {
            self.journal = journal
            self.annualization = annualization
            self.capital = capital
            self.barSeconds = barSeconds
            self.trace = trace
            self.keepEquityCurve = keepEquityCurve
            self.keepTrades = keepTrades
            self.precomputeRows = precomputeRows
        }
    }

    /// Why an order was placed or a position closed, and what the rule read at that moment.
    public struct Decision: Sendable {
        public var time: Int64
        public var symbol: String
        /// `entry`, `exit` or a protective exit such as `stop_loss`.
        public var action: String
        public var side: Side
        public var rule: String
        public var values: [(String, Double)]

        /// A decision read back from a run's store (its report's trade detail).
        package init(time: Int64, symbol: String, action: String, side: Side, rule: String, values: [(String, Double)]) {
            (self.time, self.symbol, self.action, self.side, self.rule, self.values) = (time, symbol, action, side, rule, values)
        }
    }

    /// A refusal or a limit event of the risk manager, with its reason.
    public struct RiskEvent: Sendable, Equatable, Encodable {
        public var time: Int64
        public var symbol: String
        public var kind: String
        public var reason: String

        public init(time: Int64, symbol: String, kind: String, reason: String) {
            (self.time, self.symbol, self.kind, self.reason) = (time, symbol, kind, reason)
        }
    }

    package let program: CompiledStrategy
    /// The checked strategy's settings. Behind a pointer like the books: an operator may switch the
    /// risk profile of a running strategy (`switchRisk`), and a `var` would be checked on every bar.
    /// Owns the settings, books, take-profit prices and ledger below (`LoopMemory` says why).
    private let memory = LoopMemory()
    private let settingsStorage: UnsafeMutablePointer<TradingSettings>
    var settings: TradingSettings { _read { yield settingsStorage.pointee } }
    /// The settings' risk limits by `RiskLimit.ordinal`, NaN where off: read on every order, where
    /// `EffectiveRisk.limit` hashes the limit's name. Resolved again when the profile switches.
    private let riskLimits: UnsafeMutableBufferPointer<Double>
    let costs: Costs
    package let symbols: [String]
    /// Per-symbol state, read and written on every bar.
    let books: UnsafeMutableBufferPointer<Book>
    let ledger: UnsafeMutablePointer<Ledger>
    /// Take-profit prices: the ladder's steps of symbol `i` at `i * program.takeProfit.count`.
    let targetPrices: UnsafeMutableBufferPointer<Double>
    /// The time step being staged: the symbols with a bar at this time, in the universe's order;
    /// each one's bar, by symbol; each one's signals, by symbol times `signalCount`.
    let staged: UnsafeMutableBufferPointer<Int>
    let stagedCount: UnsafeMutablePointer<Int>
    let stagedBars: UnsafeMutableBufferPointer<BarInput>
    private let stagedSignals: UnsafeMutableBufferPointer<Double>
    /// External signals per symbol (`program.signalNames.count`).
    let signalCount: Int
    /// A backtest's bar-only precompute, asked for a symbol's next window of bars when the last is
    /// used up; nil when bars arrive one at a time.
    private let nextWindow: NextWindow?
    /// Bars of each symbol's window not yet stepped; empty when there is no precompute. The same
    /// count as the evaluator's `precomputedLeft`, kept here so the step reads a plain buffer
    /// instead of touching (and retaining) each symbol's evaluator on every bar.
    let windowLeft: UnsafeMutableBufferPointer<Int>
    package typealias NextWindow = (_ symbol: Int) -> (chunk: BarSeries, rows: Range<Int>, firstIndex: Int)?

    /// The engine's running totals, owned through `ledger`.
    struct Ledger {
        var cash: Double
        var risk: RiskState
        var statistics: EquityStatistics
        var tradeStatistics = TradeStatistics()
        /// Equity at the end of the last time step.
        var lastEquity: Double?
        /// Time steps during which a position was open, and whether the current one has had one.
        var stepsHeld = 0
        var stepHeld = false
    }

    package var cash: Double {
        get { ledger.pointee.cash }
        _modify { yield &ledger.pointee.cash }
    }
    package private(set) var trades: [Trade] = []
    /// Where closed trades and risk events go instead of `trades` and `riskEvents`, as they happen:
    /// `keel backtest --format json` writes them out, so memory does not grow with them.
    package var tradeSink: ((Trade) -> Void)?
    package var riskEventSink: ((RiskEvent) -> Void)?
    /// Every refusal and kill-switch trip, when the run keeps them (`keepTrades`); counted always.
    package private(set) var riskEvents: [RiskEvent] = []
    package private(set) var riskEventCount = 0
    package private(set) var decisions: [Decision] = []
    /// Orders placed, filled and cancelled since the last `takeRecords()`, when `Options.journal` asks.
    package private(set) var journal: [JournalEntry] = []
    /// Equity after each time step, as (time, equity), one point per distinct time; kept only when
    /// `Options.keepEquityCurve` asks for it. The metrics come from `statistics` either way.
    /// Unchecked: appended to on every step of a run that keeps it (a search keeps every trial's),
    /// where the dynamic exclusivity check cost more than the append (callgrind: ~140 instructions a bar).
    @exclusivity(unchecked) package private(set) var equityCurve: [(time: Int64, equity: Double)] = []
    package var statistics: EquityStatistics { ledger.pointee.statistics }
    package var tradeStatistics: TradeStatistics { ledger.pointee.tradeStatistics }
    /// Time steps during which a position was open (backtesting.py's exposure time counts them).
    package var stepsHeld: Int { ledger.pointee.stepsHeld }

    var risk: RiskState {
        get { ledger.pointee.risk }
        _modify { yield &ledger.pointee.risk }
    }
    let options: Options
    /// Rule slots by side (long, short), resolved once: no dictionary lookups per bar.
    let entrySlots: [Slot?]
    let exitSlots: [Slot?]
    let symbolContexts: [SymbolContext]
    /// Only volatility-target sizing reads the returns' variance; others skip its update.
    let tracksReturns: Bool

    /// Everything the engine keeps per symbol.
    struct Book {
        let evaluator: Evaluator
        /// The evaluator's current values, for the rules and levels read every bar.
        let values: SlotReader
        var position: Position? {
            didSet { signedQuantity = position.map { $0.sign * $0.quantity } ?? 0 }
        }
        /// The position's quantity, negative for a short, 0 when flat: kept with `position` for
        /// marking to market without copying the position every bar.
        private(set) var signedQuantity = 0.0
        var pendingExit: ExitReason?
        var pendingEntry: Side?
        /// The rule of the pending exit and the bar whose close placed the pending orders (an exit
        /// and an entry placed together at one close), for the journal's order tickets.
        var pendingExitRule = OrderRule.killSwitch
        var pendingBar = 0
        var lastClose = Double.nan
        /// The last price known at this moment of the time step: the bar's open from the open until
        /// its close is taken, the close after. Equity and exposure value the position at it, so
        /// sizing at an open never reads a close not yet known.
        var mark = Double.nan
        var firstClose = Double.nan
        var cooldownUntilBar = -1
        var barsSeen = 0
        var returns: RollingVariance
        var lastReturnVariance = Double.nan
        /// Time the symbol held a position, in bars, for exposure.
        var barsInMarket = 0
        /// In the top N of the rank (always true without a rank).
        var ranked = true
        var timeframes: [TimeframeContext] = []
    }

    package init(program: CompiledStrategy, symbols: [String], options: Options, nextWindow: NextWindow? = nil) {
        self.program = program
        self.nextWindow = nextWindow
        windowLeft = memory.buffer(repeating: 0, count: nextWindow == nil ? 0 : symbols.count)
        staged = memory.buffer(repeating: 0, count: symbols.count)
        stagedCount = memory.value(0)
        stagedBars = memory.buffer(repeating: BarInput(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, index: 0), count: symbols.count)
        signalCount = program.signalNames.count
        stagedSignals = memory.buffer(repeating: .nan, count: symbols.count * signalCount)
        settingsStorage = memory.value(program.settings)
        riskLimits = memory.buffer(repeating: .nan, count: RiskLimit.allCases.count)
        self.costs = Costs(settings: program.settings.costs)
        self.symbols = symbols
        self.options = options
        if case .volatilityTarget = program.settings.sizing { tracksReturns = true } else { tracksReturns = false }
        entrySlots = [program.entry[.long], program.entry[.short]]
        exitSlots = [program.exit[.long], program.exit[.short]]
        let lookback: Int = if case .volatilityTarget(_, let n) = program.settings.sizing { n } else { 20 }
        let list = symbols.map { _ in
            let evaluator = Evaluator(program, capacity: options.precomputeRows)
            var book = Book(evaluator: evaluator, values: evaluator.reader, returns: RollingVariance(period: max(2, lookback)))
            for (index, context) in program.contexts.enumerated() {
                if case .timeframe(let milliseconds) = context.source {
                    book.timeframes.append(TimeframeContext(index: index, periodMilliseconds: milliseconds, evaluator: Evaluator(context),
                                                            result: context.result))
                }
            }
            return book
        }
        symbolContexts = program.contexts.enumerated().compactMap { index, context in
            guard case .symbol(let name) = context.source, let symbol = symbols.firstIndex(of: name) else { return nil }
            return SymbolContext(index: index, symbol: symbol, evaluator: Evaluator(context), result: context.result)
        }
        books = memory.buffer(list)
        targetPrices = memory.buffer(repeating: .nan, count: list.count * program.takeProfit.count)
        var risk = RiskState(limits: program.settings.risk, capital: options.capital)
        if case .kelly(_, let lookback) = program.settings.sizing { risk.pnlHistory = lookback }
        ledger = memory.value(Ledger(cash: options.capital, risk: risk,
                                     statistics: EquityStatistics(capital: options.capital)))
        resolveLimits()
    }

    /// The risk limit in force; nil where it is off.
    @inline(__always)
    func limit(_ limit: RiskLimit) -> Double? {
        let value = riskLimits[limit.ordinal]
        return value.isNaN ? nil : value
    }

    private func resolveLimits() {
        for limit in RiskLimit.allCases { riskLimits[limit.ordinal] = settings.risk.limit(limit) ?? .nan }
    }

    /// The symbol's open position, signed (below zero: short); 0 when flat.
    package func positionQuantity(_ index: Int) -> Double { books[index].signedQuantity }

    /// The symbol's last close; NaN before its first bar.
    package func lastClose(_ index: Int) -> Double { books[index].lastClose }

    /// Cash plus every open position marked at the last price known (`Book.mark`).
    package var equity: Double {
        @inline(__always) get {
            var total = cash
            // Scalars only: reading the positions themselves would copy them, arrays and all.
            for i in books.indices where books[i].signedQuantity != 0 && !books[i].mark.isNaN {
                total += books[i].signedQuantity * books[i].mark
            }
            return total
        }
    }

    /// Processes one bar of one symbol: a time step with a single event.
    package func process(symbol index: Int, bar: BarInput) {
        stage(index, bar)
        step(bar.time)
    }

    /// Computes symbol `index`'s next window of bars (a backtest's precompute hook).
    @inline(never)
    private func precomputeWindow(_ index: Int) {
        guard let window = nextWindow?(index) else { return }
        books[index].evaluator.precompute(window.chunk, rows: window.rows, firstIndex: window.firstIndex)
        windowLeft[index] = window.rows.count
    }

    /// Puts symbol `index`'s bar into the next time step. Stage symbols in the universe's order.
    package func stage(_ index: Int, _ bar: BarInput) {
        staged[stagedCount.pointee] = index
        stagedCount.pointee &+= 1
        stagedBars[index] = bar
    }

    /// Sets external signal `k` (in `program.signalNames` order) of symbol `index` for the next
    /// time step and those after it, until set again.
    package func stageSignal(_ index: Int, _ k: Int, _ value: Double) {
        stagedSignals[index &* signalCount &+ k] = value
    }

    /// The one time step, over every symbol staged since the last, in the step order of
    /// docs/backtest.md: each phase over all those symbols (in the universe's order) before the
    /// next. Step 1: every exit of the step fills at the open before any entry, so entries are
    /// sized on the cash those exits returned. Step 2: protective orders inside the bar, the close,
    /// the signals. Step 3: indicators, where a rule reading another symbol sees that symbol's bar
    /// of the same time; then the ranking. Step 4: every exit decided (and filled, with
    /// `fill: close`) before any entry. Step 5: mark to market, limits, equity.
    package func step(_ time: Int64) {
        let symbols = staged[..<stagedCount.pointee]
        beginTime(time)
        for i in symbols { exitsAtOpen(i, stagedBars[i]) }
        for i in symbols { entriesAtOpen(i, stagedBars[i]) }
        for i in symbols { marketStep(i, stagedBars[i]) }
        indicatorSteps(symbols)
        rankStep()
        for i in symbols { exitStep(i, stagedBars[i]) }
        for i in symbols { exitsAtClose(i, stagedBars[i]) }
        for i in symbols { entryStep(i, stagedBars[i]) }
        endTime(time)
        stagedCount.pointee = 0
    }

    /// A time step before trading starts (the warm-up of a date range): the staged bars feed the
    /// indicators, the contexts and the returns that sizing reads, and nothing else happens: no
    /// order, no fill, no risk check, no equity recorded, and buy and hold starts later.
    package func warmUp(_ time: Int64) {
        let symbols = staged[..<stagedCount.pointee]
        for i in symbols {
            books[i].barsSeen += 1
            observeClose(i, stagedBars[i])
        }
        indicatorSteps(symbols)
        stagedCount.pointee = 0
    }

    @inline(__always)
    private func indicatorSteps(_ symbols: UnsafeMutableBufferPointer<Int>.SubSequence) {
        for i in symbols {
            // A backtest's window is computed only now: until its indicator step, a symbol's slots
            // must still hold the previous bar's values, which fills and sizing read.
            if !windowLeft.isEmpty {
                if windowLeft[i] <= 0 { precomputeWindow(i) }
                windowLeft[i] &-= 1
            }
            indicatorStep(i, stagedBars[i])
        }
    }

    /// Books holding a position: kept where a position opens and closes, so a step learns whether
    /// anything is held without walking every book.
    /// Unchecked: read every step, and a class's `var` is otherwise checked at run time for
    /// overlapping access on each read (`swift_beginAccess` showed in the step's profile).
    @exclusivity(unchecked) var openPositions = 0
    /// Operators' entries waiting for their fill, and the levels of the positions they opened, by symbol.
    @exclusivity(unchecked) var manualPending: [Int: ManualOrder] = [:]
    @exclusivity(unchecked) var manualExits: [Int: ManualExits] = [:]

    @inline(__always)
    func beginTime(_ time: Int64) {
        // Nothing moves between the last step's end and this one's start: its equity still holds.
        risk.beginBar(time: time, equity: ledger.pointee.lastEquity ?? equity, sessionStartSeconds: settings.risk.sessionStartSeconds)
        ledger.pointee.stepHeld = openPositions > 0
    }

    /// Step 1, first half, for one symbol: its bar opens. From now on its position is valued at
    /// this open; the exit placed at the last close fills, and so does every protective level the
    /// open gapped through (they are exits at this open too).
    private func exitsAtOpen(_ index: Int, _ bar: BarInput) {
        books[index].barsSeen += 1
        if books[index].position != nil { books[index].position!.barsHeld += 1 }
        books[index].mark = bar.open
        fillPendingExit(index, at: bar.open, time: bar.time)
        fillGaps(index, bar)
    }

    /// Step 1, second half: the entry placed at the last close fills at this open, sized on the
    /// cash and equity after every exit of the time step.
    private func entriesAtOpen(_ index: Int, _ bar: BarInput) {
        fillPendingEntry(index, at: bar.open, time: bar.time)
    }

    /// Step 2 for one symbol, then the bar's close is known: protective orders inside the bar, the
    /// close, the external signals, and the contexts that read this symbol.
    private func marketStep(_ index: Int, _ bar: BarInput) {
        checkProtective(index, bar)
        if books[index].firstClose.isNaN { books[index].firstClose = bar.close }
        observeClose(index, bar)
    }

    /// The close, the returns, the external signals and the contexts that read this symbol.
    @inline(__always)
    private func observeClose(_ index: Int, _ bar: BarInput) {
        if tracksReturns, !books[index].lastClose.isNaN {
            books[index].lastReturnVariance = books[index].returns.update(bar.close / books[index].lastClose - 1).variance
        }
        books[index].lastClose = bar.close
        books[index].mark = bar.close
        for k in 0..<signalCount { books[index].evaluator.signals[k] = stagedSignals[index &* signalCount &+ k] }
        // Other-symbol contexts read this symbol's bars: they step before any rule reads them.
        for k in symbolContexts.indices where symbolContexts[k].symbol == index {
            symbolContexts[k].evaluator.step(bar)
        }
    }

    /// Step 3 for one symbol: contexts, then the program.
    private func indicatorStep(_ index: Int, _ bar: BarInput) {
        let evaluator = books[index].evaluator
        for context in symbolContexts { evaluator.contexts[context.index] = context.value }
        for k in books[index].timeframes.indices {
            books[index].timeframes[k].add(bar, baseMilliseconds: Int64(options.barSeconds ?? 0) * 1_000)
            evaluator.contexts[books[index].timeframes[k].index] = books[index].timeframes[k].value
        }
        if evaluator.readsState { writeState(index, bar) }
        if evaluator.precomputedLeft > 0 { evaluator.stepPrecomputed() } else { evaluator.step(bar) }
    }

    /// Orders the universe by the rank expression; only the top N may be held.
    @inline(__always)
    private func rankStep() {
        guard let slot = program.rank, let top = settings.rankTop else { return }
        let ranked = books.indices.filter { !books[$0].values[slot].isNaN }
            .sorted { books[$0].values[slot] > books[$1].values[slot] || (books[$0].values[slot] == books[$1].values[slot] && $0 < $1) }
        for index in books.indices { books[index].ranked = false }
        for index in ranked.prefix(top) { books[index].ranked = true }
    }

    /// Step 4, first half: exits (and level updates) for one symbol. Every symbol's exits are decided
    /// before any entry, so a rotation can sell one symbol and buy another at the same close.
    private func exitStep(_ index: Int, _ bar: BarInput) {
        decideExits(index, bar)
        if books[index].position != nil { books[index].barsInMarket += 1 }
    }

    /// With `fill: close`, the exits decided at this close fill at it, every symbol's before any
    /// entry is decided, as at an open.
    private func exitsAtClose(_ index: Int, _ bar: BarInput) {
        if settings.fill == .close { fillPendingExit(index, at: bar.close, time: bar.time) }
    }

    /// Step 4, second half: entries for one symbol, then fills at this close with `fill: close`.
    private func entryStep(_ index: Int, _ bar: BarInput) {
        decideEntries(index, bar)
        if settings.fill == .close { fillPendingEntry(index, at: bar.close, time: bar.time) }
    }

    /// Step 5: mark to market, check the limits, record equity.
    @inline(__always)
    func endTime(_ time: Int64) {
        if ledger.pointee.stepHeld { ledger.pointee.stepsHeld += 1 }
        let now = equity
        ledger.pointee.lastEquity = now
        risk.afterBar(now)
        if let reason = risk.checkLimits(equity: now) { tripKillSwitch(time, reason) }
        recordEquity(time, now)
    }

    private func recordEquity(_ time: Int64, _ value: Double) {
        ledger.pointee.statistics.record(time: time, equity: value)
        guard options.keepEquityCurve else { return }
        if let last = equityCurve.last, last.time == time {
            equityCurve[equityCurve.count - 1].equity = value
        } else {
            equityCurve.append((time, value))
        }
    }

    // MARK: - Fills

    private func fillPendingExit(_ index: Int, at price: Double, time: Int64) {
        guard let reason = books[index].pendingExit else { return }
        books[index].pendingExit = nil
        if let p = books[index].position {
            let ticket = OrderTicket(symbol: index, bar: books[index].pendingBar, rule: books[index].pendingExitRule, buying: p.side == .short)
            close(index, quantity: p.quantity, at: costs.slipped(price, buying: p.side == .short), time: time, reason: reason, ticket: ticket)
        }
    }

    private func fillPendingEntry(_ index: Int, at price: Double, time: Int64) {
        guard let side = books[index].pendingEntry else { return }
        books[index].pendingEntry = nil
        let manual = manualPending.isEmpty ? nil : manualPending.removeValue(forKey: index)
        let ticket = OrderTicket(symbol: index, bar: books[index].pendingBar, rule: manual == nil ? .entry(side) : .manual(side), buying: side == .long)
        // `admit` counted a position whose exit was pending as gone; that exit fills at its symbol's
        // next bar, which may not have come (a gap): then this entry would pass the cap (found by
        // RiskPropertyTests), so it is cancelled instead.
        let cap = openPositionCap
        if Double(openPositions) >= cap {
            let reason = "\(openPositions) positions are still open (an exit waits for its symbol's next bar); the cap is \(Int(cap))"
            refuse(time, index, "max_positions", reason)
            return log(.cancelled(ticket, time: time, reason: reason))
        }
        openPosition(index, side: side, reference: price, time: time, ticket: ticket, manual: manual)
    }

    /// Opens a position at `reference` (slipped), sized by the allocation rule, or as an operator's
    /// `manual` order asked, within the risk caps and the cash; its protective levels are armed.
    func openPosition(_ index: Int, side: Side, reference: Double, time: Int64, ticket: OrderTicket, manual: ManualOrder? = nil) {
        guard books[index].position == nil else { return log(.cancelled(ticket, time: time, reason: "a position is open")) }
        let price = costs.slipped(reference, buying: side == .long)
        let sizer = Sizer(engine: self)
        let quantity = manual.map { sizer.manualQuantity($0.quantity, price: price) } ?? sizer.quantity(for: index, side: side, price: price)
        guard quantity > 0 else {
            let reason = "the order would be smaller than one lot (or no cash is left)"
            refuse(time, index, "size", reason)
            return log(.cancelled(ticket, time: time, reason: reason))
        }
        let fee = costs.fee(quantity: quantity, price: price)
        log(.filled(Execution(order: ticket, time: time, quantity: quantity, price: price, fee: fee, reason: "entry")))
        let sign: Double = side == .long ? 1 : -1
        cash -= sign * quantity * price + fee
        var position = Position(side: side, quantity: quantity, entryPrice: price, entryTime: time, entryFees: fee)
        if let manual { armManual(&position, index, manual) } else { armProtective(&position, index) }
        if books[index].position == nil { openPositions += 1 }
        books[index].position = position
        ledger.pointee.stepHeld = true
    }

    /// A position held over from an earlier run (walk-forward's `--carry`): taken at `price`, the
    /// seam's mark, without a fee (the earlier run's equity already holds its value), so equity is
    /// unchanged by it. This program's rules manage it from here: its protective levels are armed
    /// from `price`, and its P&L and duration count from the seam (`time`).
    package func inherit(_ index: Int, side: Side, quantity: Double, price: Double, time: Int64) {
        guard books[index].position == nil, quantity > 0, price.isFinite, price > 0 else { return }
        var position = Position(side: side, quantity: quantity, entryPrice: price, entryTime: time, entryFees: 0)
        cash -= position.sign * quantity * price
        armProtective(&position, index)
        openPositions += 1
        books[index].position = position
        (books[index].mark, books[index].lastClose) = (price, price)
        ledger.pointee.lastEquity = equity
    }

    /// Closes `quantity` of the position at `price`, records the trade, and drops the position when empty.
    func close(_ index: Int, quantity: Double, at price: Double, time: Int64, reason: ExitReason, ticket: OrderTicket) {
        guard var p = books[index].position, quantity > 0 else { return }
        let fee = costs.fee(quantity: quantity, price: price)
        log(.filled(Execution(order: ticket, time: time, quantity: quantity, price: price, fee: fee, reason: reason.rawValue)))
        let share = min(1, quantity / p.quantity)
        let entryFee = p.entryFees * share
        cash += p.sign * quantity * price - fee
        let gross = p.sign * quantity * (price - p.entryPrice)
        let pnl = gross - entryFee - fee
        ledger.pointee.tradeStatistics.record(pnl: pnl, returnFraction: pnl / (quantity * p.entryPrice), duration: time - p.entryTime)
        if options.keepTrades || tradeSink != nil {
            let trade = Trade(symbol: symbols[index], side: p.side, entryTime: p.entryTime, entryPrice: p.entryPrice, exitTime: time,
                              exitPrice: price, quantity: quantity, pnl: pnl, fees: entryFee + fee, exitReason: reason)
            if let tradeSink { tradeSink(trade) } else { trades.append(trade) }
        }
        risk.recordClosed(pnl: pnl)
        p.entryFees -= entryFee
        p.quantity -= quantity
        if reason == .stopLoss || reason == .trailingStop, let cooldown = limit(.cooldown), cooldown > 0 {
            books[index].cooldownUntilBar = books[index].barsSeen + Int(cooldown)
        }
        books[index].position = p.quantity > 1e-12 ? p : nil
        if books[index].position == nil { openPositions -= 1 }
    }

    // MARK: - Rules at the close

    private func decideExits(_ index: Int, _ bar: BarInput) {
        let values = books[index].values
        if books[index].position != nil { updateLevelsAtClose(index, bar) }
        if let p = books[index].position, books[index].pendingExit == nil {
            if let slot = exitSlots[p.side == .long ? 0 : 1], values[slot] == 1 {
                placeExit(index, .signal, rule: .exit(p.side), time: bar.time)
                trace(index, bar.time, "exit", p.side, RuleKey(entry: false, side: p.side))
            } else if !books[index].ranked {
                // Fell out of the top N: the rotation sells it.
                placeExit(index, .signal, rule: .rank, time: bar.time)
            } else if timeStopReached(p, bar) {
                placeExit(index, .timeStop, rule: .timeStop, time: bar.time)
                trace(index, bar.time, "time_stop", p.side, nil)
            }
        }
    }

    private func decideEntries(_ index: Int, _ bar: BarInput) {
        let values = books[index].values
        let flatOrLeaving = books[index].position == nil || books[index].pendingExit != nil
        if flatOrLeaving, books[index].pendingEntry == nil, books[index].ranked {
            for i in 0..<2 {
                let side: Side = i == 0 ? .long : .short
                guard let slot = entrySlots[i], values[slot] == 1 else { continue }
                if books[index].position?.side == side { continue }
                if admit(index, side: side, time: bar.time) {
                    books[index].pendingEntry = side
                    books[index].pendingBar = books[index].barsSeen - 1
                    log(.placed(OrderTicket(symbol: index, bar: books[index].pendingBar, rule: .entry(side), buying: side == .long), time: bar.time,
                                quantity: Sizer(engine: self).quantity(for: index, side: side, price: costs.slipped(bar.close, buying: side == .long))))
                    trace(index, bar.time, "entry", side, RuleKey(entry: true, side: side))
                    break
                }
            }
        }
    }

    /// A market exit of the whole position at the next fill.
    private func placeExit(_ index: Int, _ reason: ExitReason, rule: OrderRule, time: Int64) {
        books[index].pendingExit = reason
        books[index].pendingExitRule = rule
        books[index].pendingBar = books[index].barsSeen - 1
        if options.journal, let p = books[index].position {
            log(.placed(OrderTicket(symbol: index, bar: books[index].pendingBar, rule: rule, buying: p.side == .short), time: time, quantity: p.quantity))
        }
    }

    /// Appends to the journal when the run keeps one; the entry is not even built otherwise.
    @inline(__always)
    func log(_ entry: @autoclosure () -> JournalEntry) {
        if options.journal { journal.append(entry()) }
    }

    /// Hands over the trades, risk events, decisions and journal entries kept since the last call
    /// and forgets them: a run of days keeps them in its store, not in memory.
    package func takeRecords() -> (trades: [Trade], riskEvents: [RiskEvent], decisions: [Decision], journal: [JournalEntry]) {
        // Most steps keep nothing: answering empty lists leaves the kept buffers alone (clearing
        // buffers just handed out would copy each of them, four allocations a step).
        if trades.isEmpty, riskEvents.isEmpty, decisions.isEmpty, journal.isEmpty { return ([], [], [], []) }
        defer {
            trades.removeAll(keepingCapacity: true)
            riskEvents.removeAll(keepingCapacity: true)
            decisions.removeAll(keepingCapacity: true)
            journal.removeAll(keepingCapacity: true)
        }
        return (trades, riskEvents, decisions, journal)
    }

    /// Records a decision with the values its rule read, when tracing.
    func trace(_ index: Int, _ time: Int64, _ action: String, _ side: Side, _ rule: RuleKey?, level: Double? = nil) {
        guard options.trace else { return }
        let reader = books[index].values
        var values = (rule.flatMap { program.readings[$0] } ?? []).map { ($0.text, reader[$0.slot]) }
        if let level { values.append(("level", level)) }
        decisions.append(Decision(time: time, symbol: symbols[index], action: action, side: side,
                                  rule: rule?.description ?? action, values: values))
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
            // Flat: every position field is 0. (No array literal here: this runs every bar.)
            for raw in StateField.positionSize.rawValue...StateField.pnlPct.rawValue { evaluator.state[raw] = 0 }
        }
        set(.equity, now)
        set(.cash, cash)
        set(.drawdown, risk.drawdown(now))
        set(.dailyPnl, now - risk.sessionStartEquity)
    }

    // MARK: - Risk

    /// Positions open at most: the allocation's `max_positions` and the profile's `max_open_positions`.
    var openPositionCap: Double { min(Double(settings.maxPositions ?? Int.max), limit(.maxOpenPositions) ?? .infinity) }

    /// The risk manager's pre-trade checks for a new entry; a refusal is recorded with its reason.
    func admit(_ index: Int, side: Side, time: Int64) -> Bool {
        if let reason = haltReason { return refuse(time, index, "halted", "halted (\(reason)); no new entries until resumed") }
        if risk.killSwitchActive { return refuse(time, index, "kill_switch", "the daily loss limit tripped; no new orders until the next session") }
        if side == .short, !settings.risk.allowShort {
            return refuse(time, index, "short_selling", "the \(settings.profile.name.rawValue) profile does not sell short")
        }
        if let limit = limit(.maxDrawdown), risk.drawdown(equity) >= limit {
            return refuse(time, index, "drawdown_halt", "drawdown \(percent(risk.drawdown(equity))) reached the \(percent(limit)) limit")
        }
        if books[index].barsSeen < books[index].cooldownUntilBar {
            return refuse(time, index, "cooldown", "cooling down after a stop-out")
        }
        // Counted by index: filtering the books would copy each one and allocate, on every entry signal.
        var open = 0
        for i in books.indices {
            if books[i].signedQuantity != 0 && books[i].pendingExit == nil { open += 1 }
            if books[i].pendingEntry != nil { open += 1 }
        }
        let cap = openPositionCap
        if Double(open) >= cap { return refuse(time, index, "max_positions", "already \(open) positions open or pending") }
        return true
    }

    @discardableResult
    func refuse(_ time: Int64, _ index: Int, _ kind: String, _ reason: String) -> Bool {
        record(RiskEvent(time: time, symbol: symbols[index], kind: kind, reason: reason))
        return false
    }

    /// Counts a risk event and keeps it when the output lists them: a long run can refuse millions
    /// of orders (a drawdown halt refuses every entry signal), and memory must not grow with them.
    private func record(_ event: RiskEvent) {
        riskEventCount += 1
        if let riskEventSink { riskEventSink(event) } else if options.keepTrades { riskEvents.append(event) }
    }

    /// Why the operator halted new entries; nil while trading. Unlike the daily-loss kill switch it
    /// holds across sessions, until `resume`.
    package private(set) var haltReason: String?

    /// The operator's kill switch: cancels pending entries and refuses new ones until `resume`.
    /// Positions keep their protective orders.
    package func halt(_ time: Int64, reason: String) {
        haltReason = reason
        record(RiskEvent(time: time, symbol: "*", kind: "halt", reason: reason))
        cancelPendingEntries(time, reason: "halted: \(reason)")
    }

    package func resume(_ time: Int64) {
        guard haltReason != nil else { return }
        haltReason = nil
        record(RiskEvent(time: time, symbol: "*", kind: "resume", reason: "entries allowed again"))
    }

    /// Closes every position now at its last close (with slippage and fees) and cancels every
    /// pending order: the operator's "close all", or a shutdown with `--flatten-on-exit`. With
    /// `only`, just that symbol's position and orders: the operator's "close this position".
    package func flatten(_ time: Int64, only: Int? = nil) {
        cancelPendingEntries(time, reason: "flattened", only: only)
        for index in books.indices where only == nil || only == index {
            books[index].pendingExit = nil
            guard let p = books[index].position, !books[index].lastClose.isNaN else { continue }
            let ticket = OrderTicket(symbol: index, bar: books[index].barsSeen - 1, rule: .flatten, buying: p.side == .short)
            close(index, quantity: p.quantity, at: costs.slipped(books[index].lastClose, buying: p.side == .short), time: time,
                  reason: .flatten, ticket: ticket)
        }
    }

    private func cancelPendingEntries(_ time: Int64, reason: String, only: Int? = nil) {
        for index in books.indices where only == nil || only == index {
            guard let side = books[index].pendingEntry else { continue }
            books[index].pendingEntry = nil
            let manual = manualPending.removeValue(forKey: index) != nil
            log(.cancelled(OrderTicket(symbol: index, bar: books[index].pendingBar, rule: manual ? .manual(side) : .entry(side), buying: side == .long),
                           time: time, reason: reason))
        }
    }

    /// The operator switches the risk profile of a running strategy: `checked` is the same strategy
    /// checked against the new profile, so its limits and default sizing apply from the next order.
    /// Peak equity, the session and a tripped kill switch carry over.
    package func switchRisk(to settings: TradingSettings, _ time: Int64) {
        settingsStorage.pointee = settings
        resolveLimits()
        risk.dailyLossLimit = limit(.dailyLossLimit)
        record(RiskEvent(time: time, symbol: "*", kind: "risk_profile", reason: "risk profile switched to \(settings.profile.name.rawValue)"))
    }

    /// Cancels every pending entry, flattens every position at the next fill, and blocks new orders
    /// until the next session.
    private func tripKillSwitch(_ time: Int64, _ reason: String) {
        record(RiskEvent(time: time, symbol: "*", kind: "kill_switch", reason: reason))
        cancelPendingEntries(time, reason: "kill switch: \(reason)")
        for index in books.indices {
            // An exit already pending keeps its order (and takes the kill switch as its reason).
            guard books[index].position != nil else { continue }
            if books[index].pendingExit == nil {
                placeExit(index, .killSwitch, rule: .killSwitch, time: time)
            } else {
                books[index].pendingExit = .killSwitch
            }
        }
    }
}

/// A percent in a risk message: two decimals are enough to explain a refusal.
func percent(_ fraction: Double) -> String { ExpressionPrinter.percent(fraction, decimals: 2) }
