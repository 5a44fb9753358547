import KeelLanguage

/// Why a position (or part of one) was closed.
public enum ExitReason: String, Sendable, Codable {
    case signal, stopLoss = "stop_loss", takeProfit = "take_profit", trailingStop = "trailing_stop"
    case timeStop = "time_stop", killSwitch = "kill_switch"
    /// Closed by the operator or at shutdown (`keel runs flatten`, `keel run --flatten-on-exit`).
    case flatten
}

/// A closed trade (or a partial close of a position by a take-profit step). Its JSON (the
/// service's answers and events) has snake_case keys and times in milliseconds since the epoch.
public struct Trade: Sendable, Equatable, Encodable {
    public var symbol: String
    public var side: Side
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    public var quantity: Double
    /// Net of the fees of both sides (the entry fee pro rata for a partial close).
    public var pnl: Double
    public var fees: Double
    public var exitReason: ExitReason

    public init(symbol: String, side: Side, entryTime: Int64, entryPrice: Double, exitTime: Int64, exitPrice: Double, quantity: Double,
                pnl: Double, fees: Double, exitReason: ExitReason) {
        (self.symbol, self.side, self.entryTime, self.entryPrice, self.exitTime) = (symbol, side, entryTime, entryPrice, exitTime)
        (self.exitPrice, self.quantity, self.pnl, self.fees, self.exitReason) = (exitPrice, quantity, pnl, fees, exitReason)
    }

    private enum CodingKeys: String, CodingKey {
        case symbol, side, quantity, pnl, fees
        case entryTime = "entry_time", entryPrice = "entry_price", exitTime = "exit_time", exitPrice = "exit_price", exitReason = "exit_reason"
    }
}

/// An open position and its protective orders. Plain values only, no arrays: it is read and copied
/// on every bar, and a copy must cost no reference counting. The ladder's prices live in the
/// engine's `targetPrices`.
struct Position {
    var side: Side
    var quantity: Double
    var entryPrice: Double
    var entryTime: Int64
    /// Entry fees not yet attributed to a closed trade.
    var entryFees: Double
    var barsHeld = 0
    /// The stop level, if armed; NaN while a price-expression stop waits for its first close.
    var stop = Double.nan
    /// The first take-profit step still open; the ladder's length when none is.
    var nextTarget = 0
    /// Levels written as price expressions are set at the entry bar's close.
    var awaitsFirstClose = false
    /// An operator's position: its own ladders (`Engine.manualExits`) replace the strategy's stop and targets.
    var manual = false

    var sign: Double { side == .long ? 1 : -1 }
}

/// An order placed at a close, filled at the next bar's open (or at once with `fill: close`).
struct PendingOrder {
    enum Kind { case entry(Side), exit(ExitReason) }
    var kind: Kind
    var placedAt: Int64
}

/// Fees and slippage of one fill.
struct Costs {
    let settings: ExecutionCosts

    /// The price actually paid or received: worse than `price` by the slippage.
    func slipped(_ price: Double, buying: Bool) -> Double {
        let adverse = price * settings.slippageFraction + settings.slippageTicks * settings.tickSize
        return buying ? price + adverse : price - adverse
    }

    func fee(quantity: Double, price: Double) -> Double {
        settings.feeFraction * quantity * price + settings.feePerUnit * quantity + settings.feePerOrder
    }
}
