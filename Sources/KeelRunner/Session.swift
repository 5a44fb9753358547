import Foundation
import Keel
import KeelData
import KeelEngine
import KeelLanguage
import KeelStore

/// A run in memory: the engine, the stream's assembler, and the batch of records the next commit
/// writes. A fresh process rebuilds it by applying the journal's events in order: the
/// engine is deterministic, so it arrives at the state the killed process had committed.
final class Session {
    let runId: String
    let program: CompiledStrategy
    /// The checked strategy, re-checked under another profile when an operator switches it.
    let checked: CheckedStrategy
    let engine: Engine
    var assembler: EventAssembler
    let barSeconds: Int?
    private(set) var bars = 0
    private(set) var firstTime: Int64?
    private(set) var lastTime: Int64?
    private(set) var markTimes: [Int64?]
    private(set) var nextSeq: Int64
    /// Orders the engine has placed in this process (the runner times them: `OrderLatency`).
    private(set) var ordersPlaced = 0
    /// What the next commit writes.
    var batch = Batch()
    /// The last event was the end of the stream.
    private var atEnd = false
    /// A live run also writes its broker orders (`Batch.brokerIntents`).
    let live: Bool

    /// How far an event may be past both the newest time seen and the wall clock (milliseconds);
    /// nil: no bound. The clock is read here, never by the assembler or the engine.
    let maxClockSkew: Int64?
    private let clock: @Sendable () -> Int64

    init(runId: String, strategy: LoadedStrategy, symbols: [String], capital: Double, barSeconds: Int?, lastSeq: Int64 = 0, live: Bool = false,
         maxClockSkew: Int64? = 86_400_000, clock: @escaping @Sendable () -> Int64 = Runner.systemClock) {
        self.maxClockSkew = maxClockSkew
        self.clock = clock
        self.runId = runId
        self.live = live
        (program, checked) = (strategy.program, strategy.checked)
        self.barSeconds = barSeconds
        engine = Engine(program: program, symbols: symbols,
                        options: .init(capital: capital, barSeconds: barSeconds, trace: true, keepEquityCurve: false, keepTrades: true,
                                       precomputeRows: 1, journal: true))
        assembler = EventAssembler(symbols: symbols, signalNames: program.signalNames,
                                   barMilliseconds: barSeconds.map { Int64($0) * 1_000 },
                                   resamplesBars: program.settings.timeframe != nil)
        markTimes = Array(repeating: nil, count: symbols.count)
        nextSeq = lastSeq + 1
    }

    var symbols: [String] { engine.symbols }

    /// Applies one line of the stream (numbered `seq` in the journal) and records it.
    /// `journaled`: the status a replayed event was journaled with. A replay takes the clock-skew
    /// verdict from it, so changing `--max-clock-skew` never changes the past.
    @discardableResult
    func apply(line: String, journaled: String? = nil) -> StoredEvent {
        atEnd = false
        let seq = nextSeq
        nextSeq += 1
        let event: MarketEvent
        if let at = OversizedLine.offset(line) {
            let reason = "a line longer than \(maxStreamLine) bytes at byte offset \(at) of the stream; skipped to its newline"
            let stored = StoredEvent(seq: seq, kind: "invalid", symbol: nil, time: nil, line: line, status: "invalid", reason: reason)
            batch.events.append(stored)
            return stored
        }
        do { event = try EventLine.parse(line) } catch {
            let stored = StoredEvent(seq: seq, kind: "invalid", symbol: nil, time: nil, line: line, status: "invalid", reason: error.description)
            batch.events.append(stored)
            return stored
        }
        // A replay takes the clock-skew verdict from the journal: the clock has moved on since.
        let horizon = journaled == nil ? maxClockSkew.map { max(clock(), assembler.newestTime ?? .min) + $0 } : nil
        let verdict: EventAssembler.Verdict = journaled == "clock_skew"
            ? .refused(status: "clock_skew", reason: "past the clock-skew horizon when it arrived")
            : assembler.accept(event, horizon: horizon)
        var stored = StoredEvent(seq: seq, kind: event.kind, symbol: event.symbol, time: event.time, line: line, status: "accepted", reason: nil)
        if case .refused(let status, let reason) = verdict { (stored.status, stored.reason) = (status, reason) }
        batch.events.append(stored)
        runSteps()
        return stored
    }

    /// The end of a file stream, journaled as its own event so a replay closes the step at the same
    /// point. A second end with no event between them changes nothing and is not journaled.
    func endOfStream() {
        guard !atEnd else { return }
        atEnd = true
        batch.events.append(StoredEvent(seq: nextSeq, kind: "end", symbol: nil, time: nil, line: Session.endLine, status: "accepted", reason: nil))
        nextSeq += 1
        assembler.endOfStream()
        runSteps()
    }

    static let endLine = #"{"type":"end"}"#

    /// Applies an operator's request (halt, resume, flatten, close one symbol, switch the risk
    /// profile, a manual order), journaled as a `control` event so a replay applies it at the same point of the stream.
    @discardableResult
    func control(_ action: String, reason: String?, argument: String? = nil) -> StoredEvent {
        atEnd = false
        var fields: [(String, JSON.Value)] = [("action", .string(action)), ("reason", reason.map { .string($0) } ?? .null)]
        if let argument { fields.append(("argument", .string(argument))) }
        let line = JSON.encode(.object(fields), pretty: false)
        let event = StoredEvent(seq: nextSeq, kind: "control", symbol: nil, time: lastTime, line: line, status: "accepted", reason: nil)
        nextSeq += 1
        batch.events.append(event)
        let time = lastTime ?? 0
        switch action {
        case "halt": engine.halt(time, reason: reason ?? "halted by the operator")
        case "resume": engine.resume(time)
        case "close":
            // Checked by whoever asked; a symbol the run does not trade closes nothing.
            if let symbol = argument.flatMap(symbols.firstIndex(of:)) { engine.flatten(time, only: symbol) }
        case "order":
            // Checked by whoever asked; journaled as placed, then filled or cancelled, like any entry.
            if let (symbol, order) = argument.flatMap(ManualOrderText.decode), let index = symbols.firstIndex(of: symbol) {
                engine.placeManual(index, order, time: time)
            }
        case "risk_profile":
            if let profile = argument.flatMap(ProfileName.init(rawValue:)) {
                let (switched, _) = Checker.check(checked.parsed, options: .init(profileOverride: profile, paramOverrides: checked.paramValues))
                engine.switchRisk(to: TradingSettings(switched), time)
            }
        default: engine.flatten(time)
        }
        record()
        return event
    }

    /// After a replay: new events are numbered after every journaled one, accepted or not.
    func resume(after lastSeq: Int64) { nextSeq = lastSeq + 1 }

    /// Replays a journaled event: the same path as a live one.
    func replay(_ event: StoredEvent) {
        nextSeq = event.seq
        switch event.kind {
        case "end": endOfStream()
        case "control":
            let fields = (try? EventLine.object(Array(event.line.utf8))) ?? [:]
            guard case .string(let action)? = fields["action"]?.token else { return }
            func text(_ key: String) -> String? { if case .string(let value)? = fields[key]?.token { value } else { nil } }
            control(action, reason: text("reason"), argument: text("argument"))
        default: apply(line: event.line, journaled: event.status)
        }
    }

    private func runSteps() {
        for step in assembler.takeSteps() {
            for (k, symbol) in step.symbols.enumerated() {
                engine.stage(symbol, step.bars[k])
                for (j, value) in step.signals[k].enumerated() { engine.stageSignal(symbol, j, value) }
            }
            engine.step(step.time)
            bars += step.symbols.count
            if firstTime == nil { firstTime = step.time }
            lastTime = step.time
            for s in step.symbols { markTimes[s] = step.time }
            batch.equity.append((step.time, engine.equity))
            record()
        }
    }

    /// Moves the engine's records into the batch, as store rows.
    private func record() {
        let records = engine.takeRecords()
        if live { for entry in records.journal { brokerOrder(for: entry) } }
        for entry in records.journal {
            switch entry {
            case .placed(let ticket, let at, _):
                ordersPlaced += 1
                batch.orders.append(.placed(order(ticket, type: "market", status: "placed", quantity: nil, time: at, reason: nil)))
            case .filled(let fill):
                let id = clientOrderId(fill.order)
                switch fill.order.rule {
                case .stopLoss, .trailingStop, .takeProfit, .stopLossStep:
                    // Protective orders rest at the broker from the entry on; the journal records them when they fill.
                    let type = if case .takeProfit = fill.order.rule { "limit" } else { "stop" }
                    batch.orders.append(.placed(order(fill.order, type: type, status: "filled", quantity: fill.quantity, time: fill.time,
                                                      reason: fill.reason)))
                default:
                    batch.orders.append(.status(clientOrderId: id, status: "filled", quantity: fill.quantity, time: fill.time, reason: nil))
                }
                batch.fills.append(StoredFill(fillId: id, clientOrderId: id, symbol: symbols[fill.order.symbol], side: fill.order.buying ? "buy" : "sell",
                                              quantity: fill.quantity, price: fill.price, fee: fill.fee, time: fill.time, reason: fill.reason))
            case .cancelled(let ticket, let at, let reason):
                batch.orders.append(.status(clientOrderId: clientOrderId(ticket), status: "cancelled", quantity: nil, time: at, reason: reason))
            }
        }
        batch.trades += records.trades
        batch.riskEvents += records.riskEvents
        for d in records.decisions {
            let readings = JSON.encode(.object(d.values.map { ($0.0, .number($0.1)) }), pretty: false)
            batch.decisions.append(StoredDecision(time: d.time, symbol: d.symbol, action: d.action, side: d.side.rawValue, rule: d.rule,
                                                  readings: readings))
        }
    }

    /// What a live run asks of its broker for one journal entry. An entry is sent with the size it
    /// has at the close, as a bracket when the strategy's stop-loss and single take-profit are fixed
    /// percentages (the broker then holds them). Every exit closes what the broker holds, whatever
    /// the engine's own fill: protective exits the broker already made are then nothing to send.
    private func brokerOrder(for entry: JournalEntry) {
        switch entry {
        case .placed(let ticket, let time, let quantity):
            let symbol = symbols[ticket.symbol]
            let side = ticket.buying ? "buy" : "sell"
            guard case .entry(let direction) = ticket.rule else {
                batch.brokerIntents.append(BrokerIntent(clientOrderId: clientOrderId(ticket), kind: .close, symbol: symbol, side: side,
                                                        qty: quantity, eventTime: time))
                return
            }
            guard quantity > 0 else { return }
            let sign = direction == .long ? 1.0 : -1.0
            let reference = engine.lastClose(ticket.symbol)
            var stop: Double?, target: Double?, trailing: Double?
            if case .percent(let distance)? = program.stopLoss {
                if program.trailing { trailing = distance } else { stop = reference * (1 - sign * distance) }
            }
            if program.takeProfit.count == 1, program.takeProfit[0].closeFraction >= 1, case .percent(let distance) = program.takeProfit[0].level {
                target = reference * (1 + sign * distance)
            }
            batch.brokerIntents.append(BrokerIntent(clientOrderId: clientOrderId(ticket), kind: .open, symbol: symbol, side: side, qty: quantity,
                                                    stopPrice: stop, limitPrice: target, eventTime: time, trailingFraction: trailing))
        case .filled(let fill):
            switch fill.order.rule {
            case .stopLoss, .trailingStop, .takeProfit, .stopLossStep, .flatten:
                let flat = engine.positionQuantity(fill.order.symbol) == 0
                batch.brokerIntents.append(BrokerIntent(clientOrderId: clientOrderId(fill.order), kind: flat ? .close : .reduce,
                                                        symbol: symbols[fill.order.symbol], side: fill.order.buying ? "buy" : "sell",
                                                        qty: fill.quantity, eventTime: fill.time))
            default: break
            }
        case .cancelled(let ticket, _, _):
            batch.brokerCancels.append(clientOrderId(ticket))
        }
    }

    private func order(_ ticket: OrderTicket, type: String, status: String, quantity: Double?, time: Int64, reason: String?) -> StoredOrder {
        StoredOrder(clientOrderId: clientOrderId(ticket), symbol: symbols[ticket.symbol], side: ticket.buying ? "buy" : "sell", type: type,
                    rule: ticket.rule.description, bar: ticket.bar, placedTime: time, status: status, quantity: quantity, updatedTime: time,
                    reason: reason)
    }

    /// Derived from run, symbol, bar and rule: the same order always gets the same id, so a retry
    /// or a replay after a crash can never create a second one.
    func clientOrderId(_ ticket: OrderTicket) -> String {
        "\(runId)-\(symbols[ticket.symbol])-\(ticket.bar)-\(ticket.rule)"
    }

    /// The run so far in the backtest's contract, without the lists (trades, risk events), which the store holds.
    func report() -> BacktestResult {
        var result = engine.report(bars: bars, firstTime: firstTime ?? 0, lastTime: lastTime ?? 0, markTimes: markTimes,
                                   barSeconds: barSeconds ?? assembler.streamBarSeconds)
        (result.barSeconds, result.dataBarSeconds) = (barSeconds ?? assembler.streamBarSeconds, assembler.streamBarSeconds ?? barSeconds)
        return result
    }

    /// Completes the batch with the state after it: open positions and the summary.
    func sealBatch() {
        let result = report()
        batch.positions = result.openPositions
        batch.summary = RunSummary(result).encoded()
    }

    func takeBatch() -> Batch {
        defer { batch = Batch() }
        return batch
    }
}
