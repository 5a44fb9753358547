import ArgumentParser
import Foundation
import KeelData
import KeelEngine
import KeelLanguage
import KeelLint

struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a strategy over historical bars and print its result.",
        discussion: """
        Exits 0 with a result, 1 when the strategy has errors or the data is refused, 64 on a usage
        error, 66 when a file cannot be read.
        """
    )

    @Argument(help: "The strategy file.")
    var strategy: String

    @Option(name: .customLong("data"), help: "SYMBOL=PATH of a bar CSV; repeat for several symbols.")
    var data: [String] = []

    @Option(help: "Starting cash.")
    var capital: Double = 100_000

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "What to do with bad data rows: error (refuse the file) or skip (drop and report each).")
    var badRows: BadRowPolicy = .error

    @Flag(help: "Include the equity curve in the JSON output.")
    var equity = false

    @Option(help: "Write every decision, with the rule that fired and the values it read, to this file (JSON lines).")
    var trace: String?

    @Option(name: .customLong("set"), help: "NAME=VALUE: replace a param's value (10, 2.5, 5%, true); repeatable.")
    var sets: [String] = []

    @Option(name: .customLong("sweep"), help: "NAME=V1,V2,...: run every combination of these param values; repeatable.")
    var sweeps: [String] = []

    @Flag(help: "Read the CSV files even when a valid .keelcache is next to them, and write none.")
    var noCache = false

    @Option(help: "Periods per year for Sharpe, Sortino and volatility (default: the data's observed bars per year, e.g. 252 for weekday daily bars).")
    var annualization: Double?

    @Option(help: "Sweep runs at once (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the bars with --data SYMBOL=PATH") }
        for item in data where item.split(separator: "=", maxSplits: 1).count != 2 {
            throw ValidationError("--data takes SYMBOL=PATH, not '\(item)'")
        }
        let symbols = data.map { String($0.prefix { $0 != "=" }) }
        if let twice = symbols.first(where: { s in symbols.filter { $0 == s }.count > 1 }) {
            throw ValidationError("--data names \(twice) twice; give each symbol once")
        }
        guard capital > 0, capital.isFinite else { throw ValidationError("--capital must be above 0") }
        guard jobs >= 1 else { throw ValidationError("--jobs is at least 1") }
        if let annualization, !(annualization > 0 && annualization.isFinite) { throw ValidationError("--annualization must be above 0") }
        do {
            _ = try Sweep.parse(sets, list: false)
            _ = try Sweep.parse(sweeps, list: true)
        } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let loaded = try loadStrategy(strategy)
        let checked = loaded.checked
        let fixed = Dictionary(try Sweep.parse(sets, list: false).map { ($0.0, $0.1[0]) }, uniquingKeysWith: { $1 })
        let axes = try Sweep.parse(sweeps, list: true)
        for name in Array(fixed.keys) + axes.map(\.0) where !checked.parsed.params.contains(where: { $0.name == name }) {
            let names = checked.parsed.params.map(\.name)
            throw ValidationError("no param '\(name)' in \(strategy)\(Suggestions.didYouMean(name, in: names))")
        }
        if !axes.isEmpty {
            do { return try runSweep(checked.parsed, fixed: fixed, axes: axes) } catch let refusal as KeelEngine.Backtest.Refusal {
                report(refusal, text: loaded.text)
                throw Exit.findings
            }
        }
        let program: CompiledStrategy
        if fixed.isEmpty { program = loaded.program } else {
            do { program = try Compiler.compile(Checker.check(checked.parsed, options: .init(paramOverrides: fixed)).0) } catch {
                let location = SourceFile(path: strategy, text: loaded.text).location(ofOffset: error.range.start)
                FileHandle.standardError.write(Data("\(strategy):\(location): error: \(error.message)\n".utf8))
                throw Exit.findings
            }
        }
        let sources = try openSources()
        let spool = format == .json ? try ResultSpool() : nil
        let result: BacktestResult
        let bar = Progress(total: 1_000, percent: true)
        do {
            // Only the JSON lists trades, and it spools them to disk as they close: memory stays flat either way.
            result = try KeelEngine.Backtest.run(program, sources: sources, capital: capital, trace: trace != nil, keepEquityCurve: equity,
                                                 keepTrades: false, annualization: annualization, spool: spool,
                                                 progress: { bar.set(Int($0 * 1_000)) })
            bar.finish()
        } catch let failure as CSVBarReader.Failure {
            bar.finish()
            FileHandle.standardError.write(Data("\(failure)\nkeel: bad rows in the data; fix them, or pass --bad-rows skip to drop them\n".utf8))
            throw Exit.findings
        } catch let refusal as KeelEngine.Backtest.Refusal {
            bar.finish()
            report(refusal, text: loaded.text)
            throw Exit.findings
        }
        for case let prefetching as PrefetchingBarSource in sources { prefetching.settle() }
        for case let source as CSVBarStream in sources.map({ ($0 as? PrefetchingBarSource)?.source ?? $0 }) {
            for problem in source.skipped { FileHandle.standardError.write(Data("warning: skipped \(problem)\n".utf8)) }
            if source.skippedUnlisted > 0 {
                FileHandle.standardError.write(Data("warning: skipped \(source.skippedUnlisted) more bad rows in \(source.path)\n".utf8))
            }
        }
        if let trace {
            do { try ResultFormat.trace(result).write(toFile: trace, atomically: true, encoding: .utf8) } catch {
                FileHandle.standardError.write(Data("keel: cannot write the trace to '\(trace)'\n".utf8))
                throw Exit.unreadable
            }
        }
        if let spool {
            do { try ResultFormat.writeJSON(result, includeEquity: equity, spool: spool, to: FileHandle.standardOutput) } catch {
                FileHandle.standardError.write(Data("keel: \(error); the JSON is incomplete\n".utf8))
                throw Exit.cannotWrite
            }
        } else {
            print(ResultFormat.text(result), terminator: "")
        }
    }

    /// A refusal judged against the strategy's `timeframe:` names that line; one about the data alone does not.
    private func report(_ refusal: KeelEngine.Backtest.Refusal, text: String) {
        let place = refusal.range.map { "\(strategy):\(SourceFile(path: strategy, text: text).location(ofOffset: $0.start)): error: " }
        FileHandle.standardError.write(Data("\(place ?? "keel: ")\(refusal)\n".utf8))
    }

    private func runSweep(_ parsed: ParsedStrategy, fixed: [String: ConstValue], axes: [(String, [ConstValue])]) throws {
        var feeds: [BarSeries] = []
        for source in try openSources() {
            var series = BarSeries(symbol: source.symbol, signalNames: source.signalNames)
            var chunk = series
            while try source.next(into: &chunk) { series.append(contentsOf: chunk) }
            feeds.append(series)
        }
        let total = Sweep.combinations(axes).count
        let progress = Progress(total: total)
        let runs = try Sweep.run(parsed, fixed: fixed, axes: axes, feeds: feeds, capital: capital, jobs: jobs, progress: progress)
        progress.finish()
        print(format == .json ? SweepFormat.json(runs) : SweepFormat.text(runs), terminator: "")
    }

    /// One streaming reader per `--data`: Keel's cache next to the CSV when it matches the CSV (built
    /// first when missing or stale), else the CSV itself, read a chunk at a time as the run goes. CSV
    /// files are parsed ahead on one background thread while the engine runs.
    private func openSources() throws -> [BarSource] {
        var sources: [BarSource] = []
        let parsing = DispatchQueue(label: "keel.csv")
        for item in data {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard FileManager.default.isReadableFile(atPath: parts[1]) else {
                FileHandle.standardError.write(Data("keel: cannot read '\(parts[1])'\n".utf8))
                throw Exit.unreadable
            }
            if !noCache, let cached = cachedSource(parts[1], symbol: parts[0]) {
                sources.append(cached)
                continue
            }
            do {
                sources.append(PrefetchingBarSource(try CSVBarStream(path: parts[1], symbol: parts[0], policy: badRows), queue: parsing))
            } catch let failure as CSVBarReader.Failure {
                FileHandle.standardError.write(Data("\(failure)\n".utf8))
                throw Exit.findings
            }
        }
        return sources
    }
}

extension Backtest {
    /// The cache of a CSV, built when missing or stale; nil when it cannot be built (bad rows, a
    /// folder that is not writable): the CSV is then read directly.
    func cachedSource(_ csv: String, symbol: String) -> BarCacheReader? {
        if let reader = BarCache.validReader(for: csv, symbol: symbol) { return reader }
        guard (try? BarCache.build(csv: csv, symbol: symbol)) != nil else { return nil }
        return BarCache.validReader(for: csv, symbol: symbol)
    }
}

extension BadRowPolicy: ExpressibleByArgument {}
