import ArgumentParser
import Foundation
import KeelData
import KeelLanguage

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Market data tools.",
        subcommands: [Inspect.self, Generate.self, Cache.self, Events.self]
    )

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print bar files as a live stream: JSON lines in time order (ties in the order given), for keel run.",
            usage: "keel data events <data> ... [<options>]",
            discussion: "Each row becomes its signal events (extra columns), then its bar event. Pipe it to `keel run --stream -`, or serve it over TCP."
        )

        @Argument(help: "SYMBOL=PATH of a bar file, a folder (every file in it), or a file named for its symbol; several are merged by time.")
        var data: [String]

        @OptionGroup var reading: ReadingOptions

        func run() throws {
            var feeds: [BarSeries] = []
            let range = reading.range
            for (symbol, paths) in DataFolder.grouped(try ReadingOptions.files(data, universe: [])) {
                do {
                    let streams = try paths.map { try CSVBarStream(path: $0, symbol: symbol, options: reading.file) }
                    let source: BarSource = streams.count == 1 ? streams[0] : try ChainedBarSource(streams)
                    var series = BarSeries(symbol: symbol, signalNames: source.signalNames), chunk = series
                    while try source.next(into: &chunk) {
                        let inside = chunk.time.indices.filter { range.contains(chunk.time[$0]) }
                        if let first = inside.first, let last = inside.last { series.append(contentsOf: chunk, range: first..<(last + 1)) }
                    }
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
            abstract: "Build Keel's binary cache of bar files ahead of a backtest, or prune it.",
            usage: "keel data cache <data> ... [<options>]\n       keel data cache --prune [--cache-dir <dir>]",
            discussion: prose("""
            The cache lives in $XDG_CACHE_HOME/keel (else ~/.cache/keel), never beside the data. keel backtest reuses an
            entry while its file is unchanged (same path, size, modification time and first and last block) and rebuilds it
            when the file changes. --prune removes the entries whose file is gone.
            """)
        )

        @Argument(help: "SYMBOL=PATH of a bar file, a folder (every file in it), or a file named for its symbol.")
        var data: [String] = []

        @Option(help: "The cache's folder (default: $XDG_CACHE_HOME/keel, else ~/.cache/keel).")
        var cacheDir: String?

        @Flag(help: "Remove the entries whose data file is gone.")
        var prune = false

        @OptionGroup var layout: LayoutOptions

        func validate() throws {
            guard prune || !data.isEmpty else { throw ValidationError("give the files to cache, or --prune") }
        }

        func run() throws {
            let directory = cacheDir ?? BarCache.defaultDirectory()
            if prune {
                let removed = BarCache.prune(directory)
                for path in removed { print("removed \(path)") }
                print("\(removed.count) entr\(removed.count == 1 ? "y" : "ies") removed from \(directory)")
            }
            var failed = false
            for (symbol, file) in try ReadingOptions.files(data, universe: []) {
                let start = ContinuousClock.now
                do {
                    let built = try BarCache.build(BarCache.Key(file: file, symbol: symbol, options: layout.file), in: directory)
                    print("\(file): \(built.bars) bars in \(ContinuousClock.now - start) -> \(built.path)")
                } catch let failure as CSVBarReader.Failure {
                    StandardError.write("\(failure)\nkeel: no cache for '\(file)': fix its bad rows first\n")
                    failed = true
                } catch {
                    StandardError.say("cannot write the cache of '\(file)' into \(directory): \(error.localizedDescription)")
                    failed = true
                }
            }
            if failed { throw Exit.findings }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say what bar files hold: layout, time unit, bars, period, bar size, gaps, bad rows, price jumps, zero-volume runs.",
            usage: "keel data inspect <data> ... [<options>]",
            discussion: prose("""
            Exits 0 when every file reads, 1 when a file has bad rows or suspicious bars (what a backtest warns on), 66 when
            a file cannot be read.
            """)
        )

        @Argument(help: "Bar files, folders (every file in them), or SYMBOL=PATH (the symbol picks a Polygon file's ticker).")
        var data: [String]

        @Option(help: "Output: text or json.")
        var format: OutputFormat = .text

        @OptionGroup var layout: LayoutOptions

        enum OutputFormat: String, ExpressibleByArgument { case text, json }

        func run() throws {
            var reports: [DataInspection] = []
            for (symbol, path) in try ReadingOptions.files(data, universe: []) {
                do { reports.append(try DataInspection.inspect(path: path, symbol: symbol, options: layout.file)) } catch {
                    StandardError.write("\(error)\n")
                    throw Exit.unreadable
                }
            }
            print(format == .json ? DataInspection.json(reports) : reports.map(\.text).joined(separator: "\n"), terminator: "")
            if reports.contains(where: { !$0.clean }) { throw Exit.findings }
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
