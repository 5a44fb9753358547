/// The evaluator's columns as a kernel sees them: one column per slot, and the rows to compute.
struct Columns {
    let base: UnsafeMutablePointer<Double>
    let capacity: Int
    let times: UnsafeMutablePointer<Int64>
    let rows: Range<Int>

    @inline(__always)
    func callAsFunction(_ slot: Slot) -> UnsafeMutablePointer<Double> { base + slot &* capacity }
}

/// An indicator instance inside an evaluator: reads its input columns, writes its output columns.
protocol IndicatorKernel: AnyObject {
    func run(_ columns: Columns)
}

/// A streaming indicator struct with the loop that wires it to columns. One class for all kinds
/// keeps the wiring next to the indicator it drives; the call costs no allocation, and the loop
/// over rows sits inside the closure, so the indicator's update is a direct call.
final class StreamKernel<State>: IndicatorKernel {
    private let memory = LoopMemory()
    /// In `LoopMemory`, not a `var`: no dynamic exclusivity check on each bar's update.
    let state: UnsafeMutablePointer<State>
    let body: (inout State, Columns) -> Void

    init(_ state: State, _ body: @escaping (inout State, Columns) -> Void) {
        self.state = memory.value(state)
        self.body = body
    }

    func run(_ columns: Columns) { body(&state.pointee, columns) }
}

/// The simple moving average, the most used indicator, with its own loop: the window in loop memory
/// and the running sum in locals for the whole chunk. The arithmetic is `SMA.update`'s, step for
/// step, so the values are equal bit for bit (KernelTests hold them so); the cost per bar is a
/// third of the generic kernel's, whose window is an array checked for uniqueness on each push.
final class SMAKernel: IndicatorKernel {
    private let memory = LoopMemory()
    private let window: UnsafeMutableBufferPointer<Double>
    private let cursor: UnsafeMutablePointer<(head: Int, count: Int, sum: CompensatedSum)>
    private let input: Slot, output: Slot

    init(period: Int, input: Slot, output: Slot) {
        window = memory.buffer(repeating: .nan, count: max(1, period))
        cursor = memory.value((0, 0, CompensatedSum()))
        (self.input, self.output) = (input, output)
    }

    func run(_ columns: Columns) {
        var (head, count, sum) = cursor.pointee
        let x = columns(input), y = columns(output), period = window.count, divisor = Double(period)
        for r in columns.rows {
            let value = x[r]
            guard !value.isNaN else {
                y[r] = .nan
                continue
            }
            if count == period { sum.add(-window[head]) } else { count &+= 1 }
            window[head] = value
            head = head &+ 1 == period ? 0 : head &+ 1
            sum.add(value)
            y[r] = count == period ? sum.value / divisor : .nan
        }
        cursor.pointee = (head, count, sum)
    }
}

/// A one-input, one-output streaming indicator: its kernel loop calls `update` directly.
protocol SeriesIndicator { mutating func update(_ x: Double) -> Double }
/// A high-low-close indicator with one output.
protocol HLCIndicator { mutating func update(high: Double, low: Double, close: Double) -> Double }

extension SMA: SeriesIndicator {}
extension EMA: SeriesIndicator {}
extension WMA: SeriesIndicator {}
extension HMA: SeriesIndicator {}
extension RMA: SeriesIndicator {}
extension DEMA: SeriesIndicator {}
extension TEMA: SeriesIndicator {}
extension KAMA: SeriesIndicator {}
extension RSI: SeriesIndicator {}
extension Difference: SeriesIndicator {}
extension RollingExtreme: SeriesIndicator {}
extension Monotone: SeriesIndicator {}
extension BarsSince: SeriesIndicator {}
extension CCI: HLCIndicator {}
extension WilliamsR: HLCIndicator {}
extension ATR: HLCIndicator {}
extension TrueRange: HLCIndicator {}

/// One row of the columns, read and written by slot: the wiring of the less common indicators.
struct Row {
    let columns: Columns
    let row: Int

    subscript(slot: Slot) -> Double {
        get { columns(slot)[row] }
        nonmutating set { columns(slot)[row] = newValue }
    }
}

extension IndicatorSpec {
    /// A fresh kernel for this indicator over the given slots.
    func makeKernel(inputs i: [Slot], outs o: [Slot]) -> IndicatorKernel {
        /// The common shapes loop inside a closure specialised for the indicator's type.
        func series<S: SeriesIndicator>(_ state: S) -> IndicatorKernel {
            let (a, out) = (i[0], o[0])
            return StreamKernel(state) { s, c in
                let x = c(a), y = c(out)
                for r in c.rows { y[r] = s.update(x[r]) }
            }
        }
        func hlc<S: HLCIndicator>(_ state: S) -> IndicatorKernel {
            let (h, l, cl, out) = (i[0], i[1], i[2], o[0])
            return StreamKernel(state) { s, c in
                let high = c(h), low = c(l), close = c(cl), y = c(out)
                for r in c.rows { y[r] = s.update(high: high[r], low: low[r], close: close[r]) }
            }
        }
        /// Everything else: one call per row through a `Row`.
        func perRow<S>(_ state: S, _ update: @escaping (inout S, Row, Int64) -> Void) -> IndicatorKernel {
            StreamKernel(state) { s, c in
                for r in c.rows { update(&s, Row(columns: c, row: r), c.times[r]) }
            }
        }
        func one<S>(_ state: S, _ update: @escaping (inout S, Double) -> Double) -> IndicatorKernel {
            let (a, out) = (i[0], o[0])
            return perRow(state) { s, v, _ in v[out] = update(&s, v[a]) }
        }
        func bands<S>(_ state: S, _ update: @escaping (inout S, Row) -> (Double, Double, Double)) -> IndicatorKernel {
            let (o0, o1, o2) = (o[0], o[1], o[2])
            return perRow(state) { s, v, _ in (v[o0], v[o1], v[o2]) = update(&s, v) }
        }
        switch self {
        case .sma(let n): return SMAKernel(period: n, input: i[0], output: o[0])
        case .ema(let n): return series(EMA(period: n))
        case .wma(let n): return series(WMA(period: n))
        case .hma(let n): return series(HMA(period: n))
        case .rma(let n): return series(RMA(period: n))
        case .dema(let n): return series(DEMA(period: n))
        case .tema(let n): return series(TEMA(period: n))
        case .kama(let n, let fast, let slow): return series(KAMA(period: n, fast: fast, slow: slow))
        case .rsi(let n): return series(RSI(period: n))
        case .roc(let n), .pctChange(let n): return series(Difference(period: n, ratio: true))
        case .momentum(let n), .change(let n): return series(Difference(period: n, ratio: false))
        case .stdev(let n): return one(RollingVariance(period: n)) { $0.update($1).variance.squareRoot() }
        case .variance(let n): return one(RollingVariance(period: n)) { $0.update($1).variance }
        case .zscore(let n):
            return one(RollingVariance(period: n)) { s, x in let r = s.update(x); return (x - r.mean) / r.variance.squareRoot() }
        case .highest(let n): return series(RollingExtreme(period: n, highest: true))
        case .lowest(let n): return series(RollingExtreme(period: n, highest: false))
        case .rising(let n): return series(Monotone(period: n, rising: true))
        case .falling(let n): return series(Monotone(period: n, rising: false))
        case .barssince: return series(BarsSince())
        case .vwma(let n):
            let (x, volume, out) = (i[0], i[1], o[0])
            return perRow(VWMA(period: n)) { s, v, _ in v[out] = s.update(v[x], volume: v[volume]) }
        case .crossesAbove, .crossesBelow:
            let (a, b, out) = (i[0], i[1], o[0])
            return StreamKernel(Cross(above: self == .crossesAbove)) { s, c in
                let x = c(a), z = c(b), y = c(out)
                for r in c.rows { y[r] = s.update(x[r], z[r]) }
            }
        case .valuewhen(let occurrence):
            let (condition, value, out) = (i[0], i[1], o[0])
            return perRow(ValueWhen(occurrence: occurrence)) { s, v, _ in v[out] = s.update(v[condition], v[value]) }
        case .macd(let fast, let slow, let signal):
            let (x, o0, o1, o2) = (i[0], o[0], o[1], o[2])
            return perRow(MACD(fast: fast, slow: slow, signal: signal)) { s, v, _ in (v[o0], v[o1], v[o2]) = s.update(v[x]) }
        case .bbands(let n, let k):
            let x = i[0]
            return bands(BollingerBands(period: n, k: k)) { s, v in s.update(v[x]) }
        case .stoch(let n, let d, let smooth):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return perRow(Stochastic(period: n, dPeriod: d, smooth: smooth)) { s, v, _ in
                (v[o0], v[o1]) = s.update(high: v[h], low: v[l], close: v[c])
            }
        case .stochrsi(let n, let rsi, let smooth, let d):
            let (x, o0, o1) = (i[0], o[0], o[1])
            return perRow((RSI(period: rsi), Stochastic(period: n, dPeriod: d, smooth: smooth))) { s, v, _ in
                let r = s.0.update(v[x])
                (v[o0], v[o1]) = s.1.update(high: r, low: r, close: r)
            }
        case .cci(let n): return hlc(CCI(period: n))
        case .williamsR(let n): return hlc(WilliamsR(period: n))
        case .atr(let n): return hlc(ATR(period: n))
        case .natr(let n):
            let (h, l, c, out) = (i[0], i[1], i[2], o[0])
            return perRow(ATR(period: n)) { s, v, _ in v[out] = s.update(high: v[h], low: v[l], close: v[c]) / v[c] }
        case .trueRange: return hlc(TrueRange())
        case .adx(let n):
            let (h, l, c, out) = (i[0], i[1], i[2], o[0])
            return perRow(DirectionalMovement(period: n)) { s, v, _ in v[out] = s.update(high: v[h], low: v[l], close: v[c]).adx }
        case .dmi(let n):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return perRow(DirectionalMovement(period: n)) { s, v, _ in
                let r = s.update(high: v[h], low: v[l], close: v[c])
                (v[o0], v[o1]) = (r.plus, r.minus)
            }
        case .supertrend(let n, let multiplier):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return perRow(Supertrend(period: n, multiplier: multiplier)) { s, v, _ in
                (v[o0], v[o1]) = s.update(high: v[h], low: v[l], close: v[c])
            }
        case .keltner(let n, let k, let atr):
            let (h, l, c) = (i[0], i[1], i[2])
            return bands(KeltnerChannel(period: n, k: k, atrPeriod: atr)) { s, v in s.update(high: v[h], low: v[l], close: v[c]) }
        case .donchian(let n):
            let (h, l) = (i[0], i[1])
            return bands(DonchianChannel(period: n)) { s, v in s.update(high: v[h], low: v[l]) }
        case .mfi(let n):
            let (h, l, c, volume, out) = (i[0], i[1], i[2], i[3], o[0])
            return perRow(MFI(period: n)) { s, v, _ in v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume]) }
        case .cmf(let n):
            let (h, l, c, volume, out) = (i[0], i[1], i[2], i[3], o[0])
            return perRow(ChaikinMoneyFlow(period: n)) { s, v, _ in
                v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume])
            }
        case .obv:
            let (c, volume, out) = (i[0], i[1], o[0])
            return perRow(OBV()) { s, v, _ in v[out] = s.update(close: v[c], volume: v[volume]) }
        case .vwap:
            let (h, l, c, volume, out) = (i[0], i[1], i[2], i[3], o[0])
            return perRow(SessionVWAP()) { s, v, time in
                v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume], time: time)
            }
        }
    }
}
