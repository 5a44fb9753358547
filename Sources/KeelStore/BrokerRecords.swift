/// A live run's order at its broker, from the intent committed before it is sent to its last
/// known state there.
public struct BrokerIntent: Sendable, Equatable {
    public enum Kind: String, Sendable { case open, close, reduce }

    public var clientOrderId: String
    public var kind: Kind
    public var symbol: String
    public var side: String
    public var qty: Double
    /// A bracket's legs: the stop-loss and the take-profit, when the strategy's levels are fixed.
    public var stopPrice: Double?
    public var limitPrice: Double?
    /// `intent` until the broker answers; `unknown` while no answer can be trusted.
    public var status: String
    public var brokerOrderId: String?
    public var filledQty: Double
    public var cancelRequested: Bool
    public var attempts: Int
    public var reason: String?
    /// The stream time of the event that placed it.
    public var eventTime: Int64

    public init(clientOrderId: String, kind: Kind, symbol: String, side: String, qty: Double, stopPrice: Double? = nil, limitPrice: Double? = nil,
                status: String = "intent", brokerOrderId: String? = nil, filledQty: Double = 0, cancelRequested: Bool = false, attempts: Int = 0,
                reason: String? = nil, eventTime: Int64) {
        (self.clientOrderId, self.kind, self.symbol, self.side, self.qty) = (clientOrderId, kind, symbol, side, qty)
        (self.stopPrice, self.limitPrice, self.status, self.brokerOrderId, self.filledQty) = (stopPrice, limitPrice, status, brokerOrderId, filledQty)
        (self.cancelRequested, self.attempts, self.reason, self.eventTime) = (cancelRequested, attempts, reason, eventTime)
    }

    /// No longer working at the broker, or never to be sent.
    public var isSettled: Bool { ["filled", "canceled", "rejected", "skipped"].contains(status) }
}

/// One execution at the broker, or an adjustment adopted at a reconciliation.
public struct StoredBrokerFill: Sendable, Equatable {
    public var fillId: String
    public var brokerOrderId: String?
    public var clientOrderId: String
    public var symbol: String
    public var side: String
    public var qty: Double
    public var price: Double
    public var time: Int64
    public var kind: String

    public init(fillId: String, brokerOrderId: String?, clientOrderId: String, symbol: String, side: String, qty: Double, price: Double,
                time: Int64, kind: String = "fill") {
        (self.fillId, self.brokerOrderId, self.clientOrderId, self.symbol, self.side) = (fillId, brokerOrderId, clientOrderId, symbol, side)
        (self.qty, self.price, self.time, self.kind) = (qty, price, time, kind)
    }

    public var signedQty: Double { side == "buy" ? qty : -qty }
}
