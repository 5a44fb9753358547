/// The one table of built-in names. The checker, the linter, `keel reference` (Grammar/REFERENCE.md)
/// and the tests that run every example all read it.
package enum BuiltinTable {
    package static let all: [Builtin] = series + movingAverages + oscillators + volatility + bands
        + volume + crossings + math + context

    package static let byName: [String: Builtin] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    package static func named(_ name: String) -> Builtin? { byName[name] }

    /// Upper bound on any window, in bars: memory per strategy is known before it runs.
    package static let maxWindow = 10_000

    static let x = Parameter("source", .series)
    static func n(_ value: Double? = nil, _ name: String = "n") -> Parameter { Parameter(name, .window, default: value) }

    /// The three outputs of a band indicator.
    static func bandOutputs(_ middle: String) -> [Builtin.Output] {
        [.init("upper", "upper band"), .init("middle", middle), .init("lower", "lower band")]
    }
}

// MARK: - Series

extension BuiltinTable {
    static func variable(_ name: String, _ category: Builtin.Category, _ type: KeelType = .number,
                         doc: String, example: String) -> Builtin {
        Builtin(name, form: .variable, category, result: .fixed(type), doc: doc, example: example)
    }

    static let series: [Builtin] = [
        variable("open", .price, doc: "Opening price of the bar.", example: "close > open"),
        variable("high", .price, doc: "Highest price of the bar.", example: "high - low > 2 * atr(14)"),
        variable("low", .price, doc: "Lowest price of the bar.", example: "low < lowest(low, 10)[1]"),
        variable("close", .price, doc: "Closing price of the bar.", example: "close > sma(close, 50)"),
        variable("volume", .price, doc: "Traded volume of the bar.", example: "volume > 2 * sma(volume, 20)"),
        variable("hl2", .price, doc: "(high + low) / 2.", example: "close > hl2"),
        variable("hlc3", .price, doc: "(high + low + close) / 3, the typical price.", example: "hlc3 > sma(hlc3, 20)"),
        variable("ohlc4", .price, doc: "(open + high + low + close) / 4.", example: "ohlc4 > ohlc4[1]"),
        variable("bar_index", .time, doc: "0 on the first bar of the feed, then 1, 2, ...", example: "bar_index > 100"),
        variable("hour", .time, doc: "Hour of the bar's open time, 0-23, UTC.", example: "hour >= 14 and hour < 20"),
        variable("minute", .time, doc: "Minute of the bar's open time, 0-59.", example: "minute == 0"),
        variable("day_of_week", .time, doc: "1 (Monday) to 7 (Sunday), UTC.", example: "day_of_week <= 5"),
        variable("month", .time, doc: "1-12, UTC.", example: "month != 12"),
        variable("year", .time, doc: "Calendar year, UTC.", example: "year >= 2010"),
        Builtin("position", form: .namespace, .position,
                outputs: [
                    .init("size", "signed quantity held: positive long, negative short, 0 flat"),
                    .init("side", "1 long, -1 short, 0 flat"),
                    .init("entry_price", "average fill price of the open position"),
                    .init("bars_held", "bars since the entry filled"),
                    .init("pnl", "unrealised profit or loss in account currency"),
                    .init("pnl_pct", "unrealised return of the position", type: .percent),
                ],
                doc: "The open position in the rule's symbol; all fields are 0 when flat.",
                example: "position.pnl_pct > 15%"),
        variable("equity", .account, doc: "Cash plus open positions marked to market.", example: "equity > 50000"),
        variable("cash", .account, doc: "Cash available.", example: "cash > 1000"),
        variable("drawdown", .account, .percent, doc: "Fall of equity from its peak, as a fraction.", example: "drawdown < 10%"),
        variable("daily_pnl", .account, doc: "Profit or loss since the session began, in account currency.",
                 example: "daily_pnl > -500"),
        Builtin("signal", form: .namespace, .external,
                doc: "External signals by name: an extra CSV column in a backtest, a signal event when live (`signal.sentiment`).",
                example: "signal.sentiment > 0.5"),
    ]
}

// MARK: - Moving averages

extension BuiltinTable {
    static func average(_ name: String, warmup: Warmup = .window(), reads: [String] = [], doc: String,
                        definition: String = "") -> Builtin {
        Builtin(name, .movingAverage, parameters: [x, n()], result: .argument(0), warmup: warmup, reads: reads,
                doc: doc, example: "close > \(name)(close, 20)", definition: definition)
    }

    static let movingAverages: [Builtin] = [
        average("sma", doc: "Simple moving average over n bars.", definition: "Sum of the last n values / n, summed oldest first."),
        average("ema", doc: "Exponential moving average, alpha = 2 / (n + 1).",
                definition: "Seeded with the simple average of the first n values, as TA-Lib."),
        average("wma", doc: "Linearly weighted moving average, newest weight n."),
        average("hma", warmup: Warmup("n - 1 + floor(sqrt(n)) - 1") { c in
            let n = Int(c["n"] ?? 0)
            return n - 1 + Int(Double(n).squareRoot()) - 1
        }, doc: "Hull moving average: wma(2 * wma(x, n/2) - wma(x, n), floor(sqrt(n))).",
                definition: "n/2 is rounded down, as in Alan Hull's definition."),
        average("rma", doc: "Wilder's moving average, alpha = 1 / n (also called SMMA).",
                definition: "Seeded with the simple average of the first n values."),
        average("vwma", reads: ["volume"], doc: "Volume-weighted moving average: sum(x * volume) / sum(volume)."),
        average("dema", warmup: Warmup("2 * (n - 1)") { 2 * (Int($0["n"] ?? 0) - 1) },
                doc: "Double EMA: 2 * ema(x) - ema(ema(x))."),
        average("tema", warmup: Warmup("3 * (n - 1)") { 3 * (Int($0["n"] ?? 0) - 1) },
                doc: "Triple EMA: 3 * ema - 3 * ema(ema) + ema(ema(ema))."),
        Builtin("kama", .movingAverage, parameters: [x, n(10), n(2, "fast"), n(30, "slow")], result: .argument(0),
                warmup: .window(plus: 0), doc: "Kaufman's adaptive moving average.",
                example: "close > kama(close, 10)", definition: "Efficiency ratio over n bars; seeded with the previous close, as TA-Lib."),
    ]
}

// MARK: - Oscillators

extension BuiltinTable {
    static let oscillators: [Builtin] = [
        Builtin("rsi", .oscillator, parameters: [x, n(14)], warmup: .window(plus: 0),
                doc: "Relative strength index, 0-100, Wilder's smoothing.", example: "rsi(close, 14) < 30",
                definition: "Averages seeded with the simple mean of the first n changes; 50 when prices never changed.",
                bounds: 0...100),
        Builtin("stoch", .oscillator, parameters: [n(14), n(3, "d"), n(1, "smooth")],
                outputs: [.init("k", "%K, 0-100, smoothed over `smooth` bars"), .init("d", "%D: sma of %K over d bars")],
                warmup: Warmup("n - 1 + smooth - 1 + d - 1") { c in
                    Int(c["n"] ?? 0) + Int(c["smooth"] ?? 1) + Int(c["d"] ?? 0) - 3
                }, reads: ["high", "low", "close"],
                doc: "Stochastic oscillator. `.k` and `.d`.", example: "crosses_above(stoch(14, 3).k, stoch(14, 3).d)",
                definition: "smooth = 1 is the fast stochastic; TA-Lib's STOCH(5, 3, 3) is stoch(5, 3, 3).", bounds: 0...100),
        Builtin("stochrsi", .oscillator, parameters: [x, n(14), n(14, "rsi_period"), n(3, "smooth"), n(3, "d")],
                outputs: [.init("k", "%K of the RSI, 0-100"), .init("d", "sma of %K over d bars")],
                warmup: Warmup("rsi_period + n - 1 + smooth - 1 + d - 1") { c in
                    Int(c["rsi_period"] ?? 0) + Int(c["n"] ?? 0) + Int(c["smooth"] ?? 1) + Int(c["d"] ?? 0) - 3
                },
                doc: "Stochastic of the RSI. `.k` and `.d`.", example: "stochrsi(close).k < 20", bounds: 0...100),
        Builtin("macd", .oscillator, parameters: [x, n(12, "fast"), n(26, "slow"), n(9, "signal")],
                outputs: [.init("macd", "ema(fast) - ema(slow)"), .init("signal", "ema of the macd line over `signal` bars"),
                          .init("histogram", "macd - signal")],
                warmup: Warmup("slow - 1 + signal - 1") { c in Int(c["slow"] ?? 0) + Int(c["signal"] ?? 0) - 2 },
                doc: "Moving average convergence divergence. `.macd`, `.signal`, `.histogram`.",
                example: "crosses_above(macd(close).macd, macd(close).signal)"),
        Builtin("cci", .oscillator, parameters: [n(20)], warmup: .window(), reads: ["high", "low", "close"],
                doc: "Commodity channel index of the typical price.", example: "cci(20) < -100"),
        Builtin("mfi", .oscillator, parameters: [n(14)], warmup: .window(plus: 0), reads: ["high", "low", "close", "volume"],
                doc: "Money flow index, 0-100.", example: "mfi(14) < 20", bounds: 0...100),
        Builtin("williams_r", .oscillator, parameters: [n(14)], warmup: .window(), reads: ["high", "low", "close"],
                doc: "Williams %R, -100 to 0.", example: "williams_r(14) < -80", bounds: -100...0),
        Builtin("roc", .oscillator, parameters: [x, n(10)], result: .fixed(.percent), warmup: .window(plus: 0),
                doc: "Rate of change over n bars as a fraction: x / x[n] - 1.", example: "roc(close, 90) > 5%",
                definition: "A fraction (5% is 0.05); TA-Lib's ROC is 100 times this."),
        Builtin("momentum", .oscillator, parameters: [x, n(10)], result: .argument(0), warmup: .window(plus: 0),
                doc: "x - x[n].", example: "momentum(close, 10) > 0"),
    ]
}

// MARK: - Volatility and trend

extension BuiltinTable {
    static let hlc = ["high", "low", "close"]

    static let volatility: [Builtin] = [
        Builtin("atr", .volatility, parameters: [n(14)], warmup: .window(plus: 0), reads: hlc,
                doc: "Average true range, Wilder's smoothing.", example: "close - 2 * atr(14) > lowest(low, 10)",
                definition: "Seeded with the simple mean of the first n true ranges, which exist from the second bar."),
        Builtin("natr", .volatility, parameters: [n(14)], result: .fixed(.percent), warmup: .window(plus: 0), reads: hlc,
                doc: "atr / close, as a fraction.", example: "natr(14) < 3%", definition: "A fraction; TA-Lib's NATR is 100 times this."),
        Builtin("true_range", .volatility, warmup: Warmup("1") { _ in 1 }, reads: hlc,
                doc: "max(high, close[1]) - min(low, close[1]).", example: "true_range() > 2 * atr(14)"),
        Builtin("adx", .volatility, parameters: [n(14)], warmup: Warmup("2 * n - 1") { 2 * Int($0["n"] ?? 0) - 1 }, reads: hlc,
                doc: "Average directional index, 0-100, Wilder's smoothing.", example: "adx(14) > 25", bounds: 0...100),
        Builtin("dmi", .volatility, parameters: [n(14)],
                outputs: [.init("plus", "+DI, 0-100"), .init("minus", "-DI, 0-100")], warmup: .window(plus: 0), reads: hlc,
                doc: "Directional movement index. `.plus` and `.minus`.", example: "dmi(14).plus > dmi(14).minus",
                bounds: 0...100),
        Builtin("supertrend", .volatility, parameters: [n(10), Parameter("multiplier", .constant, default: 3)],
                outputs: [.init("line", "the trailing level"), .init("direction", "1 in an uptrend, -1 in a downtrend")],
                warmup: .window(plus: 0), reads: hlc,
                doc: "Supertrend: an ATR band that flips with the trend. `.line`, `.direction`.",
                example: "supertrend(10, 3).direction > 0"),
        Builtin("stdev", .volatility, parameters: [x, n()], result: .argument(0), warmup: .window(),
                doc: "Population standard deviation over n bars.", example: "stdev(close, 20) < 2 * atr(14)",
                definition: "Population (divides by n), as TA-Lib's STDDEV."),
        Builtin("variance", .volatility, parameters: [x, n()], warmup: .window(),
                doc: "Population variance over n bars.", example: "variance(close, 20) > 0"),
        Builtin("zscore", .volatility, parameters: [x, n()], warmup: .window(),
                doc: "(x - sma(x, n)) / stdev(x, n).", example: "zscore(close, 20) < -2"),
    ]
}

// MARK: - Bands and channels

extension BuiltinTable {
    static let bands: [Builtin] = [
        Builtin("bbands", .band, parameters: [x, n(20), Parameter("k", .constant, default: 2)],
                result: .argument(0), outputs: bandOutputs("sma(x, n)"), warmup: .window(),
                doc: "Bollinger bands: sma(x, n) plus and minus k population standard deviations.",
                example: "close < bbands(close, 20, 2).lower"),
        Builtin("keltner", .band, parameters: [n(20), Parameter("k", .constant, default: 2), n(10, "atr_period")],
                outputs: bandOutputs("ema(close, n)"), warmup: Warmup("max(n - 1, atr_period)") { c in
                    max(Int(c["n"] ?? 0) - 1, Int(c["atr_period"] ?? 0))
                }, reads: hlc,
                doc: "Keltner channel: ema(close, n) plus and minus k * atr(atr_period).", example: "close > keltner(20, 2).upper"),
        Builtin("donchian", .band, parameters: [n(20)], outputs: bandOutputs("(upper + lower) / 2"), warmup: .window(),
                reads: ["high", "low"], doc: "Donchian channel: highest high and lowest low of n bars, this bar included.",
                example: "close > donchian(20)[1].upper"),
        Builtin("highest", .band, parameters: [x, n()], result: .argument(0), warmup: .window(),
                doc: "Highest value of the last n bars, this bar included.", example: "close > highest(high, 20)[1]"),
        Builtin("lowest", .band, parameters: [x, n()], result: .argument(0), warmup: .window(),
                doc: "Lowest value of the last n bars, this bar included.", example: "close < lowest(low, 10)[1]"),
    ]
}

// MARK: - Volume

extension BuiltinTable {
    static let volume: [Builtin] = [
        Builtin("obv", .volume, reads: ["close", "volume"], doc: "On-balance volume, starting from the first bar's volume (as TA-Lib).",
                example: "obv() > sma(obv(), 20)"),
        Builtin("vwap", .volume, reads: ["high", "low", "close", "volume"],
                doc: "Volume-weighted average of the typical price since the session began (UTC midnight).",
                example: "close > vwap()", definition: "Resets each session; with zero volume so far it is the typical price."),
        Builtin("cmf", .volume, parameters: [n(20)], warmup: .window(), reads: ["high", "low", "close", "volume"],
                doc: "Chaikin money flow over n bars.", example: "cmf(20) > 0.1"),
    ]
}

// MARK: - Crossings and history

extension BuiltinTable {
    static let crossings: [Builtin] = [
        Builtin("crosses_above", .signal, parameters: [Parameter("a", .series), Parameter("b", .series)],
                result: .fixed(.bool), warmup: Warmup("1") { _ in 1 },
                doc: "a[1] <= b[1] and a > b.", example: "crosses_above(sma(close, 10), sma(close, 30))"),
        Builtin("crosses_below", .signal, parameters: [Parameter("a", .series), Parameter("b", .series)],
                result: .fixed(.bool), warmup: Warmup("1") { _ in 1 },
                doc: "a[1] >= b[1] and a < b.", example: "crosses_below(sma(close, 10), sma(close, 30))"),
        Builtin("rising", .signal, parameters: [x, n(1)], result: .fixed(.bool), warmup: .window(plus: 0),
                doc: "x rose on each of the last n bars.", example: "rising(sma(close, 20), 3)"),
        Builtin("falling", .signal, parameters: [x, n(1)], result: .fixed(.bool), warmup: .window(plus: 0),
                doc: "x fell on each of the last n bars.", example: "falling(close, 3)"),
        Builtin("change", .signal, parameters: [x, n(1)], result: .argument(0), warmup: .window(plus: 0),
                doc: "x - x[n].", example: "change(close) > 0"),
        Builtin("pct_change", .signal, parameters: [x, n(1)], result: .fixed(.percent), warmup: .window(plus: 0),
                doc: "x / x[n] - 1, as a fraction.", example: "pct_change(close, 5) < -3%"),
        Builtin("barssince", .signal, parameters: [Parameter("condition", .condition)],
                doc: "Bars since the condition was last true; no value until it first is.",
                example: "barssince(crosses_above(close, sma(close, 50))) < 5"),
        Builtin("valuewhen", .signal,
                parameters: [Parameter("condition", .condition), Parameter("value", .value), Parameter("occurrence", .constant, default: 0)],
                result: .argument(1), doc: "The value of `value` when the condition was true, `occurrence` times ago (0: the latest).",
                example: "close > valuewhen(crosses_above(close, sma(close, 20)), close)"),
    ]
}

// MARK: - Math

extension BuiltinTable {
    static func unaryMath(_ name: String, _ doc: String, sameType: Bool = true, example: String) -> Builtin {
        Builtin(name, .math, parameters: [Parameter("x", .series)], result: sameType ? .argument(0) : .fixed(.number),
                doc: doc, example: example)
    }

    static let math: [Builtin] = [
        unaryMath("abs", "Absolute value.", example: "abs(change(close)) > atr(14)"),
        Builtin("min", .math, parameters: [Parameter("a", .series), Parameter("b", .series)], result: .argument(0),
                doc: "The smaller of a and b.", example: "min(open, close) > sma(close, 20)"),
        Builtin("max", .math, parameters: [Parameter("a", .series), Parameter("b", .series)], result: .argument(0),
                doc: "The larger of a and b.", example: "max(open, close) < sma(close, 20)"),
        Builtin("clamp", .math, parameters: [Parameter("x", .series), Parameter("low", .series), Parameter("high", .series)],
                result: .argument(0), doc: "x limited to [low, high].", example: "clamp(rsi(close, 14), 20, 80) > 50"),
        Builtin("round", .math, parameters: [Parameter("x", .series), Parameter("digits", .constant, default: 0)],
                result: .argument(0), doc: "Rounded to `digits` decimals, halves away from zero.", example: "round(close, 2) > open"),
        unaryMath("floor", "Largest whole number not above x.", example: "floor(close) > open"),
        unaryMath("ceil", "Smallest whole number not below x.", example: "ceil(close) > open"),
        unaryMath("sqrt", "Square root; no value for a negative x.", sameType: false, example: "sqrt(variance(close, 20)) > 1"),
        unaryMath("log", "Natural logarithm; no value unless x > 0.", sameType: false, example: "log(close) > log(open)"),
        unaryMath("exp", "e to the power x.", sameType: false, example: "exp(0) < close"),
        Builtin("pow", .math, parameters: [Parameter("x", .series), Parameter("y", .series)],
                doc: "x to the power y.", example: "pow(close, 2) > 100"),
        unaryMath("sign", "1, 0 or -1.", sameType: false, example: "sign(change(close)) > 0"),
        Builtin("nz", .math, parameters: [Parameter("x", .value), Parameter("replacement", .constant, default: 0)],
                result: .argument(0), doc: "x, or `replacement` while x has no value.", example: "nz(signal.sentiment) > 0.5"),
    ]
}

// MARK: - Other symbols and timeframes

extension BuiltinTable {
    static let context: [Builtin] = [
        Builtin("symbol", .context, parameters: [Parameter("name", .symbol), Parameter("value", .value)],
                result: .argument(1),
                doc: "Evaluates `value` on another symbol's bars, as of this bar's time.",
                example: "symbol(\"SPY\", close > sma(close, 200))",
                definition: "The other symbol's latest bar at or before this bar's time; no value before its first bar."),
        Builtin("timeframe", .context, parameters: [Parameter("bar", .timeframe), Parameter("value", .value)],
                result: .argument(1),
                doc: "Evaluates `value` on bars of a higher timeframe; it changes only when that bar has closed.",
                example: "timeframe(1d, close > sma(close, 50))",
                definition: "The last closed higher bar: never the one still forming, so no lookahead."),
    ]
}
