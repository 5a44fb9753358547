import Foundation
import KeelBroker
import KeelBrokerClient
import KeelData
import KeelEngine
import KeelStore

/// A live run's link to its broker. The runner commits each order as an intent (with the events
/// that caused it) before the bridge sends it; the bridge then records every answer and every
/// fill in the store, so a process killed at any point finds out at its next start what reached
/// the broker, by asking for the order's client id, and never sends a second order for one intent.
///
/// An order's states: `intent` (committed, not yet sent), `unknown` (sent, no answer to trust: a
/// timeout, a 5xx, a dropped connection), then the broker's `new`, `partially_filled`, `filled`,
/// `canceled` or `rejected`; `skipped` when there was nothing to send (a close with nothing held).
final class BrokerBridge {
    let client: BrokerClient
    let store: KeelStore
    let runId: String
    let symbols: Set<String>
    let log: (String) -> Void
    /// The run's wall clock (`Runner.Configuration.clock`).
    let clock: @Sendable () -> Int64

    init(client: BrokerClient, store: KeelStore, runId: String, symbols: [String], clock: @escaping @Sendable () -> Int64,
         log: @escaping (String) -> Void) {
        (self.client, self.store, self.runId, self.symbols, self.clock, self.log) = (client, store, runId, Set(symbols), clock, log)
    }

    /// Sends the intents, settles unknown orders, cancels what was cancelled, records new fills.
    func sync() throws {
        try recordFills()
        var pending = try store.brokerOrders(run: runId, unsettledOnly: true)
        for i in pending.indices {
            switch pending[i].status {
            case "intent": try send(&pending[i])
            case "unknown": try settle(&pending[i])
            default: if pending[i].cancelRequested { try cancel(&pending[i]) }
            }
        }
        try recordFills()
        try refreshWorking()
    }

    /// At every start, before any event: Keel's record of the broker (its fills, adjustments and
    /// working orders) against the broker's positions and open orders, on the run's symbols. A
    /// difference refuses the run, unless `adopt` takes the broker's state as the truth: the
    /// differences are then recorded as adjustments and the run goes on from there.
    func reconcile(adopt: Bool) throws {
        try sync()
        for var order in try store.brokerOrders(run: runId, unsettledOnly: true) where order.status == "unknown" { try settle(&order) }
        // The market does not wait: a fill that lands between the two reads is recorded and read again.
        var held: [Position] = []
        for _ in 0..<5 {
            held = try client.positions().filter { symbols.contains($0.symbol) }
            if try recordFills() == 0 { break }
        }
        let now = clock()
        let recorded = try store.brokerPositions(run: runId)
        var differences: [String] = []
        var adjustments: [StoredBrokerFill] = []
        for symbol in symbols.union(held.map(\.symbol)).sorted() {
            let mine = recorded[symbol] ?? 0
            let theirs = held.first { $0.symbol == symbol }
            let difference = (theirs?.signedQuantity.double ?? 0) - mine
            guard abs(difference) > 1e-9 else { continue }
            differences.append("\(symbol): Keel's record holds \(Self.format(mine)), the broker \(theirs?.signedQuantity.description ?? "0")")
            adjustments.append(StoredBrokerFill(fillId: "adopt-\(now)-\(symbol)", brokerOrderId: nil, clientOrderId: "\(runId)-adopt", symbol: symbol,
                                                side: difference > 0 ? "buy" : "sell", qty: abs(difference), price: theirs?.entryPrice.double ?? 0,
                                                time: now, kind: "adjustment"))
        }
        let open = Set(try client.openOrders().filter { symbols.contains($0.symbol) }.compactMap(\.clientOrderId))
        let ours = try store.brokerOrders(run: runId)
        let known = Set(ours.map(\.clientOrderId))
        for id in open.filter({ !known.contains($0) && $0.hasPrefix(runId + "-") }).sorted() {
            differences.append("the broker has an open order \(id) that Keel never placed")
        }
        for var order in ours where ["new", "partially_filled", "unknown"].contains(order.status) && !open.contains(order.clientOrderId) {
            // Filled or cancelled since it was last read: the broker's record of it settles it.
            if let found = try client.order(clientOrderId: order.clientOrderId) {
                try record(found, into: &order)
            } else {
                differences.append("Keel's order \(order.clientOrderId) is \(order.status) by its record; the broker has no such order")
            }
        }
        let details = differences.isEmpty ? "positions and open orders agree" : differences.joined(separator: "; ")
        guard !differences.isEmpty else {
            try store.recordReconciliation(run: runId, outcome: "ok", details: details, adjustments: [], now: now)
            log("reconciled with the broker: \(details)")
            return
        }
        guard adopt else {
            try store.recordReconciliation(run: runId, outcome: "refused", details: details, adjustments: [], now: now)
            throw RunnerError.mismatch("""
                refusing to trade: Keel's record and the broker disagree: \(details). Check the account; to take the broker's \
                positions as the truth, start again with --adopt-broker-state
                """)
        }
        try store.recordReconciliation(run: runId, outcome: "adopted", details: details, adjustments: adjustments, now: now)
        log("adopted the broker's state: \(details)")
    }

    static func format(_ qty: Double) -> String { qty == qty.rounded() && abs(qty) < 1e15 ? String(Int64(qty)) : String(qty) }

    // MARK: Sending

    private func send(_ order: inout BrokerIntent) throws {
        if order.cancelRequested {
            order.status = "skipped"
            order.reason = "cancelled before it was sent"
            return try save(order)
        }
        let request: NewOrder
        let side: Side = order.side == "buy" ? .buy : .sell
        switch order.kind {
        case .open:
            // Prices and sizes go as the shortest decimals that read back as the engine's doubles.
            request = NewOrder(symbol: order.symbol, side: side, quantity: Amount(order.qty), clientOrderId: order.clientOrderId,
                               stopLoss: order.stopPrice.map(Amount.init), takeProfit: order.limitPrice.map(Amount.init),
                               trailingDistance: order.trailingFraction.map { Amount($0 * 100) }, trailingType: order.trailingFraction.map { _ in .percent })
        case .close, .reduce:
            if order.kind == .close { try cancelWorking(symbol: order.symbol, before: order.clientOrderId) }
            try recordFills()
            let held = try client.position(order.symbol)?.signedQuantity.double ?? 0
            let closable = order.side == "sell" ? max(0, held) : max(0, -held)
            let qty = order.kind == .close ? closable : min(order.qty, closable)
            guard qty > 0 else {
                order.status = "skipped"
                order.reason = "nothing held at the broker to \(order.side)"
                return try save(order)
            }
            order.qty = qty
            request = NewOrder(symbol: order.symbol, side: side, quantity: Amount(qty), clientOrderId: order.clientOrderId)
        }
        order.attempts += 1
        try save(order)
        switch client.submit(request) {
        case .accepted(let placed): return try record(placed, into: &order)
        case .rejected(let body):
            order.status = "rejected"
            order.reason = "\(body.code): \(body.message)"
            try noteRejection(order)
        case .duplicate:
            // Sent before (by a process that died before it recorded the answer): find it.
            order.status = "unknown"
            order.reason = "the broker has this client order id already"
            try save(order)
            return try settle(&order)
        case .unknown(let why):
            order.status = "unknown"
            order.reason = why
            log("order \(order.clientOrderId) is unknown (\(why)); it is settled by its client order id, never sent under another")
        }
        try save(order)
    }

    /// An order without a trustworthy answer: the broker's record by client order id decides. When
    /// the broker has none, the order never arrived and is sent again, under the same id.
    private func settle(_ order: inout BrokerIntent) throws {
        if let found = try client.order(clientOrderId: order.clientOrderId) {
            try record(found, into: &order)
        } else {
            log("order \(order.clientOrderId) never reached the broker; sending it again under the same id")
            order.status = "intent"
            try send(&order)
        }
    }

    /// Takes the broker's state of an order into Keel's record.
    private func record(_ placed: Order, into order: inout BrokerIntent) throws {
        let before = order
        order.brokerOrderId = placed.id
        order.status = Self.status(placed.status)
        order.filledQty = placed.filledQuantity.double
        if order.status != before.status { order.reason = nil }
        if placed.quantity.double != order.qty, order.kind != .open { order.qty = placed.quantity.double }
        guard order != before else { return }
        if order.status == "rejected", before.status != "rejected" {
            order.reason = placed.reason ?? "refused by the broker"
            try noteRejection(order)
        }
        try save(order)
    }

    /// A refusal is final: the engine's model keeps its fill, the broker holds nothing, and the
    /// next close of the symbol finds nothing to send. Journaled as a risk event.
    private func noteRejection(_ order: BrokerIntent) throws {
        log("broker rejected \(order.clientOrderId): \(order.reason ?? "")")
        try store.recordRiskEvent(run: runId, Engine.RiskEvent(time: order.eventTime, symbol: order.symbol, kind: "broker_rejected",
                                                              reason: "\(order.clientOrderId): \(order.reason ?? "refused")"))
    }

    // MARK: Cancelling

    private func cancel(_ order: inout BrokerIntent) throws {
        guard let id = order.brokerOrderId else { return }
        if let after = try client.cancel(orderId: id) { try record(after, into: &order) } else if let now = try client.order(clientOrderId: order.clientOrderId) {
            try record(now, into: &order)
        }
    }

    /// Before a close: the symbol's entries still working and the legs of filled brackets, which
    /// would otherwise fill against a position that is gone.
    private func cancelWorking(symbol: String, before closeId: String) throws {
        let orders = try store.brokerOrders(run: runId)
        guard let end = orders.firstIndex(where: { $0.clientOrderId == closeId }) else { return }
        let lastClose = orders[..<end].lastIndex { $0.symbol == symbol && $0.kind == .close } ?? -1
        for var order in orders[(lastClose + 1)..<end] where order.symbol == symbol && order.kind == .open && order.brokerOrderId != nil {
            let bracket = order.stopPrice != nil || order.limitPrice != nil || order.trailingFraction != nil
            guard !order.isSettled || (order.status == "filled" && bracket) else { continue }
            // A filled entry stays filled; only its legs are cancelled.
            try cancel(&order)
        }
    }

    // MARK: Fills and states

    /// Pages through the broker's fills after the last one seen, and records the run's own: those
    /// of its orders and of their bracket legs (`ID-tp`, `ID-sl`).
    @discardableResult
    func recordFills() throws -> Int {
        var cursor = try store.brokerCursor(run: runId)
        var mine: Set<String>?
        var total = 0
        while true {
            let page = try client.trades(after: cursor)
            guard let last = page.last else { return total }
            let ours = try mine ?? Set(store.brokerOrders(run: runId).map(\.clientOrderId))
            mine = ours
            let fills = page.compactMap { trade -> StoredBrokerFill? in
                guard let id = trade.clientOrderId, ours.contains(Self.parentId(id)) else { return nil }
                return StoredBrokerFill(fillId: trade.id, brokerOrderId: trade.orderId, clientOrderId: id, symbol: trade.symbol,
                                        side: trade.side == .buy ? "buy" : "sell", qty: trade.quantity.double, price: trade.price.double,
                                        time: TimestampParser.parseMillisecondsOrISO(trade.timestamp) ?? clock())
            }
            let added = try store.recordBrokerFills(run: runId, fills, cursor: last.id, now: clock())
            if added > 0 { log("recorded \(added) broker fill\(added == 1 ? "" : "s")") }
            total += added
            cursor = last.id
        }
    }

    /// The order a bracket leg belongs to.
    static func parentId(_ clientOrderId: String) -> String {
        clientOrderId.hasSuffix("-tp") || clientOrderId.hasSuffix("-sl") ? String(clientOrderId.dropLast(3)) : clientOrderId
    }

    /// Working orders take the state the broker lists; those it no longer lists as open have
    /// filled or been cancelled there, and are asked for one by one.
    private func refreshWorking() throws {
        let working = try store.brokerOrders(run: runId, unsettledOnly: true).filter { $0.status == "new" || $0.status == "partially_filled" }
        guard !working.isEmpty else { return }
        let open = Dictionary(try client.openOrders().compactMap { o in o.clientOrderId.map { ($0, o) } }, uniquingKeysWith: { first, _ in first })
        for var order in working {
            guard let found = try open[order.clientOrderId] ?? client.order(clientOrderId: order.clientOrderId) else { continue }
            try record(found, into: &order)
        }
    }

    /// Keel's record keeps its own words for the broker's states.
    static func status(_ status: OrderStatus) -> String {
        switch status {
        case .pending, .open: "new"
        case .partiallyFilled: "partially_filled"
        case .filled: "filled"
        case .cancelled, .expired: "canceled"
        case .rejected: "rejected"
        }
    }

    private func save(_ order: BrokerIntent) throws { try store.updateBrokerOrder(run: runId, order, now: clock()) }
}
