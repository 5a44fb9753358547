/// The column layouts of bar files as users get them from their vendors. Detected from the header
/// and the first row; `--layout NAME` overrides the detection.
public enum BarFileLayout: String, Sendable, CaseIterable, Codable {
    /// Keel's own and the generic form: a header naming `timestamp` (or `time`, `date`,
    /// `datetime`), `open`, `high`, `low`, `close` and optionally `volume` in any order; the time as
    /// ISO-8601 (UTC unless it carries a zone) or an epoch in s, ms, µs or ns. Other columns are
    /// external signals.
    case keel
    /// Yahoo Finance daily: `Date,Open,High,Low,Close,Adj Close,Volume`. `Adj Close` never becomes
    /// a signal; with `adjust` it scales open, high, low and close by `Adj Close / Close`.
    case yahoo
    /// Stooq's bulk files: `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>`,
    /// dates as `YYYYMMDD`, times as `HHMMSS` (read as UTC).
    case stooq
    /// Binance klines: no header (or one starting `open_time`), twelve columns, the open time in
    /// epoch milliseconds, or microseconds for spot files from 2025-01-01 on; both may meet in one file.
    case binance
    /// Polygon (Massive) flat-file aggregates: `ticker,volume,open,close,high,low,window_start,transactions`,
    /// `window_start` in epoch nanoseconds. A file may hold many tickers: only the symbol's rows are read.
    case polygon
}

/// How a bar file is read: its layout (nil: detected) and whether prices are adjusted.
public struct BarFileOptions: Sendable, Hashable {
    public var layout: BarFileLayout?
    /// Scale OHLC by `Adj Close / Close` (Yahoo files); refused for a file without `Adj Close`.
    public var adjust: Bool

    public init(layout: BarFileLayout? = nil, adjust: Bool = false) { (self.layout, self.adjust) = (layout, adjust) }

    /// A short text that tells readings apart (part of the cache's key).
    var key: String { "\(layout?.rawValue ?? "auto")/\(adjust ? "adjusted" : "raw")" }
}

/// Which column holds what in one file, found from its header (or, for a file without one, its first row).
struct ColumnMap {
    var layout = BarFileLayout.keel
    var time = 0, open = 0, high = 0, low = 0, close = 0
    var volume: Int?
    /// Stooq's `<TIME>` column (`HHMMSS`), read with `time` as its `YYYYMMDD` date.
    var clock: Int?
    /// Yahoo's `Adj Close`; it scales the prices when `adjust` is set.
    var adjustedClose: Int?
    var adjust = false
    /// Polygon's `ticker`: rows of other tickers are passed over.
    var ticker: Int?
    var signalColumns: [Int] = []
    var signalNames: [String] = []
    var columnCount = 0
    /// False for a headerless file: its first line is a row.
    var hasHeader = true

    /// Epoch rows in milliseconds and microseconds may meet in one file (Binance from 2025 on).
    var mixesEpochUnits: Bool { layout == .binance }

    /// The layout of a file whose first line is `first`.
    init(first: Range<Int>, bytes: UnsafeBufferPointer<UInt8>, file: String, options: BarFileOptions) throws {
        var fields = [Range<Int>]()
        CSVBarReader.split(first, bytes, into: &fields)
        let names = fields.map { Self.canonical(CSVBarReader.text($0, bytes)) }
        columnCount = names.count
        let detected = options.layout ?? Self.detect(names, fields: fields, bytes: bytes)
        layout = detected
        func refuse(_ message: String) -> CSVBarReader.Failure {
            CSVBarReader.Failure(problems: [DataProblem(file: file, row: 1, message: message)], more: 0)
        }
        if detected == .binance, !names.contains("open_time") {
            // Headerless: open time, open, high, low, close, volume, then close time and counts Keel does not read.
            guard columnCount >= 6 else { throw refuse("a Binance kline row has 12 columns (open time, open, high, low, close, volume, ...); this one has \(columnCount)") }
            (time, open, high, low, close, volume, hasHeader) = (0, 1, 2, 3, 4, 5, false)
        } else {
            try mapHeader(names, file: file, refuse: refuse)
        }
        if options.adjust {
            guard adjustedClose != nil else { throw refuse("--adjust scales prices by an Adj Close column, and this file has none") }
            adjust = true
        }
    }

    private static func canonical(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasPrefix("<"), name.hasSuffix(">") { name = String(name.dropFirst().dropLast()) }
        return name.replacingOccurrences(of: " ", with: "_")
    }

    /// The layout the first line says, when no override is given.
    private static func detect(_ names: [String], fields: [Range<Int>], bytes: UnsafeBufferPointer<UInt8>) -> BarFileLayout {
        if names.contains("window_start") { return .polygon }
        if names.contains("open_time") { return .binance }
        if names.contains("per"), names.contains("openint") || names.contains("ticker") { return .stooq }
        if names.contains("adj_close") || names.contains("adjclose") { return .yahoo }
        // No header: a line of numbers whose first is an integer epoch is a kline row.
        if let first = fields.first, !first.isEmpty, bytes[first].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
           fields.dropFirst().allSatisfy({ DecimalParser.parse(bytes, $0.lowerBound, $0.upperBound) != nil }) {
            return .binance
        }
        return .keel
    }

    private mutating func mapHeader(_ names: [String], file: String, refuse: (String) -> CSVBarReader.Failure) throws {
        let aliases: [String: String] = [
            "time": "timestamp", "date": "timestamp", "datetime": "timestamp", "open_time": "timestamp", "window_start": "timestamp",
            "vol": "volume", "adjclose": "adj_close",
        ]
        var found: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            // Stooq's `<DATE>` and `<TIME>` are one timestamp read from two columns.
            let key = layout == .stooq && name == "time" ? "clock" : aliases[name] ?? name
            if let first = found[key] {
                throw refuse(names[first] == name ? "column '\(name)' appears twice in the header"
                    : "columns '\(names[first])' and '\(name)' both name the \(key) (the \(layout.rawValue) layout); give --layout the file's own layout")
            }
            found[key] = index
        }
        let required = ["timestamp", "open", "high", "low", "close"]
        let missing = required.filter { found[$0] == nil }
        guard missing.isEmpty else {
            throw refuse("the header lacks \(missing.joined(separator: ", ")); expected timestamp,open,high,low,close,volume "
                + "(or a vendor's layout: \(BarFileLayout.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        (time, open, high, low, close) = (found["timestamp"]!, found["open"]!, found["high"]!, found["low"]!, found["close"]!)
        volume = found["volume"]
        clock = found["clock"]
        adjustedClose = found["adj_close"]
        // Vendor columns Keel reads no meaning from; in Keel's own layout every other column is a signal.
        let vendorColumns: Set<String> = switch layout {
        case .keel: []
        case .yahoo: []
        case .stooq: ["ticker", "per", "openint"]
        case .binance: ["close_time", "quote_volume", "quote_asset_volume", "count", "number_of_trades", "taker_buy_volume",
                        "taker_buy_base_asset_volume", "taker_buy_quote_volume", "taker_buy_quote_asset_volume", "ignore"]
        case .polygon: ["transactions", "ticker"]
        }
        if layout == .polygon { ticker = found["ticker"] }
        let used = Set([time, open, high, low, close] + [volume, clock, adjustedClose, ticker].compactMap { $0 })
        for (index, name) in names.enumerated() where !used.contains(index) && !vendorColumns.contains(name) {
            signalColumns.append(index)
            signalNames.append(name)
        }
    }
}
