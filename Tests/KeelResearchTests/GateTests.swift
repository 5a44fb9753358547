import Foundation
import Keel
import KeelReport
import KeelTestSupport
import Testing

/// Promotion gates: read from a strategy file and a run's configuration, judged on evidence, and
/// the evidence file refused when missing, stale or failing.
@Suite struct GateTests {
    static let text = """
        keel: 1
        name: Gated
        symbols: [SPY]
        params:
          n: {default: 20, range: [10, 30], step: 10}
        entry: {long: close > sma(close, n)}
        exit: {long: close < sma(close, n)}
        stop_loss: 5%
        gates:
          oos_sharpe: ">= 0.8"
          deflated_sharpe: ">= 95%"
          max_drawdown: 20%
          min_trades: 100
          pbo: "< 0.5"
        """

    @Test("gates read with their comparisons: a bare number is at least, or at most for the figures better lower")
    func read() throws {
        let gates = try LoadedStrategy(path: "g.yaml", text: Self.text).checked.parsed.gates.map(\.value)
        #expect(gates.map(\.text) == ["oos_sharpe >= 0.8", "deflated_sharpe >= 95%", "max_drawdown <= 20%", "min_trades >= 100", "pbo < 50%"])
        #expect(gates[2].bound == 0.2 && gates[2].comparison == .atMost)
    }

    @Test("a gate that does not read is an error at its file:line:column, with what to write")
    func mistakes() throws {
        for (bad, message) in [("oos_sharpe: \">= lots\"", "gate 'oos_sharpe' is a bound such as '>= 0.8'"),
                               ("oos_sharpe: 80%", "gate 'oos_sharpe' is not a fraction: write it without '%', such as '>= 0.8'"),
                               ("oos_sharp: 1", "did you mean 'oos_sharpe'?")] {
            let text = Self.text.replacingOccurrences(of: "oos_sharpe: \">= 0.8\"", with: bad)
            let compilation = Keel.compile(text, path: "g.yaml")
            let error = try #require(compilation.diagnostics.first { $0.severity == .error }, "\(bad)")
            #expect(error.message.contains(message), "\(error.message)")
            #expect(compilation.rendered().contains("g.yaml:10:"), "\(compilation.rendered())")
        }
    }

    static func evidence(sharpe: Double, text: String = text, gates: [Gate]? = nil) throws -> Evidence {
        let strategy = try LoadedStrategy(path: "g.yaml", text: text)
        return Evidence(manifest: ReportManifest(command: ["keel", "research"], strategyPath: "g.yaml", strategyText: text), protocolSettings: [("seed", "0")],
                        chosen: [("n", .number(20))],
                        figures: [(.oosSharpe, sharpe), (.deflatedSharpe, 0.97), (.maxDrawdown, 0.12), (.minTrades, 140), (.pbo, 0.2)],
                        gates: gates ?? strategy.checked.parsed.gates.map(\.value))
    }

    @Test("live admission: no gates, admitted, missing, stale (the text changed), failing (naming the gate and its value)")
    func admission() throws {
        let folder = try KeelBinary.temporaryFolder([:])
        let path = folder.appendingPathComponent("g.evidence.json").path
        let gates = try LoadedStrategy(path: "g.yaml", text: Self.text).checked.parsed.gates.map(\.value)
        guard case .noGates = Evidence.admit(strategyPath: "g.yaml", text: Self.text, gates: [], evidencePath: path) else { Issue.record("no gates"); return }
        guard case .refused(let missing) = Evidence.admit(strategyPath: "g.yaml", text: Self.text, gates: gates, evidencePath: path) else {
            Issue.record("missing"); return
        }
        #expect(missing.contains("has no research evidence at \(path)") && missing.contains("run keel research g.yaml"))
        try Data(try Self.evidence(sharpe: 1.1).json().utf8).write(to: URL(fileURLWithPath: path))
        guard case .admitted(let evidence) = Evidence.admit(strategyPath: "g.yaml", text: Self.text, gates: gates, evidencePath: path) else {
            Issue.record("admitted"); return
        }
        #expect(evidence.verdict == "pass" && evidence.figure(.minTrades) == 140)
        guard case .refused(let stale) = Evidence.admit(strategyPath: "g.yaml", text: Self.text + "\n# edited\n", gates: gates, evidencePath: path) else {
            Issue.record("stale"); return
        }
        #expect(stale.contains("is stale: it was made from another text of g.yaml"))
        try Data(try Self.evidence(sharpe: 0.42).json().utf8).write(to: URL(fileURLWithPath: path))
        guard case .refused(let failing) = Evidence.admit(strategyPath: "g.yaml", text: Self.text, gates: gates, evidencePath: path) else {
            Issue.record("failing"); return
        }
        #expect(failing.contains("fails a gate: oos_sharpe >= 0.8: 0.420, failed"), "\(failing)")
        // A gate the evidence has no figure for fails, saying so.
        let stability = Gate(figure: .stability, comparison: .atLeast, bound: 0.5)
        guard case .refused(let absent) = Evidence.admit(strategyPath: "g.yaml", text: Self.text, gates: [stability], evidencePath: path) else {
            Issue.record("absent"); return
        }
        #expect(absent.contains("stability >= 0.5: not in the evidence, failed"))
    }

    @Test("keel run: a live run with gates and no evidence is refused before any broker is touched; a paper run warns and runs")
    func run() throws {
        let folder = try KeelBinary.temporaryFolder(["g.yaml": Self.text, "run.yaml": "live: true\n", "events.jsonl": ""])
        let strategy = folder.appendingPathComponent("g.yaml").path
        let live = try KeelBinary.run(["run", strategy, "--live", "--config", folder.appendingPathComponent("run.yaml").path, "--broker", "http://127.0.0.1:9",
                                       "--stream", folder.appendingPathComponent("events.jsonl").path, "--state", folder.appendingPathComponent("s.db").path])
        #expect(live.status == 1)
        #expect(live.stderr.contains("refusing to trade live: \(strategy) declares gates and has no research evidence at "), "\(live.stderr)")
        #expect(live.stderr.contains("Nothing was sent to a broker"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.db").path), "a refused run opens no state")
        let paper = try KeelBinary.run(["run", strategy, "--paper", "--stream", folder.appendingPathComponent("events.jsonl").path,
                                        "--state", folder.appendingPathComponent("p.db").path])
        #expect(paper.status == 0, "\(paper.stderr)")
        #expect(paper.stderr.contains("warning: \(strategy) declares gates and has no research evidence"))
        // The run's configuration adds gates, and a mistake in them is named at its line.
        try "live: true\ngates: {oos_sharp: 1}\n".write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try KeelBinary.run(["run", strategy, "--paper", "--config", folder.appendingPathComponent("bad.yaml").path,
                                      "--stream", folder.appendingPathComponent("events.jsonl").path, "--state", folder.appendingPathComponent("q.db").path])
        #expect(bad.status == 64 && bad.stderr.contains("bad.yaml:2:9: error: unknown gate 'oos_sharp'; did you mean 'oos_sharpe'?"), "\(bad.stderr)")
    }
}

/// The evidence in the report: found beside the strategy, judged on its gates, stale when the text moved.
@Suite struct EvidenceReportTests {
    @Test("keel backtest --report shows the evidence beside the strategy with its verdict and gates; an edited strategy shows it stale")
    func report() throws {
        let text = GateTests.text
        let folder = try KeelBinary.temporaryFolder(["g.yaml": text])
        try Data(try GateTests.evidence(sharpe: 1.1).json().utf8).write(to: folder.appendingPathComponent("g.evidence.json"))
        let strategy = folder.appendingPathComponent("g.yaml").path
        let html = folder.appendingPathComponent("r.html").path
        let run = try KeelBinary.run(["backtest", strategy, "--data", SearchTests.examples, "--report", html])
        #expect(run.status == 0, "\(run.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<h2>Research evidence</h2>"))
        #expect(page.contains("Verdict: pass (\(folder.appendingPathComponent("g.evidence.json").path)"))
        #expect(page.contains("<td>oos_sharpe &gt;= 0.8</td><td>1.100</td><td>yes</td>"), "\(page.components(separatedBy: "gates").dropFirst().first?.prefix(400) ?? "")")
        try (text + "\n# edited\n").write(toFile: strategy, atomically: true, encoding: .utf8)
        #expect(try KeelBinary.run(["backtest", strategy, "--data", SearchTests.examples, "--report", html]).status == 0)
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("Verdict: stale: made from another text of the strategy"))
        let missing = try KeelBinary.run(["backtest", strategy, "--data", SearchTests.examples, "--report", html, "--evidence", "/nonexistent.json"])
        #expect(missing.status == 66 && missing.stderr.contains("cannot read the evidence '/nonexistent.json'"))
    }
}
