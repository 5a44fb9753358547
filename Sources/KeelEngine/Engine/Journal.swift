import KeelLanguage

/// The rule behind an order: with the symbol and the bar it makes the order's identity, from
/// which the runner derives a client order id that a retry or a replay reproduces exactly.
package enum OrderRule: Sendable, Hashable, CustomStringConvertible {
    case entry(Side), exit(Side)
    /// The symbol fell out of the rank's top N.
    case rank
    case timeStop, killSwitch, stopLoss, trailingStop
    /// Closed at once by the operator or at shutdown.
    case flatten
    /// A step of the take-profit ladder, from 1.
    case takeProfit(Int)
    /// An operator's order (the service's `POST /v1/orders`), and a step of its stop-loss ladder.
    case manual(Side)
    case stopLossStep(Int)

    package var description: String {
        switch self {
        case .entry(let side): "entry.\(side.rawValue)"
        case .exit(let side): "exit.\(side.rawValue)"
        case .rank: "rank"
        case .timeStop: "time_stop"
        case .killSwitch: "kill_switch"
        case .flatten: "flatten"
        case .stopLoss: "stop_loss"
        case .trailingStop: "trailing_stop"
        case .takeProfit(let step): "take_profit.\(step)"
        case .manual(let side): "manual.\(side.rawValue)"
        case .stopLossStep(let step): "stop_loss.\(step)"
        }
    }
}

/// One order: placed at the close of bar `bar` of `symbol` (a market order), or a protective
/// order that filled during that bar.
package struct OrderTicket: Sendable, Hashable {
    package var symbol: Int
    /// The symbol's bar index (from 0).
    package var bar: Int
    package var rule: OrderRule
    package var buying: Bool
}

/// A fill: `reason` is `entry` or the exit reason of the trade it closes.
package struct Execution: Sendable, Equatable {
    package var order: OrderTicket
    package var time: Int64
    package var quantity: Double
    package var price: Double
    package var fee: Double
    package var reason: String
}

/// What the engine did with orders, in the order it happened. The runner stores it after every
/// time step; a backtest does not keep it (`Engine.Options.journal`).
package enum JournalEntry: Sendable, Equatable {
    /// A market order placed at a close. An entry's quantity is sized again at its fill; `quantity`
    /// is its size at the close, what a live run sends to its broker. An exit's is the position's.
    case placed(OrderTicket, time: Int64, quantity: Double)
    case filled(Execution)
    /// An order that will not fill: an entry the kill switch or a halt cancelled, or one too small to size.
    case cancelled(OrderTicket, time: Int64, reason: String)
}
