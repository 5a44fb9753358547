/// Timestamps without Foundation: fixed-layout ISO-8601 and epoch seconds or milliseconds, to UTC
/// epoch milliseconds.
/// The unit of a file's epoch timestamps, fixed by its first epoch row: a later row in another
/// unit is refused, since a file that mixes them is far more likely broken than meant.
public enum EpochUnit: String, Sendable, CaseIterable {
    case seconds, milliseconds, microseconds, nanoseconds
}

public enum TimestampParser {
    /// Accepts `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with `Z`, `±HH:MM`, `±HHMM` or no zone
    /// (UTC), and integer epochs in the unit their magnitude says: up to 10 digits are seconds, 12
    /// and 13 milliseconds, 15 and 16 microseconds (Binance spot klines from 2025 on), 18 and 19
    /// nanoseconds. 11, 14 and 17 digits are refused (`ambiguity`): in either neighbouring unit
    /// they are a time before 1974 or after 2286. Sub-millisecond parts are dropped (rounded
    /// toward the past).
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        let length = end - start
        guard length > 0 else { return nil }
        if length >= 10, bytes[start + 4] == UInt8(ascii: "-") { return iso(bytes, start, end) }
        return epoch(bytes, start, end)
    }

    /// The unit an integer epoch is read in (by its digits, as `parse` reads it); nil for ISO-8601.
    package static func epochUnit(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> EpochUnit? {
        guard end > start, !(end - start >= 10 && bytes[start + 4] == UInt8(ascii: "-")) else { return nil }
        let digits = end - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        switch digits {
        case ...11: return .seconds
        case 12...14: return .milliseconds
        case 15...17: return .microseconds
        default: return .nanoseconds
        }
    }

    /// Why an integer epoch cannot be given a unit: 11, 14 or 17 digits read as a time after 2286
    /// in the smaller unit's neighbour and before 1974 in the larger one. Nil otherwise.
    package static func ambiguity(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        guard end > start, epochUnit(bytes, start, end) != nil else { return nil }
        let digits = end - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        guard [11, 14, 17].contains(digits), bytes[start..<end].allSatisfy({ $0 == UInt8(ascii: "-") || digit($0) != nil }) else { return nil }
        let (larger, smaller): (EpochUnit, EpochUnit) = switch digits {
        case 11: (.seconds, .milliseconds)
        case 14: (.milliseconds, .microseconds)
        default: (.microseconds, .nanoseconds)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        return "timestamp \(text) has \(digits) digits: as epoch \(larger.rawValue) it is after 2286, as epoch \(smaller.rawValue) "
            + "before 1974; write epoch seconds with 10 digits, milliseconds with 13, microseconds with 16 or nanoseconds with 19"
    }

    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0, 0, $0.count) }
    }

    private static func epoch(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var value: Int64 = 0
        var index = start
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        let digitsStart = index
        let digits = end - digitsStart
        guard digits <= 19, end > digitsStart, ![11, 14, 17].contains(digits) else { return nil }
        while index < end {
            guard let digit = digit(bytes[index]) else { return nil }
            let (times, over) = value.multipliedReportingOverflow(by: 10)
            let (sum, overAgain) = times.addingReportingOverflow(Int64(digit))
            guard !over, !overAgain else { return nil }
            value = sum
            index += 1
        }
        let signed = negative ? -value : value
        func floorDivided(_ x: Int64, _ d: Int64) -> Int64 { x >= 0 ? x / d : -((-x + d - 1) / d) }
        switch digits {
        case ...11: return signed * 1_000
        case 12...14: return signed
        case 15...17: return floorDivided(signed, 1_000)
        default: return floorDivided(signed, 1_000_000)
        }
    }

    private static func iso(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        func number(_ offset: Int, _ count: Int) -> Int? {
            guard start + offset + count <= end else { return nil }
            var value = 0
            for i in 0..<count {
                guard let d = digit(bytes[start + offset + i]) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = number(0, 4), bytes[start + 7] == UInt8(ascii: "-"), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = 0
        var millis = 0
        var index = start + 10
        if index < end, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") {
            guard let hour = number(11, 2), index + 6 <= end, bytes[index + 3] == UInt8(ascii: ":"), let minute = number(14, 2),
                  hour < 24, minute < 60 else { return nil }
            seconds = hour * 3_600 + minute * 60
            index += 6
            if index < end, bytes[index] == UInt8(ascii: ":") {
                guard let second = number(index - start + 1, 2), second < 61 else { return nil }
                seconds += second
                index += 3
                if index < end, bytes[index] == UInt8(ascii: ".") {
                    index += 1
                    var scale = 100
                    while index < end, let d = digit(bytes[index]) {
                        millis += d * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
        }
        var offset = 0
        if index < end {
            switch bytes[index] {
            case UInt8(ascii: "Z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                let colon = index + 3 < end && bytes[index + 3] == UInt8(ascii: ":")
                guard let hours = number(index - start + 1, 2), let minutes = number(index - start + (colon ? 4 : 3), 2) else { return nil }
                offset = sign * (hours * 3_600 + minutes * 60)
                index += colon ? 6 : 5
            default:
                return nil
            }
        }
        guard index == end else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return (Int64(days) * 86_400 + Int64(seconds - offset)) * 1_000 + Int64(millis)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (with `.fff` when there are milliseconds), as the backtest JSON prints times.
    /// A time as a query parameter gives it: milliseconds since the epoch, or an ISO-8601 date or
    /// time (at least `YYYY-MM-DD`). nil for anything else.
    package static func parseMillisecondsOrISO(_ text: String) -> Int64? {
        Int64(text) ?? (text.utf8.count >= 10 ? parse(text) : nil)
    }

    /// `format`, always with milliseconds (`2024-01-02T00:00:00.000Z`): what an API that promises them writes.
    package static func formatWithMilliseconds(_ milliseconds: Int64) -> String {
        let text = format(milliseconds)
        return text.contains(".") ? text : String(text.dropLast()) + ".000Z"
    }

    public static func format(_ milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        format(milliseconds, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format(milliseconds)`'s text, digit by digit: a backtest's JSON writes two times per
    /// trade. A year from 0 to 9999 is written in ISO 8601's four digits (year 308 as 0308, which
    /// reads back: the events fuzz target found it did not); one outside as its number, unpadded.
    public static func format(_ milliseconds: Int64, into out: inout [UInt8]) {
        let totalSeconds = Int(milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000)
        let millis = Int(milliseconds - Int64(totalSeconds) * 1_000)
        var days = totalSeconds / 86_400
        var secondsOfDay = totalSeconds % 86_400
        if secondsOfDay < 0 { secondsOfDay += 86_400; days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        let padded = (0...9_999).contains(year)
        if !padded { out += String(year).utf8 }
        // Written into 24 bytes on the stack and appended once: one capacity check, not twenty.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            var at = 0
            func put(_ n: Int, _ width: Int) {
                var n = n
                for i in stride(from: at + width - 1, through: at, by: -1) { text[i] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10 }
                at += width
            }
            func mark(_ c: Unicode.Scalar) { text[at] = UInt8(ascii: c); at += 1 }
            if padded { put(year, 4) }
            mark("-"); put(month, 2); mark("-"); put(day, 2); mark("T")
            put(secondsOfDay / 3_600, 2); mark(":"); put(secondsOfDay / 60 % 60, 2); mark(":"); put(secondsOfDay % 60, 2)
            if millis != 0 { mark("."); put(millis, 3) }
            mark("Z")
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<at]))
        }
    }

    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
