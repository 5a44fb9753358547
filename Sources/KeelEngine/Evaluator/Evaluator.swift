import Foundation
import KeelData
import KeelLanguage

/// One bar as the evaluator sees it.
public struct BarInput: Sendable {
    public var time: Int64
    public var open, high, low, close, volume: Double
    public var index: Int

    public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double, index: Int) {
        (self.time, self.open, self.high, self.low, self.close, self.volume, self.index) = (time, open, high, low, close, volume, index)
    }
}

/// Runs a compiled program bar by bar over preallocated slots. One evaluator per symbol and run;
/// the program itself is shared. Nothing is allocated per bar.
public final class Evaluator {
    private let slots: UnsafeMutablePointer<Double>
    private let ops: [Op]
    private let kernels: [IndicatorKernel]
    /// Mutable state lives in buffers the evaluator owns, not in `var` properties: a class's `var`
    /// costs a dynamic exclusivity check on every access, and these are touched on every bar.
    private let rings: UnsafeMutableBufferPointer<RingBuffer>
    private let readsCalendar: Bool
    /// Portfolio values, by `StateField` raw value; the engine writes them before `step`.
    public let state: UnsafeMutableBufferPointer<Double>
    /// External signal values, by index into `program.signalNames`; NaN means no value.
    public let signals: UnsafeMutableBufferPointer<Double>
    /// The latest value of each context, by index into `program.contexts`; the engine writes them.
    public let contexts: UnsafeMutableBufferPointer<Double>

    private enum Op {
        case bar(BarField, Slot)
        case state(Int, Slot)
        case signal(Int, Slot)
        case constant(Double, Slot)
        case unary(UnaryOperator, Slot, Slot)
        case binary(BinaryOperator, Slot, Slot, Slot)
        case conditional(Slot, Slot, Slot, Slot)
        case history(ring: Int, Slot, bars: Int, Slot)
        case indicator(Int)
        case math(MathFunction, Slot, Slot, Slot, Slot)
        case context(Int, Slot)
    }

    public convenience init(_ program: CompiledStrategy) {
        self.init(nodes: program.nodes, slotCount: program.slotCount, signalCount: program.signalNames.count,
                  contextCount: program.contexts.count)
    }

    /// An evaluator for a context's own program.
    public convenience init(_ context: ContextProgram) {
        self.init(nodes: context.nodes, slotCount: context.slotCount, signalCount: context.signalNames.count, contextCount: 0)
    }

    private init(nodes: [Node], slotCount: Int, signalCount: Int, contextCount: Int) {
        slots = .allocate(capacity: max(1, slotCount))
        slots.initialize(repeating: .nan, count: max(1, slotCount))
        state = .allocate(capacity: StateField.allCases.count)
        state.initialize(repeating: 0)
        signals = .allocate(capacity: signalCount)
        signals.initialize(repeating: .nan)
        contexts = .allocate(capacity: contextCount)
        contexts.initialize(repeating: .nan)
        var ops: [Op] = [], kernels: [IndicatorKernel] = [], rings: [RingBuffer] = []
        var calendar = false
        for node in nodes {
            switch node {
            case .bar(let field, let out):
                ops.append(.bar(field, out))
                calendar = calendar || field.rawValue >= BarField.hour.rawValue
            case .state(let field, let out): ops.append(.state(field.rawValue, out))
            case .signal(let index, let out): ops.append(.signal(index, out))
            case .constant(let value, let out): ops.append(.constant(value, out))
            case .unary(let op, let a, let out): ops.append(.unary(op, a, out))
            case .binary(let op, let a, let b, let out): ops.append(.binary(op, a, b, out))
            case .conditional(let c, let t, let e, let out): ops.append(.conditional(c, t, e, out))
            case .history(let from, let bars, let out):
                ops.append(.history(ring: rings.count, from, bars: bars, out))
                rings.append(RingBuffer(capacity: bars + 1))
            case .indicator(let spec, let inputs, let outs):
                ops.append(.indicator(kernels.count))
                kernels.append(spec.makeKernel(inputs: inputs, outs: outs))
            case .context(let index, let out): ops.append(.context(index, out))
            case .math(let name, let args, let out):
                let a = args.count > 0 ? args[0] : out, b = args.count > 1 ? args[1] : out, c = args.count > 2 ? args[2] : out
                ops.append(.math(MathFunction(rawValue: name)!, a, b, c, out))
            }
        }
        self.ops = ops
        self.kernels = kernels
        self.rings = .allocate(capacity: rings.count)
        _ = self.rings.initialize(from: rings)
        readsCalendar = calendar
    }

    deinit {
        slots.deallocate()
        state.deallocate()
        signals.deallocate()
        contexts.deallocate()
        rings.deinitialize()
        rings.deallocate()
    }

    /// The value of a slot after the last `step`.
    public subscript(slot: Slot) -> Double { slots[slot] }

    /// Evaluates every node on this bar.
    public func step(_ bar: BarInput) {
        let calendar = readsCalendar ? Calendar(utcMilliseconds: bar.time) : Calendar()
        for op in ops {
            switch op {
            case .bar(let field, let out): slots[out] = value(field, bar, calendar)
            case .state(let index, let out): slots[out] = state[index]
            case .signal(let index, let out): slots[out] = signals[index]
            case .constant(let value, let out): slots[out] = value
            case .unary(let op, let a, let out): slots[out] = Logic.unary(op, slots[a])
            case .binary(let op, let a, let b, let out): slots[out] = Logic.binary(op, slots[a], slots[b])
            case .conditional(let c, let t, let e, let out):
                let test = slots[c]
                slots[out] = test.isNaN ? .nan : (test == 1 ? slots[t] : slots[e])
            case .history(let ring, let from, let bars, let out):
                rings[ring].push(slots[from])
                slots[out] = rings[ring].count > bars ? rings[ring][ago: bars] : .nan
            case .indicator(let index): kernels[index].step(slots, time: bar.time)
            case .math(let function, let a, let b, let c, let out):
                slots[out] = function.apply(slots[a], slots[b], slots[c])
            case .context(let index, let out): slots[out] = contexts[index]
            }
        }
    }

    private func value(_ field: BarField, _ bar: BarInput, _ calendar: Calendar) -> Double {
        switch field {
        case .open: bar.open
        case .high: bar.high
        case .low: bar.low
        case .close: bar.close
        case .volume: bar.volume
        case .hl2: (bar.high + bar.low) / 2
        case .hlc3: (bar.high + bar.low + bar.close) / 3
        case .ohlc4: (bar.open + bar.high + bar.low + bar.close) / 4
        case .barIndex: Double(bar.index)
        case .hour: Double(calendar.hour)
        case .minute: Double(calendar.minute)
        case .dayOfWeek: Double(calendar.dayOfWeek)
        case .month: Double(calendar.month)
        case .year: Double(calendar.year)
        }
    }

    /// UTC calendar fields of a bar's open time, without Foundation's calendar.
    struct Calendar {
        var year = 0, month = 0, hour = 0, minute = 0, dayOfWeek = 0

        init() {}

        init(utcMilliseconds: Int64) {
            let seconds = Int(utcMilliseconds >= 0 ? utcMilliseconds / 1_000 : (utcMilliseconds - 999) / 1_000)
            var days = seconds / 86_400
            var secondOfDay = seconds % 86_400
            if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
            hour = secondOfDay / 3_600
            minute = secondOfDay / 60 % 60
            // 1970-01-01 was a Thursday (4); Monday is 1, Sunday 7.
            dayOfWeek = ((days % 7 + 7) % 7 + 3) % 7 + 1
            (year, month, _) = TimestampParser.civil(fromDays: days)
        }
    }
}

/// Three-valued logic over 1 (true), 0 (false) and NaN (no value): a rule fires only on a definite 1.
public enum Logic {
    @inline(__always)
    public static func unary(_ op: UnaryOperator, _ a: Double) -> Double {
        switch op {
        case .negate: -a
        case .not: a.isNaN ? .nan : 1 - a
        }
    }

    @inline(__always)
    public static func binary(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .and:
            if a == 0 || b == 0 { return 0 }
            return a.isNaN || b.isNaN ? .nan : 1
        case .or:
            if a == 1 || b == 1 { return 1 }
            return a.isNaN || b.isNaN ? .nan : 0
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
            if a.isNaN || b.isNaN { return .nan }
            switch op {
            case .less: return a < b ? 1 : 0
            case .lessEqual: return a <= b ? 1 : 0
            case .greater: return a > b ? 1 : 0
            case .greaterEqual: return a >= b ? 1 : 0
            case .equal: return a == b ? 1 : 0
            default: return a != b ? 1 : 0
            }
        }
    }
}

/// The math built-ins, on already-evaluated operands.
public enum MathFunction: String, Sendable {
    case abs, min, max, clamp, round, floor, ceil, sqrt, log, exp, pow, sign, nz

    public func apply(_ a: Double, _ b: Double, _ c: Double) -> Double {
        switch self {
        case .abs: Swift.abs(a)
        case .min: a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .max: a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .clamp: a.isNaN || b.isNaN || c.isNaN ? .nan : Swift.min(Swift.max(a, b), c)
        case .round:
            Foundation.pow(10, b) == 0 ? .nan : (a * Foundation.pow(10, b)).rounded(.toNearestOrAwayFromZero) / Foundation.pow(10, b)
        case .floor: a.rounded(.down)
        case .ceil: a.rounded(.up)
        case .sqrt: a < 0 ? .nan : a.squareRoot()
        case .log: a > 0 ? Foundation.log(a) : .nan
        case .exp: Foundation.exp(a)
        case .pow: Foundation.pow(a, b)
        case .sign: a.isNaN ? .nan : (a > 0 ? 1 : a < 0 ? -1 : 0)
        case .nz: a.isNaN ? b : a
        }
    }
}
