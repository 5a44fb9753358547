import Foundation

/// Reads a bar CSV a buffer at a time and hands out chunks of bars: memory stays the size of the
/// buffer and one chunk, however long the file. Rows are validated as `CSVBarReader` validates them.
public final class CSVBarStream: BarSource {
    public let symbol: String
    public let path: String
    public let policy: BadRowPolicy
    public private(set) var signalNames: [String] = []
    /// Rows dropped under `.skip`, so far: the first `skippedListed`, then only counted.
    public private(set) var skipped: [DataProblem] = []
    public private(set) var skippedUnlisted = 0
    public static let skippedListed = 1_000

    private let handle: FileHandle
    // Touched on every line, and never by two accesses at once: unchecked, or each access costs a
    // dynamic exclusivity check.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var start = 0
    private var atEnd = false
    @exclusivity(unchecked) private var row = 1
    private var layout: CSVBarReader.Layout!
    @exclusivity(unchecked) private var lastTime: Int64?
    /// Fixed by the first epoch row (see `EpochUnit`).
    @exclusivity(unchecked) private var epochUnit: EpochUnit?
    @exclusivity(unchecked) private var fields: [Range<Int>] = []
    @exclusivity(unchecked) private var signalValues: [Double] = []
    /// The one-pass parser for the common layout, when the header has it.
    @exclusivity(unchecked) private var fast: FastRowParser?

    /// Bars per chunk.
    public static let chunkSize = 4_096

    public var fractionRead: Double { fileSize > 0 ? min(1, Double(bytesRead) / Double(fileSize)) : 1 }
    private var bytesRead = 0
    private let fileSize: Int
    /// Bytes read from the file at a time.
    private let readSize: Int

    public init(path: String, symbol: String, policy: BadRowPolicy = .error, readSize: Int = 1 << 20) throws {
        self.readSize = max(1, readSize)
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVBarReader.Failure(problems: [DataProblem(file: path, row: 0, message: "cannot read the file")], more: 0)
        }
        self.handle = handle
        self.path = path
        self.symbol = symbol
        self.policy = policy
        try readHeader()
    }

    deinit { try? handle.close() }

    private func readHeader() throws {
        guard let header = try nextLine() else {
            throw CSVBarReader.Failure(problems: [DataProblem(file: path, row: 1, message: "the file is empty; expected a header such as timestamp,open,high,low,close,volume")], more: 0)
        }
        let path = self.path
        layout = try buffer.withUnsafeBufferPointer { bytes in
            var header = header
            // A UTF-8 byte order mark is not part of the header.
            if header.count >= 3, bytes[header.lowerBound] == 0xEF, bytes[header.lowerBound + 1] == 0xBB,
               bytes[header.lowerBound + 2] == 0xBF { header = (header.lowerBound + 3)..<header.upperBound }
            return try CSVBarReader.Layout(header: header, bytes: bytes, file: path)
        }
        signalNames = layout.signalNames
        signalValues = [Double](repeating: .nan, count: signalNames.count)
        fast = FastRowParser(layout)
    }

    /// Fills `chunk` (emptied first, capacity kept) with the bars of up to `chunkSize` lines, reading
    /// on past lines that were all bad; false at the end. Under `.error` the first batch holding a
    /// bad row throws, listing its bad rows.
    public func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        while chunk.count == 0, try readBatch(into: &chunk) {}
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
                if fast?.append(line, bytes, to: &chunk, lastTime: lastTime, epochUnit: &epochUnit) == true { return nil }
                CSVBarReader.split(line, bytes, into: &fields)
                return CSVBarReader.validate(fields, bytes, layout, &chunk, &signalValues, lastTime: lastTime, epochUnit: &epochUnit)
            }
            if let message {
                badRows += 1
                let room = policy == .skip ? Self.skippedListed - skipped.count : CSVBarReader.problemsListed
                if problems.count < room { problems.append(DataProblem(file: path, row: row, message: message)) }
            } else {
                lastTime = chunk.time.last
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
            let data = handle.readData(ofLength: readSize)
            bytesRead += data.count
            if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
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
