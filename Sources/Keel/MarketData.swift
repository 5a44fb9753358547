import Dispatch
import Foundation

/// Bar files opened the way every command opens them: from Keel's cache when it holds the file as
/// it is now (built first when missing or stale), else the file itself, parsed ahead on one
/// background thread while the engine runs. `keel backtest` and the service's backtests share this
/// policy. The cache lives in the user's cache directory (`BarCache`), never beside the data.
public enum MarketData {
    /// How bar files are read.
    public struct Policy: Sendable {
        /// Read and write Keel's cache.
        public var useCache: Bool
        /// What to do with bad rows: refuse the file, or drop and report each.
        public var badRows: BadRowPolicy
        /// The cache's folder; nil for the user's cache directory (`BarCache.defaultDirectory`).
        public var cacheDirectory: String?
        /// The layout (nil: detected) and whether prices are adjusted.
        public var file: BarFileOptions

        /// By default Keel's cache is used, a bad row refuses its file, and the layout is detected.
        public init(useCache: Bool = true, badRows: BadRowPolicy = .error, cacheDirectory: String? = nil, file: BarFileOptions = BarFileOptions()) {
            (self.useCache, self.badRows, self.cacheDirectory, self.file) = (useCache, badRows, cacheDirectory, file)
        }
    }

    /// A data file that cannot be read.
    public struct Unreadable: Error, CustomStringConvertible, Sendable {
        /// The file, as it was given.
        public let path: String
        /// `cannot read 'PATH'`.
        public var description: String { "cannot read '\(path)'" }
    }

    /// One streaming source per symbol; a symbol listed with several files (together, in the order
    /// to read them) gets a `ChainedBarSource` of them.
    /// - Throws: `Unreadable`, or the file's `CSVBarReader.Failure` when its header or first rows are refused.
    public static func open(_ files: [(symbol: String, path: String)], policy: Policy = Policy()) throws -> [BarSource] {
        let parsing = DispatchQueue(label: "keel.csv")
        return try DataFolder.grouped(files).map { symbol, paths in
            let parts = try paths.map { try open(path: $0, symbol: symbol, policy: policy, parsing: parsing) }
            return parts.count == 1 ? parts[0] : try ChainedBarSource(parts)
        }
    }

    private static func open(path: String, symbol: String, policy: Policy, parsing: DispatchQueue) throws -> BarSource {
        guard FileManager.default.isReadableFile(atPath: path) else { throw Unreadable(path: path) }
        if policy.useCache, let cached = cachedSource(BarCache.Key(file: path, symbol: symbol, options: policy.file),
                                                      in: policy.cacheDirectory ?? BarCache.defaultDirectory()) {
            // The entry holds its file's statistics, gathered when it was built.
            cached.displayPath = path
            return cached
        }
        let stream = try CSVBarStream(path: path, symbol: symbol, policy: policy.badRows, options: policy.file)
        return PrefetchingBarSource(InspectingBarSource(stream), queue: parsing)
    }

    /// The cache entry of a file, built when missing or stale; nil when it cannot be built (bad
    /// rows, a cache folder that cannot be written): the file is then read directly.
    public static func cachedSource(_ key: BarCache.Key, in directory: String) -> BarCacheReader? {
        if let reader = BarCache.validReader(for: key, in: directory) { return reader }
        guard (try? BarCache.build(key, in: directory)) != nil else { return nil }
        return BarCache.validReader(for: key, in: directory)
    }

    /// Every bar of each source, held in memory (a sweep reads the bars once for all its runs).
    public static func load(_ sources: [BarSource]) throws -> [BarSeries] {
        try sources.map { source in
            var series = BarSeries(symbol: source.symbol, signalNames: source.signalNames)
            var chunk = series
            while try source.next(into: &chunk) { series.append(contentsOf: chunk) }
            return series
        }
    }

    /// The rows the sources dropped under `badRows: .skip`, one line each, once they are read to the end.
    public static func skippedRows(_ sources: [BarSource]) -> [String] {
        for case let prefetching as PrefetchingBarSource in sources { prefetching.settle() }
        var lines: [String] = []
        for source in sources.flatMap({ ($0 as? ChainedBarSource)?.parts ?? [$0] }).compactMap(stream(under:)) {
            lines += source.skipped.map { "skipped \($0)" }
            if source.skippedUnlisted > 0 { lines.append("skipped \(source.skippedUnlisted) more bad rows in \(source.path)") }
        }
        return lines
    }

    /// The file stream under a source's wrappers, when the file is read directly (not from the cache).
    static func stream(under source: BarSource) -> CSVBarStream? {
        var current = source
        while true {
            if let stream = current as? CSVBarStream { return stream }
            if let prefetching = current as? PrefetchingBarSource {
                current = prefetching.source
            } else if let inspecting = current as? InspectingBarSource {
                current = inspecting.source
            } else {
                return nil
            }
        }
    }

    /// What a finished backtest's data should make its user look twice at: unadjusted vendor
    /// prices, a range the data does not cover, a warm-up the file could not give in full.
    public static func warnings(_ result: BacktestResult) -> [String] {
        var lines: [String] = []
        for (symbol, origin) in zip(result.symbols, result.dataFiles) {
            for line in origin?.suspicious ?? [] { lines.append("\(symbol): \(line)") }
        }
        for (symbol, origin) in zip(result.symbols, result.dataFiles) where origin?.unadjusted == true {
            lines.append("\(symbol): \(origin!.file) is a Yahoo file read unadjusted: prices are as traded, not adjusted for "
                + "splits and dividends; --adjust scales them by Adj Close")
        }
        guard result.range.isBounded else { return lines }
        let bar = Int64(result.barSeconds ?? 0) * 1_000
        if let from = result.range.from, result.firstTime > from + bar {
            lines.append("the data starts at \(TimestampParser.format(result.firstTime)), after --from \(result.range.fromText ?? "")")
        }
        if let until = result.range.until, result.lastTime + max(bar, 1) < until {
            lines.append("the data ends at \(TimestampParser.format(result.lastTime)), before --to \(result.range.toText ?? "")")
        }
        if result.range.from != nil {
            for (symbol, bars) in zip(result.symbols, result.warmupBars) where bars < result.warmupNeeded {
                lines.append("\(symbol): \(bars) of the \(result.warmupNeeded) warm-up bars are before --from: its rules have "
                    + "values only from bar \(result.warmupNeeded - bars + 1) of the range; an earlier --from gives them sooner")
            }
        }
        return lines
    }
}
