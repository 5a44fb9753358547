import Foundation
import KeelData

/// The broker-neutral trading API Keel speaks to a broker and serves over its simulated one
/// (`keel broker serve`): JSON over HTTP with bearer auth; prices, quantities and money as decimal
/// strings (`Amount`); times ISO-8601 with milliseconds, UTC; errors `{code, message, details}`.
/// docs/trading-api.md is its reference.
package enum TradingAPI {
    /// Fields a venue may take that the paper exchange cannot honour: refused with 400, never ignored.
    package static let unsupportedFields = ["hidden", "display_quantity", "margin_mode", "position_id"]
    package static let currency = "USD"
}

package enum Side: String, Codable, Sendable, CaseIterable {
    case buy = "BUY", sell = "SELL"

    package var opposite: Side { self == .buy ? .sell : .buy }
    package var sign: Decimal { self == .buy ? 1 : -1 }
}

package enum OrderType: String, Codable, Sendable, CaseIterable {
    case market = "MARKET", limit = "LIMIT", stop = "STOP", stopLimit = "STOP_LIMIT", trailingStop = "TRAILING_STOP"

    /// Triggered by a stop price: fills first when a stop and a target of one group are both reached in a bar.
    package var isStop: Bool { self == .stop || self == .stopLimit || self == .trailingStop }
}

package enum TimeInForce: String, Codable, Sendable, CaseIterable {
    /// Good till cancelled (the default); `DAY` expires at the end of its UTC day; `IOC` fills what
    /// the next bar gives and cancels the rest; `FOK` fills whole on the next bar or not at all.
    case gtc = "GTC", day = "DAY", ioc = "IOC", fok = "FOK"
}

package enum TrailingType: String, Codable, Sendable, CaseIterable { case absolute = "ABSOLUTE", percent = "PERCENT" }

package enum OrderStatus: String, Codable, Sendable, CaseIterable {
    /// Accepted; not yet seen a bar of its symbol.
    case pending = "PENDING"
    /// Working on the book.
    case open = "OPEN"
    case partiallyFilled = "PARTIALLY_FILLED"
    case filled = "FILLED", cancelled = "CANCELLED", rejected = "REJECTED", expired = "EXPIRED"

    package var isFinal: Bool { self == .filled || self == .cancelled || self == .rejected || self == .expired }
}

/// A field of a request body that is missing, malformed, unknown or unsupported: a 400 that names it.
package struct FieldError: Error, Sendable, Equatable {
    package var field: String
    package var message: String
    /// `UNSUPPORTED_FIELD` (a real venue's field this exchange cannot honour) or `INVALID_FIELD`.
    package var code: String

    package init(_ field: String, _ message: String, code: String = "INVALID_FIELD") { (self.field, self.message, self.code) = (field, message, code) }
}

/// Refuses keys a body does not define, naming them: a misspelt `limit_prise` is an error, not an order without a limit.
enum Keys {
    static func refuseUnknown(_ decoder: Decoder, known: [String]) throws {
        let present = try JSONKey.keys(of: decoder)
        if let field = present.first(where: TradingAPI.unsupportedFields.contains) {
            throw FieldError(field, "'\(field)' is not supported by this broker (see GET /capabilities, unsupported_fields)", code: "UNSUPPORTED_FIELD")
        }
        if let field = present.first(where: { !known.contains($0) }) {
            throw FieldError(field, "'\(field.prefix(60))' is not a field of this request; the fields are \(known.joined(separator: ", "))")
        }
    }
}

extension KeyedDecodingContainer {
    /// A field decoded, or a `FieldError` naming it with what was wrong.
    func field<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        do { return try decodeIfPresent(type, forKey: key) } catch let error as DecodingError {
            let why: String
            switch error {
            case .dataCorrupted(let context): why = context.debugDescription
            case .typeMismatch, .valueNotFound: why = "has the wrong type; expected \(Self.expected(type))"
            default: why = "is not valid"
            }
            throw FieldError(key.stringValue, "\(key.stringValue) \(why.hasPrefix("has") ? why : "is invalid: " + why)")
        }
    }

    private static func expected<T>(_ type: T.Type) -> String {
        switch type {
        case is Amount.Type: "a decimal string"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "one of its listed values"
        }
    }

    func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        guard contains(key) else { throw FieldError(key.stringValue, "\(key.stringValue) is required") }
        do { return try decode(type, forKey: key) } catch is DecodingError {
            _ = try field(type, key)
            throw FieldError(key.stringValue, "\(key.stringValue) is invalid")
        }
    }
}

/// `POST /orders`.
package struct NewOrder: Codable, Sendable, Equatable {
    package var symbol: String
    package var side: Side
    package var quantity: Amount
    package var orderType: OrderType = .market
    package var limitPrice: Amount?
    package var stopPrice: Amount?
    package var timeInForce: TimeInForce = .gtc
    /// Idempotent: the same order sent again under its id answers the order there is; another order under it is 409.
    package var clientOrderId: String?
    /// A bracket: a stop-loss and/or take-profit order armed, reduce-only and one-cancels-other,
    /// for what the entry fills. With `trailing_distance` on an entry, the stop-loss leg trails.
    package var stopLoss: Amount?
    package var takeProfit: Amount?
    package var reduceOnly = false
    package var postOnly = false
    package var ocoGroupId: String?
    package var trailingDistance: Amount?
    package var trailingType: TrailingType?
    package var leverage: Amount?

    package init(symbol: String, side: Side, quantity: Amount, orderType: OrderType = .market, limitPrice: Amount? = nil, stopPrice: Amount? = nil,
                timeInForce: TimeInForce = .gtc, clientOrderId: String? = nil, stopLoss: Amount? = nil, takeProfit: Amount? = nil,
                reduceOnly: Bool = false, postOnly: Bool = false, ocoGroupId: String? = nil, trailingDistance: Amount? = nil,
                trailingType: TrailingType? = nil, leverage: Amount? = nil) {
        (self.symbol, self.side, self.quantity, self.orderType, self.limitPrice, self.stopPrice) = (symbol, side, quantity, orderType, limitPrice, stopPrice)
        (self.timeInForce, self.clientOrderId, self.stopLoss, self.takeProfit) = (timeInForce, clientOrderId, stopLoss, takeProfit)
        (self.reduceOnly, self.postOnly, self.ocoGroupId, self.trailingDistance, self.trailingType, self.leverage) =
            (reduceOnly, postOnly, ocoGroupId, trailingDistance, trailingType, leverage)
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case symbol, side, quantity, leverage
        case orderType = "order_type", limitPrice = "limit_price", stopPrice = "stop_price", timeInForce = "time_in_force",
             clientOrderId = "client_order_id", stopLoss = "stop_loss", takeProfit = "take_profit", reduceOnly = "reduce_only",
             postOnly = "post_only", ocoGroupId = "oco_group_id", trailingDistance = "trailing_distance", trailingType = "trailing_type"
    }

    package init(from decoder: Decoder) throws {
        try Keys.refuseUnknown(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try c.required(String.self, .symbol)
        side = try c.required(Side.self, .side)
        quantity = try c.required(Amount.self, .quantity)
        orderType = try c.field(OrderType.self, .orderType) ?? .market
        limitPrice = try c.field(Amount.self, .limitPrice)
        stopPrice = try c.field(Amount.self, .stopPrice)
        timeInForce = try c.field(TimeInForce.self, .timeInForce) ?? .gtc
        clientOrderId = try c.field(String.self, .clientOrderId)
        stopLoss = try c.field(Amount.self, .stopLoss)
        takeProfit = try c.field(Amount.self, .takeProfit)
        reduceOnly = try c.field(Bool.self, .reduceOnly) ?? false
        postOnly = try c.field(Bool.self, .postOnly) ?? false
        ocoGroupId = try c.field(String.self, .ocoGroupId)
        trailingDistance = try c.field(Amount.self, .trailingDistance)
        trailingType = try c.field(TrailingType.self, .trailingType)
        leverage = try c.field(Amount.self, .leverage)
    }
}

/// `PATCH /orders/{id}`: what may change while an order works.
package struct OrderChange: Codable, Sendable, Equatable {
    package var quantity: Amount?
    package var limitPrice: Amount?
    package var stopPrice: Amount?
    package var stopLoss: Amount?
    package var takeProfit: Amount?
    package var trailingDistance: Amount?

    package init(quantity: Amount? = nil, limitPrice: Amount? = nil, stopPrice: Amount? = nil, stopLoss: Amount? = nil, takeProfit: Amount? = nil,
                trailingDistance: Amount? = nil) {
        (self.quantity, self.limitPrice, self.stopPrice, self.stopLoss, self.takeProfit, self.trailingDistance) =
            (quantity, limitPrice, stopPrice, stopLoss, takeProfit, trailingDistance)
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case quantity
        case limitPrice = "limit_price", stopPrice = "stop_price", stopLoss = "stop_loss", takeProfit = "take_profit", trailingDistance = "trailing_distance"
    }

    package init(from decoder: Decoder) throws {
        try Keys.refuseUnknown(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        quantity = try c.field(Amount.self, .quantity)
        limitPrice = try c.field(Amount.self, .limitPrice)
        stopPrice = try c.field(Amount.self, .stopPrice)
        stopLoss = try c.field(Amount.self, .stopLoss)
        takeProfit = try c.field(Amount.self, .takeProfit)
        trailingDistance = try c.field(Amount.self, .trailingDistance)
        guard quantity != nil || limitPrice != nil || stopPrice != nil || stopLoss != nil || takeProfit != nil || trailingDistance != nil else {
            throw FieldError("body", "name at least one of \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }
}

/// `DELETE /positions/{id}`'s optional body.
package struct PositionClose: Codable, Sendable, Equatable {
    /// Part of the position; all of it when absent.
    package var quantity: Amount?
    /// `MARKET` (the default) or `LIMIT`.
    package var orderType: OrderType = .market
    package var limitPrice: Amount?
    /// Cancels the symbol's working orders first (the default), so no stop fills against a position that is gone.
    package var cancelAssociatedOrders = true

    package init(quantity: Amount? = nil, orderType: OrderType = .market, limitPrice: Amount? = nil, cancelAssociatedOrders: Bool = true) {
        (self.quantity, self.orderType, self.limitPrice, self.cancelAssociatedOrders) = (quantity, orderType, limitPrice, cancelAssociatedOrders)
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case quantity
        case orderType = "order_type", limitPrice = "limit_price", cancelAssociatedOrders = "cancel_associated_orders"
    }

    package init(from decoder: Decoder) throws {
        try Keys.refuseUnknown(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        quantity = try c.field(Amount.self, .quantity)
        orderType = try c.field(OrderType.self, .orderType) ?? .market
        limitPrice = try c.field(Amount.self, .limitPrice)
        cancelAssociatedOrders = try c.field(Bool.self, .cancelAssociatedOrders) ?? true
        guard orderType == .market || orderType == .limit else { throw FieldError("order_type", "a position closes with MARKET or LIMIT") }
        guard (orderType == .limit) == (limitPrice != nil) else { throw FieldError("limit_price", "limit_price goes with order_type LIMIT, and only with it") }
    }
}

package struct Order: Codable, Sendable, Equatable {
    package var id: String
    package var clientOrderId: String?
    package var symbol: String
    package var side: Side
    package var orderType: OrderType
    package var quantity: Amount
    package var filledQuantity: Amount
    package var averageFillPrice: Amount?
    package var limitPrice: Amount?
    package var stopPrice: Amount?
    package var timeInForce: TimeInForce
    package var status: OrderStatus
    package var stopLoss: Amount?
    package var takeProfit: Amount?
    package var reduceOnly: Bool
    package var postOnly: Bool
    package var ocoGroupId: String?
    package var trailingDistance: Amount?
    package var trailingType: TrailingType?
    package var leverage: Amount?
    /// A bracket leg's entry.
    package var parentOrderId: String?
    /// Why it was rejected, cancelled or expired by the exchange.
    package var reason: String?
    package var createdAt: String
    package var updatedAt: String

    package enum CodingKeys: String, CodingKey {
        case id, symbol, side, quantity, status, leverage, reason
        case clientOrderId = "client_order_id", orderType = "order_type", filledQuantity = "filled_quantity", averageFillPrice = "average_fill_price",
             limitPrice = "limit_price", stopPrice = "stop_price", timeInForce = "time_in_force", stopLoss = "stop_loss", takeProfit = "take_profit",
             reduceOnly = "reduce_only", postOnly = "post_only", ocoGroupId = "oco_group_id", trailingDistance = "trailing_distance",
             trailingType = "trailing_type", parentOrderId = "parent_order_id", createdAt = "created_at", updatedAt = "updated_at"
    }
}

package enum PositionSide: String, Codable, Sendable, CaseIterable { case long = "LONG", short = "SHORT" }

package struct Position: Codable, Sendable, Equatable {
    package var id: String
    package var symbol: String
    package var side: PositionSide
    package var quantity: Amount
    package var entryPrice: Amount
    package var currentPrice: Amount
    package var unrealizedPnl: Amount
    package var realizedPnl: Amount
    package var leverage: Amount
    package var openedAt: String
    package var updatedAt: String

    /// Signed: below zero is short.
    package var signedQuantity: Amount { side == .long ? quantity : -quantity }

    package enum CodingKeys: String, CodingKey {
        case id, symbol, side, quantity, leverage
        case entryPrice = "entry_price", currentPrice = "current_price", unrealizedPnl = "unrealized_pnl", realizedPnl = "realized_pnl",
             openedAt = "opened_at", updatedAt = "updated_at"
    }
}

/// One execution. Ids grow with time: `GET /trades?order=asc&after=ID` pages through them in order.
package struct Trade: Codable, Sendable, Equatable {
    package var id: String
    package var orderId: String
    package var clientOrderId: String?
    package var symbol: String
    package var side: Side
    package var quantity: Amount
    package var price: Amount
    package var commission: Amount
    package var commissionCurrency: String
    /// A resting limit order that filled at its own price added liquidity; everything else took it.
    package var isMaker: Bool
    package var timestamp: String

    package enum CodingKeys: String, CodingKey {
        case id, symbol, side, quantity, price, commission, timestamp
        case orderId = "order_id", clientOrderId = "client_order_id", commissionCurrency = "commission_currency", isMaker = "is_maker"
    }
}

package struct Account: Codable, Sendable, Equatable {
    /// Cash.
    package var balance: Amount
    package var equity: Amount
    package var marginUsed: Amount
    package var marginAvailable: Amount
    package var unrealizedPnl: Amount
    package var realizedPnl: Amount
    package var currency: String

    package enum CodingKeys: String, CodingKey {
        case balance, equity, currency
        case marginUsed = "margin_used", marginAvailable = "margin_available", unrealizedPnl = "unrealized_pnl", realizedPnl = "realized_pnl"
    }
}

/// Every error answer.
package struct APIError: Codable, Sendable, Equatable, Error {
    package var code: String
    package var message: String
    package var details: [String: String]

    package init(code: String, message: String, details: [String: String] = [:]) { (self.code, self.message, self.details) = (code, message, details) }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
        details = (try? c.decodeIfPresent([String: String].self, forKey: .details)) ?? [:]
    }
}

/// `DELETE /orders/{id}`.
package struct Cancellation: Codable, Sendable, Equatable {
    package var success: Bool
    package var order: Order

    package init(success: Bool, order: Order) { (self.success, self.order) = (success, order) }
}

/// `DELETE /orders`.
package struct BulkCancellation: Codable, Sendable, Equatable {
    package var cancelledCount: Int
    package var failedCount: Int
    package var failedOrderIds: [String]

    package enum CodingKeys: String, CodingKey {
        case cancelledCount = "cancelled_count", failedCount = "failed_count", failedOrderIds = "failed_order_ids"
    }
}

/// `DELETE /positions`: the closing orders placed.
package struct BulkClose: Codable, Sendable, Equatable {
    package var closedCount: Int
    package var orders: [Order]

    package enum CodingKeys: String, CodingKey { case orders, closedCount = "closed_count" }
}

/// ISO-8601 with milliseconds, UTC: the API's one time format.
package func isoTime(_ milliseconds: Int64) -> String { TimestampParser.formatWithMilliseconds(milliseconds) }
