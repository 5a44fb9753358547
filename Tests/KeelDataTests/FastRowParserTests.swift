import Foundation
import Testing
import KeelTestSupport
@testable import KeelData

/// The one-pass row parser only ever agrees with the general path: on every row it takes, the
/// general path gives the same bar, bit for bit; every row it refuses, the general path handles.
@Suite("One-pass CSV rows")
struct FastRowParserTests {
    static let header = "timestamp,open,high,low,close,volume"

    /// Random rows, mostly well formed, with the edge cases mixed in.
    static func rows(_ rng: inout SeededGenerator, count: Int) -> [(text: String, odd: Bool)] {
        let oddities = ["1970-01-01T00:00:00Z,1,1,1,1,0", "1969-12-31T23:59:59Z,1.5,2,1,1.5,3", "2024-02-29T12:00:00Z,10,10,10,10,1",
                        "2023-02-29T12:00:00Z,10,10,10,10,1", "2024-01-01T24:00:00Z,1,1,1,1,1", "2024-01-01T00:00:60Z,1,1,1,1,1",
                        "2024-01-01T00:00:00Z,0,1,0,0.5,1", "2024-01-01T00:00:00Z,1,0.5,1,1,1", "2024-01-01T00:00:00Z, 1,1,1,1,1",
                        "2024-01-01T00:00:00Z,1e2,100,100,100,1", "2024-01-01T00:00:00Z,-1,1,1,1,1", "2024-01-01,5,6,4,5,7",
                        "2024-01-01T00:00:00+01:00,5,6,4,5,7", "1700000000,5,6,4,5,7", "2024-01-01T00:00:00Z,5,6,4,5",
                        "2024-01-01T00:00:00Z,5,6,4,5,7,8", "2024-01-01T00:00:00Z,12345678901234567890,1,1,1,1",
                        "2024-01-01T00:00:00Z,0.1234567890123456789012,1,0.1,0.5,1", "2024-01-01T00:00:00Z,.5,1,.5,.5,1",
                        "2024-01-01T00:00:00Z,5.,6.,4.,5.,7.", "2024-01-01T00:00:00Z,1..2,3,1,2,1", "2024-01-0xT00:00:00Z,1,1,1,1,1",
                        "2024-13-01T00:00:00Z,1,1,1,1,1", "2024-01-01T00:00:00.250Z,1,1,1,1,1", "2024-01-01T00:00:00Z,nan,1,1,1,1",
                        // Found by the csv fuzz target: ten digits before the T, which the one-pass path once read as a date.
                        "1700000009T00:00:00Z,5,6,4,5,7", "2015-01-0200:00:00Z,5,6,4,5,7"]
        var time: Int64 = 1_704_067_200_000 - Int64.random(in: 0...900_000_000_000, using: &rng)
        return (0..<count).map { _ in
            if Int.random(in: 0..<20, using: &rng) == 0 { return (oddities.randomElement(using: &rng)!, true) }
            time += Int64.random(in: -60_000...7_200_000, using: &rng) / 60_000 * 60_000
            // Prices as data files write them: a fixed number of decimals.
            let decimals = Int.random(in: 0...4, using: &rng)
            func price(_ units: Int) -> String {
                let text = String(units), pad = String(repeating: "0", count: max(0, decimals + 1 - text.count)) + text
                return decimals == 0 ? pad : pad.dropLast(decimals) + "." + pad.suffix(decimals)
            }
            let lowUnits = Int.random(in: 1...9_999_999, using: &rng), highUnits = lowUnits + Int.random(in: 0...50_000, using: &rng)
            let (low, high) = (price(lowUnits), price(highUnits))
            let open = Bool.random(using: &rng) ? low : high, close = Bool.random(using: &rng) ? high : low
            let volume = Int.random(in: 0...1_000_000, using: &rng)
            return ("\(TimestampParser.format(time)),\(open),\(high),\(low),\(close),\(volume)", false)
        }
    }

    @Test("every row the one-pass parser takes, the general path reads the same; the rest it leaves to it")
    func agreement() throws {
        var rng = SeededGenerator(seed: 31)
        let rows = Self.rows(&rng, count: 20_000)
        var text = Self.header + "\n" + rows.map(\.text).joined(separator: "\n")
        let (taken, refused) = try text.withUTF8 { bytes -> (Int, Int) in
            var lines = LineCursor(bytes)
            let layout = try ColumnMap(first: lines.next()!, bytes: bytes, file: "t.csv", options: BarFileOptions())
            var fast = try #require(FastRowParser(layout))
            var one = BarSeries(symbol: "X"), general = BarSeries(symbol: "X")
            var taken = 0, refused = 0, row = 0
            // The time of the last good generated row: each row is judged on its own after it.
            var last: Int64?
            while let line = lines.next() {
                one.removeAll(keepingCapacity: true)
                general.removeAll(keepingCapacity: true)
                var fastUnit: EpochUnit?
                var decoder = RowDecoder(layout, symbol: "X")
                let message = decoder.decodeGeneral(line, bytes, into: &general, lastTime: last)
                if fast.append(line, bytes, to: &one, lastTime: last, epochUnit: &fastUnit) {
                    taken += 1
                    #expect(message == nil, "\(CSVBarReader.text(line, bytes))")
                    if message == nil {
                        #expect(one.time[0] == general.time[0] && one.open[0].bitPattern == general.open[0].bitPattern
                            && one.high[0].bitPattern == general.high[0].bitPattern && one.low[0].bitPattern == general.low[0].bitPattern
                            && one.close[0].bitPattern == general.close[0].bitPattern
                            && one.volume[0].bitPattern == general.volume[0].bitPattern, "\(CSVBarReader.text(line, bytes))")
                    }
                } else {
                    refused += 1
                    #expect(one.count == 0)
                }
                if message == nil, !rows[row].odd { last = general.time[0] }
                row += 1
            }
            return (taken, refused)
        }
        // Most rows are ordinary and take the one-pass path; the oddities and out-of-order times do not.
        #expect(taken > 15_000 && refused > 500, "\(taken) taken, \(refused) refused")
    }

    @Test("layouts other than the common one use the general path")
    func layouts() throws {
        for (header, common) in [("timestamp,open,high,low,close,volume", true), ("timestamp,open,high,low,close", true),
                                 ("date,open,high,low,close,volume,signal", false), ("open,high,low,close,timestamp", false)] {
            var text = header
            let layout = try text.withUTF8 { try ColumnMap(first: 0..<$0.count, bytes: $0, file: "t.csv", options: BarFileOptions()) }
            #expect((FastRowParser(layout) != nil) == common, "\(header)")
        }
    }
}
