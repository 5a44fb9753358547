/// An indicator instance inside an evaluator: reads its input slots, writes its output slots.
protocol IndicatorKernel: AnyObject {
    func step(_ slots: UnsafeMutablePointer<Double>, time: Int64)
}

/// A streaming indicator struct with the code that wires it to slots. One class for all kinds keeps
/// the wiring next to the indicator it drives; the call costs no allocation.
final class StreamKernel<State>: IndicatorKernel {
    /// Owned storage rather than a `var`: no dynamic exclusivity check on each bar's update.
    let state: UnsafeMutablePointer<State>
    let body: (inout State, UnsafeMutablePointer<Double>, Int64) -> Void

    init(_ state: State, _ body: @escaping (inout State, UnsafeMutablePointer<Double>, Int64) -> Void) {
        self.state = .allocate(capacity: 1)
        self.state.initialize(to: state)
        self.body = body
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    func step(_ slots: UnsafeMutablePointer<Double>, time: Int64) { body(&state.pointee, slots, time) }
}

extension IndicatorSpec {
    /// A fresh kernel for this indicator over the given slots.
    func makeKernel(inputs i: [Slot], outs o: [Slot]) -> IndicatorKernel {
        func one<S>(_ state: S, _ update: @escaping (inout S, Double) -> Double) -> IndicatorKernel {
            let (a, out) = (i[0], o[0])
            return StreamKernel(state) { s, v, _ in v[out] = update(&s, v[a]) }
        }
        func hlc<S>(_ state: S, _ update: @escaping (inout S, Double, Double, Double) -> Double) -> IndicatorKernel {
            let (h, l, c, out) = (i[0], i[1], i[2], o[0])
            return StreamKernel(state) { s, v, _ in v[out] = update(&s, v[h], v[l], v[c]) }
        }
        func bands<S>(_ state: S, _ update: @escaping (inout S, UnsafeMutablePointer<Double>) -> (Double, Double, Double)) -> IndicatorKernel {
            let (o0, o1, o2) = (o[0], o[1], o[2])
            return StreamKernel(state) { s, v, _ in (v[o0], v[o1], v[o2]) = update(&s, v) }
        }
        switch self {
        case .sma(let n): return one(SMA(period: n)) { $0.update($1) }
        case .ema(let n): return one(EMA(period: n)) { $0.update($1) }
        case .wma(let n): return one(WMA(period: n)) { $0.update($1) }
        case .hma(let n): return one(HMA(period: n)) { $0.update($1) }
        case .rma(let n): return one(RMA(period: n)) { $0.update($1) }
        case .dema(let n): return one(DEMA(period: n)) { $0.update($1) }
        case .tema(let n): return one(TEMA(period: n)) { $0.update($1) }
        case .kama(let n, let fast, let slow): return one(KAMA(period: n, fast: fast, slow: slow)) { $0.update($1) }
        case .rsi(let n): return one(RSI(period: n)) { $0.update($1) }
        case .roc(let n), .pctChange(let n): return one(Difference(period: n, ratio: true)) { $0.update($1) }
        case .momentum(let n), .change(let n): return one(Difference(period: n, ratio: false)) { $0.update($1) }
        case .stdev(let n): return one(RollingVariance(period: n)) { $0.update($1).variance.squareRoot() }
        case .variance(let n): return one(RollingVariance(period: n)) { $0.update($1).variance }
        case .zscore(let n):
            return one(RollingVariance(period: n)) { s, x in let r = s.update(x); return (x - r.mean) / r.variance.squareRoot() }
        case .highest(let n): return one(RollingExtreme(period: n, highest: true)) { $0.update($1) }
        case .lowest(let n): return one(RollingExtreme(period: n, highest: false)) { $0.update($1) }
        case .rising(let n): return one(Monotone(period: n, rising: true)) { $0.update($1) }
        case .falling(let n): return one(Monotone(period: n, rising: false)) { $0.update($1) }
        case .barssince: return one(BarsSince()) { $0.update($1) }
        case .vwma(let n):
            let (x, volume, out) = (i[0], i[1], o[0])
            return StreamKernel(VWMA(period: n)) { s, v, _ in v[out] = s.update(v[x], volume: v[volume]) }
        case .crossesAbove, .crossesBelow:
            let (a, b, out) = (i[0], i[1], o[0])
            return StreamKernel(Cross(above: self == .crossesAbove)) { s, v, _ in v[out] = s.update(v[a], v[b]) }
        case .valuewhen(let occurrence):
            let (condition, value, out) = (i[0], i[1], o[0])
            return StreamKernel(ValueWhen(occurrence: occurrence)) { s, v, _ in v[out] = s.update(v[condition], v[value]) }
        case .macd(let fast, let slow, let signal):
            let (x, o0, o1, o2) = (i[0], o[0], o[1], o[2])
            return StreamKernel(MACD(fast: fast, slow: slow, signal: signal)) { s, v, _ in
                (v[o0], v[o1], v[o2]) = s.update(v[x])
            }
        case .bbands(let n, let k):
            let x = i[0]
            return bands(BollingerBands(period: n, k: k)) { s, v in s.update(v[x]) }
        case .stoch(let n, let d, let smooth):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return StreamKernel(Stochastic(period: n, dPeriod: d, smooth: smooth)) { s, v, _ in
                (v[o0], v[o1]) = s.update(high: v[h], low: v[l], close: v[c])
            }
        case .stochrsi(let n, let rsi, let smooth, let d):
            let (x, o0, o1) = (i[0], o[0], o[1])
            return StreamKernel((RSI(period: rsi), Stochastic(period: n, dPeriod: d, smooth: smooth))) { s, v, _ in
                let r = s.0.update(v[x])
                (v[o0], v[o1]) = s.1.update(high: r, low: r, close: r)
            }
        case .cci(let n): return hlc(CCI(period: n)) { $0.update(high: $1, low: $2, close: $3) }
        case .williamsR(let n): return hlc(WilliamsR(period: n)) { $0.update(high: $1, low: $2, close: $3) }
        case .atr(let n): return hlc(ATR(period: n)) { $0.update(high: $1, low: $2, close: $3) }
        case .natr(let n): return hlc(ATR(period: n)) { $0.update(high: $1, low: $2, close: $3) / $3 }
        case .trueRange: return hlc(TrueRange()) { $0.update(high: $1, low: $2, close: $3) }
        case .adx(let n): return hlc(DirectionalMovement(period: n)) { $0.update(high: $1, low: $2, close: $3).adx }
        case .dmi(let n):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return StreamKernel(DirectionalMovement(period: n)) { s, v, _ in
                let r = s.update(high: v[h], low: v[l], close: v[c])
                (v[o0], v[o1]) = (r.plus, r.minus)
            }
        case .supertrend(let n, let multiplier):
            let (h, l, c, o0, o1) = (i[0], i[1], i[2], o[0], o[1])
            return StreamKernel(Supertrend(period: n, multiplier: multiplier)) { s, v, _ in
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
            return StreamKernel(MFI(period: n)) { s, v, _ in v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume]) }
        case .cmf(let n):
            let (h, l, c, volume, out) = (i[0], i[1], i[2], i[3], o[0])
            return StreamKernel(ChaikinMoneyFlow(period: n)) { s, v, _ in
                v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume])
            }
        case .obv:
            let (c, volume, out) = (i[0], i[1], o[0])
            return StreamKernel(OBV()) { s, v, _ in v[out] = s.update(close: v[c], volume: v[volume]) }
        case .vwap:
            let (h, l, c, volume, out) = (i[0], i[1], i[2], i[3], o[0])
            return StreamKernel(SessionVWAP()) { s, v, time in
                v[out] = s.update(high: v[h], low: v[l], close: v[c], volume: v[volume], time: time)
            }
        }
    }
}
