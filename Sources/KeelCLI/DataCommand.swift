import ArgumentParser
import Foundation
import KeelData
import KeelLanguage

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Market data tools.",
        subcommands: [Generate.self, Cache.self, Events.self]
    )

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print bar CSVs as a live stream: JSON lines in time order (ties in the order given), for keel run.",
            discussion: "Each row becomes its signal events (extra columns), then its bar event. Pipe it to `keel run --stream -`, or serve it over TCP."
        )

        @Argument(help: "SYMBOL=PATH of a bar CSV; several are merged by time.")
        var data: [String]

        func run() throws {
            var feeds: [BarSeries] = []
            for item in data {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("give SYMBOL=PATH, not '\(item)'") }
                do {
                    let stream = try CSVBarStream(path: parts[1], symbol: parts[0])
                    var series = BarSeries(symbol: parts[0], signalNames: stream.signalNames), chunk = series
                    while try stream.next(into: &chunk) { series.append(contentsOf: chunk) }
                    feeds.append(series)
                } catch let failure as CSVBarReader.Failure {
                    StandardError.write("\(failure)\n")
                    throw Exit.findings
                }
            }
            var out = ""
            for event in MergedEvents(feeds) {
                out += event.line + "\n"
                if out.utf8.count > 1 << 16 { print(out, terminator: ""); out = "" }
            }
            print(out, terminator: "")
        }
    }

    struct Cache: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build Keel's binary cache (FILE.keelcache) next to each CSV, ahead of a backtest.",
            discussion: "keel backtest reuses a cache while its CSV is unchanged (same size and modification time) and rebuilds it when the CSV changes."
        )

        @Argument(help: "Bar CSV files.")
        var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                let start = ContinuousClock.now
                do {
                    let bars = try BarCache.build(csv: file, symbol: (file as NSString).lastPathComponent)
                    print("\(BarCache.path(for: file)): \(bars) bars in \(ContinuousClock.now - start)")
                } catch let failure as CSVBarReader.Failure {
                    StandardError.write("\(failure)\nkeel: no cache for '\(file)': fix its bad rows first\n")
                    failed = true
                } catch {
                    StandardError.say("cannot write the cache of '\(file)': \(error.localizedDescription)")
                    failed = true
                }
            }
            if failed { throw Exit.findings }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write deterministic synthetic bars as CSV files (SYMBOL.csv), for tests and benchmarks.",
            usage: "keel data generate --bars <bars> --out <out> [<options>]",
            discussion: "The same --seed, --symbols, --bars, --bar and --start always write the same bytes."
        )

        @Option(help: "How many symbols (named SYM001, SYM002, ... unless --names is given).")
        var symbols: Int = 1

        @Option(help: "Bars per symbol.")
        var bars: Int

        @Option(help: "Random seed.")
        var seed: UInt64 = 1

        @Option(help: "Bar size: 1m, 5m, 1h, 1d, ...")
        var bar: String = "1m"

        @Option(help: "Open time of the first bar, ISO-8601 UTC.")
        var start: String = "2020-01-01T00:00:00Z"

        @Option(help: "Comma-separated symbol names, one per symbol.")
        var names: String?

        @Option(help: "Folder to write into (created if missing).")
        var out: String

        func validate() throws {
            guard symbols >= 1, symbols <= 10_000 else { throw ValidationError("--symbols is between 1 and 10000") }
            guard bars >= 1 else { throw ValidationError("--bars is at least 1") }
            guard barMilliseconds != nil else { throw ValidationError("--bar is a bar size such as 1m, 1h or 1d, not '\(bar)'") }
            guard TimestampParser.parse(start) != nil else { throw ValidationError("--start is an ISO-8601 time such as 2020-01-01T00:00:00Z") }
            if let names, names.split(separator: ",").count != symbols {
                throw ValidationError("--names lists \(names.split(separator: ",").count) names for \(symbols) symbols")
            }
        }

        private var barMilliseconds: Int64? {
            guard case .duration(let duration)? = Lexer.tokenize(bar).first?.kind, let seconds = duration.seconds, seconds > 0 else {
                return nil
            }
            return Int64(seconds) * 1_000
        }

        func run() throws {
            let market = SyntheticMarket(seed: seed, barMilliseconds: barMilliseconds!, start: TimestampParser.parse(start)!)
            let symbolNames = names.map { $0.split(separator: ",").map(String.init) }
                ?? (0..<symbols).map(SyntheticMarket.name(ofSymbolAt:))
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (index, symbol) in symbolNames.enumerated() {
                try write(market.stream(named: symbol, seed: market.seed(forSymbolAt: index)),
                          to: (out as NSString).appendingPathComponent("\(symbol).csv"))
            }
            print("wrote \(symbolNames.count) file\(symbolNames.count == 1 ? "" : "s") of \(bars) bars to \(out)")
        }

        /// Writes a chunk at a time through a file handle: a file of any size, in constant memory.
        /// (One `String.write` of the whole file loses data past 2 GiB on Linux.)
        private func write(_ stream: SyntheticMarket.Stream, to path: String) throws {
            var stream = stream
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("cannot write '\(path)'")
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(CSVBarWriter.header(BarSeries(symbol: "")).utf8))
            var left = bars
            while left > 0 {
                let chunk = stream.next(min(left, 65_536))
                try handle.write(contentsOf: Data(CSVBarWriter.rows(chunk).utf8))
                left -= chunk.count
            }
        }
    }
}
