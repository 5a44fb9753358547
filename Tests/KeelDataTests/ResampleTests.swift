import Testing
import KeelTestSupport
@testable import KeelData

/// `ResampledBarSource` against a plain aggregation written out here, across chunk boundaries.
@Suite("Resampling bars to a longer timeframe")
struct ResampleTests {
    /// Hands a series out in chunks of `size` bars, as a file stream does.
    final class ChunkedSource: BarSource {
        let series: BarSeries
        let size: Int
        /// Empties the chunk when it has no more, as Keel's cache does (a file stream leaves it).
        let emptiesAtEnd: Bool
        var at = 0
        var symbol: String { series.symbol }
        var signalNames: [String] { series.signalNames }
        var fractionRead: Double { Double(at) / Double(max(1, series.count)) }
        init(_ series: BarSeries, size: Int, emptiesAtEnd: Bool = false) { (self.series, self.size, self.emptiesAtEnd) = (series, size, emptiesAtEnd) }
        func next(into chunk: inout BarSeries) throws -> Bool {
            guard at < series.count else {
                if emptiesAtEnd { chunk.removeAll(keepingCapacity: true) }
                return false
            }
            chunk = BarSeries(symbol: symbol, signalNames: signalNames)
            for row in at..<min(at + size, series.count) {
                chunk.append(time: series.time[row], open: series.open[row], high: series.high[row], low: series.low[row],
                             close: series.close[row], volume: series.volume[row], signals: series.signals.map { $0[row] })
            }
            at += size
            return true
        }
    }

    static func minutes(_ count: Int, seed: UInt64) -> BarSeries {
        var random = SeededGenerator(seed: seed)
        var series = BarSeries(symbol: "M", signalNames: ["s"])
        var price = 100.0
        // Starts mid-hour and has gaps, so buckets are partial at both ends and in the middle.
        var time: Int64 = 1_709_251_200_000 + 17 * 60_000
        for _ in 0..<count {
            time += Int64(Int.random(in: 1...3, using: &random)) * 60_000
            let open = price, close = price * (1 + Double.random(in: -0.01...0.01, using: &random))
            series.append(time: time, open: open, high: max(open, close) + 0.1, low: min(open, close) - 0.1, close: close,
                          volume: Double.random(in: 1...10, using: &random), signals: [Double(time % 7)])
            price = close
        }
        return series
    }

    @Test("open of the first, extremes, close of the last, volume summed, the last signal; aligned to the hour; also over a source that empties its chunk at the end (Keel's cache: it looped for ever)",
          arguments: [1, 7, 60, 5_000], [false, true])
    func aggregation(chunk: Int, emptiesAtEnd: Bool) throws {
        let minutes = Self.minutes(2_000, seed: 7)
        let period: Int64 = 3_600_000
        var expected = BarSeries(symbol: "M", signalNames: ["s"])
        for row in 0..<minutes.count {
            let start = minutes.time[row] / period * period
            if expected.time.last == start {
                let last = expected.count - 1
                expected.high[last] = max(expected.high[last], minutes.high[row])
                expected.low[last] = min(expected.low[last], minutes.low[row])
                expected.close[last] = minutes.close[row]
                expected.volume[last] += minutes.volume[row]
                expected.signals[0][last] = minutes.signals[0][row]
            } else {
                expected.append(time: start, open: minutes.open[row], high: minutes.high[row], low: minutes.low[row], close: minutes.close[row],
                                volume: minutes.volume[row], signals: [minutes.signals[0][row]])
            }
        }
        let source = ResampledBarSource(ChunkedSource(minutes, size: chunk, emptiesAtEnd: emptiesAtEnd), periodMilliseconds: period)
        var got = BarSeries(symbol: "M", signalNames: ["s"])
        var piece = BarSeries(symbol: "M", signalNames: ["s"])
        while try source.next(into: &piece) { got.append(contentsOf: piece) }
        #expect(try !source.next(into: &piece), "asked again after its end, it says so again")
        #expect(got == expected)
        #expect(got.count > 60 && got.time.allSatisfy { $0 % period == 0 })
    }
}

/// Inputs the attack campaign found accepted: each is now refused or read right.
@Suite("Hostile data")
struct HostileDataTests {
    @Test("epoch timestamps in s, ms, µs and ns are read by their magnitude (µs was read as ms: the year 46972)")
    func epochUnits() {
        #expect(TimestampParser.parse("1420156800") == 1_420_156_800_000)
        #expect(TimestampParser.parse("1420156800000") == 1_420_156_800_000)
        #expect(TimestampParser.parse("1420156800000000") == 1_420_156_800_000)
        #expect(TimestampParser.parse("1420156800123456") == 1_420_156_800_123)
        #expect(TimestampParser.parse("1420156800000000000") == 1_420_156_800_000)
        #expect(TimestampParser.parse("99999999999999999999") == nil)
        #expect(TimestampParser.parse("-1500") == -1_500_000)
    }

    @Test("a price with a NUL and garbage after it is not a number; hexadecimal is not either")
    func nul() throws {
        #expect(DecimalParser.parse("1.5\u{0}garbage") == nil)
        #expect(DecimalParser.parse("0x1p3") == nil)
        #expect(DecimalParser.parse("1e400") == .infinity && DecimalParser.parse("nan")?.isNaN == true)
        let text = "timestamp,open,high,low,close,volume\n2020-01-01,10\u{0}zz,11,9,10,1\n"
        #expect(throws: CSVBarReader.Failure.self) { try CSVBarReader.parse(text, symbol: "X") }
    }
}

extension HostileDataTests {
    @Test("a huge bad field is cut in the error, not quoted whole")
    func hugeField() throws {
        let field = String(repeating: "x", count: 1_000_000)
        let text = "timestamp,open,high,low,close,volume\n2020-01-01,\(field),11,9,10,1\n"
        do {
            _ = try CSVBarReader.parse(text, symbol: "X")
            Issue.record("a bad field was accepted")
        } catch {
            #expect("\(error)".utf8.count < 1_000 && "\(error)".contains("(1000000 bytes)"), "\("\(error)".prefix(300))")
        }
    }
}

extension HostileDataTests {
    static let microsecondRows = "timestamp,open,high,low,close,volume\n1735689600000000,10,11,9,10,1\n1735689660000000,10,11,9,10,1\n"

    @Test("a file keeps one epoch unit: a row in another is refused with both units named, in the whole-file and the streamed reader")
    func mixedEpochUnits() throws {
        // All in microseconds (a Binance spot file from 2025 on): read as such.
        let series = try CSVBarReader.parse(Self.microsecondRows, symbol: "X").series
        #expect(series.time == [1_735_689_600_000, 1_735_689_660_000])
        // A millisecond row after microsecond ones: every reading would be a guess.
        let mixed = Self.microsecondRows + "1735689720000,10,11,9,10,1\n"
        do {
            _ = try CSVBarReader.parse(mixed, symbol: "X")
            Issue.record("a file mixing µs and ms rows was read")
        } catch {
            #expect("\(error)".contains("reads as epoch milliseconds") && "\(error)".contains("first rows are epoch microseconds"), "\(error)")
        }
        let folder = try KeelBinary.temporaryFolder(["X.csv": mixed])
        let stream = try CSVBarStream(path: folder.appendingPathComponent("X.csv").path, symbol: "X")
        var chunk = BarSeries(symbol: "X")
        #expect(throws: CSVBarReader.Failure.self) { _ = try stream.next(into: &chunk) }
        // Under --bad-rows skip the row is skipped and said so; the file's unit stays.
        let skipped = try CSVBarReader.parse(mixed + "1735689780000000,10,11,9,10,1\n", symbol: "X", policy: .skip)
        #expect(skipped.series.count == 3 && skipped.skipped.count == 1 && skipped.skipped[0].row == 4)
    }
}
