import Foundation
import KeelTestSupport
import Testing
@testable import KeelData

/// Each vendor layout on a small file shaped as the vendor ships it (`Fixtures/vendors`).
@Suite("Vendor layouts")
struct DataLayoutTests {
    static func fixture(_ name: String) -> String { SharedFixtures.root.appendingPathComponent("vendors/\(name)").path }

    static func read(_ name: String, symbol: String = "X", options: BarFileOptions = BarFileOptions()) throws -> CSVBarReader.Result {
        try CSVBarReader.read(path: fixture(name), symbol: symbol, options: options)
    }

    @Test("Yahoo: detected; Adj Close is no signal; unadjusted by default, scaled by Adj Close / Close with adjust")
    func yahoo() throws {
        let raw = try Self.read("yahoo-AAPL.csv")
        #expect(raw.layout == .yahoo && raw.series.signalNames.isEmpty && raw.series.count == 6)
        #expect(raw.series.close[0] == 506.089996 && raw.series.volume[0] == 40_755_600)
        let adjusted = try Self.read("yahoo-AAPL.csv", options: .init(adjust: true)).series
        #expect(adjusted.close[0] == 123.537071)
        #expect(abs(adjusted.open[0] - 504.720001 * 123.537071 / 506.089996) < 1e-9)
        // The 4:1 split is a jump in the raw prices and none in the adjusted ones.
        var rawStatistics = BarStatistics(), adjustedStatistics = BarStatistics()
        rawStatistics.add(raw.series)
        adjustedStatistics.add(adjusted)
        #expect(rawStatistics.jumpCount == 1 && rawStatistics.jumps.first?.time == TimestampParser.parse("2020-08-31"))
        #expect(adjustedStatistics.jumpCount == 0)
        #expect(throws: CSVBarReader.Failure.self) { try Self.read("stooq-spy.us.txt", options: .init(adjust: true)) }
    }

    @Test("Stooq bulk files: <DATE> and <TIME> read as one UTC time; ticker, period and open interest ignored")
    func stooq() throws {
        let result = try Self.read("stooq-spy.us.txt")
        #expect(result.layout == .stooq && result.series.signalNames.isEmpty && result.series.count == 5)
        #expect(result.series.time[0] == TimestampParser.parse("2024-01-02") && result.series.close[4] == 474.6)
        #expect(result.timeForm == "YYYYMMDD dates with HHMMSS times")
    }

    @Test("Binance klines: no header, milliseconds before 2025 and microseconds after, in one file")
    func binance() throws {
        let result = try Self.read("binance-BTCUSDT-1m.csv")
        #expect(result.layout == .binance && result.series.count == 4 && result.series.signalNames.isEmpty)
        #expect(result.series.time == [1_735_689_480_000, 1_735_689_540_000, 1_735_689_600_000, 1_735_689_660_000])
        #expect(result.series.volume[0] == 6.99567)
        #expect(result.timeForm == "epoch milliseconds and epoch microseconds")
        // Streamed in pieces of 7 bytes, the same bars.
        let stream = try CSVBarStream(path: Self.fixture("binance-BTCUSDT-1m.csv"), symbol: "X", readSize: 7)
        var chunk = BarSeries(symbol: "X")
        #expect(try stream.next(into: &chunk) && chunk.time == result.series.time)
    }

    @Test("Polygon flat files: only the symbol's rows, times from nanosecond window_start; a ticker the file lacks is named")
    func polygon() throws {
        let msft = try Self.read("polygon-2024-03-07.csv", symbol: "MSFT")
        #expect(msft.layout == .polygon && msft.series.count == 3 && msft.series.signalNames.isEmpty)
        #expect(msft.series.time[0] == 1_709_802_000_000 && msft.series.close == [407.6, 407.39, 407.41])
        #expect(msft.series.high[0] == 407.61 && msft.series.volume[0] == 311)
        do {
            _ = try Self.read("polygon-2024-03-07.csv", symbol: "NVDA")
            Issue.record("a file without NVDA's rows was read")
        } catch {
            #expect("\(error)".contains("no row is for NVDA") && "\(error)".contains("AAPL, MSFT"), "\(error)")
        }
    }

    @Test("--layout overrides the detection: a Yahoo file read as Keel's own still knows Adj Close; a layout that does not fit is refused")
    func layoutOverride() throws {
        let asKeel = try Self.read("yahoo-AAPL.csv", options: .init(layout: .keel))
        #expect(asKeel.layout == .keel && asKeel.series.signalNames.isEmpty && asKeel.series.close[0] == 506.089996)
        #expect(try Self.read("yahoo-AAPL.csv", options: .init(layout: .keel, adjust: true)).series.close[0] == 123.537071)
        do {
            _ = try Self.read("stooq-spy.us.txt", options: .init(layout: .polygon))
            Issue.record("a Stooq file was read as Polygon's")
        } catch {
            #expect("\(error)".contains("columns 'date' and 'time' both name the timestamp (the polygon layout)"), "\(error)")
        }
    }

    @Test("Keel's own layout, generically: columns in any order, ISO-8601 with a zone")
    func generic() throws {
        let result = try Self.read("generic-ETH.csv")
        #expect(result.layout == .keel && result.series.count == 3)
        #expect(result.series.time[0] == TimestampParser.parse("2024-01-02T14:30:00Z") && result.series.open[0] == 2280.1)
        #expect(result.series.close[0] == 2281.5 && result.series.volume[2] == 501.7)
    }

    @Test("epochs in s, ms, µs and ns each read as their unit; 11, 14 and 17 digits are refused at their row")
    func epochUnits() throws {
        let header = "timestamp,open,high,low,close\n"
        for (stamp, form) in [("1704067200", "seconds"), ("1704067200000", "milliseconds"), ("1704067200000000", "microseconds"),
                              ("1704067200000000000", "nanoseconds")] {
            let result = try CSVBarReader.parse(header + "\(stamp),1,1,1,1\n", symbol: "X")
            #expect(result.series.time == [1_704_067_200_000] && result.timeForm == "epoch \(form)")
        }
        for stamp in ["17040672000", "17040672000000", "17040672000000000"] {
            do {
                _ = try CSVBarReader.parse(header + "1704067200,1,1,1,1\n\(stamp),1,1,1,1\n", file: "t.csv", symbol: "X")
                Issue.record("\(stamp) was read")
            } catch {
                #expect("\(error)".hasPrefix("t.csv:3: timestamp \(stamp) has \(stamp.count) digits"), "\(error)")
            }
        }
    }

    @Test("gzip: the same bars as the plain file, streamed; several members read as one; a truncated file is refused")
    func gzip() throws {
        let folder = try KeelBinary.temporaryFolder()
        let plain = packageRoot.appendingPathComponent("Examples/data/AAPL.csv").path
        let text = try String(contentsOfFile: plain, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Two members: the header and first half, then the rest.
        let half = lines.count / 2
        try lines[..<half].joined(separator: "\n").appending("\n").write(to: folder.appendingPathComponent("a"), atomically: true, encoding: .utf8)
        try lines[half...].joined(separator: "\n").write(to: folder.appendingPathComponent("b"), atomically: true, encoding: .utf8)
        try shell("gzip -c a > AAPL.csv.gz && gzip -c b >> AAPL.csv.gz", in: folder)
        let zipped = folder.appendingPathComponent("AAPL.csv.gz").path
        let expected = try CSVBarReader.read(path: plain, symbol: "AAPL").series
        #expect(try CSVBarReader.read(path: zipped, symbol: "AAPL").series == expected)
        let stream = try CSVBarStream(path: zipped, symbol: "AAPL", readSize: 4_099)
        var all = BarSeries(symbol: "AAPL"), chunk = all
        while try stream.next(into: &chunk) { all.append(contentsOf: chunk) }
        #expect(all == expected && stream.compressed)
        // Cut short: an error, never a shorter series.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zipped))
        let cut = folder.appendingPathComponent("cut.csv.gz")
        try bytes.prefix(bytes.count / 3).write(to: cut)
        #expect(throws: CSVBarReader.Failure.self) { try CSVBarReader.read(path: cut.path, symbol: "AAPL") }
    }

    @Test("a folder: symbols by file name, vendor names as a fallback, a missing symbol lists what the folder holds")
    func folders() throws {
        let folder = try KeelBinary.temporaryFolder(["SPY.csv": "x", "QQQ.csv.gz": "x", "tlt.us.txt": "x", "BTCUSDT-1m-2024-01.csv": "x", "notes.md": "x"])
        let found = try DataFolder.resolve([folder.path], universe: ["SPY", "QQQ", "TLT", "BTCUSDT"])
        #expect(found.map(\.symbol) == ["SPY", "QQQ", "TLT", "BTCUSDT"])
        #expect(found.map { ($0.path as NSString).lastPathComponent } == ["SPY.csv", "QQQ.csv.gz", "tlt.us.txt", "BTCUSDT-1m-2024-01.csv"])
        // A pair wins over the folder; without a universe every file counts.
        let mixed = try DataFolder.resolve(["SPY=/elsewhere/SPY.csv", folder.path], universe: ["SPY", "QQQ"])
        #expect(mixed.map(\.path) == ["/elsewhere/SPY.csv", folder.appendingPathComponent("QQQ.csv.gz").path])
        #expect(try DataFolder.resolve([folder.path], universe: []).map(\.symbol) == ["BTCUSDT-1m-2024-01", "QQQ", "SPY", "tlt.us"])
        do {
            _ = try DataFolder.resolve([folder.path], universe: ["GLD"])
            Issue.record("GLD was found")
        } catch {
            #expect(error.description.contains("no file for GLD") && error.description.contains("SPY.csv, tlt.us.txt"), "\(error)")
        }
    }

    @Test("a date range keeps up to the warm-up of bars before --from, and nothing after --to's day")
    func ranged() throws {
        let series = try CSVBarReader.read(path: packageRoot.appendingPathComponent("Examples/data/AAPL.csv").path, symbol: "AAPL").series
        let range = try DateRange(from: "2020-01-01", to: "2020-12-31")
        let source = RangedBarSource(MemoryBarSource(series), range: range, warmup: 30)
        var chunk = BarSeries(symbol: "AAPL")
        var all = chunk
        while try source.next(into: &chunk) { all.append(contentsOf: chunk) }
        let first = try #require(series.time.firstIndex { $0 >= TimestampParser.parse("2020-01-01")! })
        let end = try #require(series.time.firstIndex { $0 >= TimestampParser.parse("2021-01-01")! })
        #expect(all.time == Array(series.time[(first - 30)..<end]) && source.warmupBars == 30)
        #expect(source.firstInRange == TimestampParser.parse("2020-01-01") && source.lastInRange == TimestampParser.parse("2020-12-31"))
        #expect(throws: DateRange.Invalid.self) { try DateRange(from: "2021-01-01", to: "2020-12-31") }
        #expect(throws: DateRange.Invalid.self) { try DateRange(from: "January", to: nil) }
        #expect(try DateRange(from: nil, to: "2020-12-31T12:00:00Z").until == TimestampParser.parse("2020-12-31T12:00:00Z")! + 1)
    }

    private func shell(_ command: String, in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = folder
        try Launch.run(process)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
