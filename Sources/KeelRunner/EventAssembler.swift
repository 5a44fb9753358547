import KeelData
import KeelEngine

/// Turns a live stream's events into the engine's time steps, by one documented policy
/// (README, "Live streams"):
///
/// - A time step holds every universe symbol's bar at one time. It closes when every symbol has
///   its bar, when any event carries a later time, or at the end of a file stream.
/// - Quotes become bars of the strategy's timeframe, aligned to the boundary; a bar closes when
///   time (any event's) reaches its end. Bars finer than the timeframe are resampled the same way
///   (as a backtest resamples them); the end of a file stream also closes a bar built from bars.
/// - A signal holds its value from its time on, for the bars of its symbol that follow.
/// - Refused, journaled, never applied: a bar at or before a closed step (`late`), a second bar of
///   a symbol within the open step (`duplicate` when equal, `conflict` when not: the first one
///   stands), a quote for a bar already closed (`late`), an older value of a signal (`late`), a
///   symbol outside the universe (`unknown_symbol`), a signal the strategy does not read
///   (`unknown_signal`), quotes without a timeframe (`no_timeframe`), an event past the horizon
///   the caller gives (`clock_skew`: one bad timestamp years ahead would otherwise make every later
///   real bar late).
///
/// It reads no clock: the same events give the same steps, which is what makes a restart exact.
package struct EventAssembler {
    package enum Verdict: Equatable, Sendable {
        case accepted
        case refused(status: String, reason: String)
    }

    package struct Step: Sendable {
        package var time: Int64
        package var symbols: [Int]
        package var bars: [BarInput]
        package var signals: [[Double]]
    }

    package let symbols: [String]
    private let index: [String: Int]
    private let signalNames: [String]
    private var builders: [BarBuilder]?
    private var pendingTime: Int64?
    private var pending: [BarInput?]
    /// The time of the last closed step: nothing at or before it is taken any more.
    package private(set) var lastStepTime = Int64.min
    /// Bars each symbol has had: the next bar's `index`.
    package private(set) var barCounts: [Int]
    private var signalValues: [[Double]]
    private var signalTimes: [[Int64]]
    private var ready: [Step] = []
    /// Each symbol's last bar event as it came, before any resampling: a second one at its time is a duplicate.
    private var lastBar: [BarBuilder.Bar?]
    private var inference: BarSizeInference
    /// The stream's own bar size, inferred from its bars as a backtest infers it; nil before two bars of a symbol.
    package var streamBarSeconds: Int? { inference.seconds }

    /// The newest event time taken so far.
    package private(set) var newestTime: Int64?

    /// Bars finer than `barMilliseconds` are resampled to it (the strategy declares its timeframe);
    /// otherwise bars pass as they are and `barMilliseconds` serves quotes only.
    package let resamplesBars: Bool
    private let barMilliseconds: Int64?
    /// Each symbol's smallest gap between consecutive bars so far: a bar that reaches its bucket's
    /// end by it completes the bucket at once.
    private var smallestGap: [Int64?]
    /// Gaps each symbol has had: its bar size is judged after three, as a backtest judges a file's.
    private var gapCounts: [Int]
    /// Why the stream cannot serve the strategy's timeframe (bars coarser than it, or no divisor of
    /// it): from then on that symbol's bars are refused as `timeframe`, and the runner stops.
    package private(set) var timeframeRefusal: String?
    package static let timeframeStatus = "timeframe"

    package init(symbols: [String], signalNames: [String], barMilliseconds: Int64?, resamplesBars: Bool = false) {
        self.resamplesBars = resamplesBars && barMilliseconds != nil
        self.barMilliseconds = barMilliseconds
        smallestGap = Array(repeating: nil, count: symbols.count)
        gapCounts = Array(repeating: 0, count: symbols.count)
        self.symbols = symbols
        index = Dictionary(symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.signalNames = signalNames
        builders = barMilliseconds.map { period in symbols.map { _ in BarBuilder(periodMilliseconds: period) } }
        pending = Array(repeating: nil, count: symbols.count)
        barCounts = Array(repeating: 0, count: symbols.count)
        signalValues = symbols.map { _ in Array(repeating: .nan, count: signalNames.count) }
        signalTimes = symbols.map { _ in Array(repeating: .min, count: signalNames.count) }
        lastBar = Array(repeating: nil, count: symbols.count)
        inference = BarSizeInference(symbols: symbols.count)
    }

    /// Applies one event; the steps it closed wait in `takeSteps()`. An event after `horizon`
    /// (epoch milliseconds) is refused as `clock_skew`; the assembler reads no clock, its caller does.
    package mutating func accept(_ event: MarketEvent, horizon: Int64? = nil) -> Verdict {
        if let name = event.symbol, index[name] == nil {
            return .refused(status: "unknown_symbol", reason: "\(name) is not in the run's universe (\(symbols.joined(separator: ", ")))")
        }
        if let horizon, event.time > horizon {
            return .refused(status: "clock_skew", reason: "\(TimestampParser.format(event.time)) is past \(TimestampParser.format(horizon)), "
                + "the latest time a bar can have now (--max-clock-skew); a bad clock or timestamp")
        }
        let verdict = take(event)
        if verdict == .accepted { newestTime = max(newestTime ?? event.time, event.time) }
        return verdict
    }

    private mutating func take(_ event: MarketEvent) -> Verdict {
        switch event {
        case .bar(let name, let time, let open, let high, let low, let close, let volume):
            let s = index[name]!
            let bar = BarBuilder.Bar(time: time, open: open, high: high, low: low, close: close, volume: volume)
            guard resamplesBars else {
                if let verdict = refuseLateBar(s, time) { return verdict }
                advance(to: time)
                inference.add(symbol: s, time: time)
                return place(s, BarInput(time: time, open: open, high: high, low: low, close: close, volume: volume, index: 0))
            }
            if let verdict = refuseResampledBar(s, bar) { return verdict }
            if let last = lastBar[s], time > last.time {
                smallestGap[s] = min(smallestGap[s] ?? .max, time - last.time)
                gapCounts[s] += 1
            }
            if gapCounts[s] >= 3, let gap = smallestGap[s], let period = barMilliseconds,
               let refusal = TimeframePlan.refusal(symbol: name, barSeconds: Int(gap / 1_000), timeframeSeconds: Int(period / 1_000)) {
                timeframeRefusal = timeframeRefusal ?? refusal.description
                return .refused(status: Self.timeframeStatus, reason: refusal.description)
            }
            advance(to: time)
            inference.add(symbol: s, time: time)
            lastBar[s] = bar
            _ = builders![s].add(bar)
            // A bar that ends where its bucket ends completes it: an hour stream for an hourly strategy
            // waits for nothing. Only once three gaps have judged the bar size: a sparse start (00:56, 00:58)
            // overstates it, and would close the bucket before 00:59 came. Until then a bucket closes as
            // quotes' do, when time reaches its end.
            if gapCounts[s] >= 3, let gap = smallestGap[s], time + gap >= builders![s].boundary(time) + builders![s].periodMilliseconds,
               let complete = builders![s].finish() {
                _ = place(s, BarInput(complete))
            }
            return .accepted
        case .quote(let name, let time, let price, let size):
            let s = index[name]!
            guard let builder = builders?[s] else {
                return .refused(status: "no_timeframe", reason: "quotes become bars of the strategy's timeframe, and it names none")
            }
            if builder.isLate(time) || builder.boundary(time) <= lastStepTime {
                return .refused(status: "late", reason: "\(name) quote at \(TimestampParser.format(time)) belongs to a bar already closed")
            }
            advance(to: time)
            _ = builders![s].add(time: time, price: price, size: size)
            return .accepted
        case .signal(let name, let time, let signal, let value):
            let s = index[name]!
            guard let k = signalNames.firstIndex(of: signal) else {
                return .refused(status: "unknown_signal", reason: "the strategy reads no signal.\(signal)")
            }
            if time < signalTimes[s][k] {
                return .refused(status: "late", reason: "signal.\(signal) of \(name) at \(TimestampParser.format(time)) is older than its last value")
            }
            advance(to: time)
            signalValues[s][k] = value
            signalTimes[s][k] = time
            return .accepted
        case .heartbeat(let time):
            advance(to: time)
            return .accepted
        }
    }

    /// The end of a file stream: the open step is complete. A bar still being built from quotes
    /// is not: it closes when time passes its end (more of the file, or a heartbeat).
    package mutating func endOfStream() {
        if builders != nil {
            for s in symbols.indices where builders![s].holdsBars {
                if let bar = builders![s].finish() { _ = place(s, BarInput(bar)) }
            }
        }
        closePending()
    }

    package mutating func takeSteps() -> [Step] {
        defer { ready.removeAll(keepingCapacity: true) }
        return ready
    }

    private func refuseLateBar(_ s: Int, _ time: Int64) -> Verdict? {
        // Built only for a refusal: formatting a time for every accepted bar cost more than accepting it.
        var what: String { "\(symbols[s]) bar at \(TimestampParser.format(time))" }
        if time <= lastStepTime {
            return .refused(status: "late", reason: "\(what) is not after the last closed step (\(TimestampParser.format(lastStepTime)))")
        }
        if let open = pendingTime, time < open {
            return .refused(status: "late", reason: "\(what) is older than the open step (\(TimestampParser.format(open)))")
        }
        return nil
    }

    /// A bar that would be resampled: refused when its bucket has closed, or when the symbol already
    /// had a bar at or after its time (the first one stands).
    private func refuseResampledBar(_ s: Int, _ bar: BarBuilder.Bar) -> Verdict? {
        var what: String { "\(symbols[s]) bar at \(TimestampParser.format(bar.time))" }
        if builders![s].isLate(bar.time) || builders![s].boundary(bar.time) <= lastStepTime || (lastBar[s].map { bar.time < $0.time } ?? false) {
            return .refused(status: "late", reason: "\(what) belongs to a bar already closed")
        }
        if let last = lastBar[s], bar.time == last.time {
            return bar == last
                ? .refused(status: "duplicate", reason: "\(symbols[s]) already has this bar at \(TimestampParser.format(bar.time))")
                : .refused(status: "conflict", reason: "\(symbols[s]) already has a different bar at \(TimestampParser.format(bar.time)); the first stands")
        }
        return nil
    }

    /// Time has reached `time`: bars built from quotes that end by then close, then the open step if older.
    private mutating func advance(to time: Int64) {
        if builders != nil {
            for s in symbols.indices {
                if let bar = builders![s].close(at: time) { _ = place(s, BarInput(bar)) }
            }
        }
        // Resampled, the open step's bars are stamped with their bucket's start: events inside the
        // bucket do not close it, the first event of a later bucket does.
        let end = resamplesBars ? pendingTime.map { $0 + (barMilliseconds ?? 1) } : pendingTime.map { $0 + 1 }
        if let end, end <= time { closePending() }
    }

    private mutating func place(_ s: Int, _ bar: BarInput) -> Verdict {
        if let open = pendingTime, bar.time > open { closePending() }
        if let existing = pending[s] {
            let same = existing.open == bar.open && existing.high == bar.high && existing.low == bar.low && existing.close == bar.close
                && existing.volume == bar.volume
            return same
                ? .refused(status: "duplicate", reason: "\(symbols[s]) already has this bar at \(TimestampParser.format(bar.time))")
                : .refused(status: "conflict", reason: "\(symbols[s]) already has a different bar at \(TimestampParser.format(bar.time)); the first stands")
        }
        pendingTime = bar.time
        pending[s] = bar
        if pending.allSatisfy({ $0 != nil }) { closePending() }
        return .accepted
    }

    private mutating func closePending() {
        guard let time = pendingTime else { return }
        var step = Step(time: time, symbols: [], bars: [], signals: [])
        for s in symbols.indices {
            guard var bar = pending[s] else { continue }
            bar.index = barCounts[s]
            barCounts[s] += 1
            step.symbols.append(s)
            step.bars.append(bar)
            step.signals.append(signalValues[s])
            pending[s] = nil
        }
        pendingTime = nil
        lastStepTime = time
        ready.append(step)
    }
}
