/// Turns a file's rows into bars, row by row, as its `ColumnMap` says; the one place a row is
/// validated, for the whole-file reader and the streamed one alike.
struct RowDecoder {
    let map: ColumnMap
    let symbol: String
    /// The one-pass parser for the common layout, when the file has it.
    private var fast: FastRowParser?
    /// Fixed by the first epoch row (see `EpochUnit`).
    private(set) var epochUnit: EpochUnit?
    /// Every epoch unit the rows used; a Binance file may hold two.
    private(set) var epochUnits: Set<EpochUnit> = []
    private(set) var sawISO = false
    private(set) var sawDateAndClock = false
    /// Rows of other tickers passed over (Polygon files), and the first few of those tickers.
    private(set) var otherTickerRows = 0
    private(set) var otherTickers: [String] = []
    /// Bad rows whose time repeats the row before, or goes back from it.
    private(set) var repeatedRows = 0
    private(set) var outOfOrderRows = 0
    private var fields: [Range<Int>] = []
    private var signalValues: [Double]

    init(_ map: ColumnMap, symbol: String) {
        self.map = map
        self.symbol = symbol
        fast = FastRowParser(map)
        signalValues = [Double](repeating: .nan, count: map.signalNames.count)
    }

    /// How the file's times were written: `ISO-8601`, an epoch unit, or both units of a Binance file.
    var timeForm: String {
        var forms = EpochUnit.allCases.filter(epochUnits.contains).map { "epoch \($0.rawValue)" }
        if sawISO { forms.insert("ISO-8601", at: 0) }
        if sawDateAndClock { forms.insert("YYYYMMDD dates with HHMMSS times", at: 0) }
        return forms.isEmpty ? "none" : forms.joined(separator: " and ")
    }

    /// Appends the row's bar and returns nil, or says what is wrong with it. A row of another
    /// ticker is passed over without a word.
    @inline(__always)
    mutating func decode(_ line: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>, into series: inout BarSeries, lastTime: Int64?) -> String? {
        if fast?.append(line, bytes, to: &series, lastTime: lastTime, epochUnit: &epochUnit) == true {
            if let unit = epochUnit { epochUnits.insert(unit) } else { sawISO = true }
            return nil
        }
        return decodeGeneral(line, bytes, into: &series, lastTime: lastTime)
    }

    /// The general path alone: split the row, then validate and read each field.
    mutating func decodeGeneral(_ line: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>, into series: inout BarSeries, lastTime: Int64?) -> String? {
        CSVBarReader.split(line, bytes, into: &fields)
        return validate(bytes, &series, lastTime: lastTime)
    }

    private mutating func validate(_ bytes: UnsafeBufferPointer<UInt8>, _ series: inout BarSeries, lastTime: Int64?) -> String? {
        guard fields.count == map.columnCount else {
            return "expected \(map.columnCount) fields, found \(fields.count)"
        }
        if let column = map.ticker, !isSymbol(fields[column], bytes) {
            otherTickerRows += 1
            if otherTickers.count < 5 {
                let name = CSVBarReader.text(fields[column], bytes)
                if !otherTickers.contains(name) { otherTickers.append(name) }
            }
            return nil
        }
        let timeField = fields[map.time]
        let time: Int64
        if let clock = map.clock {
            guard let stamp = Self.stooqTime(fields[map.time], fields[clock], bytes) else {
                return "'\(CSVBarReader.text(timeField, bytes)) \(CSVBarReader.text(fields[clock], bytes))' is not a date YYYYMMDD and a time HHMMSS"
            }
            time = stamp
        } else {
            if let ambiguity = TimestampParser.ambiguity(bytes, timeField.lowerBound, timeField.upperBound) { return ambiguity }
            guard let stamp = TimestampParser.parse(bytes, timeField.lowerBound, timeField.upperBound) else {
                return "'\(CSVBarReader.text(timeField, bytes))' is not a timestamp (ISO-8601, or epoch seconds, milliseconds, microseconds or nanoseconds)"
            }
            time = stamp
        }
        let unit = map.clock == nil ? TimestampParser.epochUnit(bytes, timeField.lowerBound, timeField.upperBound) : nil
        if let unit, let fileUnit = epochUnit, unit != fileUnit, !(map.mixesEpochUnits && Set([unit, fileUnit]) == [.milliseconds, .microseconds]) {
            return "timestamp \(CSVBarReader.text(timeField, bytes)) reads as epoch \(unit.rawValue) (by its \(timeField.count) digits) where the file's "
                + "first rows are epoch \(fileUnit.rawValue); a file keeps one unit: convert the rows, or split the file"
        }
        var open: Double, high: Double, low: Double, close: Double
        do {
            open = try price(fields[map.open], "open", bytes)
            high = try price(fields[map.high], "high", bytes)
            low = try price(fields[map.low], "low", bytes)
            close = try price(fields[map.close], "close", bytes)
        } catch {
            return error.message
        }
        if high < low { return "high \(CSVBarReader.text(fields[map.high], bytes)) is below low \(CSVBarReader.text(fields[map.low], bytes))" }
        if open > high || open < low { return "open \(CSVBarReader.text(fields[map.open], bytes)) is outside the bar's range [low, high]" }
        if close > high || close < low { return "close \(CSVBarReader.text(fields[map.close], bytes)) is outside the bar's range [low, high]" }
        if map.adjust, let column = map.adjustedClose {
            let adjusted: Double
            do { adjusted = try price(fields[column], "Adj Close", bytes) } catch { return error.message }
            let factor = adjusted / close
            (open, high, low, close) = (open * factor, high * factor, low * factor, adjusted)
        }
        var volume = 0.0
        if let column = map.volume {
            let field = fields[column]
            guard let value = DecimalParser.parse(bytes, field.lowerBound, field.upperBound), value.isFinite, value >= 0 else {
                return "volume '\(CSVBarReader.text(field, bytes))' is not a finite number of at least 0"
            }
            volume = value
        }
        if let last = series.time.last ?? lastTime {
            if time == last {
                repeatedRows += 1
                return "duplicate timestamp \(CSVBarReader.text(timeField, bytes))"
            }
            if time < last {
                outOfOrderRows += 1
                return "timestamp \(CSVBarReader.text(timeField, bytes)) is earlier than the row before it"
            }
        }
        for (index, column) in map.signalColumns.enumerated() {
            let field = fields[column]
            // An empty signal cell means "no value" on this bar.
            signalValues[index] = field.isEmpty ? .nan : (DecimalParser.parse(bytes, field.lowerBound, field.upperBound) ?? .nan)
        }
        series.append(time: time, open: open, high: high, low: low, close: close, volume: volume, signals: signalValues)
        if let unit {
            if epochUnit == nil { epochUnit = unit }
            epochUnits.insert(unit)
        } else if map.clock == nil {
            sawISO = true
        } else {
            sawDateAndClock = true
        }
        return nil
    }

    /// For a file of other tickers only: the refusal that names what it holds.
    func missingTicker(file: String) -> CSVBarReader.Failure? {
        guard otherTickerRows > 0 else { return nil }
        return .file(file, "no row is for \(symbol): the file's \(otherTickerRows) rows are for other tickers (\(otherTickers.joined(separator: ", "))"
            + (otherTickers.count == 5 ? ", ..." : "") + "); give the file under the ticker's name")
    }

    /// Whether a Polygon row's ticker is this file's symbol (`X:BTCUSD` is `BTCUSD`), case aside.
    private func isSymbol(_ field: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ticker = CSVBarReader.text(field, bytes).uppercased()
        let wanted = symbol.uppercased()
        return ticker == wanted || ticker.split(separator: ":").last.map(String.init) == wanted
    }

    /// Stooq's `YYYYMMDD` and `HHMMSS` as epoch milliseconds (UTC).
    static func stooqTime(_ date: Range<Int>, _ clock: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return range.isEmpty ? nil : value
        }
        guard date.count == 8, let ymd = digits(date), clock.count <= 6, let hms = clock.isEmpty ? 0 : digits(clock) else { return nil }
        let (year, month, day) = (ymd / 10_000, ymd / 100 % 100, ymd % 100)
        let (hour, minute, second) = (hms / 10_000, hms / 100 % 100, hms % 100)
        guard (1...12).contains(month), day >= 1, day <= TimestampParser.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        let days = TimestampParser.daysFromCivil(year: year, month: month, day: day)
        return (Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)) * 1_000
    }

    private struct RowError: Error { let message: String }

    /// A price: a finite number above 0.
    private func price(_ field: Range<Int>, _ name: String, _ bytes: UnsafeBufferPointer<UInt8>) throws(RowError) -> Double {
        guard let value = DecimalParser.parse(bytes, field.lowerBound, field.upperBound) else {
            throw RowError(message: "\(name) '\(CSVBarReader.text(field, bytes))' is not a number")
        }
        guard value.isFinite else { throw RowError(message: "\(name) is \(CSVBarReader.text(field, bytes)); prices must be finite") }
        guard value > 0 else { throw RowError(message: "\(name) is \(CSVBarReader.text(field, bytes)); prices must be above 0") }
        return value
    }
}
