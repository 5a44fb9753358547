/// What `keel data inspect` says of one bar file: how it was read, what its bars look like
/// (`BarStatistics`), and its bad rows, all read to the end with bad rows skipped and counted.
public struct DataInspection: Sendable {
    public var file: String
    public var symbol: String
    public var layout: BarFileLayout
    public var timeForm: String
    public var compressed: Bool
    public var adjusted: Bool
    public var statistics: BarStatistics
    /// Rows with a time equal to the row before, earlier than it, and every bad row (those included).
    public var repeatedRows: Int
    public var outOfOrderRows: Int
    public var badRows: Int
    /// The first bad rows, each with its row number and what is wrong.
    public var problems: [DataProblem]

    /// Reads the whole file.
    public static func inspect(path: String, symbol: String, options: BarFileOptions = BarFileOptions()) throws -> DataInspection {
        let stream = try CSVBarStream(path: path, symbol: symbol, policy: .skip, options: options)
        var statistics = BarStatistics()
        statistics.hasVolume = stream.hasVolume
        var chunk = BarSeries(symbol: symbol, signalNames: stream.signalNames)
        while try stream.next(into: &chunk) { statistics.add(chunk) }
        return DataInspection(file: path, symbol: symbol, layout: stream.layout, timeForm: stream.timeForm, compressed: stream.compressed,
                              adjusted: stream.adjusted, statistics: statistics.finished, repeatedRows: stream.repeatedRows,
                              outOfOrderRows: stream.outOfOrderRows, badRows: stream.badRows, problems: Array(stream.skipped.prefix(10)))
    }

    /// What a user should look at: bad rows, and the statistics' suspicious bars.
    public var suspicious: [String] {
        var lines: [String] = []
        if badRows > 0 {
            lines.append("\(badRows) bad row\(badRows == 1 ? "" : "s") (\(repeatedRows) repeated time\(repeatedRows == 1 ? "" : "s"), "
                + "\(outOfOrderRows) out of order); a backtest refuses the file unless --bad-rows skip")
        }
        if layout == .yahoo, !adjusted { lines.append("prices unadjusted: Adj Close is not applied (--adjust applies it)") }
        return lines + statistics.suspicious
    }

    /// Nothing to look at.
    public var clean: Bool { suspicious.isEmpty }

    /// The text report: one block per file.
    public var text: String {
        let s = statistics
        let gaps = s.gaps
        var rows: [(String, String)] = [
            ("file", file),
            ("layout", layout.rawValue + (compressed ? ", gzip" : "") + (adjusted ? ", adjusted by Adj Close" : "")),
            ("times", timeForm),
            ("bars", s.summary),
            ("gaps", "\(gaps.weekend) weekend, \(gaps.overnight) overnight, \(gaps.other) other"
                + (gaps.other > 0 ? " (largest \(BarStatistics.duration(gaps.largestOther)))" : "")),
            ("bad rows", "\(badRows) (\(repeatedRows) repeated, \(outOfOrderRows) out of order)"),
            ("price jumps", "\(s.jumpCount)"),
            ("zero volume", s.hasVolume ? "\(s.zeroVolume.count) runs of 2 bars or more" + (s.zeroVolume.longest > 0 ? ", longest \(s.zeroVolume.longest) bars" : "")
                : "no volume column"),
        ]
        for problem in problems { rows.append(("", "row \(problem.row): \(problem.message)")) }
        for line in suspicious { rows.append(("suspicious", line)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }

    /// The JSON report: an array with one object per file.
    public static func json(_ reports: [DataInspection]) -> String {
        JSON.encode(.array(reports.map { r in
            let s = r.statistics, gaps = s.gaps
            return .object([
                ("file", .string(r.file)), ("symbol", .string(r.symbol)), ("layout", .string(r.layout.rawValue)),
                ("time_form", .string(r.timeForm)), ("compressed", .bool(r.compressed)), ("adjusted", .bool(r.adjusted)),
                ("bars", .int(s.bars)),
                ("first_time", s.firstTime.map { .string(TimestampParser.format($0)) } ?? .null),
                ("last_time", s.lastTime.map { .string(TimestampParser.format($0)) } ?? .null),
                ("bar_seconds", s.barMilliseconds.map { .int(Int($0 / 1_000)) } ?? .null),
                ("regularity", .number(s.regularity)),
                ("gaps", .object([("weekend", .int(gaps.weekend)), ("overnight", .int(gaps.overnight)), ("other", .int(gaps.other)),
                                  ("largest_other_seconds", .int(Int(gaps.largestOther / 1_000))), ("over_four_days", .int(gaps.overFourDays))])),
                ("repeated_rows", .int(r.repeatedRows)), ("out_of_order_rows", .int(r.outOfOrderRows)), ("bad_rows", .int(r.badRows)),
                ("problems", .array(r.problems.map { .object([("row", .int($0.row)), ("message", .string($0.message))]) })),
                ("price_jumps", .array(s.jumps.map { .object([("time", .string(TimestampParser.format($0.time))), ("ratio", .number($0.ratio))]) })),
                ("price_jump_count", .int(s.jumpCount)),
                ("zero_volume_runs", s.hasVolume ? .object([("count", .int(s.zeroVolume.count)), ("longest", .int(s.zeroVolume.longest))]) : .null),
                ("suspicious", .array(r.suspicious.map { .string($0) })),
            ])
        })) + "\n"
    }
}
