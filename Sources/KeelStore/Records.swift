import Foundation

/// The store's rows as plain values. The store knows nothing of the engine: the runner maps its
/// records onto these.
public struct StoredRun: Sendable, Equatable {
    public var id: String
    public var strategyName: String
    public var strategyHash: String
    public var strategySource: String
    public var strategyPath: String?
    public var mode: String
    public var status: String
    public var capital: Double
    public var symbols: [String]
    public var barSeconds: Int?
    public var stream: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var streamOffset: Int64
    public var lastSeq: Int64
    public var summary: String?
    /// `device:inode` of the stream file, once the run has opened it; nil for other streams.
    public var streamIdentity: String?
}

public struct NewRun: Sendable {
    public var id: String
    public var strategyName: String
    public var strategyHash: String
    public var strategySource: String
    public var strategyPath: String?
    public var mode: String
    public var capital: Double
    public var symbols: [String]
    public var barSeconds: Int?
    public var stream: String
    public var now: Int64

    public init(id: String, strategyName: String, strategyHash: String, strategySource: String, strategyPath: String?, mode: String,
                capital: Double, symbols: [String], barSeconds: Int?, stream: String, now: Int64) {
        (self.id, self.strategyName, self.strategyHash, self.strategySource, self.strategyPath) = (id, strategyName, strategyHash, strategySource, strategyPath)
        (self.mode, self.capital, self.symbols, self.barSeconds, self.stream, self.now) = (mode, capital, symbols, barSeconds, stream, now)
    }
}

/// One line of the event stream and what the runner made of it.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int64
    public var kind: String
    public var symbol: String?
    public var time: Int64?
    public var line: String
    /// `accepted`, or why not: `late`, `duplicate`, `conflict`, `unknown_symbol`, `invalid`.
    public var status: String
    public var reason: String?

    public init(seq: Int64, kind: String, symbol: String?, time: Int64?, line: String, status: String, reason: String?) {
        (self.seq, self.kind, self.symbol, self.time, self.line, self.status, self.reason) = (seq, kind, symbol, time, line, status, reason)
    }
}

public struct StoredOrder: Sendable, Equatable {
    public var clientOrderId: String
    public var symbol: String
    public var side: String
    public var type: String
    public var rule: String
    public var bar: Int
    public var placedTime: Int64
    public var status: String
    public var quantity: Double?
    public var updatedTime: Int64
    public var reason: String?

    public init(clientOrderId: String, symbol: String, side: String, type: String, rule: String, bar: Int, placedTime: Int64,
                status: String, quantity: Double?, updatedTime: Int64, reason: String?) {
        (self.clientOrderId, self.symbol, self.side, self.type, self.rule, self.bar) = (clientOrderId, symbol, side, type, rule, bar)
        (self.placedTime, self.status, self.quantity, self.updatedTime, self.reason) = (placedTime, status, quantity, updatedTime, reason)
    }
}

public struct StoredFill: Sendable, Equatable {
    public var fillId: String
    public var clientOrderId: String
    public var symbol: String
    public var side: String
    public var quantity: Double
    public var price: Double
    public var fee: Double
    public var time: Int64
    public var reason: String

    public init(fillId: String, clientOrderId: String, symbol: String, side: String, quantity: Double, price: Double, fee: Double,
                time: Int64, reason: String) {
        (self.fillId, self.clientOrderId, self.symbol, self.side, self.quantity) = (fillId, clientOrderId, symbol, side, quantity)
        (self.price, self.fee, self.time, self.reason) = (price, fee, time, reason)
    }
}

public struct StoredTrade: Sendable, Equatable {
    public var symbol: String
    public var side: String
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    public var quantity: Double
    public var pnl: Double
    public var fees: Double
    public var exitReason: String

    public init(symbol: String, side: String, entryTime: Int64, entryPrice: Double, exitTime: Int64, exitPrice: Double, quantity: Double,
                pnl: Double, fees: Double, exitReason: String) {
        (self.symbol, self.side, self.entryTime, self.entryPrice, self.exitTime) = (symbol, side, entryTime, entryPrice, exitTime)
        (self.exitPrice, self.quantity, self.pnl, self.fees, self.exitReason) = (exitPrice, quantity, pnl, fees, exitReason)
    }
}

public struct StoredPosition: Sendable, Equatable {
    public var symbol: String
    public var side: String
    public var quantity: Double
    public var entryTime: Int64
    public var entryPrice: Double
    public var markTime: Int64
    public var markPrice: Double
    public var unrealizedPnl: Double

    public init(symbol: String, side: String, quantity: Double, entryTime: Int64, entryPrice: Double, markTime: Int64, markPrice: Double,
                unrealizedPnl: Double) {
        (self.symbol, self.side, self.quantity, self.entryTime, self.entryPrice) = (symbol, side, quantity, entryTime, entryPrice)
        (self.markTime, self.markPrice, self.unrealizedPnl) = (markTime, markPrice, unrealizedPnl)
    }
}

public struct StoredRiskEvent: Sendable, Equatable {
    public var time: Int64
    public var symbol: String
    public var kind: String
    public var reason: String

    public init(time: Int64, symbol: String, kind: String, reason: String) {
        (self.time, self.symbol, self.kind, self.reason) = (time, symbol, kind, reason)
    }
}

public struct StoredDecision: Sendable, Equatable {
    public var time: Int64
    public var symbol: String
    public var action: String
    public var side: String
    public var rule: String
    /// The values the rule read, as a JSON object.
    public var readings: String

    public init(time: Int64, symbol: String, action: String, side: String, rule: String, readings: String) {
        (self.time, self.symbol, self.action, self.side, self.rule, self.readings) = (time, symbol, action, side, rule, readings)
    }
}

/// A change to an order: placed, or a later status (filled, cancelled, rejected, unknown).
public enum OrderChange: Sendable, Equatable {
    case placed(StoredOrder)
    case status(clientOrderId: String, status: String, quantity: Double?, time: Int64, reason: String?)
}

/// Everything one step of the runner wrote: committed in one transaction, so a crash leaves the
/// store before it or after it, never in between.
public struct Batch: Sendable {
    public var events: [StoredEvent] = []
    public var orders: [OrderChange] = []
    public var fills: [StoredFill] = []
    public var trades: [StoredTrade] = []
    public var decisions: [StoredDecision] = []
    public var riskEvents: [StoredRiskEvent] = []
    public var equity: [(time: Int64, equity: Double)] = []
    /// The open positions after the batch; nil leaves the stored ones as they are.
    public var positions: [StoredPosition]?
    public var summary: String?
    public var streamOffset: Int64?
    public var status: String?
    /// Control requests applied in this batch, with the seq of the event that journaled each.
    public var appliedControls: [(id: Int64, seq: Int64)] = []
    /// A live run's orders for its broker, committed as intents before they are sent.
    public var brokerIntents: [BrokerIntent] = []
    /// A live run's orders to cancel at the broker (entries a halt or the kill switch cancelled).
    public var brokerCancels: [String] = []

    public init() {}

    public var isEmpty: Bool {
        events.isEmpty && orders.isEmpty && fills.isEmpty && trades.isEmpty && decisions.isEmpty && riskEvents.isEmpty
            && equity.isEmpty && positions == nil && summary == nil && streamOffset == nil && status == nil && appliedControls.isEmpty
            && brokerIntents.isEmpty && brokerCancels.isEmpty
    }
}

/// An operator's request to a run, waiting for the runner.
public struct ControlRequest: Sendable, Equatable {
    public var id: Int64
    public var action: String
    public var reason: String?
    /// The symbol of a `close`, the profile of a `risk_profile`.
    public var argument: String?
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

extension StoredTrade: Encodable {
    enum CodingKeys: String, CodingKey {
        case symbol, side, quantity, pnl, fees
        case entryTime = "entry_time", entryPrice = "entry_price", exitTime = "exit_time", exitPrice = "exit_price", exitReason = "exit_reason"
    }
}

extension StoredPosition: Encodable {
    enum CodingKeys: String, CodingKey {
        case symbol, side, quantity
        case entryTime = "entry_time", entryPrice = "entry_price", markTime = "mark_time", markPrice = "mark_price", unrealizedPnl = "unrealized_pnl"
    }
}

extension StoredRiskEvent: Encodable {}

extension StoredDecision: Encodable {
    enum CodingKeys: String, CodingKey { case time, symbol, action, side, rule, readings }

    /// The readings are stored as a JSON object of numbers and answered as one.
    public func encode(to encoder: Encoder) throws {
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
