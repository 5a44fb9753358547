import CZlib
import Foundation
import Keel
import KeelTestSupport
import Testing
@testable import KeelReport

/// The report's own figures and packing, checked in Swift: what the browser draws is only as right as these.
@Suite struct ReportFiguresTests {
    /// PackedColumn read back as report.js reads it: base64, gunzip, zigzag varints, deltas.
    static func unpack(_ column: PackedColumn) throws -> [Int64] {
        let packed = try #require(Data(base64Encoded: column.base64))
        var stream = z_stream()
        #expect(keel_inflate_init(&stream) == Z_OK)
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(64, column.count * 10 + 64))
        let written: Int = packed.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                #expect(inflate(&stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        var values: [Int64] = [], position = 0, previous: Int64 = 0
        while position < written {
            var shift: UInt64 = 0, raw: UInt64 = 0
            while true {
                let byte = output[position]
                position += 1
                raw |= UInt64(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80 { break }
            }
            let value = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
            previous = column.delta ? previous &+ value : value
            values.append(previous)
        }
        return values
    }

    @Test("a packed column reads back exactly: times, prices at their decimals, negative numbers, raw and delta coded")
    func packedRoundTrip() throws {
        let times: [Int64] = [1_577_836_800_000, 1_577_836_860_000, 1_577_836_920_000, 1_577_923_200_000, -86_400_000]
        #expect(try Self.unpack(PackedColumn(integers: times)) == times)
        let prices = [113.9935, 114.0064, 0.0001, -5.5, 99_999.9999]
        #expect(PackedColumn.decimals(of: prices) == 4)
        let column = PackedColumn(prices, scale: 4)
        #expect(try Self.unpack(column).map { Double($0) / 10_000 } == prices)
        let codes: [Int64] = [3, 0, 7, 7, 1]
        #expect(try Self.unpack(PackedColumn(integers: codes, delta: false)) == codes)
        #expect(try Self.unpack(PackedColumn(integers: [Int64]())) == [])
    }

    @Test("the embedded Plotly is vendor/plotly.min.js, gzipped: the file named in the vendor README, byte for byte")
    func vendoredPlotly() throws {
        let vendor = KeelBinary.root.appendingPathComponent("Sources/KeelReportAssets/vendor")
        let original = try Data(contentsOf: vendor.appendingPathComponent("plotly.min.js"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", vendor.appendingPathComponent("plotly.min.js.gz").path]
        let out = Pipe()
        process.standardOutput = out
        try Launch.run(process)
        let unpacked = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(unpacked == original, "regenerate it: gzip -9 -n -k -f plotly.min.js")
        let readme = try String(contentsOf: vendor.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(try sha256(original)), "the README names the file's SHA-256")
        #expect(HTMLWriter.packedPlotly == (try Data(contentsOf: vendor.appendingPathComponent("plotly.min.js.gz"))).base64EncodedString())
    }

    @Test("decimals: the fewest that write every price exactly, at most 8")
    func decimals() {
        #expect(PackedColumn.decimals(of: [100, 250, 3]) == 0)
        #expect(PackedColumn.decimals(of: [123.45, 1.5, 44.97]) == 2)
        #expect(PackedColumn.decimals(of: [0.00001234]) == 8)
        #expect(PackedColumn.decimals(of: [1.0 / 3]) == 8)
    }

    @Test("year and month of a UTC time agree with the timestamp formatter on every day from 1900 to 2100")
    func calendar() {
        var day: Int64 = -25_567 // 1900-01-01
        while day < 47_482 { // 2100-01-01
            let time = day * 86_400_000 + 43_200_000
            let (year, month) = ReportAnalytics.yearMonth(time)
            let text = TimestampParser.format(time)
            #expect(text.hasPrefix(String(format: "%04d-%02d", year, month)), "\(text)")
            day += 13
        }
    }

    @Test("monthly and yearly returns chain from the capital: each period's last equity over the one before")
    func calendarReturns() {
        func at(_ text: String) -> Int64 { TimestampParser.parse(text)! }
        let curve: [ReportAnalytics.Point] = [
            (at("2020-12-30"), 100), (at("2020-12-31"), 110),
            (at("2021-01-05"), 121), (at("2021-01-31"), 99),
            (at("2021-03-01"), 108.9),
        ]
        let (months, years) = ReportAnalytics.calendarReturns(curve, capital: 100)
        #expect(months.map { [$0.year, $0.month] } == [[2020, 12], [2021, 1], [2021, 3]])
        #expect(abs(months[0].value - 0.10) < 1e-12 && abs(months[1].value - (99.0 / 110 - 1)) < 1e-12 && abs(months[2].value - 0.10) < 1e-12)
        #expect(years.map(\.year) == [2020, 2021])
        #expect(abs(years[0].value - 0.10) < 1e-12 && abs(years[1].value - (108.9 / 110 - 1)) < 1e-12)
    }

    @Test("rolling Sharpe and volatility equal a direct computation over every window")
    func rolling() {
        var generator = SeededGenerator(seed: 11)
        var equity = 100_000.0
        let days: [ReportAnalytics.Point] = (0..<400).map { i in
            equity *= 1 + Double.random(in: -0.02...0.021, using: &generator)
            return (Int64(i) * 86_400_000, equity)
        }
        let window = 63
        let rolled = ReportAnalytics.rolling(days, window: window)
        let returns = zip(days.dropFirst(), days).map { $0.equity / $1.equity - 1 }
        let perYear = Double(days.count - 1) / (Double(days.last!.time - days[0].time) / 1_000 / (365.25 * 86_400))
        #expect(rolled.times.count == returns.count - window + 1)
        for (k, end) in (window - 1..<returns.count).enumerated() {
            let slice = returns[(end - window + 1)...end]
            let mean = slice.reduce(0, +) / Double(window)
            let sd = (slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(window - 1)).squareRoot()
            #expect(abs(rolled.volatility[k] - sd * perYear.squareRoot()) < 1e-9)
            #expect(abs(rolled.sharpe[k] - mean / sd * perYear.squareRoot()) < 1e-7)
            #expect(rolled.times[k] == days[end + 1].time)
        }
    }

    @Test("exposure: the positions' value at each close over equity, long and short, from entry to exit")
    func exposure() {
        var bars = BarSeries(symbol: "X")
        for (i, close) in [10.0, 11, 12, 13, 14].enumerated() {
            bars.append(time: Int64(i) * 86_400_000, open: close, high: close, low: close, close: close, volume: 1)
        }
        let trade = Trade(symbol: "X", side: .short, entryTime: 86_400_000, entryPrice: 11, exitTime: 3 * 86_400_000, exitPrice: 13,
                          quantity: 100, pnl: -200, fees: 0, exitReason: .signal)
        let days: [ReportAnalytics.Point] = (0..<5).map { (Int64($0) * 86_400_000, 1_000) }
        let open = BacktestResult.OpenPosition(symbol: "X", side: .long, quantity: 10, entryTime: 4 * 86_400_000, entryPrice: 14,
                                               markTime: 4 * 86_400_000, markPrice: 14, unrealizedPnl: 0)
        let exposure = ReportAnalytics.exposure(at: days, trades: [trade], open: [open], bars: [bars])
        #expect(exposure == [0, 1.1, 1.2, 0, 0.14])
    }

    @Test("the statistics table lists every metric of the result with its exact value, and the data cannot close its script element")
    func statisticsTable() throws {
        let strategy = try LoadedStrategy(path: "sma.yaml", text: """
            keel: 1
            name: "SMA </script> cross"
            entry: {long: crosses_above(sma(close, 5), sma(close, 20))}
            exit: {long: crosses_below(sma(close, 5), sma(close, 20))}
            stop_loss: 3%
            """)
        let bars = SyntheticMarket(seed: 3, barMilliseconds: 86_400_000).series(named: "SYN", bars: 2_000, seed: 3)
        let result = try Backtest.run(strategy.program, feeds: [bars], capital: 100_000, trace: true, keepEquityCurve: true)
        let html = String(decoding: BacktestReport(result: result, bars: [bars], strategy: strategy, manifest: ReportManifest(command: ["keel"])).html(),
                          as: UTF8.self)
        let pattern = /data-metric="([a-z_]+)" data-value="([^"]*)"/
        let shown = Dictionary(html.matches(of: pattern).map { (String($0.1), String($0.2)) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in result.metrics.named {
            let cell = try #require(shown[name], "\(name) is in the table")
            #expect(Double(cell).map { $0 == value || ($0.isNaN && value.isNaN) } ?? (cell == "null" && !value.isFinite), "\(name): \(cell) against \(value)")
        }
        #expect(shown["final_equity"].flatMap(Double.init) == result.finalEquity)
        let data = try #require(html.firstRange(of: "<script id=\"keel-data\"").map { html[$0.upperBound...] })
        let body = data[..<data.firstRange(of: "</script>")!.lowerBound]
        #expect(!body.contains("</"), "a string holding </script> is written <\\/script>")
        #expect(html.contains("SMA &lt;/script&gt; cross"))
    }
}
