/// The trading API Keel speaks to a broker, and serves over its own simulated one (`keel broker
/// serve`). Its shape follows the common retail trading APIs: JSON over HTTP, bearer-token auth,
/// orders identified by the client's own `client_order_id`, brackets and OCO, positions, fills and
/// the account. Numbers are JSON numbers: binary64, the engine's own, so nothing is rounded on the
/// way. Times are milliseconds since the epoch, UTC. The README's "The trading API" lists the routes.
package enum BrokerAPI {
    package static let version = "v2"
}

package enum OrderSide: String, Codable, Sendable { case buy, sell }

package enum OrderType: String, Codable, Sendable { case market, limit, stop }

/// `simple`: one order. `bracket`: an entry with a take-profit limit and/or a stop-loss, both armed
/// when the entry fills, each cancelling the other. `oco`: a limit and a stop that work at once,
/// the first to fill cancelling the other.
package enum OrderClass: String, Codable, Sendable { case simple, bracket, oco }

package enum OrderStatus: String, Codable, Sendable {
    /// Working: waiting for a price.
    case new
    case partiallyFilled = "partially_filled"
    case filled, canceled, rejected
    /// A bracket's leg before its entry fills.
    case held

    package var isFinal: Bool { self == .filled || self == .canceled || self == .rejected }
}

package struct TakeProfitLeg: Codable, Sendable, Equatable {
    package var limitPrice: Double
    package init(limitPrice: Double) { self.limitPrice = limitPrice }
    enum CodingKeys: String, CodingKey { case limitPrice = "limit_price" }
}

package struct StopLossLeg: Codable, Sendable, Equatable {
    package var stopPrice: Double
    package init(stopPrice: Double) { self.stopPrice = stopPrice }
    enum CodingKeys: String, CodingKey { case stopPrice = "stop_price" }
}

/// `POST /v2/orders`.
package struct OrderRequest: Codable, Sendable, Equatable {
    package var symbol: String
    package var qty: Double
    package var side: OrderSide
    package var type: OrderType
    package var limitPrice: Double?
    package var stopPrice: Double?
    /// Required, and unique per account: a second order under an id already used is refused
    /// (`duplicate_client_order_id`), so a retry can never double an order.
    package var clientOrderId: String
    package var orderClass: OrderClass?
    package var takeProfit: TakeProfitLeg?
    package var stopLoss: StopLossLeg?

    package init(symbol: String, qty: Double, side: OrderSide, type: OrderType = .market, limitPrice: Double? = nil, stopPrice: Double? = nil,
                clientOrderId: String, orderClass: OrderClass? = nil, takeProfit: TakeProfitLeg? = nil, stopLoss: StopLossLeg? = nil) {
        (self.symbol, self.qty, self.side, self.type, self.limitPrice, self.stopPrice) = (symbol, qty, side, type, limitPrice, stopPrice)
        (self.clientOrderId, self.orderClass, self.takeProfit, self.stopLoss) = (clientOrderId, orderClass, takeProfit, stopLoss)
    }

    enum CodingKeys: String, CodingKey {
        case symbol, qty, side, type
        case limitPrice = "limit_price", stopPrice = "stop_price", clientOrderId = "client_order_id", orderClass = "order_class"
        case takeProfit = "take_profit", stopLoss = "stop_loss"
    }
}

package struct BrokerOrder: Codable, Sendable, Equatable {
    package var id: String
    package var clientOrderId: String
    package var symbol: String
    package var side: OrderSide
    package var type: OrderType
    package var orderClass: OrderClass
    package var qty: Double
    package var filledQty: Double
    package var filledAvgPrice: Double?
    package var limitPrice: Double?
    package var stopPrice: Double?
    package var status: OrderStatus
    package var parentId: String?
    /// A bracket's or an OCO's other orders.
    package var legs: [BrokerOrder]?
    package var createdAt: Int64
    package var updatedAt: Int64

    package init(id: String, clientOrderId: String, symbol: String, side: OrderSide, type: OrderType, orderClass: OrderClass, qty: Double,
                filledQty: Double = 0, filledAvgPrice: Double? = nil, limitPrice: Double?, stopPrice: Double?, status: OrderStatus,
                parentId: String? = nil, legs: [BrokerOrder]? = nil, createdAt: Int64, updatedAt: Int64) {
        (self.id, self.clientOrderId, self.symbol, self.side, self.type, self.orderClass) = (id, clientOrderId, symbol, side, type, orderClass)
        (self.qty, self.filledQty, self.filledAvgPrice, self.limitPrice, self.stopPrice) = (qty, filledQty, filledAvgPrice, limitPrice, stopPrice)
        (self.status, self.parentId, self.legs, self.createdAt, self.updatedAt) = (status, parentId, legs, createdAt, updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, symbol, side, type, qty, status, legs
        case clientOrderId = "client_order_id", orderClass = "order_class", filledQty = "filled_qty", filledAvgPrice = "filled_avg_price"
        case limitPrice = "limit_price", stopPrice = "stop_price", parentId = "parent_id", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// One execution. Ids grow with time, so `GET /v2/fills?after=ID` pages through them in order.
package struct BrokerFill: Codable, Sendable, Equatable {
    package var id: String
    package var orderId: String
    package var clientOrderId: String
    package var symbol: String
    package var side: OrderSide
    package var qty: Double
    package var price: Double
    package var time: Int64

    package init(id: String, orderId: String, clientOrderId: String, symbol: String, side: OrderSide, qty: Double, price: Double, time: Int64) {
        (self.id, self.orderId, self.clientOrderId, self.symbol, self.side, self.qty, self.price, self.time) =
            (id, orderId, clientOrderId, symbol, side, qty, price, time)
    }

    enum CodingKeys: String, CodingKey {
        case id, symbol, side, qty, price, time
        case orderId = "order_id", clientOrderId = "client_order_id"
    }
}

package struct BrokerPosition: Codable, Sendable, Equatable {
    package var symbol: String
    /// Signed: below zero is short.
    package var qty: Double
    package var avgEntryPrice: Double
    package var marketPrice: Double?

    package init(symbol: String, qty: Double, avgEntryPrice: Double, marketPrice: Double?) {
        (self.symbol, self.qty, self.avgEntryPrice, self.marketPrice) = (symbol, qty, avgEntryPrice, marketPrice)
    }

    enum CodingKeys: String, CodingKey {
        case symbol, qty
        case avgEntryPrice = "avg_entry_price", marketPrice = "market_price"
    }
}

package struct BrokerAccount: Codable, Sendable, Equatable {
    package var cash: Double
    package var equity: Double
    package var status: String

    package init(cash: Double, equity: Double, status: String) { (self.cash, self.equity, self.status) = (cash, equity, status) }
}

/// Every error answer: a stable `code` and a readable `message`.
package struct BrokerErrorBody: Codable, Sendable, Equatable {
    package var code: String
    package var message: String
    package init(code: String, message: String) { (self.code, self.message) = (code, message) }
}
