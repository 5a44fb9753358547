/// The common row, parsed in one pass: `timestamp,open,high,low,close[,volume]` with plain decimal
/// numbers and no signals, spaces or quotes. Any row it does not recognise, and any row that fails
/// validation, goes to the general path (`split` and `validate`), which gives the same bar or says
/// what is wrong: the fast path only ever agrees with it, never decides differently.
struct FastRowParser {
    private let hasVolume: Bool
    /// The last ISO date seen (its first 10 bytes) and its day number: minute bars repeat a date
    /// hundreds of times, so its calendar arithmetic is done once.
    private var lastDate: (UInt64, UInt16) = (0, 0)
    private var lastDays = 0

    /// A parser for the file's layout, or nil when its columns are not the common ones in order.
    init?(_ layout: ColumnMap) {
        guard layout.clock == nil, layout.ticker == nil, !layout.adjust, layout.time == 0, layout.open == 1, layout.high == 2, layout.low == 3, layout.close == 4,
              layout.signalColumns.isEmpty else { return nil }
        switch (layout.volume, layout.columnCount) {
        case (nil, 5): hasVolume = false
        case (5?, 6): hasVolume = true
        default: return nil
        }
    }

    /// Appends the row's bar and returns true, or returns false and appends nothing.
    mutating func append(_ line: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>, to series: inout BarSeries,
                         lastTime: Int64?, epochUnit: inout EpochUnit?) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = line.lowerBound
        let end = line.upperBound
        while index < end, base[index] != UInt8(ascii: ",") { index += 1 }
        guard index < end, let time = timestamp(base, line.lowerBound, index, bytes) else { return false }
        let unit = TimestampParser.epochUnit(bytes, line.lowerBound, index)
        if let unit, let fileUnit = epochUnit, unit != fileUnit { return false }
        index += 1
        guard let open = number(base, &index, end), let high = number(base, &index, end), let low = number(base, &index, end),
              let close = number(base, &index, end, last: !hasVolume) else { return false }
        var volume = 0.0
        if hasVolume {
            guard let value = number(base, &index, end, last: true) else { return false }
            volume = value
        }
        // The general path's checks; a row failing any of them goes there for its message.
        guard open > 0, high > 0, low > 0, close > 0, high >= low, open <= high, open >= low, close <= high, close >= low else {
            return false
        }
        if let last = series.time.last ?? lastTime, time <= last { return false }
        series.append(time: time, open: open, high: high, low: low, close: close, volume: volume)
        if let unit { epochUnit = unit }
        return true
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` read at fixed offsets; any other form goes to `TimestampParser`.
    private mutating func timestamp(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        // The dashes too: ten digits before the T are an epoch to the general parser, not a date (found by the csv fuzz target).
        guard end - start == 20, base[start + 4] == UInt8(ascii: "-"), base[start + 7] == UInt8(ascii: "-"), base[start + 10] == UInt8(ascii: "T"),
              base[start + 13] == UInt8(ascii: ":"), base[start + 16] == UInt8(ascii: ":"), base[start + 19] == UInt8(ascii: "Z") else {
            return TimestampParser.parse(bytes, start, end)
        }
        let date = (UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self),
                    UnsafeRawPointer(base + start + 8).loadUnaligned(as: UInt16.self))
        if date != lastDate {
            // A new date: the general parser validates it and gives its midnight.
            guard let midnight = TimestampParser.parse(bytes, start, start + 10) else { return nil }
            lastDate = date
            lastDays = Int(midnight / 86_400_000)
        }
        func two(_ offset: Int) -> Int? {
            let a = base[start + offset] &- UInt8(ascii: "0"), b = base[start + offset + 1] &- UInt8(ascii: "0")
            return a < 10 && b < 10 ? Int(a) * 10 + Int(b) : nil
        }
        guard let hour = two(11), let minute = two(14), let second = two(17), hour < 24, minute < 60, second < 61 else { return nil }
        return Int64(lastDays * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000
    }

    /// Digits, an optional fraction, then a comma (or the line's end for the last field), rounded by
    /// `DecimalParser.exact`, as the general path does. Nil for anything else.
    @inline(__always)
    private func number(_ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int, last: Bool = false) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0, fraction = 0
        var seenPoint = false
        while index < end {
            let byte = base[index]
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
                if seenPoint { fraction += 1 }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        if last {
            guard index == end else { return nil }
        } else {
            guard index < end, base[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        guard digits > 0 else { return nil }
        return DecimalParser.exact(mantissa, digits: digits, fractionDigits: fraction)
    }
}
