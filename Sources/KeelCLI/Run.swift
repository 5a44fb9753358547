import ArgumentParser
import Foundation
import Keel
import KeelData
import KeelEngine
import KeelLanguage
import KeelReport
import KeelRunner
import KeelStore

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a strategy on a live event stream, on paper or at a broker, journaled to a SQLite state file.",
        discussion: prose("""
        The stream is JSON lines (bar, quote, signal and heartbeat events) from a file, stdin (-),
        tcp://HOST:PORT or ws://HOST:PORT/PATH (reconnected with backoff). Kill the process at any
        moment and run the same command again: it resumes where it committed, with nothing lost and
        nothing doubled. SIGINT or SIGTERM stop it cleanly. Exits 0 when stopped or at the end of a file stream, 1
        when the strategy has errors or the run cannot resume, 64 on a usage error, 66 when a file
        cannot be read.

        Live trading needs two acts: `live: true` in the run's configuration (--config FILE) and
        --live here. The broker's token comes from --broker-token-file or KEEL_BROKER_TOKEN.
        """)
    )

    @Argument(help: "The strategy file.")
    var strategy: String

    @Flag(help: "Trade on Keel's simulated broker.")
    var paper = false

    @Flag(help: "Trade at the broker named by --broker (the run's configuration must enable it too).")
    var live = false

    @Option(help: "The run's configuration file (YAML: live, broker, gates).")
    var config: String?

    @Option(help: "The research evidence a strategy with gates needs to trade live (default: beside it, NAME.evidence.json).")
    var evidence: String?

    @Option(help: "The broker's trading API, e.g. http://127.0.0.1:9200 (live runs).")
    var broker: String?

    @Option(help: "A file holding the broker's bearer token (default: the KEEL_BROKER_TOKEN environment variable).")
    var brokerTokenFile: String?

    @Option(help: "Seconds a broker request may take before its answer counts as lost (the order is then settled by its client id).")
    var brokerTimeout: Double = 5

    @Flag(help: "When Keel's record and the broker disagree at the start, take the broker's positions as the truth.")
    var adoptBrokerState = false

    @Option(help: "Events: a JSON-lines file, - for stdin, tcp://HOST:PORT or ws://HOST:PORT/PATH.")
    var stream: String

    @Option(help: "The SQLite state file (created when missing).")
    var state: String

    @Option(help: "The run's name in the state file (default: from the strategy's file name).")
    var runId: String?

    @Option(help: "Symbols traded, comma-separated (default: the strategy's symbols:).")
    var symbols: String?

    @Option(help: "Starting cash.")
    var capital: Double = 100_000

    @Option(help: "Bar length when the strategy names no timeframe: 1m, 5m, 1h, 1d ... Quotes need one; finer bars are resampled to it; without one, a bar stream's bar size is inferred.")
    var timeframe: String?

    @Option(help: "Refuse (and journal) an event more than this past the newest time seen: 1d (the default), 90s, 4h ..., or off.")
    var maxClockSkew: String = "1d"

    @Option(help: "Events per commit at most.")
    var commitEvery: Int = 256

    @Option(help: "How long a batch waits for more events before it is committed: 0 (the default: what has arrived), 50ms, 1s ... A batch with an order for a broker is committed at once.")
    var commitInterval: String = "0"

    /// `--commit-interval` as a duration; nil when it does not read.
    static func interval(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        if text.hasSuffix("ms"), let milliseconds = Int(text.dropLast(2)), milliseconds >= 0 { return .milliseconds(milliseconds) }
        return DurationLiteral.parseSeconds(text).map { .seconds($0) }
    }

    @Flag(help: "On SIGINT or SIGTERM, close every position at its last close before stopping (default: leave them, with their protective orders).")
    var flattenOnExit = false

    func validate() throws {
        guard paper != live else { throw ValidationError("say --paper (Keel's simulated broker) or --live (a real one), not \(paper ? "both" : "neither")") }
        guard capital > 0, capital.isFinite else { throw ValidationError("--capital must be above 0") }
        guard brokerTimeout > 0, brokerTimeout.isFinite else { throw ValidationError("--broker-timeout must be above 0") }
        guard commitEvery >= 1 else { throw ValidationError("--commit-every is at least 1") }
        guard let interval = Self.interval(commitInterval), interval <= .seconds(60) else {
            throw ValidationError("--commit-interval takes 0, milliseconds such as 50ms, or seconds up to 60s; not '\(commitInterval)'")
        }
        guard maxClockSkew == "off" || (DurationLiteral.parseSeconds(maxClockSkew) ?? 0) > 0 else {
            throw ValidationError("--max-clock-skew takes a duration such as 1d, 4h or 90s, or off; not '\(maxClockSkew)'")
        }
        if let runId, runId.isEmpty || runId.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            throw ValidationError("--run-id takes letters, digits, '-', '_' and '.', not '\(runId)'")
        }
    }

    func run() async throws {
        let loaded = try loadStrategy(strategy)
        let given = try timeframe.map { text -> Int in
            guard let seconds = DurationLiteral.parseSeconds(text) else { throw ValidationError("--timeframe takes 1m, 5m, 1h, 1d ..., not '\(text)'") }
            return seconds
        }
        // Without a timeframe the run takes a bar stream's bars as they come and infers their size as
        // a backtest does; quotes are refused (no_timeframe), and volatility sizing needs the length up front.
        let barSeconds = loaded.barSeconds(given: given)
        if barSeconds == nil, case .volatilityTarget = loaded.checked.sizing {
            throw ValidationError("volatility_target sizing needs the bar length: add 'timeframe: 1d' (or the stream's) to \(strategy), or pass --timeframe")
        }
        let universe = symbols.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            ?? loaded.program.settings.symbols
        guard !universe.isEmpty else { throw ValidationError("name the symbols: 'symbols:' in the strategy, or --symbols A,B") }
        let id = runId ?? URL(fileURLWithPath: strategy).deletingPathExtension().lastPathComponent
        try judgeEvidence(loaded)
        do {
            let settings = try liveSettings()
            var configuration = Runner.Configuration(strategy: loaded, runId: id, stream: stream, statePath: state, capital: capital,
                                                     symbols: universe, barSeconds: barSeconds, commitEvery: commitEvery,
                                                     flattenOnExit: flattenOnExit, live: settings)
            configuration.commitInterval = Self.interval(commitInterval) ?? .zero
            configuration.maxClockSkew = DurationLiteral.parseSeconds(maxClockSkew).map { Int64($0) * 1_000 }
            let runner = Runner(configuration, log: { StandardError.say("\($0)") })
            _ = try await runner.runOnOwnThread()
        } catch let error as RunnerError {
            StandardError.say("\(error)")
            if case .usage = error { throw ExitCode.validationFailure }
            if case .stream = error { throw Exit.unreadable }
            throw Exit.findings
        } catch {
            // The disk full or failing under the state file: said in Keel's words, exit 1.
            guard let message = StorageFailure.explain(error, path: state) else { throw error }
            StandardError.say(message)
            throw Exit.findings
        }
        let store = try KeelStore(path: state)
        print(ResultFormat.text(try RunReport.result(store, run: id)), terminator: "")
    }

    /// The run's configuration file, when one is given; a file that does not read exits 66, one
    /// with a mistake 64 (naming its line).
    private func configuration() throws -> RunConfiguration? {
        try config.map { path -> RunConfiguration in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                StandardError.say("cannot read the run configuration '\(path)'")
                throw Exit.unreadable
            }
            do { return try RunConfiguration(path: path, text: text) } catch {
                StandardError.say("\(error)")
                throw ExitCode.validationFailure
            }
        }
    }

    /// The promotion gates (the strategy's and the run configuration's) against the research
    /// evidence: a live run with missing, stale or failing evidence is refused before it reads a
    /// token or sends anything; a paper run is warned and goes on.
    private func judgeEvidence(_ loaded: LoadedStrategy) throws {
        let gates = (try configuration() ?? RunConfiguration()).gates(with: loaded.checked.parsed.gates.map(\.value))
        let path = evidence ?? Evidence.defaultPath(for: strategy)
        switch Evidence.admit(strategyPath: strategy, text: loaded.text, gates: gates, evidencePath: path) {
        case .noGates: break
        case .admitted: StandardError.say("research evidence \(path): every gate passes (\(gates.map(\.text).joined(separator: ", ")))")
        case .refused(let why):
            guard live else { return StandardError.say("warning: \(why); a paper run goes on, a live run would be refused") }
            StandardError.say("refusing to trade live: \(why). Nothing was sent to a broker")
            throw Exit.findings
        }
    }

    /// The broker of a live run, once both opt-ins are found; nil for a paper run.
    private func liveSettings() throws -> Runner.Live? {
        guard live else { return nil }
        let configuration = try configuration()
        // The opt-ins first: a refused live run reads no token and sends nothing.
        let url = try Runner.Live.enabledBroker(configuration: configuration, commandURL: broker)
        return Runner.Live(brokerURL: url, token: try readToken(file: brokerTokenFile), adoptBrokerState: adoptBrokerState,
                           timeout: .milliseconds(Int64(brokerTimeout * 1_000)))
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and show the runs in a state file.",
        subcommands: [List.self, Show.self, Halt.self, Resume.self, Flatten.self]
    )

    /// What the control subcommands share: a run, a state file, a request.
    struct ControlOptions: ParsableArguments {
        @Argument(help: "The run's id (see `keel runs list`).")
        var id: String

        @Option(help: "The SQLite state file.")
        var state: String

        @Option(help: "Why, for the journal and the risk events.")
        var reason: String?

        func request(_ action: String) throws {
            let store = try openStore(state)
            guard try store.run(id) != nil else {
                StandardError.say("\(RunReport.Failure.noRun(id, known: try store.runs().map(\.id)))")
                throw Exit.findings
            }
            let request = try store.requestControl(run: id, action: action, reason: reason, now: Int64(Date().timeIntervalSince1970 * 1_000))
            print("\(action) requested (#\(request)); the run applies it within 0.2 s while it runs, or as it next starts")
        }
    }

    struct Halt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The kill switch: cancel the run's pending entries and refuse new ones until resumed (positions keep their stops).")
        @OptionGroup var options: ControlOptions
        func run() throws { try options.request("halt") }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow new entries again after a halt.")
        @OptionGroup var options: ControlOptions
        func run() throws { try options.request("resume") }
    }

    struct Flatten: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close every position of the run at its last close and cancel pending orders.")
        @OptionGroup var options: ControlOptions
        func run() throws { try options.request("flatten") }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per run: id, mode, status, strategy, events, equity.")

        @Option(help: "The SQLite state file.")
        var state: String

        @Option(help: "Output: text (one tab-separated line per run) or json (an array of objects).")
        var format: Backtest.OutputFormat = .text

        func run() throws {
            let store = try openStore(state)
            let runs = try store.runs()
            guard format == .text else {
                let items: [JSON.Value] = runs.map { run in
                    let equity = run.summary.flatMap { RunReport.finalEquity(summary: $0) }
                    return .object([("id", .string(run.id)), ("mode", .string(run.mode)), ("status", .string(run.status)),
                                    ("strategy", .string(run.strategyName)), ("events", .int(Int(run.lastSeq))),
                                    ("final_equity", equity.map { .number($0) } ?? .null),
                                    ("updated_at", .string(TimestampParser.format(run.updatedAt)))])
                }
                print(JSON.encode(.array(items)))
                return
            }
            for run in runs {
                let equity = run.summary.flatMap { RunReport.finalEquity(summary: $0) }.map { ResultFormat.format($0, 2) } ?? "-"
                print([run.id, run.mode, run.status, run.strategyName, "\(run.lastSeq) events", "equity \(equity)",
                       "updated \(TimestampParser.format(run.updatedAt))"].joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A run's result: the same contract as `keel backtest` (trades, open positions, final equity, metrics).")

        @Argument(help: "The run's id (see `keel runs list`).")
        var id: String

        @Option(help: "The SQLite state file.")
        var state: String

        @Option(help: "Output: text or json.")
        var format: Backtest.OutputFormat = .text

        @Flag(help: "Include the equity curve in the JSON output.")
        var equity = false

        func run() throws {
            let store = try openStore(state)
            let result: BacktestResult
            do { result = try RunReport.result(store, run: id, includeEquity: equity) } catch let error as RunReport.Failure {
                StandardError.say("\(error)")
                throw Exit.findings
            }
            print(format == .json ? ResultFormat.json(result, includeEquity: equity) : ResultFormat.text(result), terminator: "")
        }
    }
}

/// Opens an existing state file; a missing one is an unreadable input, not a new empty store.
func openStore(_ path: String) throws -> KeelStore {
    guard FileManager.default.fileExists(atPath: path) else {
        StandardError.say("no state file '\(path)'")
        throw Exit.unreadable
    }
    return try KeelStore(path: path)
}
