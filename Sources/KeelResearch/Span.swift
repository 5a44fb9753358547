import Foundation

/// A length of calendar time for research windows: `2y`, `6m` (months), `12w`, `90d`, `12h`,
/// `30min`. Months and years move along the UTC calendar (2021-01-31 plus one month is
/// 2021-02-28), so a fold's window starts on the same day of the month however long the run.
public struct Span: Sendable, Equatable, CustomStringConvertible {
    public enum Unit: String, Sendable, CaseIterable {
        case minutes = "min", hours = "h", days = "d", weeks = "w", months = "m", years = "y"
    }

    public let count: Int
    public let unit: Unit

    public init(count: Int, unit: Unit) { (self.count, self.unit) = (count, unit) }

    /// Reads `6m`, `2y`, `90d`; `mo` is also months. Nil for anything else, or a count below 1.
    public init?(_ text: String) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = text.dropFirst(digits.count).lowercased()
        guard let count = Int(digits), count >= 1, count <= 100_000 else { return nil }
        guard let unit = suffix == "mo" ? .months : Unit(rawValue: suffix) else { return nil }
        (self.count, self.unit) = (count, unit)
    }

    public var description: String { "\(count)\(unit.rawValue)" }

    /// `time` (epoch milliseconds) moved on by `times` of this span.
    public func advance(_ time: Int64, times: Int = 1) -> Int64 {
        let n = count * times
        switch unit {
        case .minutes: return time + Int64(n) * 60_000
        case .hours: return time + Int64(n) * 3_600_000
        case .days: return time + Int64(n) * 86_400_000
        case .weeks: return time + Int64(n) * 7 * 86_400_000
        case .months, .years:
            let date = Date(timeIntervalSince1970: Double(time) / 1_000)
            let moved = Self.calendar.date(byAdding: unit == .months ? .month : .year, value: n, to: date)!
            return Int64((moved.timeIntervalSince1970 * 1_000).rounded())
        }
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
