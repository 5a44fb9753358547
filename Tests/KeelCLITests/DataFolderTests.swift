import Foundation
import KeelTestSupport
import Testing

/// Data as users have it, through the `keel` binary: folders, ranges, vendor files, gzip, inspect.
@Suite("keel with data folders, ranges and vendor files")
struct DataFolderCommandTests {
    static let root = KeelBinary.root
    static let vendors = SharedFixtures.root.appendingPathComponent("vendors")

    func keel(_ arguments: [String]) throws -> KeelBinary.Output { try KeelBinary.run(arguments) }

    @Test("the README's run: a strategy of seven symbols over the bundled folder, from 2021-01-01 to 2022-12-31")
    func readmeRange() throws {
        let run = try keel(["backtest", "Strategies/momentum_rotation.yaml", "--data", "Examples/data", "--from", "2021-01-01", "--to", "2022-12-31"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("period           2021-01-01T00:00:00Z to 2021-11-25T00:00:00Z"))
        #expect(run.stdout.contains("range asked      2021-01-01 to 2022-12-31"))
        #expect(run.stdout.contains("warm-up          99 of the 99 bars the strategy needs, before the range"))
        #expect(run.stdout.contains("data             SPY Examples/data/SPY.csv: keel layout, ISO-8601 times"))
        #expect(run.stderr.contains("warning: the data ends at 2021-11-25T00:00:00Z, before --to 2022-12-31"))
        // The same run with the symbols named one by one.
        let pairs = ["SPY", "QQQ", "IWM", "EFA", "EEM", "TLT", "GLD"].flatMap { ["--data", "\($0)=Examples/data/\($0).csv"] }
        let named = try keel(["backtest", "Strategies/momentum_rotation.yaml", "--from", "2021-01-01", "--to", "2022-12-31", "--format", "json"] + pairs)
        let folder = try keel(["backtest", "Strategies/momentum_rotation.yaml", "--data", "Examples/data", "--from", "2021-01-01", "--to", "2022-12-31", "--format", "json"])
        #expect(named.status == 0 && named.stdout == folder.stdout)
        #expect(folder.stdout.contains("\"warmup_needed\": 99"))
    }

    @Test("a symbol the folder lacks: exit 66, and what the folder holds")
    func missingSymbol() throws {
        let folder = try KeelBinary.temporaryFolder()
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("Examples/data/AAPL.csv").path,
                                         toPath: folder.appendingPathComponent("AAPL.csv").path)
        let run = try keel(["backtest", "Strategies/market_filter_trend.yaml", "--data", folder.path])
        #expect(run.status == 66)
        #expect(run.stderr.contains("no file for MSFT in \(folder.path) (\(folder.path) holds AAPL.csv)"), "\(run.stderr)")
    }

    @Test("a .csv.gz gives the result of its CSV, byte for byte; nothing is written beside either")
    func gzipSameResult() throws {
        let folder = try KeelBinary.temporaryFolder()
        let plain = folder.appendingPathComponent("plain"), zipped = folder.appendingPathComponent("zipped")
        for sub in [plain, zipped] { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("Examples/data/AAPL.csv").path, toPath: plain.appendingPathComponent("AAPL.csv").path)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(plain.path)/AAPL.csv' > '\(zipped.path)/AAPL.csv.gz'"]
        try Launch.run(gzip)
        gzip.waitUntilExit()
        var outputs: [String] = []
        for (sub, name) in [(plain, "AAPL.csv"), (zipped, "AAPL.csv.gz")] {
            for extra in [["--no-cache"], []] {
                let run = try keel(["backtest", "Strategies/sma_cross.yaml", "--data", sub.path, "--format", "json", "--from", "2017-01-01"] + extra)
                #expect(run.status == 0, "\(run.stderr)")
                outputs.append(run.stdout.replacingOccurrences(of: "\(sub.path)/\(name)", with: "FILE"))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: sub.path) == [name])
        }
        #expect(Set(outputs).count == 1)
    }

    @Test("keel data inspect: each vendor file's layout and unit; suspicious files exit 1; json")
    func inspect() throws {
        let clean = try keel(["data", "inspect", Self.vendors.appendingPathComponent("stooq-spy.us.txt").path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("layout       stooq") && clean.stdout.contains("5 bars 2024-01-02 to 2024-01-08, 1d"))
        #expect(clean.stdout.contains("gaps         1 weekend, 0 overnight, 0 other"))
        let yahoo = try keel(["data", "inspect", Self.vendors.appendingPathComponent("yahoo-AAPL.csv").path])
        #expect(yahoo.status == 1)
        #expect(yahoo.stdout.contains("suspicious   1 price jump of a split's or a unit change's size between bars: 2020-08-31T00:00:00Z (x0.256)"))
        #expect(yahoo.stdout.contains("suspicious   prices unadjusted"))
        let adjusted = try keel(["data", "inspect", "--adjust", Self.vendors.appendingPathComponent("yahoo-AAPL.csv").path])
        #expect(adjusted.status == 0, "\(adjusted.stdout)")
        let json = try keel(["data", "inspect", "--format", "json", "BTCUSDT=" + Self.vendors.appendingPathComponent("binance-BTCUSDT-1m.csv").path,
                             "MSFT=" + Self.vendors.appendingPathComponent("polygon-2024-03-07.csv").path])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { $0["layout"] as? String } == ["binance", "polygon"])
        #expect(reports.map { $0["time_form"] as? String } == ["epoch milliseconds and epoch microseconds", "epoch nanoseconds"])
        #expect(reports.map { $0["bars"] as? Int } == [4, 3] && reports.map { $0["bar_seconds"] as? Int } == [60, 60])
    }

    @Test("bad rows and repeated times are counted by kind, with their rows")
    func inspectBadRows() throws {
        let folder = try KeelBinary.temporaryFolder(["X.csv": """
            timestamp,open,high,low,close,volume
            2024-01-01,10,11,9,10,0
            2024-01-02,10,11,9,10,0
            2024-01-02,10,11,9,10,5
            2024-01-01,10,11,9,10,5
            2024-01-03,10,9,11,10,5
            2024-01-04,10,11,9,10,5

            """])
        let run = try keel(["data", "inspect", folder.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("bad rows     3 (1 repeated, 1 out of order)"), "\(run.stdout)")
        #expect(run.stdout.contains("row 4: duplicate timestamp 2024-01-02") && run.stdout.contains("row 6: high 9 is below low 11"))
        #expect(run.stdout.contains("zero volume  1 runs of 2 bars or more, longest 2 bars"))
    }

    @Test("keel data events takes folders and a range")
    func events() throws {
        let run = try keel(["data", "events", "Examples/data", "--from", "2021-11-24", "--to", "2021-11-24"])
        #expect(run.status == 0, "\(run.stderr)")
        // Nine of the ten files have that day (BTCUSD ends in June).
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 9 && lines.allSatisfy { $0.contains("\"timestamp\":\"2021-11-24T00:00:00Z\"") })
    }

    @Test("--from and --to that do not read, or do not meet, are usage errors")
    func badRange() throws {
        let unreadable = try keel(["backtest", "Strategies/sma_cross.yaml", "--data", "Examples/data", "--from", "yesterday"])
        #expect(unreadable.status == 64 && unreadable.stderr.contains("--from takes a date (2021-01-31)"))
        let crossed = try keel(["backtest", "Strategies/sma_cross.yaml", "--data", "Examples/data", "--from", "2021-01-01", "--to", "2020-01-01"])
        #expect(crossed.status == 64 && crossed.stderr.contains("--to 2020-01-01 is before --from 2021-01-01"))
        let outside = try keel(["backtest", "Strategies/sma_cross.yaml", "--data", "Examples/data", "--from", "2030-01-01"])
        #expect(outside.status == 1 && outside.stderr.contains("AAPL: no bars in --from 2030-01-01"), "\(outside.stderr)")
    }

    @Test("several files for one symbol, read in name order: Binance months found by name, Polygon days as SYMBOL=FOLDER")
    func chainedFiles() throws {
        let binance: [String] = try String(contentsOf: Self.vendors.appendingPathComponent("binance-BTCUSDT-1m.csv"), encoding: .utf8)
            .split(separator: "\n").map { String($0) + "\n" }
        let december: String = binance[0] + binance[1], january: String = binance[2] + binance[3]
        let polygon: String = try String(contentsOf: Self.vendors.appendingPathComponent("polygon-2024-03-07.csv"), encoding: .utf8)
        // The same minutes a day later.
        let nextDay: String = polygon.replacingOccurrences(of: "1709802000", with: "1709888400")
            .replacingOccurrences(of: "1709802060", with: "1709888460").replacingOccurrences(of: "1709802120", with: "1709888520")
        let folder = try KeelBinary.temporaryFolder([
            "months/BTCUSDT-1m-2024-12.csv": december, "months/BTCUSDT-1m-2025-01.csv": january,
            "days/2024-03-07.csv": polygon, "days/2024-03-08.csv": nextDay,
            "swapped/BTCUSDT-1m-2024-12.csv": january, "swapped/BTCUSDT-1m-2025-01.csv": december,
            "s.yaml": "keel: 1\nname: chained\nprofile: degen\nsymbols: [BTCUSDT]\nentry: {long: close > open}\nexit: {long: close < open}\n"
                + "execution: {fees: 0.1%, slippage: 2bps}\n",
        ])
        let months = try keel(["backtest", folder.appendingPathComponent("s.yaml").path, "--data", folder.appendingPathComponent("months").path,
                               "--no-cache"])
        #expect(months.status == 0, "\(months.stderr)")
        #expect(months.stdout.contains("4 bars") && months.stdout.contains("BTCUSDT-1m-2025-01.csv (2 files): binance layout"), "\(months.stdout)")
        let days = try keel(["data", "events", "MSFT=" + folder.appendingPathComponent("days").path])
        let lines = days.stdout.split(separator: "\n")
        #expect(days.status == 0 && lines.count == 6 && lines.allSatisfy { $0.contains("\"symbol\":\"MSFT\"") }, "\(days.stdout)\(days.stderr)")
        #expect(lines.last?.contains("2024-03-08T09:02:00Z") == true)
        let swapped = try keel(["backtest", folder.appendingPathComponent("s.yaml").path, "--data", folder.appendingPathComponent("swapped").path,
                                "--no-cache"])
        #expect(swapped.status == 1 && swapped.stderr.contains("not after the last bar of") && swapped.stderr.contains("BTCUSDT-1m-2024-12.csv"),
                "\(swapped.stderr)")
        #expect(!swapped.stderr.contains("--bad-rows skip"), "skipping rows cannot mend files out of order")
    }
}
