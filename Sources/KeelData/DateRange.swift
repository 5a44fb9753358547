/// The period a run trades: `--from` and `--to`. A date alone is a whole UTC day (`--to
/// 2022-12-31` takes that day's bars); a time is an instant, in UTC unless it names its zone.
public struct DateRange: Sendable, Equatable {
    /// The first bar time traded, in epoch milliseconds; nil from the data's start.
    public var from: Int64?
    /// Bars before this time are traded; nil to the data's end.
    public var until: Int64?
    /// The bounds as they were written, for the output.
    public var fromText: String?
    public var toText: String?

    public init(from: Int64? = nil, until: Int64? = nil) { (self.from, self.until) = (from, until) }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads `--from` and `--to`; an unreadable bound, or a `--to` before `--from`, is refused.
    /// `names` are the bounds as the caller's user knows them (the service's `start_date` and `end_date`).
    public init(from: String?, to: String?, names: (from: String, to: String) = ("--from", "--to")) throws(Invalid) {
        func bound(_ text: String, _ flag: String) throws(Invalid) -> (time: Int64, dateOnly: Bool) {
            let dateOnly = text.utf8.count == 10
            guard let time = TimestampParser.parse(text), text.utf8.count >= 10 else {
                throw Invalid(description: "\(flag) takes a date (2021-01-31) or an ISO-8601 time (2021-01-31T14:30:00Z, 2021-01-31T09:30:00-05:00), not '\(text)'")
            }
            return (time, dateOnly)
        }
        if let from { self.from = try bound(from, names.from).time }
        if let to {
            let end = try bound(to, names.to)
            // A date runs to its day's end; a time is the last instant taken.
            until = end.time + (end.dateOnly ? 86_400_000 : 1)
        }
        (fromText, toText) = (from, to)
        if let start = self.from, let until, until <= start {
            throw Invalid(description: "\(names.to) \(to!) is before \(names.from) \(from!)")
        }
    }

    /// Whether the range restricts anything.
    public var isBounded: Bool { from != nil || until != nil }

    /// Whether a bar at `time` is inside the range.
    public func contains(_ time: Int64) -> Bool { time >= (from ?? .min) && time < (until ?? .max) }
}

/// A source cut to a `DateRange`, with up to `warmup` bars before its start kept so that the
/// strategy's indicators are ready when trading begins. Bars before those and after the range are
/// read and dropped.
public final class RangedBarSource: BarSource {
    public let source: BarSource
    public let range: DateRange
    /// Bars kept before the range for the indicators; `warmupBars` says how many the file had.
    public let warmup: Int
    public private(set) var warmupBars = 0
    /// The first and last bar inside the range (nil until read, or when there is none).
    public private(set) var firstInRange: Int64?
    public private(set) var lastInRange: Int64?
    /// The first and last bar time the file had at all (the last only once it is read to the end, or past the range).
    public private(set) var firstSeen: Int64?
    public private(set) var lastSeen: Int64?
    public var symbol: String { source.symbol }
    public var signalNames: [String] { source.signalNames }
    public var fractionRead: Double { source.fractionRead }

    private enum Phase { case before, inside, done }
    private var phase = Phase.before
    private var scratch: BarSeries
    private var tail: BarSeries

    public init(_ source: BarSource, range: DateRange, warmup: Int) {
        (self.source, self.range, self.warmup) = (source, range, max(0, warmup))
        scratch = BarSeries(symbol: source.symbol, signalNames: source.signalNames)
        tail = scratch
        if range.from == nil { phase = .inside }
    }

    public func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        while phase != .done, chunk.count == 0 {
            guard try source.next(into: &scratch) else {
                phase = .done
                break
            }
            if firstSeen == nil { firstSeen = scratch.time.first }
            lastSeen = scratch.time.last ?? lastSeen
            var start = 0
            if phase == .before {
                let from = range.from!
                guard let first = scratch.time.firstIndex(where: { $0 >= from }) else {
                    // All before the range: keep the last `warmup` bars.
                    tail.append(contentsOf: scratch)
                    if tail.count > warmup { tail.removeFirst(tail.count - warmup) }
                    continue
                }
                // The warm-up: the kept tail and this chunk's bars before the range, the last `warmup` of them.
                tail.append(contentsOf: scratch, range: 0..<first)
                if tail.count > warmup { tail.removeFirst(tail.count - warmup) }
                warmupBars = tail.count
                chunk.append(contentsOf: tail)
                tail.removeAll(keepingCapacity: false)
                (start, phase) = (first, .inside)
            }
            var end = scratch.count
            if let until = range.until, let last = scratch.time.last, last >= until {
                end = scratch.time[start...].firstIndex { $0 >= until } ?? scratch.count
                phase = .done
            }
            if start < end {
                if firstInRange == nil { firstInRange = scratch.time[start] }
                lastInRange = scratch.time[end - 1]
                chunk.append(contentsOf: scratch, range: start..<end)
            }
        }
        return chunk.count > 0
    }
}

extension RangedBarSource {
    public var origin: DataOrigin? { source.origin }
}
