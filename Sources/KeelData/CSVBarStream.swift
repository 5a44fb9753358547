import Foundation

/// Reads a bar file (plain or gzip-compressed, in any `BarFileLayout`) a buffer at a time and hands
/// out chunks of bars: memory stays the size of the buffer and one chunk, however long the file.
/// Rows are validated as `CSVBarReader` validates them (`RowDecoder`).
public final class CSVBarStream: BarSource {
    public let symbol: String
    public let path: String
    public let policy: BadRowPolicy
    public private(set) var signalNames: [String] = []
    /// Rows dropped under `.skip`, so far: the first `skippedListed`, then only counted.
    public private(set) var skipped: [DataProblem] = []
    public private(set) var skippedUnlisted = 0
    public static let skippedListed = 1_000
    /// Bad rows by kind, listed or not: repeated times, times out of order, and the rest.
    public var repeatedRows: Int { decoder.repeatedRows }
    public var outOfOrderRows: Int { decoder.outOfOrderRows }
    public private(set) var badRows = 0
    /// The layout the file was read in.
    public private(set) var layout = BarFileLayout.keel
    /// Whether Adj Close scales the prices (`--adjust`).
    public private(set) var adjusted = false
    /// Whether the file has a volume column.
    public private(set) var hasVolume = true
    /// Whether the file was gzip-compressed.
    public var compressed: Bool { file.compressed }
    /// How the rows read so far wrote their times (`ISO-8601`, `epoch milliseconds`, ...).
    public var timeForm: String { decoder.timeForm }

    private let file: FileBytes
    // Touched on every line, and never by two accesses at once: unchecked, or each access costs a
    // dynamic exclusivity check.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var start = 0
    private var atEnd = false
    @exclusivity(unchecked) private var row = 1
    @exclusivity(unchecked) private var lastTime: Int64?
    @exclusivity(unchecked) private var decoder: RowDecoder!
    private var barsRead = 0

    /// Bars per chunk.
    public static let chunkSize = 4_096

    public var fractionRead: Double { file.fileSize > 0 ? min(1, Double(file.bytesRead) / Double(file.fileSize)) : 1 }
    /// Bytes read from the file at a time.
    private let readSize: Int

    public init(path: String, symbol: String, policy: BadRowPolicy = .error, options: BarFileOptions = BarFileOptions(),
                readSize: Int = 1 << 20) throws {
        self.readSize = max(1, readSize)
        do { file = try FileBytes(path: path) } catch let failure as FileBytes.Failure { throw CSVBarReader.Failure.file(path, failure.message) }
        self.path = path
        self.symbol = symbol
        self.policy = policy
        try readHeader(options)
    }

    private func readHeader(_ options: BarFileOptions) throws {
        guard var header = try nextLine() else { throw CSVBarReader.Failure.file(path, row: 1, CSVBarReader.emptyFile) }
        let path = self.path
        let map = try buffer.withUnsafeBufferPointer { bytes in
            // A UTF-8 byte order mark is not part of the header.
            if header.count >= 3, bytes[header.lowerBound] == 0xEF, bytes[header.lowerBound + 1] == 0xBB,
               bytes[header.lowerBound + 2] == 0xBF { header = (header.lowerBound + 3)..<header.upperBound }
            return try ColumnMap(first: header, bytes: bytes, file: path, options: options)
        }
        // A file without a header: its first line is a row, read again with the rest.
        if !map.hasHeader { (start, row) = (header.lowerBound, 0) }
        (layout, adjusted, hasVolume) = (map.layout, map.adjust, map.volume != nil)
        signalNames = map.signalNames
        decoder = RowDecoder(map, symbol: symbol)
    }

    /// Fills `chunk` (emptied first, capacity kept) with the bars of up to `chunkSize` lines, reading
    /// on past lines that were all bad; false at the end. Under `.error` the first batch holding a
    /// bad row throws, listing its bad rows.
    public func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        while chunk.count == 0, try readBatch(into: &chunk) {}
        barsRead += chunk.count
        if chunk.count == 0, barsRead == 0, let missing = decoder.missingTicker(file: path) { throw missing }
        return chunk.count > 0
    }

    /// Reads up to `chunkSize` lines into `chunk`; false when there were no lines left.
    private func readBatch(into chunk: inout BarSeries) throws -> Bool {
        var problems: [DataProblem] = []
        var badRows = 0
        // Bounded by lines read, not bars kept: a run of bad rows must not pull the whole file in.
        var lines = 0
        while lines < Self.chunkSize, let line = try nextLine() {
            row += 1
            lines += 1
            if line.isEmpty { continue }
            let message: String? = buffer.withUnsafeBufferPointer { bytes in
                decoder.decode(line, bytes, into: &chunk, lastTime: lastTime)
            }
            if let message {
                badRows += 1
                self.badRows += 1
                let room = policy == .skip ? Self.skippedListed - skipped.count : CSVBarReader.problemsListed
                if problems.count < room { problems.append(DataProblem(file: path, row: row, message: message)) }
            } else {
                lastTime = chunk.time.last ?? lastTime
            }
        }
        if badRows > 0 {
            if policy == .error { throw CSVBarReader.Failure(problems: problems, more: badRows - problems.count) }
            skipped += problems
            skippedUnlisted += badRows - problems.count
        }
        return lines > 0
    }

    /// The index of the next line break at or after `start` (memchr: the generic search costs
    /// several times as much per byte).
    private func newlineIndex() -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            guard start < bytes.count, let base = bytes.baseAddress,
                  let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The next line as a range of `buffer`; reads more of the file when the buffer runs out.
    private func nextLine() throws -> Range<Int>? {
        while true {
            if let newline = newlineIndex() {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                defer { start = newline + 1 }
                return start..<end
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                var end = buffer.count
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                return start..<end
            }
            // Keep the partial line, drop what was consumed, read on.
            buffer.removeSubrange(0..<start)
            start = 0
            do {
                if try file.read(into: &buffer, count: readSize) == 0 { atEnd = true }
            } catch let failure as FileBytes.Failure {
                throw CSVBarReader.Failure.file(path, row: row, failure.message)
            }
        }
    }
}

/// Where a backtest's bars come from: a file read a chunk at a time, or a series already in memory.
public protocol BarSource: AnyObject {
    var symbol: String { get }
    var signalNames: [String] { get }
    /// How much of the source has been read, from 0 to 1 (for progress bars).
    var fractionRead: Double { get }
    /// Fills `chunk` with the next bars; false when there are no more.
    func next(into chunk: inout BarSeries) throws -> Bool
    /// The file behind the source (a wrapper's is its source's), once it has been read; nil for bars in memory.
    var origin: DataOrigin? { get }
}

/// A series in memory, handed out as one chunk.
public final class MemoryBarSource: BarSource {
    private var series: BarSeries?
    public let symbol: String
    public let signalNames: [String]

    public init(_ series: BarSeries) {
        self.series = series
        symbol = series.symbol
        signalNames = series.signalNames
    }

    public var fractionRead: Double { series == nil ? 1 : 0 }

    public func next(into chunk: inout BarSeries) throws -> Bool {
        guard let series else { return false }
        chunk = series
        self.series = nil
        return true
    }
}

/// Where a source's bars came from, for the output: the file, how it was read, and whether the cache served it.
public struct DataOrigin: Sendable, Equatable {
    public var file: String
    public var layout: BarFileLayout
    /// How the file wrote its times: `ISO-8601`, `epoch milliseconds`, ...
    public var timeForm: String
    public var compressed: Bool
    /// Prices scaled by Adj Close (`--adjust`).
    public var adjusted: Bool
    public var fromCache: Bool
    /// Whether the file has a volume column.
    public var hasVolume = true
    /// The bars' one-line summary (`BarStatistics.summary`) and what looks suspicious in them:
    /// gathered as they are read (`InspectingBarSource`), or when the cache entry was built.
    public var barsSummary: String?
    public var suspicious: [String] = []

    /// A Yahoo file read without `--adjust`: its prices are as traded, not adjusted for splits and dividends.
    public var unadjusted: Bool { layout == .yahoo && !adjusted }

    /// `Examples/data/SPY.csv: keel layout, ISO-8601 times, from the cache`.
    public var summary: String {
        var parts = ["\(layout.rawValue) layout", "\(timeForm) times"]
        if compressed { parts.append("gzip") }
        if adjusted { parts.append("adjusted by Adj Close") }
        if unadjusted { parts.append("prices unadjusted (--adjust applies Adj Close)") }
        if fromCache { parts.append("from the cache") }
        if let barsSummary { parts.append(barsSummary) }
        return "\(file): " + parts.joined(separator: ", ")
    }
}

extension BarSource {
    /// None: bars in memory come from no file.
    public var origin: DataOrigin? { nil }
}

extension CSVBarStream {
    public var origin: DataOrigin? {
        DataOrigin(file: path, layout: layout, timeForm: timeForm, compressed: compressed, adjusted: adjusted, fromCache: false, hasVolume: hasVolume)
    }
}
