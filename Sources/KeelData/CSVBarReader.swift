import Foundation

/// What to do with a bad row (NaN, infinity, high below low, a non-positive price, a timestamp out
/// of order or repeated). `keel backtest --bad-rows` sets it.
public enum BadRowPolicy: String, Sendable, CaseIterable {
    /// Refuse the file; every bad row is reported with its file and row (the default).
    case error
    /// Drop the bad rows, report each as a warning, and go on with the rest.
    case skip
}

/// A problem in a data file, at a 1-based row (the header is row 1).
public struct DataProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var row: Int
    public var message: String

    public var description: String { "\(file):\(row): \(message)" }
}

/// Reads a bar file (Keel's CSV, a vendor's layout, either gzip-compressed) into a `BarSeries`.
///
/// Numbers and timestamps are parsed from the bytes directly (see `DecimalParser` and
/// `TimestampParser`); in Keel's layout extra numeric columns become signals. Rows are validated
/// as they are read (`RowDecoder`).
public struct CSVBarReader {
    public struct Result: Sendable {
        public var series: BarSeries
        /// Rows dropped under `.skip`; empty otherwise.
        public var skipped: [DataProblem]
        /// The layout read, and how its times were written (`ISO-8601`, `epoch milliseconds`, ...).
        public var layout: BarFileLayout
        public var timeForm: String
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var problems: [DataProblem]
        /// Bad rows beyond the ones listed.
        public var more: Int

        public var description: String {
            problems.map(\.description).joined(separator: "\n") + (more > 0 ? "\n... and \(more) more bad rows" : "")
        }

        static func file(_ file: String, row: Int = 0, _ message: String) -> Failure {
            Failure(problems: [DataProblem(file: file, row: row, message: message)], more: 0)
        }
    }

    /// How many problems a failure lists before it only counts.
    public static let problemsListed = 20

    public static func read(path: String, symbol: String, policy: BadRowPolicy = .error, options: BarFileOptions = BarFileOptions()) throws -> Result {
        var data: [UInt8] = []
        do {
            let file = try FileBytes(path: path)
            while try file.read(into: &data, count: 1 << 20) > 0 {}
        } catch let failure as FileBytes.Failure {
            throw Failure.file(path, failure.message)
        }
        return try data.withUnsafeBufferPointer { try parse($0, file: path, symbol: symbol, policy: policy, options: options) }
    }

    public static func parse(_ text: String, file: String = "<text>", symbol: String, policy: BadRowPolicy = .error,
                             options: BarFileOptions = BarFileOptions()) throws -> Result {
        var text = text
        return try text.withUTF8 { try parse($0, file: file, symbol: symbol, policy: policy, options: options) }
    }

    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, symbol: String,
                              policy: BadRowPolicy, options: BarFileOptions) throws -> Result {
        var lines = LineCursor(bytes)
        let headerStart = lines.position
        guard let header = lines.next() else { throw Failure.file(file, row: 1, emptyFile) }
        let map = try ColumnMap(first: header, bytes: bytes, file: file, options: options)
        var row = 1
        if !map.hasHeader { (lines.position, row) = (headerStart, 0) }
        var series = BarSeries(symbol: symbol, signalNames: map.signalNames)
        series.reserve(bytes.count / 48)
        var problems: [DataProblem] = []
        var badRows = 0
        var decoder = RowDecoder(map, symbol: symbol)
        while let line = lines.next() {
            row += 1
            if line.isEmpty { continue }
            if let message = decoder.decode(line, bytes, into: &series, lastTime: nil) {
                badRows += 1
                if problems.count < problemsListed || policy == .skip {
                    problems.append(DataProblem(file: file, row: row, message: message))
                }
            }
        }
        if policy == .error, !problems.isEmpty {
            throw Failure(problems: problems, more: badRows - problems.count)
        }
        if series.count == 0, let missing = decoder.missingTicker(file: file) { throw missing }
        return Result(series: series, skipped: problems, layout: map.layout, timeForm: decoder.timeForm)
    }

    static let emptyFile = "the file is empty; expected a header such as timestamp,open,high,low,close,volume"

    static func split(_ line: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var start = line.lowerBound
        for index in line where bytes[index] == UInt8(ascii: ",") {
            fields.append(trimmed(start..<index, bytes))
            start = index + 1
        }
        fields.append(trimmed(start..<line.upperBound, bytes))
    }

    private static func trimmed(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, bytes[lower] == UInt8(ascii: " ") || bytes[lower] == UInt8(ascii: "\"") { lower += 1 }
        while upper > lower, bytes[upper - 1] == UInt8(ascii: " ") || bytes[upper - 1] == UInt8(ascii: "\"") { upper -= 1 }
        return lower..<upper
    }

    /// A field as it appears in an error message: cut to 80 bytes (a 10 MB bad field is not quoted whole).
    static func text(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let limit = 80
        guard range.count > limit else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        let head = String(decoding: UnsafeBufferPointer(rebasing: bytes[range.lowerBound..<(range.lowerBound + limit)]), as: UTF8.self)
        return head + "... (\(range.count) bytes)"
    }
}

/// Walks the lines of a buffer: `\n` or `\r\n` endings, the last line with or without one.
struct LineCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // A UTF-8 byte order mark is not part of the header.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    mutating func next() -> Range<Int>? {
        guard position < bytes.count else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
        var end = position
        position += 1
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<end
    }
}
