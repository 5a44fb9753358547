import KeelLanguage

/// An index into the evaluator's slots: one Double per node output, rewritten every bar.
package typealias Slot = Int

/// Bar values a program reads.
package enum BarField: Int, Sendable, CaseIterable {
    case open, high, low, close, volume, hl2, hlc3, ohlc4
    case barIndex, hour, minute, dayOfWeek, month, year

    static let byName: [String: BarField] = [
        "open": .open, "high": .high, "low": .low, "close": .close, "volume": .volume, "hl2": .hl2, "hlc3": .hlc3,
        "ohlc4": .ohlc4, "bar_index": .barIndex, "hour": .hour, "minute": .minute, "day_of_week": .dayOfWeek,
        "month": .month, "year": .year,
    ]
}

/// Portfolio values a program reads; the engine writes them before each evaluation.
package enum StateField: Int, Sendable, CaseIterable {
    case positionSize, positionSide, entryPrice, barsHeld, pnl, pnlPct
    case equity, cash, drawdown, dailyPnl

    static let byName: [String: StateField] = [
        "position.size": .positionSize, "position.side": .positionSide, "position.entry_price": .entryPrice,
        "position.bars_held": .barsHeld, "position.pnl": .pnl, "position.pnl_pct": .pnlPct, "equity": .equity,
        "cash": .cash, "drawdown": .drawdown, "daily_pnl": .dailyPnl, "entry_price": .entryPrice,
    ]
}

/// A streaming indicator with its constant parameters: the identity used to share equal ones.
package enum IndicatorSpec: Hashable, Sendable {
    case sma(Int), ema(Int), wma(Int), hma(Int), rma(Int), vwma(Int), dema(Int), tema(Int)
    case kama(Int, fast: Int, slow: Int)
    case rsi(Int), stoch(Int, d: Int, smooth: Int), stochrsi(Int, rsi: Int, smooth: Int, d: Int)
    case macd(fast: Int, slow: Int, signal: Int), cci(Int), mfi(Int), williamsR(Int)
    case roc(Int), momentum(Int), change(Int), pctChange(Int)
    case atr(Int), natr(Int), trueRange, adx(Int), dmi(Int), supertrend(Int, multiplier: Double)
    case stdev(Int), variance(Int), zscore(Int), bbands(Int, k: Double), keltner(Int, k: Double, atr: Int), donchian(Int)
    case highest(Int), lowest(Int), obv, vwap, cmf(Int)
    case crossesAbove, crossesBelow, rising(Int), falling(Int), barssince, valuewhen(Int)
}

/// One step of a program: reads slots, writes slots. Listed in evaluation order.
package enum Node: Hashable, Sendable {
    case bar(BarField, out: Slot)
    case state(StateField, out: Slot)
    case signal(Int, out: Slot)
    case constant(Double, out: Slot)
    case unary(UnaryOperator, Slot, out: Slot)
    case binary(BinaryOperator, Slot, Slot, out: Slot)
    case conditional(Slot, Slot, Slot, out: Slot)
    /// The value `bars` bars ago.
    case history(Slot, bars: Int, out: Slot)
    /// Series inputs, then bar fields the indicator reads itself; one output slot per output.
    case indicator(IndicatorSpec, inputs: [Slot], outs: [Slot])
    /// A math function, resolved at compile time: the program holds no names.
    case math(MathFunction, [Slot], out: Slot)
    /// The latest value of a context (another symbol, a higher timeframe), which the engine supplies.
    case context(Int, out: Slot)
}

extension Node {
    /// The slots a node writes.
    package var outputs: [Slot] {
        switch self {
        case .bar(_, let out), .state(_, let out), .signal(_, let out), .constant(_, let out), .unary(_, _, let out),
             .binary(_, _, _, let out), .conditional(_, _, _, let out), .history(_, _, let out), .math(_, _, let out),
             .context(_, let out):
            [out]
        case .indicator(_, _, let outs): outs
        }
    }
}

/// An expression evaluated on other bars: another symbol's, or a higher timeframe's built from this
/// symbol's. Compiled on its own; the engine runs it and hands its latest value to the main program.
package struct ContextProgram: Sendable, Hashable {
    package enum Source: Sendable, Hashable {
        case symbol(String)
        /// Bars of this many milliseconds, aligned to UTC epoch multiples.
        case timeframe(Int64)
    }

    package let source: Source
    package let nodes: [Node]
    package let slotCount: Int
    package let result: Slot
    package let signalNames: [String]
}

/// A rule of a strategy: `entry.long`, `exit.short`, ...
package struct RuleKey: Hashable, Sendable, CustomStringConvertible {
    package let entry: Bool
    package let side: Side
    package var description: String { "\(entry ? "entry" : "exit").\(side.rawValue)" }
}

/// A value a rule reads, for the decision trace.
package struct Reading: Sendable {
    package let text: String
    package let slot: Slot
}

/// How a stop-loss or take-profit level is given once compiled.
package enum CompiledLevel: Sendable, Equatable {
    /// A fraction of the entry price.
    case percent(Double)
    /// A slot holding a price, evaluated at each close.
    case price(Slot)
}

/// A checked strategy compiled once: no names, no strings on the hot path, only slots and kernels.
/// Immutable and `Sendable`, so many engines can run one program side by side.
public struct CompiledStrategy: Sendable {
    public let name: String
    package let nodes: [Node]
    package let slotCount: Int
    /// Rule slots: 1 true, 0 false, NaN no value.
    package let entry: [Side: Slot]
    package let exit: [Side: Slot]
    package let stopLoss: CompiledLevel?
    package let trailing: Bool
    package let takeProfit: [(level: CompiledLevel, closeFraction: Double)]
    package let rank: Slot?
    /// External signal names, in the order of `.signal` nodes' indices.
    public let signalNames: [String]
    /// Other-symbol and higher-timeframe expressions, by the index `.context` nodes carry.
    package let contexts: [ContextProgram]
    /// What each rule reads, for the decision trace: (expression text, slot), by rule.
    package let readings: [RuleKey: [Reading]]
    /// Bars before every rule can be evaluated.
    public let warmup: Int
    /// The resolved settings: universe, bar size, sizing, costs, fills, risk.
    public let settings: TradingSettings

    public var timeStop: TimeStop? { settings.timeStop }
}
