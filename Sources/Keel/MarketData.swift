import Dispatch
import Foundation

/// Bar files opened the way every command opens them: Keel's cache next to a CSV when it matches
/// the CSV (built first when missing or stale), else the CSV itself, parsed ahead on one background
/// thread while the engine runs. `keel backtest` and the service's backtests share this policy.
public enum MarketData {
    /// How bar files are read.
    public struct Policy: Sendable {
        /// Read and write `.keelcache` files next to the CSVs.
        public var useCache: Bool
        /// What to do with bad rows: refuse the file, or drop and report each.
        public var badRows: BadRowPolicy

        /// By default Keel's cache is used and a bad row refuses its file.
        public init(useCache: Bool = true, badRows: BadRowPolicy = .error) { (self.useCache, self.badRows) = (useCache, badRows) }
    }

    /// A data file that cannot be read.
    public struct Unreadable: Error, CustomStringConvertible, Sendable {
        /// The file, as it was given.
        public let path: String
        /// `cannot read 'PATH'`.
        public var description: String { "cannot read '\(path)'" }
    }

    /// One streaming source per (symbol, path).
    /// - Throws: `Unreadable`, or the CSV's `CSVBarReader.Failure` when its header or first rows are refused.
    public static func open(_ files: [(symbol: String, path: String)], policy: Policy = Policy()) throws -> [BarSource] {
        let parsing = DispatchQueue(label: "keel.csv")
        return try files.map { symbol, path in
            guard FileManager.default.isReadableFile(atPath: path) else { throw Unreadable(path: path) }
            if policy.useCache, let cached = cachedSource(path, symbol: symbol) { return cached }
            return PrefetchingBarSource(try CSVBarStream(path: path, symbol: symbol, policy: policy.badRows), queue: parsing)
        }
    }

    /// The cache of a CSV, built when missing or stale; nil when it cannot be built (bad rows, a
    /// folder that is not writable): the CSV is then read directly.
    public static func cachedSource(_ csv: String, symbol: String) -> BarCacheReader? {
        if let reader = BarCache.validReader(for: csv, symbol: symbol) { return reader }
        guard (try? BarCache.build(csv: csv, symbol: symbol)) != nil else { return nil }
        return BarCache.validReader(for: csv, symbol: symbol)
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
        for case let source as CSVBarStream in sources.map({ ($0 as? PrefetchingBarSource)?.source ?? $0 }) {
            lines += source.skipped.map { "skipped \($0)" }
            if source.skippedUnlisted > 0 { lines.append("skipped \(source.skippedUnlisted) more bad rows in \(source.path)") }
        }
        return lines
    }
}
