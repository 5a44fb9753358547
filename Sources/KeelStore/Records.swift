import Foundation
import KeelEngine

/// The store's rows as plain values. Trades, risk events and open positions are the engine's own
/// records (`Trade`, `Engine.RiskEvent`, `BacktestResult.OpenPosition`), stored as they are.
/// What a run is asked to do: its strategy, mode, capital, universe, bar size and stream. Written
/// when the run is created; a stored run holds it and reads its fields through it.
package struct RunPlan: Sendable, Equatable {
    package var id: String
    package var strategyName: String
    package var strategyHash: String
    package var strategySource: String
    package var strategyPath: String?
    package var mode: String
    package var capital: Double
    package var symbols: [String]
    package var barSeconds: Int?
    package var stream: String

    package init(id: String, strategyName: String, strategyHash: String, strategySource: String, strategyPath: String?, mode: String,
                capital: Double, symbols: [String], barSeconds: Int?, stream: String) {
        (self.id, self.strategyName, self.strategyHash, self.strategySource, self.strategyPath) = (id, strategyName, strategyHash, strategySource, strategyPath)
        (self.mode, self.capital, self.symbols, self.barSeconds, self.stream) = (mode, capital, symbols, barSeconds, stream)
    }
}

/// A run as the store holds it: its plan, and where it stands.
@dynamicMemberLookup
package struct StoredRun: Sendable, Equatable {
    package var plan: RunPlan
    package var status: String
    package var createdAt: Int64
    package var updatedAt: Int64
    package var streamOffset: Int64
    package var lastSeq: Int64
    package var summary: String?
    /// `device:inode` of the stream file, once the run has opened it; nil for other streams.
    package var streamIdentity: String?

    package subscript<Value>(dynamicMember field: WritableKeyPath<RunPlan, Value>) -> Value {
        get { plan[keyPath: field] }
        set { plan[keyPath: field] = newValue }
    }
}

/// One line of the event stream and what the runner made of it.
package struct StoredEvent: Sendable, Equatable {
    package var seq: Int64
    package var kind: String
    package var symbol: String?
    package var time: Int64?
    package var line: String
    /// `accepted`, or why not: `late`, `duplicate`, `conflict`, `unknown_symbol`, `invalid`.
    package var status: String
    package var reason: String?

    package init(seq: Int64, kind: String, symbol: String?, time: Int64?, line: String, status: String, reason: String?) {
        (self.seq, self.kind, self.symbol, self.time, self.line, self.status, self.reason) = (seq, kind, symbol, time, line, status, reason)
    }
}

package struct StoredOrder: Sendable, Equatable {
    package var clientOrderId: String
    package var symbol: String
    package var side: String
    package var type: String
    package var rule: String
    package var bar: Int
    package var placedTime: Int64
    package var status: String
    package var quantity: Double?
    package var updatedTime: Int64
    package var reason: String?

    package init(clientOrderId: String, symbol: String, side: String, type: String, rule: String, bar: Int, placedTime: Int64,
                status: String, quantity: Double?, updatedTime: Int64, reason: String?) {
        (self.clientOrderId, self.symbol, self.side, self.type, self.rule, self.bar) = (clientOrderId, symbol, side, type, rule, bar)
        (self.placedTime, self.status, self.quantity, self.updatedTime, self.reason) = (placedTime, status, quantity, updatedTime, reason)
    }
}

package struct StoredFill: Sendable, Equatable {
    package var fillId: String
    package var clientOrderId: String
    package var symbol: String
    package var side: String
    package var quantity: Double
    package var price: Double
    package var fee: Double
    package var time: Int64
    package var reason: String

    package init(fillId: String, clientOrderId: String, symbol: String, side: String, quantity: Double, price: Double, fee: Double,
                time: Int64, reason: String) {
        (self.fillId, self.clientOrderId, self.symbol, self.side, self.quantity) = (fillId, clientOrderId, symbol, side, quantity)
        (self.price, self.fee, self.time, self.reason) = (price, fee, time, reason)
    }
}

package struct StoredDecision: Sendable, Equatable {
    package var time: Int64
    package var symbol: String
    package var action: String
    package var side: String
    package var rule: String
    /// The values the rule read, as a JSON object.
    package var readings: String

    package init(time: Int64, symbol: String, action: String, side: String, rule: String, readings: String) {
        (self.time, self.symbol, self.action, self.side, self.rule, self.readings) = (time, symbol, action, side, rule, readings)
    }
}

/// A change to an order: placed, or a later status (filled, cancelled, rejected, unknown).
package enum OrderChange: Sendable, Equatable {
    case placed(StoredOrder)
    case status(clientOrderId: String, status: String, quantity: Double?, time: Int64, reason: String?)
}

/// Everything one step of the runner wrote: committed in one transaction, so a crash leaves the
/// store before it or after it, never in between.
package struct Batch: Sendable {
    package var events: [StoredEvent] = []
    package var orders: [OrderChange] = []
    package var fills: [StoredFill] = []
    package var trades: [Trade] = []
    package var decisions: [StoredDecision] = []
    package var riskEvents: [Engine.RiskEvent] = []
    package var equity: [(time: Int64, equity: Double)] = []
    /// The open positions after the batch; nil leaves the stored ones as they are.
    package var positions: [BacktestResult.OpenPosition]?
    package var summary: String?
    package var streamOffset: Int64?
    package var status: String?
    /// Control requests applied in this batch, with the seq of the event that journaled each.
    package var appliedControls: [(id: Int64, seq: Int64)] = []
    /// A live run's orders for its broker, committed as intents before they are sent.
    package var brokerIntents: [BrokerIntent] = []
    /// A live run's orders to cancel at the broker (entries a halt or the kill switch cancelled).
    package var brokerCancels: [String] = []

    package init() {}

    package var isEmpty: Bool {
        events.isEmpty && orders.isEmpty && fills.isEmpty && trades.isEmpty && decisions.isEmpty && riskEvents.isEmpty
            && equity.isEmpty && positions == nil && summary == nil && streamOffset == nil && status == nil && appliedControls.isEmpty
            && brokerIntents.isEmpty && brokerCancels.isEmpty
    }
}

/// An operator's request to a run, waiting for the runner.
package struct ControlRequest: Sendable, Equatable {
    package var id: Int64
    package var action: String
    package var reason: String?
    /// The symbol of a `close`, the profile of a `risk_profile`.
    package var argument: String?
}

// MARK: - JSON, as the service answers and pushes them (snake_case, times in ms since the epoch)

extension StoredOrder: Encodable {
    enum CodingKeys: String, CodingKey {
        case symbol, side, type, rule, bar, status, quantity, reason
        case clientOrderId = "client_order_id", placedTime = "placed_time", updatedTime = "updated_time"
    }
}

extension StoredFill: Encodable {
    enum CodingKeys: String, CodingKey {
        case symbol, side, quantity, price, fee, time, reason
        case fillId = "fill_id", clientOrderId = "client_order_id"
    }
}

extension StoredDecision: Encodable {
    enum CodingKeys: String, CodingKey { case time, symbol, action, side, rule, readings }

    /// The readings are stored as a JSON object of numbers and answered as one.
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(symbol, forKey: .symbol)
        try c.encode(action, forKey: .action)
        try c.encode(side, forKey: .side)
        try c.encode(rule, forKey: .rule)
        let values = (try? JSONDecoder().decode([String: Double?].self, from: Data(readings.utf8))) ?? [:]
        try c.encode(values, forKey: .readings)
    }
}
