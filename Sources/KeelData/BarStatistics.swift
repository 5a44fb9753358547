/// What a file's bars look like, gathered a chunk at a time as they are read: their count and
/// period, the bar size and how regular it is, the gaps (weekends and overnight sessions told
/// apart from missing data), price-scale jumps, and runs of zero volume. `keel data inspect`
/// prints it; a backtest gathers it on the bars it reads and warns on what is `suspicious`.
public struct BarStatistics: Sendable, Equatable {
    public var bars = 0
    public var firstTime: Int64?
    public var lastTime: Int64?
    /// Steps between bars, by length in milliseconds (the most common is the bar size).
    private var steps: [Int64: Int] = [:]
    /// The current run of equal steps, counted before it goes into `steps`: a dictionary update per bar would cost more than the bar.
    private var runStep: Int64 = 0
    private var runLength = 0
    /// Of those, the steps from a Friday to the Monday after (or within that weekend), by length.
    private var weekendSteps: [Int64: Int] = [:]
    private var lastClose = Double.nan
    private var lastTimeSeen: Int64?
    private var zeroRun = 0
    private var zeroRunStart: Int64 = 0
    /// Whether the file has a volume column (zero-volume runs mean nothing without one).
    public var hasVolume = true

    /// A bar whose open is 5x (or a fifth of) the close before it, or within 5% of a split ratio.
    public struct Jump: Sendable, Equatable {
        public var time: Int64
        public var ratio: Double
    }
    public private(set) var jumps: [Jump] = []
    public private(set) var jumpCount = 0

    public struct ZeroVolumeRuns: Sendable, Equatable {
        public var count = 0
        public var longest = 0
        public var longestStart: Int64 = 0
    }
    /// Runs of at least two bars with zero volume.
    public private(set) var zeroVolume = ZeroVolumeRuns()

    public init() {}

    static let splitRatios: [Double] = [2, 3, 4, 5, 8, 10, 20, 100]

    /// Adds a chunk's bars. The common bar (one step on, an ordinary move, some volume) costs a
    /// few comparisons: a backtest gathers these on every bar it reads.
    public mutating func add(_ chunk: BarSeries) {
        guard chunk.count > 0 else { return }
        if firstTime == nil { firstTime = chunk.time[0] }
        var (last, step, length, close) = (lastTimeSeen, runStep, runLength, lastClose)
        chunk.time.withUnsafeBufferPointer { time in
            chunk.open.withUnsafeBufferPointer { open in
                chunk.volume.withUnsafeBufferPointer { volume in
                    for i in 0..<time.count {
                        let now = time[i]
                        if let previous = last {
                            let gap = now - previous
                            if gap == step {
                                length += 1
                            } else {
                                flush(step, length)
                                (step, length) = (gap, 1)
                            }
                            // Bars an hour apart or more: few enough to look at each step's weekdays.
                            if gap >= 3_600_000, Self.spansWeekend(previous, now) { weekendSteps[gap, default: 0] += 1 }
                        }
                        last = now
                        // A move under 1.9x either way is no jump: the rest is checked only past it.
                        let ratio = open[i] / close
                        if ratio > 1.9 || ratio < 1 / 1.9 { noteJump(now, ratio) }
                        close = chunk.close[i]
                        if volume[i] == 0 {
                            if zeroRun == 0 { zeroRunStart = now }
                            zeroRun += 1
                        } else if zeroRun > 0 {
                            endZeroRun()
                        }
                    }
                }
            }
        }
        (lastTimeSeen, runStep, runLength, lastClose) = (last, step, length, close)
        bars += chunk.count
        lastTime = lastTimeSeen
    }

    static let day: Int64 = 86_400_000

    /// A time as its date when it is midnight UTC, else in full.
    static func day(_ time: Int64) -> String {
        let text = TimestampParser.format(time)
        return text.hasSuffix("T00:00:00Z") ? String(text.prefix(10)) : text
    }

    /// From Friday, Saturday or Sunday to Saturday, Sunday or Monday, at most three days on.
    static func spansWeekend(_ start: Int64, _ end: Int64) -> Bool {
        func floorDay(_ t: Int64) -> Int64 { t >= 0 ? t / day : (t - day + 1) / day }
        let (first, last) = (floorDay(start), floorDay(end))
        // 1970-01-01 was a Thursday: weekday 0 is Sunday.
        func weekday(_ d: Int64) -> Int64 { ((d + 4) % 7 + 7) % 7 }
        return last - first <= 3 && last > first && [5, 6, 0].contains(weekday(first)) && [6, 0, 1].contains(weekday(last))
    }

    private mutating func noteJump(_ time: Int64, _ ratio: Double) {
        let scale = ratio >= 1 ? ratio : 1 / ratio
        guard scale >= 5 || Self.splitRatios.contains(where: { abs(scale / $0 - 1) < 0.05 }) else { return }
        jumpCount += 1
        if jumps.count < 10 { jumps.append(Jump(time: time, ratio: ratio)) }
    }

    /// Counts a run of `length` equal steps of `step` milliseconds.
    private mutating func flush(_ step: Int64, _ length: Int) {
        if length > 0 { steps[step, default: 0] += length }
    }

    private mutating func endZeroRun() {
        if zeroRun >= 2 {
            zeroVolume.count += 1
            if zeroRun > zeroVolume.longest { (zeroVolume.longest, zeroVolume.longestStart) = (zeroRun, zeroRunStart) }
        }
        zeroRun = 0
    }

    /// The statistics with a zero-volume run still open at the end counted.
    public var finished: BarStatistics {
        var copy = self
        copy.endZeroRun()
        copy.flush(runStep, runLength)
        copy.runLength = 0
        return copy
    }

    /// The bar size in milliseconds: the most common step (the shorter of two equally common).
    public var barMilliseconds: Int64? {
        steps.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    }

    /// The share of steps exactly one bar long.
    public var regularity: Double {
        guard let bar = barMilliseconds else { return 1 }
        let total = steps.values.reduce(0, +)
        return total == 0 ? 1 : Double(steps[bar] ?? 0) / Double(total)
    }

    /// Steps longer than a bar, by kind: over a weekend, overnight between intraday sessions, and
    /// the rest (holidays, missing data), with the largest of those.
    public struct Gaps: Sendable, Equatable {
        public var weekend = 0
        public var overnight = 0
        public var other = 0
        /// The largest step among the others, in milliseconds, and how many are over four days.
        public var largestOther: Int64 = 0
        public var overFourDays = 0
    }

    public var gaps: Gaps {
        var gaps = Gaps()
        guard let bar = barMilliseconds else { return gaps }
        for (step, count) in steps where step > bar {
            let weekend = weekendSteps[step] ?? 0
            gaps.weekend += weekend
            let rest = count - weekend
            guard rest > 0 else { continue }
            if bar < Self.day, step < Self.day {
                gaps.overnight += rest
            } else {
                gaps.other += rest
                gaps.largestOther = max(gaps.largestOther, step)
                if step > 4 * Self.day { gaps.overFourDays += rest }
            }
        }
        return gaps
    }

    /// One line each for what a user should look at before trusting results on these bars.
    public var suspicious: [String] {
        var lines: [String] = []
        if jumpCount > 0 {
            let shown = jumps.prefix(3).map { "\(TimestampParser.format($0.time)) (x\(Self.ratioText($0.ratio)))" }.joined(separator: ", ")
            lines.append("\(jumpCount) price jump\(jumpCount == 1 ? "" : "s") of a split's or a unit change's size between bars: \(shown)"
                + (jumpCount > 3 ? ", ..." : ""))
        }
        if gaps.overFourDays > 0 {
            lines.append("\(gaps.overFourDays) gap\(gaps.overFourDays == 1 ? "" : "s") of more than four days (missing data?); the largest is \(Self.duration(gaps.largestOther))")
        }
        if hasVolume, zeroVolume.longest >= 10 {
            lines.append("\(zeroVolume.count) run\(zeroVolume.count == 1 ? "" : "s") of zero volume; the longest is \(zeroVolume.longest) bars from \(TimestampParser.format(zeroVolume.longestStart))")
        }
        return lines
    }

    static func ratioText(_ ratio: Double) -> String {
        let rounded = (ratio * 1_000).rounded() / 1_000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// `3d 4h`, `45m`, `1d`.
    public static func duration(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1_000
        let parts: [(Int64, String)] = [(seconds / 86_400, "d"), (seconds / 3_600 % 24, "h"), (seconds / 60 % 60, "m"), (seconds % 60, "s")]
        let text = parts.filter { $0.0 > 0 }.prefix(2).map { "\($0.0)\($0.1)" }.joined(separator: " ")
        return text.isEmpty ? "\(milliseconds)ms" : text
    }

    /// `2520 bars 2015-01-02 to 2021-11-25, 1d (93% one bar apart)`; the share only when below 100%.
    public var summary: String {
        guard let first = firstTime, let last = lastTime else { return "no bars" }
        var text = "\(bars) bars \(Self.day(first)) to \(Self.day(last))"
        if let bar = barMilliseconds {
            let share = Int((regularity * 100).rounded(.down))
            text += ", \(Self.duration(bar))" + (share < 100 ? " (\(share)% one bar apart)" : "")
        }
        return text
    }
}

/// Gathers `BarStatistics` on a source's bars as they pass (on the reading thread, when it wraps a
/// file's stream under a prefetching source).
package final class InspectingBarSource: BarSource {
    package let source: BarSource
    private var statistics = BarStatistics()
    package var symbol: String { source.symbol }
    package var signalNames: [String] { source.signalNames }
    package var fractionRead: Double { source.fractionRead }

    package init(_ source: BarSource) {
        self.source = source
        statistics.hasVolume = source.origin?.hasVolume ?? true
    }

    package func next(into chunk: inout BarSeries) throws -> Bool {
        guard try source.next(into: &chunk) else { return false }
        statistics.add(chunk)
        return true
    }

    package var origin: DataOrigin? {
        guard var origin = source.origin else { return nil }
        let finished = statistics.finished
        (origin.barsSummary, origin.suspicious) = (finished.summary, finished.suspicious)
        return origin
    }
}
