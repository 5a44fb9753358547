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

/// Reads `timestamp,open,high,low,close[,volume][,signal...]` CSV files into a `BarSeries`.
///
/// Numbers and timestamps are parsed from the bytes directly (see `DecimalParser` and
/// `TimestampParser`); extra numeric columns become signals. Rows are validated as they are read.
public struct CSVBarReader {
    public struct Result: Sendable {
        public var series: BarSeries
        /// Rows dropped under `.skip`; empty otherwise.
        public var skipped: [DataProblem]
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var problems: [DataProblem]
        /// Bad rows beyond the ones listed.
        public var more: Int

        public var description: String {
            problems.map(\.description).joined(separator: "\n") + (more > 0 ? "\n... and \(more) more bad rows" : "")
        }
    }

    /// How many problems a failure lists before it only counts.
    public static let problemsListed = 20

    public static func read(path: String, symbol: String, policy: BadRowPolicy = .error) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(problems: [DataProblem(file: path, row: 0, message: "cannot read the file")], more: 0)
        }
        return try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), file: path, symbol: symbol, policy: policy)
        }
    }

    public static func parse(_ text: String, file: String = "<text>", symbol: String, policy: BadRowPolicy = .error) throws -> Result {
        var text = text
        return try text.withUTF8 { try parse($0, file: file, symbol: symbol, policy: policy) }
    }

    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, symbol: String,
                             policy: BadRowPolicy) throws -> Result {
        var lines = LineCursor(bytes)
        guard let header = lines.next() else {
            throw Failure(problems: [DataProblem(file: file, row: 1, message: "the file is empty; expected a header such as timestamp,open,high,low,close,volume")], more: 0)
        }
        let layout = try Layout(header: header, bytes: bytes, file: file)
        var series = BarSeries(symbol: symbol, signalNames: layout.signalNames)
        series.reserve(bytes.count / 48)
        var problems: [DataProblem] = []
        var badRows = 0
        var row = 1
        var fields = [Range<Int>]()
        var signalValues = [Double](repeating: .nan, count: layout.signalNames.count)
        var fast = FastRowParser(layout)
        var epochUnit: EpochUnit?
        while let line = lines.next() {
            row += 1
            if line.isEmpty { continue }
            if fast?.append(line, bytes, to: &series, lastTime: nil, epochUnit: &epochUnit) == true { continue }
            split(line, bytes, into: &fields)
            if let message = validate(fields, bytes, layout, &series, &signalValues, epochUnit: &epochUnit) {
                badRows += 1
                if problems.count < problemsListed || policy == .skip {
                    problems.append(DataProblem(file: file, row: row, message: message))
                }
            }
        }
        if policy == .error, !problems.isEmpty {
            throw Failure(problems: problems, more: badRows - problems.count)
        }
        return Result(series: series, skipped: problems)
    }

    /// Appends the row when it is good; otherwise says what is wrong with it.
    static func validate(_ fields: [Range<Int>], _ bytes: UnsafeBufferPointer<UInt8>, _ layout: Layout,
                                 _ series: inout BarSeries, _ signalValues: inout [Double], lastTime: Int64? = nil,
                                 epochUnit: inout EpochUnit?) -> String? {
        guard fields.count == layout.columnCount else {
            return "expected \(layout.columnCount) fields, found \(fields.count)"
        }
        let timeField = fields[layout.time]
        guard let time = TimestampParser.parse(bytes, timeField.lowerBound, timeField.upperBound) else {
            return "'\(text(timeField, bytes))' is not a timestamp (ISO-8601, or epoch seconds, milliseconds, microseconds or nanoseconds)"
        }
        let unit = TimestampParser.epochUnit(bytes, timeField.lowerBound, timeField.upperBound)
        if let unit, let fileUnit = epochUnit, unit != fileUnit {
            return "timestamp \(text(timeField, bytes)) reads as epoch \(unit.rawValue) (by its \(timeField.count) digits) where the file's "
                + "first rows are epoch \(fileUnit.rawValue); a file keeps one unit: convert the rows, or split the file"
        }
        let open: Double, high: Double, low: Double, close: Double
        do {
            open = try price(fields[layout.open], "open", bytes)
            high = try price(fields[layout.high], "high", bytes)
            low = try price(fields[layout.low], "low", bytes)
            close = try price(fields[layout.close], "close", bytes)
        } catch {
            return error.message
        }
        if high < low { return "high \(text(fields[layout.high], bytes)) is below low \(text(fields[layout.low], bytes))" }
        if open > high || open < low { return "open \(text(fields[layout.open], bytes)) is outside the bar's range [low, high]" }
        if close > high || close < low { return "close \(text(fields[layout.close], bytes)) is outside the bar's range [low, high]" }
        var volume = 0.0
        if let column = layout.volume {
            let field = fields[column]
            guard let value = DecimalParser.parse(bytes, field.lowerBound, field.upperBound), value.isFinite, value >= 0 else {
                return "volume '\(text(field, bytes))' is not a finite number of at least 0"
            }
            volume = value
        }
        if let last = series.time.last ?? lastTime {
            if time == last { return "duplicate timestamp \(text(timeField, bytes))" }
            if time < last { return "timestamp \(text(timeField, bytes)) is earlier than the row before it" }
        }
        for (index, column) in layout.signalColumns.enumerated() {
            let field = fields[column]
            // An empty signal cell means "no value" on this bar.
            signalValues[index] = field.isEmpty ? .nan : (DecimalParser.parse(bytes, field.lowerBound, field.upperBound) ?? .nan)
        }
        series.append(time: time, open: open, high: high, low: low, close: close, volume: volume, signals: signalValues)
        if let unit { epochUnit = unit }
        return nil
    }

    struct RowError: Error { let message: String }

    /// A price: a finite number above 0.
    private static func price(_ field: Range<Int>, _ name: String, _ bytes: UnsafeBufferPointer<UInt8>) throws(RowError) -> Double {
        guard let value = DecimalParser.parse(bytes, field.lowerBound, field.upperBound) else {
            throw RowError(message: "\(name) '\(text(field, bytes))' is not a number")
        }
        guard value.isFinite else { throw RowError(message: "\(name) is \(text(field, bytes)); prices must be finite") }
        guard value > 0 else { throw RowError(message: "\(name) is \(text(field, bytes)); prices must be above 0") }
        return value
    }

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

    /// Which column holds what, from the header.
    struct Layout {
        var time = 0, open = 0, high = 0, low = 0, close = 0
        var volume: Int?
        var signalColumns: [Int] = []
        var signalNames: [String] = []
        var columnCount = 0

        init(header: Range<Int>, bytes: UnsafeBufferPointer<UInt8>, file: String) throws {
            var fields = [Range<Int>]()
            CSVBarReader.split(header, bytes, into: &fields)
            let names = fields.map { CSVBarReader.text($0, bytes).lowercased() }
            columnCount = names.count
            var found: [String: Int] = [:]
            for (index, name) in names.enumerated() {
                let canonical = ["time", "date", "datetime", "timestamp"].contains(name) ? "timestamp" : name
                if found[canonical] != nil {
                    throw Failure(problems: [DataProblem(file: file, row: 1, message: "column '\(name)' appears twice in the header")], more: 0)
                }
                found[canonical] = index
            }
            let required = ["timestamp", "open", "high", "low", "close"]
            let missing = required.filter { found[$0] == nil }
            guard missing.isEmpty else {
                throw Failure(problems: [DataProblem(file: file, row: 1, message: "the header lacks \(missing.joined(separator: ", ")); expected timestamp,open,high,low,close,volume")], more: 0)
            }
            time = found["timestamp"]!
            open = found["open"]!
            high = found["high"]!
            low = found["low"]!
            close = found["close"]!
            volume = found["volume"]
            for (index, name) in names.enumerated() where !(required + ["volume"]).contains(name) && index != time {
                signalColumns.append(index)
                signalNames.append(name)
            }
        }
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
