import Foundation
import Testing
import KeelTestSupport
@testable import KeelData

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Decimal parsing")
struct DecimalParsingTests {
    @Test("the same binary64 as Double(text)", arguments: [
        "0", "1", "3578.73", "0.00162008", "1.953125", "100.2267", "108.14853839", "67867200", "-2.5", "+7", ".5", "5.",
        "0.1", "0.2", "0.3", "123456789012345678", "1234567890123456789012", "9007199254740993", "0.000000000000000000000001",
        "1e5", "2.5E-3", "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    ])
    func exact(text: String) {
        #expect(DecimalParser.parse(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
    }

    @Test("random decimals with up to 8 fraction digits parse exactly")
    func random() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<50_000 {
            let whole = UInt64.random(in: 0...999_999, using: &rng)
            let digits = Int.random(in: 0...8, using: &rng)
            var text = String(whole)
            if digits > 0 { text += "." + (0..<digits).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined() }
            #expect(DecimalParser.parse(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test("not numbers", arguments: ["", "-", ".", "abc", "1.2.3", "1,5", "nan?"])
    func rejects(text: String) {
        #expect(DecimalParser.parse(text) == nil)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("ISO-8601 and epochs to UTC milliseconds", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)), ("2006-01-02T09:05:00Z", 1_136_192_700_000), ("2006-01-02 09:05:00", 1_136_192_700_000),
        ("2006-01-02T10:05:00+01:00", 1_136_192_700_000), ("2006-01-02T04:05:00-0500", 1_136_192_700_000),
        ("1999-01-22", 916_963_200_000), ("2024-02-29T23:59:59.250Z", 1_709_251_199_250), ("2020-01-01T00:00", 1_577_836_800_000),
        ("1136192700", 1_136_192_700_000), ("1136192700000", 1_136_192_700_000), ("1900-03-01T00:00:00Z", -2_203_891_200_000),
    ])
    func parse(text: String, milliseconds: Int64) {
        #expect(TimestampParser.parse(text) == milliseconds, "\(text)")
    }

    @Test("malformed timestamps", arguments: ["2023-02-29", "2023-13-01", "2023-01-01T25:00:00Z", "2023-01-01X", "yesterday", "", "2023-01-01T10:00:00+5"])
    func malformed(text: String) {
        #expect(TimestampParser.parse(text) == nil, "\(text)")
    }

    @Test("format is the inverse of parse")
    func roundTrip() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<10_000 {
            let ms = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &rng)
            #expect(TimestampParser.parse(TimestampParser.format(ms)) == ms)
        }
        #expect(TimestampParser.format(1_136_192_700_000) == "2006-01-02T09:05:00Z")
        #expect(TimestampParser.format(1_136_192_700_007) == "2006-01-02T09:05:00.007Z")
        #expect(TimestampParser.format(-1) == "1969-12-31T23:59:59.999Z")
        // Years 0-999 in ISO 8601's four digits, so they read back (the events fuzz target found year 308 did not).
        #expect(TimestampParser.format(-40_000_000_000_000) == "0702-06-15T00:53:20Z")
        #expect(TimestampParser.parse(TimestampParser.format(-40_000_000_000_000)) == -40_000_000_000_000)
        #expect(TimestampParser.parse(TimestampParser.format(-52_416_201_600_000)) == -52_416_201_600_000)
        // Years past 9999: no padding.
        #expect(TimestampParser.format(1_420_156_800_000_000) == "46972-12-23T00:00:00Z")
    }
}

@Suite("CSV bars")
struct CSVBarReaderTests {
    @Test("reads the conformance files exactly as Double(text) would", arguments: ["ORCL", "NVDA", "IDX5M", "UNITBTC1M", "SYNTH20K"])
    func conformance(symbol: String) throws {
        let path = SharedFixtures.bars(symbol).path
        let result = try CSVBarReader.read(path: path, symbol: symbol)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst()
        #expect(result.series.count == rows.count)
        for (i, row) in rows.enumerated() where i % 97 == 0 {
            let fields = row.split(separator: ",").map(String.init)
            #expect(result.series.open[i] == Double(fields[1]) && result.series.close[i] == Double(fields[4]))
            #expect(result.series.high[i] == Double(fields[2]) && result.series.low[i] == Double(fields[3]))
        }
    }

    @Test("extra columns are signals; empty cells have no value; CRLF and a BOM are fine")
    func signals() throws {
        let text = "\u{FEFF}Timestamp,Open,High,Low,Close,Volume,Sentiment\r\n2020-01-01,10,11,9,10.5,100,0.25\r\n2020-01-02,10.5,12,10,11,50,\r\n"
        let series = try CSVBarReader.parse(text, symbol: "X").series
        #expect(series.signalNames == ["sentiment"])
        #expect(series.signals[0][0] == 0.25 && series.signals[0][1].isNaN)
        #expect(series.count == 2 && series.volume == [100, 50])
    }

    static let bad = """
    timestamp,open,high,low,close,volume
    2020-01-01,10,11,9,10,100
    2020-01-02,10,11,9,nan,100
    2020-01-03,10,inf,9,10,100
    2020-01-04,10,9,11,10,100
    2020-01-05,0,11,9,10,100
    2020-01-05,10,11,9,10,100
    2020-01-04T12:00:00Z,10,11,9,10,100
    2020-01-07,12,11,9,10,100
    2020-01-08,10,11,9,10
    2020-01-09,10,11,9,10,-5
    not-a-date,10,11,9,10,100
    2020-01-10,10,11,9,10,100
    """

    @Test("every bad row is reported with file and row, and the file is refused")
    func refused() throws {
        do {
            _ = try CSVBarReader.parse(Self.bad, file: "bad.csv", symbol: "X")
            Issue.record("bad rows were accepted")
        } catch let failure as CSVBarReader.Failure {
            #expect(failure.problems.map(\.row) == [3, 4, 5, 6, 8, 9, 10, 11, 12])
            let text = failure.description
            #expect(text.contains("bad.csv:3: close is nan; prices must be finite"))
            #expect(text.contains("bad.csv:4: high is inf; prices must be finite"))
            #expect(text.contains("bad.csv:5: high 9 is below low 11"))
            #expect(text.contains("bad.csv:6: open is 0; prices must be above 0"))
            #expect(text.contains("bad.csv:8: timestamp 2020-01-04T12:00:00Z is earlier than the row before it"))
            #expect(text.contains("bad.csv:9: open 12 is outside the bar's range [low, high]"))
            #expect(text.contains("bad.csv:10: expected 6 fields, found 5"))
            #expect(text.contains("bad.csv:11: volume '-5' is not a finite number of at least 0"))
            #expect(text.contains("bad.csv:12: 'not-a-date' is not a timestamp"))
        }
    }

    @Test("a duplicate timestamp is its own message")
    func duplicate() {
        let text = "timestamp,open,high,low,close,volume\n2020-01-01,10,11,9,10,1\n2020-01-01,10,11,9,10,1\n"
        #expect(throws: CSVBarReader.Failure.self) { try CSVBarReader.parse(text, symbol: "X") }
        let skipped = try? CSVBarReader.parse(text, file: "d.csv", symbol: "X", policy: .skip)
        #expect(skipped?.skipped.first?.description == "d.csv:3: duplicate timestamp 2020-01-01")
    }

    @Test("--bad-rows skip drops them, reports each, and keeps the good rows")
    func skip() throws {
        let result = try CSVBarReader.parse(Self.bad, file: "bad.csv", symbol: "X", policy: .skip)
        #expect(result.series.count == 3)
        #expect(result.skipped.count == 9)
    }

    @Test("a header without the price columns is refused with a hint")
    func header() {
        #expect(throws: CSVBarReader.Failure.self) { try CSVBarReader.parse("date,price\n2020-01-01,3\n", symbol: "X") }
    }
}

@Suite("Synthetic market")
struct SyntheticMarketTests {
    @Test("deterministic, valid, and its CSV reads back to the same series")
    func roundTrip() throws {
        let market = SyntheticMarket(seed: 42)
        let a = market.generate(symbols: 3, bars: 2_000)
        #expect(a == market.generate(symbols: 3, bars: 2_000))
        #expect(a[0] != a[1])
        // Symbols are independent, not one sequence shifted by a draw.
        #expect(Set(a.map { $0.volume[1] }).count == 3 && a[1].volume[0] != a[0].volume[1])
        for series in a {
            let read = try CSVBarReader.parse(CSVBarWriter.csv(series), symbol: series.symbol).series
            #expect(read == series)
        }
    }

    @Test("pinned: the first bars of seed 42 never change")
    func pinned() {
        let series = SyntheticMarket(seed: 42).generate(symbols: 1, bars: 3)[0]
        let csv = CSVBarWriter.csv(series)
        #expect(csv.hasPrefix("timestamp,open,high,low,close,volume\n2020-01-01T00:00:00Z,"))
        #expect(series.time == [1_577_836_800_000, 1_577_836_860_000, 1_577_836_920_000])
        #expect(csv == Self.pinnedCSV)
    }

    static let pinnedCSV = """
    timestamp,open,high,low,close,volume
    2020-01-01T00:00:00Z,134.0007,134.0028,133.9326,133.9634,7880
    2020-01-01T00:01:00Z,133.9680,133.9838,133.9665,133.9741,3882
    2020-01-01T00:02:00Z,133.9633,133.9738,133.9111,133.9275,9455

    """
}

@Suite("Synthetic names")
struct SyntheticNameTests {
    @Test("symbols are named SYM001, SYM002, ... as keel data generate says")
    func names() {
        #expect(SyntheticMarket(seed: 1).generate(symbols: 2, bars: 1).map(\.symbol) == ["SYM001", "SYM002"])
    }
}

@Suite("Streaming CSV")
struct CSVBarStreamTests {
    func streamed(_ path: String, readSize: Int, policy: BadRowPolicy = .error, prefetch: Bool = false) throws -> (BarSeries, [DataProblem]) {
        let csv = try CSVBarStream(path: path, symbol: "X", policy: policy, readSize: readSize)
        // Reading ahead starts at once: the CSV is then read on the queue alone.
        let prefetching = prefetch ? PrefetchingBarSource(csv, queue: DispatchQueue(label: "test"), depth: 3) : nil
        let stream: BarSource = prefetching ?? csv
        defer { prefetching?.settle() }
        var all = BarSeries(symbol: "X", signalNames: stream.signalNames)
        var chunk = BarSeries(symbol: "X", signalNames: stream.signalNames)
        while try stream.next(into: &chunk) {
            for i in 0..<chunk.count {
                all.append(time: chunk.time[i], open: chunk.open[i], high: chunk.high[i], low: chunk.low[i], close: chunk.close[i],
                           volume: chunk.volume[i], signals: chunk.signals.map { $0[i] })
            }
        }
        prefetching?.settle()
        return (all, csv.skipped)
    }

    @Test("chunks from any buffer size equal the whole-file reader", arguments: [7, 97, 4_096, 1 << 20])
    func sameAsReader(readSize: Int) throws {
        let path = SharedFixtures.bars("IDX5M").path
        let whole = try CSVBarReader.read(path: path, symbol: "X").series
        #expect(try streamed(path, readSize: readSize).0 == whole)
        #expect(try streamed(path, readSize: readSize, prefetch: true).0 == whole)
    }

    @Test("read ahead on a background queue: the same chunks, the same skipped rows, the same error")
    func prefetched() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-stream-\(UUID().uuidString).csv")
        try CSVBarReaderTests.bad.write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: CSVBarReader.Failure.self) { try streamed(url.path, readSize: 64, prefetch: true) }
        let direct = try streamed(url.path, readSize: 64, policy: .skip)
        let ahead = try streamed(url.path, readSize: 64, policy: .skip, prefetch: true)
        #expect(direct.0 == ahead.0 && direct.1 == ahead.1 && !ahead.1.isEmpty)
    }

    @Test("signals, CRLF, a BOM and a last line without a newline")
    func details() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-stream-\(UUID().uuidString).csv")
        try "\u{FEFF}timestamp,open,high,low,close,volume,s\r\n2020-01-01,10,11,9,10.5,100,0.25\r\n2020-01-02,10.5,12,10,11,50,".write(to: url, atomically: true, encoding: .utf8)
        let (series, _) = try streamed(url.path, readSize: 5)
        #expect(series.count == 2 && series.signalNames == ["s"] && series.signals[0][0] == 0.25 && series.signals[0][1].isNaN)
    }

    @Test("bad rows: the error policy throws with file and row; skip drops and reports them")
    func badRows() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-stream-\(UUID().uuidString).csv")
        try CSVBarReaderTests.bad.write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: CSVBarReader.Failure.self) { try streamed(url.path, readSize: 64) }
        let (series, skipped) = try streamed(url.path, readSize: 64, policy: .skip)
        #expect(series.count == 3 && skipped.map(\.row) == [3, 4, 5, 6, 8, 9, 10, 11, 12])
    }
}

@Suite("Bar cache")
struct BarCacheTests {
    func temporaryCSV(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cache-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cache-\(UUID().uuidString)").path

    func readAll(_ source: BarSource) throws -> BarSeries {
        var all = BarSeries(symbol: source.symbol, signalNames: source.signalNames)
        var chunk = all
        while try source.next(into: &chunk) { all.append(contentsOf: chunk) }
        return all
    }

    @Test("a cache reads back exactly the bars of its CSV, signals included")
    func roundTrip() throws {
        var csv = "timestamp,open,high,low,close,volume,s\n"
        let series = SyntheticMarket(seed: 5).generate(symbols: 1, bars: 10_000)[0]
        csv += CSVBarWriter.csv(series).split(separator: "\n").dropFirst().enumerated()
            .map { "\($0.element),\($0.offset % 3 == 0 ? "" : String($0.offset))" }.joined(separator: "\n") + "\n"
        let path = try temporaryCSV(csv)
        #expect(try BarCache.build(.init(file: path, symbol: "X"), in: cache).bars == 10_000)
        let cached = try readAll(try #require(BarCache.validReader(for: .init(file: path, symbol: "X"), in: cache)))
        let direct = try CSVBarReader.read(path: path, symbol: "X").series
        #expect(cached.time == direct.time && cached.close == direct.close && cached.volume == direct.volume)
        #expect(cached.signalNames == ["s"])
        #expect(zip(cached.signals[0], direct.signals[0]).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    @Test("a cache is stale once its file changes, missing caches are not valid, and nothing is written beside the data")
    func stale() throws {
        let path = try temporaryCSV("timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n")
        let key = BarCache.Key(file: path, symbol: "X")
        #expect(BarCache.validReader(for: key, in: cache) == nil)
        let built = try BarCache.build(key, in: cache)
        #expect(built.path.hasPrefix(cache) && BarCache.validReader(for: key, in: cache) != nil)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix((path as NSString).lastPathComponent) } == [(path as NSString).lastPathComponent])
        // Another reading of the same file is another entry.
        #expect(BarCache.validReader(for: .init(file: path, symbol: "X", options: .init(layout: .keel)), in: cache) == nil)
        try "timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n2020-01-02,2,2,2,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BarCache.validReader(for: key, in: cache) == nil)
    }

    @Test("same size, same modification time, other bytes: the content stamp tells them apart")
    func sameStampOtherContent() throws {
        let path = try temporaryCSV("timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n")
        let key = BarCache.Key(file: path, symbol: "X")
        try BarCache.build(key, in: cache)
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        try "timestamp,open,high,low,close\n2020-01-01,2,2,2,2\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        #expect(BarCache.validReader(for: key, in: cache) == nil)
    }

    @Test("prune removes the entries whose file is gone and keeps the others")
    func prune() throws {
        let kept = try temporaryCSV("timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n")
        let gone = try temporaryCSV("timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n")
        let keptEntry = try BarCache.build(.init(file: kept, symbol: "X"), in: cache).path
        let goneEntry = try BarCache.build(.init(file: gone, symbol: "X"), in: cache).path
        try FileManager.default.removeItem(atPath: gone)
        #expect(BarCache.prune(cache) == [goneEntry])
        #expect(FileManager.default.fileExists(atPath: keptEntry) && !FileManager.default.fileExists(atPath: goneEntry))
    }

    @Test("a CSV with bad rows gets no cache")
    func badRows() throws {
        let path = try temporaryCSV(CSVBarReaderTests.bad)
        #expect(throws: CSVBarReader.Failure.self) { try BarCache.build(.init(file: path, symbol: "X"), in: cache) }
        #expect(!FileManager.default.fileExists(atPath: BarCache.path(for: .init(file: path, symbol: "X"), in: cache)))
    }
}

@Suite("Synthetic market over long runs")
struct SyntheticLongRunTests {
    @Test("a long one-minute series neither collapses to the price floor nor explodes")
    func bounded() {
        let series = SyntheticMarket(seed: 1).generate(symbols: 1, bars: 1_000_000)[0]
        let first = series.close[0]
        for i in stride(from: 0, to: series.count, by: 50_000) {
            #expect(series.close[i] > first / 4 && series.close[i] < first * 4, "bar \(i): \(series.close[i])")
        }
        // And it keeps moving: the last 10,000 bars are not flat.
        #expect(Set(series.close.suffix(10_000)).count > 1_000)
    }
}

@Suite("Large inputs in bounded memory")
struct BoundedInputTests {
    @Test("a long run of bad rows is read past under skip, listing at most 1,000 and counting the rest")
    func badRun() throws {
        var text = "timestamp,open,high,low,close,volume\n"
        for i in 0..<10_000 { text += "x\(i),1,1,1,1,1\n" }
        text += "2020-01-01,1,1,1,1,1\n2020-01-02,2,2,2,2,2\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bad-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let stream = try CSVBarStream(path: path, symbol: "X", policy: .skip)
        var chunk = BarSeries(symbol: "X")
        #expect(try stream.next(into: &chunk))
        #expect(chunk.count == 2 && chunk.close == [1, 2])
        #expect(!(try stream.next(into: &chunk)))
        #expect(stream.skipped.count == CSVBarStream.skippedListed && stream.skippedUnlisted == 10_000 - CSVBarStream.skippedListed)
        let refusing = try CSVBarStream(path: path, symbol: "X", policy: .error)
        do {
            _ = try refusing.next(into: &chunk)
            Issue.record("bad rows were accepted")
        } catch let failure as CSVBarReader.Failure {
            #expect(failure.problems.count == CSVBarReader.problemsListed && failure.more == CSVBarStream.chunkSize - CSVBarReader.problemsListed)
        }
    }

    @Test("the generator made a chunk at a time equals the generator in one go")
    func chunkedGenerator() {
        let market = SyntheticMarket(seed: 3)
        let whole = market.series(named: "X", bars: 250, seed: 99)
        var stream = market.stream(named: "X", seed: 99)
        var parts = stream.next(100)
        parts.append(contentsOf: stream.next(150))
        #expect(parts == whole)
    }
}
