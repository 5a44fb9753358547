/// A live run's order at its broker, from the intent committed before it is sent to its last
/// known state there.
package struct BrokerIntent: Sendable, Equatable {
    package enum Kind: String, Sendable { case open, close, reduce }

    package var clientOrderId: String
    package var kind: Kind
    package var symbol: String
    package var side: String
    package var qty: Double
    /// A bracket's legs: the stop-loss and the take-profit, when the strategy's levels are fixed.
    package var stopPrice: Double?
    package var limitPrice: Double?
    /// The stop-loss leg trails the price by this fraction instead (a trailing percent stop).
    package var trailingFraction: Double?
    /// `intent` until the broker answers; `unknown` while no answer can be trusted.
    package var status: String
    package var brokerOrderId: String?
    package var filledQty: Double
    package var cancelRequested: Bool
    package var attempts: Int
    package var reason: String?
    /// The stream time of the event that placed it.
    package var eventTime: Int64

    package init(clientOrderId: String, kind: Kind, symbol: String, side: String, qty: Double, stopPrice: Double? = nil, limitPrice: Double? = nil,
                status: String = "intent", brokerOrderId: String? = nil, filledQty: Double = 0, cancelRequested: Bool = false, attempts: Int = 0,
                reason: String? = nil, eventTime: Int64, trailingFraction: Double? = nil) {
        (self.clientOrderId, self.kind, self.symbol, self.side, self.qty) = (clientOrderId, kind, symbol, side, qty)
        (self.stopPrice, self.limitPrice, self.status, self.brokerOrderId, self.filledQty) = (stopPrice, limitPrice, status, brokerOrderId, filledQty)
        (self.cancelRequested, self.attempts, self.reason, self.eventTime) = (cancelRequested, attempts, reason, eventTime)
        self.trailingFraction = trailingFraction
    }

    /// No longer working at the broker, or never to be sent.
    package var isSettled: Bool { ["filled", "canceled", "rejected", "skipped"].contains(status) }
}

/// One execution at the broker, or an adjustment adopted at a reconciliation.
package struct StoredBrokerFill: Sendable, Equatable {
    package var fillId: String
    package var brokerOrderId: String?
    package var clientOrderId: String
    package var symbol: String
    package var side: String
    package var qty: Double
    package var price: Double
    package var time: Int64
    package var kind: String

    package init(fillId: String, brokerOrderId: String?, clientOrderId: String, symbol: String, side: String, qty: Double, price: Double,
                time: Int64, kind: String = "fill") {
        (self.fillId, self.brokerOrderId, self.clientOrderId, self.symbol, self.side) = (fillId, brokerOrderId, clientOrderId, symbol, side)
        (self.qty, self.price, self.time, self.kind) = (qty, price, time, kind)
    }

    package var signedQty: Double { side == "buy" ? qty : -qty }
}
