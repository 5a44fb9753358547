import Foundation
import KeelStore
import KeelTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keel run --paper` as a user runs it: a real process, a real SQLite file, real signals.
@Suite("keel run: paper mode end to end", .serialized)
struct RunnerProcessTests {
    static let data = SharedFixtures.bars
    static let strategies = SharedFixtures.strategies

    /// The conformance bars as a stream file, written by `keel data events`.
    func stream(_ symbol: String, in folder: URL) throws -> URL {
        let events = try KeelBinary.run(["data", "events", "\(symbol)=\(Self.data.appendingPathComponent("\(symbol).csv").path)"])
        #expect(events.status == 0, "\(events.stderr)")
        let url = folder.appendingPathComponent("\(symbol).jsonl")
        try events.stdout.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func runArguments(_ strategy: String, symbol: String, timeframe: String, stream: String, state: URL, extra: [String] = []) -> [String] {
        ["run", Self.strategies.appendingPathComponent("\(strategy).yaml").path, "--paper", "--stream", stream, "--state", state.path,
         "--symbols", symbol, "--timeframe", timeframe, "--run-id", "run"] + extra
    }

    func show(_ state: URL) throws -> String {
        let shown = try KeelBinary.run(["runs", "show", "run", "--state", state.path, "--format", "json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        return shown.stdout
    }

    func backtest(_ strategy: String, symbol: String) throws -> String {
        let result = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("\(strategy).yaml").path, "--data",
                                         "\(symbol)=\(Self.data.appendingPathComponent("\(symbol).csv").path)", "--format", "json", "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test("parity: a conformance case streamed through keel run --paper gives the backtest's JSON, byte for byte",
          arguments: [("S1", "ORCL", "1d"), ("S2E", "ORCL", "1d"), ("S3", "NVDA", "1d"), ("S4", "SYNTH20K", "1h"), ("S2E", "IDX5M", "5m")])
    func parity(strategy: String, symbol: String, timeframe: String) throws {
        let folder = try KeelBinary.temporaryFolder()
        let state = folder.appendingPathComponent("run.db")
        let run = try KeelBinary.run(runArguments(strategy, symbol: symbol, timeframe: timeframe, stream: try stream(symbol, in: folder).path, state: state))
        #expect(run.status == 0, "\(run.stderr)")
        let expected = try backtest(strategy, symbol: symbol)
        #expect(expected.contains("\"trades\": [\n"), "the case trades")
        #expect(try show(state) == expected)
    }

    @Test("parity on resampled bars: timeframe: 1h over a one-minute stream, no --timeframe, gives the backtest's JSON byte for byte")
    func resampledParity() throws {
        let folder = try KeelBinary.temporaryFolder(["hourly.yaml": """
            keel: 1
            name: Hourly SMA on minute data
            timeframe: 1h
            profile: degen
            entry: {long: crosses_above(sma(close, 5), sma(close, 12))}
            exit: {long: crosses_below(sma(close, 5), sma(close, 12))}
            stop_loss: 2%
            allocation: {size: percent_of_equity(50%)}
            execution: {fees: 0.1%, slippage: 1bps}
            """])
        let generated = try KeelBinary.run(["data", "generate", "--bars", "30000", "--bar", "1m", "--seed", "5", "--names", "MIN",
                                            "--out", folder.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        let csv = folder.appendingPathComponent("MIN.csv").path
        let events = try KeelBinary.run(["data", "events", "MIN=\(csv)"])
        let stream = folder.appendingPathComponent("MIN.jsonl")
        try events.stdout.write(to: stream, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("run.db")
        let strategy = folder.appendingPathComponent("hourly.yaml").path
        let run = try KeelBinary.run(["run", strategy, "--paper", "--stream", stream.path, "--state", state.path, "--symbols", "MIN", "--run-id", "run"])
        #expect(run.status == 0, "\(run.stderr)")
        let backtest = try KeelBinary.run(["backtest", strategy, "--data", "MIN=\(csv)", "--format", "json", "--no-cache"])
        #expect(backtest.status == 0, "\(backtest.stderr)")
        #expect(backtest.stdout.contains("\"bar_seconds\": 3600") && backtest.stdout.contains("\"data_bar_seconds\": 60"))
        #expect(backtest.stdout.contains("\"exit_reason\": \"signal\""), "the case trades")
        #expect(try show(state) == backtest.stdout)
        let text = try KeelBinary.run(["backtest", strategy, "--data", "MIN=\(csv)", "--no-cache"])
        #expect(text.stdout.contains("bar size         1h (resampled from 1m bars)"), "\(text.stdout)")
    }

    @Test("a stream coarser than the strategy's timeframe stops the run: daily bars for timeframe: 1h, refused as a backtest refuses them")
    func coarseStreamStops() throws {
        let folder = try KeelBinary.temporaryFolder(["hourly.yaml": """
            keel: 1
            name: Hourly SMA
            timeframe: 1h
            profile: degen
            entry: {long: crosses_above(sma(close, 2), sma(close, 3))}
            allocation: {size: percent_of_equity(50%)}
            """])
        let state = folder.appendingPathComponent("run.db")
        let arguments = ["run", folder.appendingPathComponent("hourly.yaml").path, "--paper", "--stream", try stream("ORCL", in: folder).path,
                         "--state", state.path, "--symbols", "ORCL", "--run-id", "run"]
        let run = try KeelBinary.run(arguments)
        // The error names the strategy's `timeframe:` line and column, as the backtest's does.
        #expect(run.status != 0 && run.stderr.contains("hourly.yaml:3:12: the stream's bars cannot serve the strategy's timeframe: "
            + "ORCL's bars are 1d, coarser than the strategy's timeframe 1h"), "\(run.stderr)")
        let backtest = try KeelBinary.run(["backtest", arguments[1], "--data", "ORCL=\(Self.data.appendingPathComponent("ORCL.csv").path)", "--no-cache"])
        #expect(backtest.status == 1 && backtest.stderr.contains("hourly.yaml:3:12: error: ORCL's bars are 1d, coarser than the strategy's timeframe 1h: "
            + "give bars of 1h or finer, or write 'timeframe: 1d'"), "\(backtest.stderr)")
        let store = try KeelStore(path: state.path)
        let events = try store.events(run: "run")
        // Three gaps judge the bar size: the fourth bar is the first refused, and the run stopped with its batch.
        #expect(events.prefix(3).allSatisfy { $0.status == "accepted" } && events.dropFirst(3).allSatisfy { $0.status == "timeframe" }, "\(events.prefix(6))")
        #expect(try store.run("run")?.status == "failed")
        // Restarted, it stops again at once: the journal says why.
        let again = try KeelBinary.run(arguments)
        #expect(again.status != 0 && again.stderr.contains("coarser than the strategy's timeframe 1h"), "\(again.stderr)")
    }

    @Test("crash: 50 kill -9 at random instants, each run restarted to the end, equals an uninterrupted run; no fill lost or doubled")
    func crashCampaign() throws {
        let folder = try KeelBinary.temporaryFolder()
        let events = try stream("ORCL", in: folder)
        let reference = folder.appendingPathComponent("reference.db")
        let started = ContinuousClock.now
        let clean = try KeelBinary.run(runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: events.path, state: reference,
                                                    extra: ["--commit-every", "32"]))
        #expect(clean.status == 0, "\(clean.stderr)")
        let duration = ContinuousClock.now - started
        let expected = try show(reference)
        let referenceStore = try KeelStore(path: reference.path)
        let expectedFills = try referenceStore.fills(run: "run")
        let expectedOrders = try referenceStore.orders(run: "run")
        #expect(expectedFills.count > 100)

        var generator = SeededGenerator(seed: 20_261_121)
        var kills = 0, restarts = 0, runs = 0
        while kills < 50 {
            runs += 1
            let state = folder.appendingPathComponent("crash-\(runs).db")
            // Up to 5 kills in this run, then let it finish.
            var killsHere = 0
            while true {
                let process = KeelBinary.start(runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: events.path, state: state,
                                                            extra: ["--commit-every", "32"]))
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try Launch.run(process)
                restarts += 1
                if killsHere < 5 && kills < 50 {
                    let delay = Double.random(in: 0.02...max(0.05, duration / .seconds(1)), using: &generator)
                    Thread.sleep(forTimeInterval: delay)
                    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                    process.waitUntilExit()
                    if process.terminationReason == .uncaughtSignal {
                        kills += 1
                        killsHere += 1
                        continue
                    }
                } else {
                    process.waitUntilExit()
                }
                #expect(process.terminationStatus == 0)
                break
            }
            #expect(try show(state) == expected, "run \(runs) after \(killsHere) kills")
            let store = try KeelStore(path: state.path)
            #expect(try store.integrityCheck() == "ok")
            let fills = try store.fills(run: "run")
            #expect(fills == expectedFills, "run \(runs): \(fills.count) fills against \(expectedFills.count)")
            #expect(Set(fills.map(\.fillId)).count == fills.count)
            #expect(try store.orders(run: "run").map { [$0.clientOrderId, $0.status] } == expectedOrders.map { [$0.clientOrderId, $0.status] })
        }
        #expect(kills >= 50)
        #expect(restarts >= kills + runs)
    }

    @Test("a TCP stream that drops is reconnected; repeated events are refused and journaled; SIGTERM stops with everything committed")
    func tcpStream() throws {
        let folder = try KeelBinary.temporaryFolder()
        let lines = try String(contentsOf: try stream("ORCL", in: folder), encoding: .utf8).split(separator: "\n").map(String.init)
        let server = try LoopbackServer()
        let state = folder.appendingPathComponent("tcp.db")
        let process = KeelBinary.start(runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: "tcp://127.0.0.1:\(server.port)", state: state))
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try Launch.run(process)
        // First connection: the first 3,000 bars, then the connection drops.
        try server.serve(lines[..<3_000].joined(separator: "\n") + "\n")
        // Second connection: a producer that replays the last 100 bars before going on.
        try server.serve(lines[2_900...].joined(separator: "\n") + "\n")
        // Wait until the runner has committed every event, then stop it.
        let store = try KeelStore(path: state.path)
        let deadline = ContinuousClock.now + .seconds(60)
        while (try store.run("run")?.lastSeq ?? 0) < Int64(lines.count + 100), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
        #expect(log.contains("reconnecting"))
        #expect(log.contains("stopped by signal 15"))
        #expect(try store.run("run")?.status == "stopped")
        let refused = try store.events(run: "run").filter { $0.status != "accepted" }
        #expect(refused.count == 100 && refused.allSatisfy { $0.status == "late" })
        // Everything but the last bar: a live stream never ends, so its last step waits for the next bar.
        let lastBar = try KeelBinary.temporaryFolder(["last.jsonl": lines[..<(lines.count - 1)].joined(separator: "\n") + "\n"])
        let fileState = lastBar.appendingPathComponent("file.db")
        #expect(try KeelBinary.run(runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: lastBar.appendingPathComponent("last.jsonl").path,
                                                state: fileState)).status == 0)
        #expect(try store.fills(run: "run") == (try KeelStore(path: fileState.path).fills(run: "run")))
    }

    @Test("a run resumes only with the strategy it started with, and one runner holds a state file at a time")
    func refusals() throws {
        let folder = try KeelBinary.temporaryFolder()
        let events = try stream("ORCL", in: folder)
        let strategy = folder.appendingPathComponent("s.yaml")
        let original = try String(contentsOf: Self.strategies.appendingPathComponent("S1.yaml"), encoding: .utf8)
        try original.write(to: strategy, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("s.db")
        let arguments = ["run", strategy.path, "--paper", "--stream", events.path, "--state", state.path, "--symbols", "ORCL", "--timeframe", "1d"]
        #expect(try KeelBinary.run(arguments).status == 0)
        try original.replacingOccurrences(of: "fast: 10", with: "fast: 12").write(to: strategy, atomically: true, encoding: .utf8)
        let changed = try KeelBinary.run(arguments)
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("run 's' was started with another version of"), "\(changed.stderr)")
        let other = try KeelBinary.run(arguments + ["--capital", "5000", "--run-id", "s"])
        #expect(other.status == 1)

        let lock = open(state.path + ".lock", O_RDWR)
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        let busy = try KeelBinary.run(arguments + ["--run-id", "t"])
        close(lock)
        #expect(busy.status == 1 && busy.stderr.contains("in use by another runner"), "\(busy.stderr)")

        let notPaper = try KeelBinary.run(Array(arguments.filter { $0 != "--paper" }))
        #expect(notPaper.status == 64 && notPaper.stderr.contains("--paper"))
        let missing = try KeelBinary.run(["runs", "show", "nope", "--state", state.path])
        #expect(missing.status == 1 && missing.stderr.contains("no run 'nope' in the store; it has: s"), "\(missing.stderr)")
        let list = try KeelBinary.run(["runs", "list", "--state", state.path])
        #expect(list.stdout.hasPrefix("s\tpaper\tended\tS1 SMA crossover\t5037 events\tequity "), "\(list.stdout)")
    }
}