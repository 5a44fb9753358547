import KeelData
import KeelLanguage

/// What a declared `timeframe:` does to the data of a backtest: bars of that size are taken as they
/// are, finer bars are resampled to it (`ResampledBarSource`), coarser ones are refused. Never
/// silently ignored.
public enum TimeframePlan {
    /// A data file whose bars cannot serve the strategy's timeframe.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
        /// The strategy's `timeframe:` the data was judged against, for `file:line:column`; nil when the
        /// refusal is about the data alone (no bars).
        public var range: SourceRange?
        public init(description: String, range: SourceRange? = nil) { (self.description, self.range) = (description, range) }
    }

    /// Each source wrapped for the run (its first chunk read to learn its bar size), and the data's
    /// own bar size when it was resampled.
    public static func apply(_ sources: [BarSource], timeframeSeconds: Int,
                             declaredAt range: SourceRange? = nil) throws -> (sources: [BarSource], resampledFrom: Int?) {
        var wrapped: [BarSource] = []
        var finer: Int?
        for source in sources {
            var first = BarSeries(symbol: source.symbol, signalNames: source.signalNames)
            var live = try source.next(into: &first)
            while live && first.count == 0 { live = try source.next(into: &first) }
            // Decided on the smallest gap (a sparse file's most common gap can be two bars), reported as the most common.
            let inference = BarSizeInference([first])
            // Three gaps at least: two bars a skipped row apart say nothing about the file's bar size.
            guard inference.gapCount >= 3, let bar = inference.smallestSeconds, bar != timeframeSeconds else {
                wrapped.append(PrependedBarSource(source, first: first))
                continue
            }
            if var refusal = refusal(symbol: source.symbol, barSeconds: bar, timeframeSeconds: timeframeSeconds) {
                refusal.range = range
                throw refusal
            }
            finer = min(finer ?? bar, inference.seconds ?? bar)
            wrapped.append(ResampledBarSource(source, periodMilliseconds: Int64(timeframeSeconds) * 1_000, first: first))
        }
        return (wrapped, finer)
    }

    /// Why bars of `barSeconds` cannot serve the timeframe (coarser, or no divisor of it); nil when
    /// they can. A backtest refuses its data with it; a live run stops on it.
    public static func refusal(symbol: String, barSeconds bar: Int, timeframeSeconds: Int) -> Refusal? {
        let declared = text(timeframeSeconds), given = text(bar)
        if bar > timeframeSeconds {
            return Refusal(description: "\(symbol)'s bars are \(given), coarser than the strategy's timeframe \(declared): "
                + "give bars of \(declared) or finer, or write 'timeframe: \(given)'")
        }
        guard timeframeSeconds % bar == 0 else {
            return Refusal(description: "\(symbol)'s bars are \(given): the strategy's timeframe \(declared) is not a whole number "
                + "of them, so they cannot be resampled to it")
        }
        return nil
    }

    /// `90s`, `5m`, `4h`, `1d`, `1w`: the largest unit that divides the length.
    public static func text(_ seconds: Int) -> String {
        for unit in [DurationLiteral.Unit.weeks, .days, .hours, .minutes] where seconds % unit.secondsValue == 0 {
            return DurationLiteral(count: seconds / unit.secondsValue, unit: unit).description
        }
        return "\(seconds)s"
    }
}

private extension DurationLiteral.Unit {
    var secondsValue: Int { DurationLiteral(count: 1, unit: self).seconds ?? 1 }
}

/// A source whose first chunk was read already (to learn its bar size): hands it out first.
final class PrependedBarSource: BarSource {
    private let source: BarSource
    private var first: BarSeries?
    let symbol: String
    let signalNames: [String]

    init(_ source: BarSource, first: BarSeries) {
        self.source = source
        self.first = first.count > 0 ? first : nil
        (symbol, signalNames) = (source.symbol, source.signalNames)
    }

    var fractionRead: Double { source.fractionRead }

    func next(into chunk: inout BarSeries) throws -> Bool {
        if let first {
            chunk = first
            self.first = nil
            return true
        }
        return try source.next(into: &chunk)
    }
}

extension PrependedBarSource {
    package var origin: DataOrigin? { source.origin }
}
