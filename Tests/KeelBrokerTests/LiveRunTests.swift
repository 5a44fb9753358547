import Foundation
import KeelBroker
import KeelBrokerTestSupport
import KeelStore
import KeelTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keel run --live` against `keel broker serve`: two real processes on loopback, a real SQLite
/// file, faults injected at the broker, and the runner killed in the middle.
@Suite("keel run --live against the paper broker", .serialized)
struct LiveRunTests {
    static let strategy = SharedFixtures.strategy("S2E").path
    static let orcl = SharedFixtures.bars("ORCL").path

    /// A live run's folder: the run configuration, the token, the bars.
    struct Setup {
        let broker: PaperBrokerProcess
        let folder: URL
        let lines: [String]
        let strategy: String
        var state: URL { folder.appendingPathComponent("run.db") }

        init(bars: Int, configuration: String = "live: true\n", strategy: String = LiveRunTests.strategy, files: [String: String] = [:]) throws {
            broker = try PaperBrokerProcess(faultDelay: 1)
            folder = try KeelBinary.temporaryFolder(["run.yaml": configuration, "token": PaperBrokerProcess.token].merging(files) { a, _ in a })
            self.strategy = strategy.hasPrefix("/") ? strategy : folder.appendingPathComponent(strategy).path
            let events = try KeelBinary.run(["data", "events", "ORCL=\(LiveRunTests.orcl)"])
            lines = Array(events.stdout.split(separator: "\n").prefix(bars).map(String.init))
        }

        func arguments(_ extra: [String] = []) -> [String] {
            ["run", strategy, "--live", "--config", folder.appendingPathComponent("run.yaml").path, "--broker", broker.url,
             "--broker-token-file", folder.appendingPathComponent("token").path, "--broker-timeout", "0.3", "--stream", "-",
             "--state", state.path, "--symbols", "ORCL", "--timeframe", "1d", "--run-id", "live", "--commit-every", "1"] + extra
        }

        /// A runner reading its stream from a pipe, its standard error kept in a log.
        struct Runner {
            let process: Process
            let input: FileHandle
            let log: URL

            /// Sends one line of the stream; a runner that has exited fails with its log.
            func send(_ line: String) throws {
                do {
                    try input.write(contentsOf: Data((line + "\n").utf8))
                } catch {
                    process.waitUntilExit()
                    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw PaperBrokerProcess.Failure(message: "the runner exited (\(process.terminationStatus)): \(text.suffix(2_000))")
                }
            }
        }

        func startRunner(_ extra: [String] = []) throws -> Runner {
            let process = KeelBinary.start(arguments(extra))
            let input = Pipe()
            let log = folder.appendingPathComponent("runner-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try Launch.run(process)
            return Runner(process: process, input: input.fileHandleForWriting, log: log)
        }

        /// Waits until the runner has committed event `seq` and sent the orders it made: then the
        /// next bar reaches the broker after them, as a real market's next bar would.
        func waitForRunner(_ runner: Process, seq: Int) throws {
            let store = try KeelStore(path: state.path)
            let deadline = ContinuousClock.now + .seconds(30)
            while runner.isRunning, ContinuousClock.now < deadline {
                if let run = try store.run("live"), run.lastSeq >= seq,
                   try store.brokerOrders(run: "live", unsettledOnly: true).allSatisfy({ $0.status != "intent" }) {
                    return
                }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }

        /// Feeds bars: each to the broker first, then to the runner, which is waited for.
        func feed(_ lines: ArraySlice<String>, to runner: Runner) throws {
            for (i, line) in zip(lines.indices, lines) {
                try broker.bars([line])
                try runner.send(line)
                try waitForRunner(runner.process, seq: i + 1)
            }
        }

        /// Runs to the end of an empty stream: a start, a reconciliation, a stop.
        func restart(_ extra: [String] = []) throws -> KeelBinary.Output {
            let process = KeelBinary.start(arguments(extra))
            let err = Pipe()
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            try Launch.run(process)
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return KeelBinary.Output(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    func expectAgreement(_ setup: Setup, runId: String = "live") throws {
        try expectBrokerAgreement(KeelStore(path: setup.state.path), setup.broker, runId: runId)
    }

    @Test("broker faults: timeouts, 5xx, 429, 503, rejections, partial fills, a dropped connection and a kill -9: no duplicate order, no lost fill")
    func faultCampaign() throws {
        let setup = try Setup(bars: 420)
        defer { setup.broker.stop() }
        // Each strikes the next order submissions, in turn; the rejection and the partial fill strike at the exchange.
        try setup.broker.inject(#"{"timeout":2,"error":2,"drop":2,"rate_limit":2,"unavailable":2,"reject":1,"partial":3}"#)
        var runner = try setup.startRunner()
        var logs = [runner.log]
        try setup.feed(setup.lines[0..<150], to: runner)
        try setup.broker.inject(#"{"timeout":1,"drop":1,"error":1,"partial":1}"#)
        try setup.feed(setup.lines[150..<260], to: runner)
        // A bar reaches the broker and the runner, which is killed at once, wherever it is; the
        // restart finds in the store where its stream resumes (the market went on meanwhile).
        try setup.broker.bars([setup.lines[260], setup.lines[261]])
        try runner.send(setup.lines[260])
        Thread.sleep(forTimeInterval: 0.01)
        kill(runner.process.processIdentifier, SIGKILL)
        runner.process.waitUntilExit()
        let done = Int(try KeelStore(path: setup.state.path).run("live")?.lastSeq ?? 0)
        runner = try setup.startRunner()
        logs.append(runner.log)
        for missed in setup.lines[done...261] { try runner.send(missed) }
        try setup.waitForRunner(runner.process, seq: 262)
        try setup.feed(setup.lines[262...], to: runner)
        try runner.input.close()
        runner.process.waitUntilExit()
        #expect(runner.process.terminationStatus == 0)
        let text = try logs.map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        #expect(text.contains("is unknown"), "faults left orders unknown: \(text.suffix(2_000))")
        #expect(text.contains("broker rejected"))
        // The restart finds Keel's record and the broker in agreement.
        let restart = try setup.restart()
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stderr.contains("positions and open orders agree"))
        try expectAgreement(setup)
        let store = try KeelStore(path: setup.state.path)
        let orders = try store.brokerOrders(run: "live")
        #expect(orders.filter { $0.kind == .open && $0.status == "filled" }.count >= 5)
        // Closes the broker's bracket legs had already made: nothing left to send.
        #expect(orders.contains { $0.kind == .close && $0.status == "skipped" })
        #expect(orders.contains { $0.status == "rejected" })
        #expect(!orders.contains { ["intent", "unknown"].contains($0.status) })
        let fills = try store.brokerFills(run: "live")
        #expect(Dictionary(grouping: fills, by: \.clientOrderId).values.contains { $0.count > 1 }, "a partial fill was recorded in two parts")
        #expect(try store.riskEvents(run: "live").contains { $0.kind == "broker_rejected" })
    }

    @Test("live refusal: without the run configuration's live: true, keel run --live refuses, sends nothing and writes nothing")
    func liveRefusal() throws {
        let listener = try Listener()
        defer { listener.close() }
        for configuration in ["", "live: false\n", "# live: true\n"] {
            let folder = try KeelBinary.temporaryFolder(["run.yaml": configuration, "token": "t"])
            let state = folder.appendingPathComponent("run.db")
            var arguments = ["run", Self.strategy, "--live", "--broker", "http://127.0.0.1:\(listener.port)", "--broker-token-file",
                             folder.appendingPathComponent("token").path, "--stream", "-", "--state", state.path, "--symbols", "ORCL",
                             "--timeframe", "1d"]
            if !configuration.isEmpty { arguments += ["--config", folder.appendingPathComponent("run.yaml").path] }
            let refused = try KeelBinary.run(arguments)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("refusing to trade live: the run's configuration does not enable it"))
            #expect(refused.stderr.contains("Nothing was sent"))
            #expect(!FileManager.default.fileExists(atPath: state.path))
        }
        #expect(listener.connections() == 0, "a refused live run opened a connection to the broker")
        // And the other act: a configuration that enables live trading, without --live, runs on paper.
        let unknownKey = try KeelBinary.temporaryFolder(["run.yaml": "live: true\nbrokr: x\n"])
        let bad = try KeelBinary.run(["run", Self.strategy, "--live", "--config", unknownKey.appendingPathComponent("run.yaml").path, "--broker",
                                      "http://127.0.0.1:\(listener.port)", "--stream", "-", "--state", unknownKey.appendingPathComponent("r.db").path,
                                      "--symbols", "ORCL", "--timeframe", "1d"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("run.yaml:2:1: error: unknown key 'brokr'"))
        #expect(listener.connections() == 0)
    }

    @Test("reconciliation: a position changed behind Keel's back refuses the start, until the broker's state is adopted")
    func reconciliation() throws {
        let setup = try Setup(bars: 600)
        defer { setup.broker.stop() }
        let runner = try setup.startRunner()
        try setup.feed(setup.lines[...], to: runner)
        try runner.input.close()
        runner.process.waitUntilExit()
        try expectAgreement(setup)
        let held = try setup.broker.decode([Position].self, "/positions")
        try #require(held.count == 1, "the run ends holding ORCL")
        // Someone closes the position at the broker.
        #expect(try setup.broker.request("DELETE", "/positions/\(held[0].id)").0 == 201)
        try setup.broker.bars([setup.lines.last!])
        let refused = try setup.restart()
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing to trade: Keel's record and the broker disagree: ORCL: Keel's record holds \(held[0].signedQuantity), the broker 0"))
        #expect(refused.stderr.contains("--adopt-broker-state"))
        let adopted = try setup.restart(["--adopt-broker-state"])
        #expect(adopted.status == 0, "\(adopted.stderr)")
        let again = try setup.restart()
        #expect(again.status == 0)
        let outcomes = try KeelStore(path: setup.state.path).reconciliations(run: "live").map(\.outcome)
        #expect(outcomes == ["ok", "refused", "adopted", "ok"])
        #expect(try KeelStore(path: setup.state.path).brokerPositions(run: "live").isEmpty)
    }
}

extension LiveRunTests {
    /// S2E with its fixed 5% stop made a trailing one.
    static let trailingStrategy = (try? String(contentsOfFile: strategy, encoding: .utf8))?
        .replacingOccurrences(of: "stop_loss: 5%", with: "stop_loss: {trailing: 5%}") ?? ""

    @Test("live protection: a trailing percent stop is a TRAILING_STOP leg at the broker, and it fills while Keel is down")
    func trailingStopsProtectWhileKeelIsDown() throws {
        #expect(Self.trailingStrategy.contains("trailing: 5%"))
        let setup = try Setup(bars: 2_000, strategy: "trailing.yaml", files: ["trailing.yaml": Self.trailingStrategy])
        defer { setup.broker.stop() }
        let runner = try setup.startRunner()
        // Bars until the run holds ORCL with its trailing leg working at the broker; then Keel stops.
        var fed = 0
        func protected() throws -> [Order] {
            try setup.broker.decode([Order].self, "/orders").filter { $0.orderType == .trailingStop && $0.clientOrderId?.hasSuffix("-sl") == true }
        }
        while fed < setup.lines.count {
            try setup.feed(setup.lines[fed...fed], to: runner)
            fed += 1
            if fed > 60, try !protected().isEmpty { break }
        }
        try runner.input.close()
        runner.process.waitUntilExit()
        let leg = try #require(try protected().first, "the run held a position protected at the broker")
        #expect(leg.trailingType == .percent && leg.trailingDistance == Amount("5") && leg.reduceOnly && leg.side == .sell)
        let held = try #require(try setup.broker.decode([Position].self, "/positions").first)
        // Keel is down; the market falls 40% overnight: the broker's stop fills at the open.
        let last = try #require(JSONSerialization.jsonObject(with: Data(setup.lines[fed - 1].utf8)) as? [String: Any])
        let close = try #require(last["close"] as? Double), time = try #require(last["timestamp"] as? String)
        let next = (ISO8601DateFormatter().date(from: time) ?? Date()).addingTimeInterval(86_400)
        let crash = close * 0.6
        try setup.broker.bars([#"{"type":"bar","symbol":"ORCL","timestamp":"\#(ISO8601DateFormatter().string(from: next))","open":\#(crash),"high":\#(crash),"low":\#(crash),"close":\#(crash),"volume":1}"#])
        #expect(try setup.broker.decode([Position].self, "/positions").isEmpty)
        let filled = try #require(try setup.broker.decode([Order].self, "/orders/history").first { $0.id == leg.id })
        #expect(filled.status == .filled && filled.averageFillPrice == Amount(crash) && filled.filledQuantity == held.quantity)
        // Keel starts again: it records the leg's fill as its own and agrees with the broker.
        let restarted = try setup.restart()
        #expect(restarted.status == 0, "\(restarted.stderr)")
        let store = try KeelStore(path: setup.state.path)
        #expect(try store.reconciliations(run: "live").last?.outcome == "ok")
        #expect(try store.brokerFills(run: "live").contains { $0.clientOrderId == leg.clientOrderId && $0.price == crash })
        try expectAgreement(setup)
    }
}

/// A TCP port that counts who connects to it.
final class Listener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Connections accepted so far.
    func connections() -> Int {
        var count = 0
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return count }
            Glibc.close(client)
            count += 1
        }
    }

    func close() { Glibc.close(fd) }
}
