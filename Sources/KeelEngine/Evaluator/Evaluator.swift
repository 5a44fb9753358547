import Foundation
import KeelData
import KeelLanguage

/// One bar as the evaluator sees it.
package struct BarInput: Sendable {
    package var time: Int64
    package var open, high, low, close, volume: Double
    package var index: Int

    package init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double, index: Int) {
        (self.time, self.open, self.high, self.low, self.close, self.volume, self.index) = (time, open, high, low, close, volume, index)
    }

    /// A bar built of finer ones (a resampled bar, a higher timeframe's bar).
    package init(_ bar: BarBuilder.Bar, index: Int = 0) {
        self.init(time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, index: index)
    }

    var built: BarBuilder.Bar { BarBuilder.Bar(time: time, open: open, high: high, low: low, close: close, volume: volume) }
}

/// Runs a compiled program over preallocated columns: one column of `capacity` rows per slot. One
/// evaluator per symbol and run; the program itself is shared. Nothing is allocated per bar.
///
/// Two ways to drive it, which decide identically (tests hold them equal):
/// - `step(_:)`, one bar at a time, as a live run receives them (a chunk of one row);
/// - `precompute(_:rows:firstIndex:)` then `stepPrecomputed()` per bar, as a backtest does: the nodes
///   that read no position, account, signal or context value are computed for a whole chunk of
///   bars column by column, and only the rest step bar by bar.
package final class Evaluator {
    /// Rows per column: how many bars one `precompute` covers.
    package let capacity: Int
    private let columns: UnsafeMutablePointer<Double>
    /// Bar open times by row, for indicators that read the clock (session VWAP).
    private let times: UnsafeMutablePointer<Int64>
    /// Bar-field nodes: filled from the bars, not computed.
    private let barFields: [(field: BarField, out: Slot)]
    /// Nodes that depend only on bars: computed a chunk at a time.
    private let independent: [Op]
    /// Nodes that read the engine's state, signals or contexts (directly or through another node).
    private let dependent: [Op]
    private let kernels: [IndicatorKernel]
    /// Owns the buffers below (`LoopMemory` says why they are not `var` properties).
    private let memory: LoopMemory
    private let rings: UnsafeMutableBufferPointer<RingBuffer>
    /// The current row, and how many precomputed rows are left.
    private let cursor: UnsafeMutablePointer<(row: Int, left: Int)>
    private let readsCalendar: Bool
    /// Whether any node reads a position or account value: if not, the engine need not write them.
    package let readsState: Bool
    /// Portfolio values, by `StateField` raw value; the engine writes them before `step`.
    package let state: UnsafeMutableBufferPointer<Double>
    /// External signal values, by index into `program.signalNames`; NaN means no value.
    package let signals: UnsafeMutableBufferPointer<Double>
    /// The latest value of each context, by index into `program.contexts`; the engine writes them.
    package let contexts: UnsafeMutableBufferPointer<Double>

    private enum Op {
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

    /// An evaluator for a strategy's program. `capacity` is how many bars one `precompute` covers;
    /// a live run needs only 1.
    package convenience init(_ program: CompiledStrategy, capacity: Int = 1) {
        self.init(nodes: program.nodes, slotCount: program.slotCount, signalCount: program.signalNames.count,
                  contextCount: program.contexts.count, capacity: capacity)
    }

    /// An evaluator for a context's own program, stepped one bar at a time.
    package convenience init(_ context: ContextProgram) {
        self.init(nodes: context.nodes, slotCount: context.slotCount, signalCount: context.signalNames.count, contextCount: 0,
                  capacity: 1)
    }

    private init(nodes: [Node], slotCount: Int, signalCount: Int, contextCount: Int, capacity: Int) {
        self.capacity = max(1, capacity)
        let memory = LoopMemory()
        self.memory = memory
        columns = memory.buffer(repeating: .nan, count: max(1, slotCount) * self.capacity).baseAddress!
        times = memory.buffer(repeating: 0, count: self.capacity).baseAddress!
        cursor = memory.value((0, 0))
        state = memory.buffer(repeating: 0, count: StateField.allCases.count)
        signals = memory.buffer(repeating: .nan, count: signalCount)
        contexts = memory.buffer(repeating: .nan, count: contextCount)
        var barFields: [(BarField, Slot)] = [], independent: [Op] = [], dependent: [Op] = []
        var kernels: [IndicatorKernel] = [], rings: [RingBuffer] = []
        // Slots whose value depends on the engine's state at the bar; nodes come in evaluation
        // order, so a node's inputs are classified before it.
        var stateful = Set<Slot>()
        var readsState = false
        for node in nodes {
            let op: Op
            var reads: [Slot] = []
            var readsEngine = false
            switch node {
            case .bar(let field, let out):
                barFields.append((field, out))
                continue
            case .state(let field, let out): op = .state(field.rawValue, out); readsEngine = true; readsState = true
            case .signal(let index, let out): op = .signal(index, out); readsEngine = true
            case .context(let index, let out): op = .context(index, out); readsEngine = true
            case .constant(let value, let out): op = .constant(value, out)
            case .unary(let o, let a, let out): op = .unary(o, a, out); reads = [a]
            case .binary(let o, let a, let b, let out): op = .binary(o, a, b, out); reads = [a, b]
            case .conditional(let c, let t, let e, let out): op = .conditional(c, t, e, out); reads = [c, t, e]
            case .history(let from, let bars, let out):
                op = .history(ring: rings.count, from, bars: bars, out)
                reads = [from]
                rings.append(RingBuffer(capacity: bars + 1))
            case .indicator(let spec, let inputs, let outs):
                op = .indicator(kernels.count)
                reads = inputs
                kernels.append(spec.makeKernel(inputs: inputs, outs: outs))
            case .math(let function, let args, let out):
                let a = args.count > 0 ? args[0] : out, b = args.count > 1 ? args[1] : out, c = args.count > 2 ? args[2] : out
                op = .math(function, a, b, c, out)
                reads = args
            }
            if readsEngine || reads.contains(where: stateful.contains) {
                stateful.formUnion(node.outputs)
                dependent.append(op)
            } else {
                independent.append(op)
            }
        }
        self.barFields = barFields
        self.readsState = readsState
        self.independent = independent
        self.dependent = dependent
        self.kernels = kernels
        self.rings = memory.buffer(rings)
        readsCalendar = barFields.contains { $0.0.rawValue >= BarField.hour.rawValue }
    }

    /// The value of a slot at the current bar.
    package subscript(slot: Slot) -> Double { columns[slot &* capacity &+ cursor.pointee.row] }

    /// Reads slots at the current bar without holding the evaluator: valid while it lives.
    var reader: SlotReader { SlotReader(columns: columns, capacity: capacity, cursor: cursor) }

    /// Precomputed bars not yet stepped.
    package var precomputedLeft: Int { cursor.pointee.left }

    /// Evaluates every node on one bar (a live run's path).
    package func step(_ bar: BarInput) {
        cursor.pointee = (0, 0)
        times[0] = bar.time
        let calendar = readsCalendar ? Calendar(utcMilliseconds: bar.time) : Calendar()
        for (field, out) in barFields { columns[out &* capacity] = value(field, bar, calendar) }
        for op in independent { run(op, rows: 0..<1) }
        for op in dependent { run(op, rows: 0..<1) }
    }

    /// Computes the bar-only nodes for `rows` of a chunk, whose first row is bar number `firstIndex`.
    /// Then each of those bars, in order, takes one `stepPrecomputed()`.
    package func precompute(_ chunk: BarSeries, rows: Range<Int>, firstIndex: Int) {
        precondition(rows.count <= capacity, "a precomputed window is at most `capacity` bars")
        let n = rows.count
        chunk.time.withUnsafeBufferPointer { (times + 0).update(from: $0.baseAddress! + rows.lowerBound, count: n) }
        for (field, out) in barFields {
            let column = columns + out * capacity
            func copy(_ source: [Double]) {
                source.withUnsafeBufferPointer { column.update(from: $0.baseAddress! + rows.lowerBound, count: n) }
            }
            func combine(_ f: (Int) -> Double) { for r in 0..<n { column[r] = f(rows.lowerBound + r) } }
            switch field {
            case .open: copy(chunk.open)
            case .high: copy(chunk.high)
            case .low: copy(chunk.low)
            case .close: copy(chunk.close)
            case .volume: copy(chunk.volume)
            case .hl2: combine { (chunk.high[$0] + chunk.low[$0]) / 2 }
            case .hlc3: combine { (chunk.high[$0] + chunk.low[$0] + chunk.close[$0]) / 3 }
            case .ohlc4: combine { (chunk.open[$0] + chunk.high[$0] + chunk.low[$0] + chunk.close[$0]) / 4 }
            case .barIndex: for r in 0..<n { column[r] = Double(firstIndex + r) }
            case .hour, .minute, .dayOfWeek, .month, .year:
                for r in 0..<n {
                    let bar = BarInput(time: times[r], open: 0, high: 0, low: 0, close: 0, volume: 0, index: firstIndex + r)
                    column[r] = value(field, bar, Calendar(utcMilliseconds: times[r]))
                }
            }
        }
        for op in independent { run(op, rows: 0..<n) }
        cursor.pointee = (-1, n)
    }

    /// Moves to the next precomputed bar and evaluates the nodes that read the engine's state.
    package func stepPrecomputed() {
        precondition(cursor.pointee.left > 0, "no precomputed bar left")
        cursor.pointee.row &+= 1
        cursor.pointee.left &-= 1
        let row = cursor.pointee.row
        for op in dependent { run(op, rows: row..<row &+ 1) }
    }

    /// Whether every node is bar-only, so a precomputed window holds the program's every value
    /// ahead of the engine (what lets a backtest take quiet bars in bulk).
    package var computesAhead: Bool { dependent.isEmpty }

    /// Slot `slot`'s precomputed values from the next bar on (`precomputedLeft` of them).
    package func upcoming(_ slot: Slot) -> UnsafePointer<Double> { UnsafePointer(columns + (slot &* capacity &+ cursor.pointee.row &+ 1)) }

    /// Steps `count` precomputed bars at once: only when `computesAhead`, as nothing is left to evaluate.
    package func skipPrecomputed(_ count: Int) {
        precondition(dependent.isEmpty && count <= cursor.pointee.left, "only precomputed bar-only programs skip bars")
        cursor.pointee.row &+= count
        cursor.pointee.left &-= count
    }

    private func column(_ slot: Slot) -> UnsafeMutablePointer<Double> { columns + slot &* capacity }

    /// One node over a run of rows: the switch is taken once, the loop inside is tight.
    private func run(_ op: Op, rows: Range<Int>) {
        switch op {
        case .state(let index, let out): column(out)[rows.lowerBound] = state[index]
        case .signal(let index, let out): column(out)[rows.lowerBound] = signals[index]
        case .context(let index, let out): column(out)[rows.lowerBound] = contexts[index]
        case .constant(let value, let out): (column(out) + rows.lowerBound).update(repeating: value, count: rows.count)
        case .unary(let o, let a, let out):
            let x = column(a), y = column(out)
            switch o {
            case .negate: for r in rows { y[r] = -x[r] }
            case .not: for r in rows { y[r] = Logic.unary(.not, x[r]) }
            }
        case .binary(let o, let a, let b, let out):
            let x = column(a), z = column(b), y = column(out)
            switch o {
            case .add: for r in rows { y[r] = x[r] + z[r] }
            case .subtract: for r in rows { y[r] = x[r] - z[r] }
            case .multiply: for r in rows { y[r] = x[r] * z[r] }
            case .divide: for r in rows { y[r] = x[r] / z[r] }
            default: for r in rows { y[r] = Logic.binary(o, x[r], z[r]) }
            }
        case .conditional(let c, let t, let e, let out):
            let test = column(c), yes = column(t), no = column(e), y = column(out)
            for r in rows { y[r] = test[r].isNaN ? .nan : (test[r] == 1 ? yes[r] : no[r]) }
        case .history(let ring, let from, let bars, let out):
            let x = column(from), y = column(out)
            for r in rows {
                rings[ring].push(x[r])
                y[r] = rings[ring].count > bars ? rings[ring][ago: bars] : .nan
            }
        case .indicator(let index):
            kernels[index].run(Columns(base: columns, capacity: capacity, times: times, rows: rows))
        case .math(let function, let a, let b, let c, let out):
            let x = column(a), z = column(b), w = column(c), y = column(out)
            for r in rows { y[r] = function.apply(x[r], z[r], w[r]) }
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

/// The engine's view of an evaluator's current values: reading through it costs no reference
/// counting on the per-bar path. The book that holds it also holds the evaluator.
struct SlotReader {
    let columns: UnsafeMutablePointer<Double>
    let capacity: Int
    let cursor: UnsafeMutablePointer<(row: Int, left: Int)>

    @inline(__always)
    subscript(slot: Slot) -> Double { columns[slot &* capacity &+ cursor.pointee.row] }
}

/// Three-valued logic over 1 (true), 0 (false) and NaN (no value): a rule fires only on a definite 1.
package enum Logic {
    @inline(__always)
    package static func unary(_ op: UnaryOperator, _ a: Double) -> Double {
        switch op {
        case .negate: -a
        case .not: a.isNaN ? .nan : 1 - a
        }
    }

    @inline(__always)
    package static func binary(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double {
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
package enum MathFunction: String, Sendable {
    case abs, min, max, clamp, round, floor, ceil, sqrt, log, exp, pow, sign, nz

    package func apply(_ a: Double, _ b: Double, _ c: Double) -> Double {
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
