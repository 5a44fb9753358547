import Foundation
import KeelTestSupport
import Testing

/// Reports opened in headless Chromium as a person would open them: from disk, with nothing on the
/// network. Screenshots go to .build/report-screenshots/ to be looked at.
@Suite(.serialized) struct ReportBrowserTests {
    static let shots = KeelBinary.root.appendingPathComponent(".build/report-screenshots")
    static let strategies = KeelBinary.root.appendingPathComponent("Strategies")
    static let examples = KeelBinary.root.appendingPathComponent("Examples/data")

    static func screenshot(_ name: String) throws -> URL {
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        return shots.appendingPathComponent(name)
    }

    /// Nothing went wrong in the page: no console error, no exception, no request off the machine.
    static func clean(_ look: Browser.Look, _ page: String) {
        #expect(look.ready, "\(page) says it has drawn")
        #expect(look.console.isEmpty, "\(page): console \(look.console)")
        #expect(look.errors.isEmpty, "\(page): \(look.errors)")
        #expect(look.network.isEmpty, "\(page) asked the network for \(look.network)")
    }

    static func drawn(_ look: Browser.Look, _ ids: [String]) {
        for id in ids {
            let chart = look.charts[id]
            #expect(chart != nil, "\(id) is on the page")
            #expect((chart?["traces"] as? Int ?? 0) > 0 && (chart?["paths"] as? Int ?? 0) > 5 && chart?["empty"] as? Bool == false,
                    "\(id) has drawn: \(chart ?? [:])")
        }
    }

    @Test("a curated strategy on seven symbols: every chart draws, the statistics equal the JSON's, a trade shows the rule that fired")
    func curatedStrategy() throws {
        let folder = try KeelBinary.temporaryFolder()
        let page = folder.appendingPathComponent("momentum.html")
        let run = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("momentum_rotation.yaml").path, "--data", Self.examples.path,
                                      "--format", "json", "--report", page.path])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        // The JSON's numbers as written: JSONSerialization can miss the last bit of a double, Swift's Double(text) does not.
        let written = Dictionary(run.stdout.matches(of: /\n\s*"([a-z_]+)": (-?[0-9][0-9.e+-]*|null)/).map { (String($0.1), String($0.2)) },
                                 uniquingKeysWith: { first, _ in first })
        let metrics = try #require(json["metrics"] as? [String: Any])
        let look = try Browser.look(page, screenshot: try Self.screenshot("backtest.png"), actions: [
            "document.querySelector('#trades-table tbody tr').click(); document.getElementById('trade-detail').textContent",
            "document.querySelector('#trades-table th[data-key=\"pnl\"]').click(); document.querySelector('#trades-table tbody tr td:nth-child(9)').textContent",
            "document.getElementById('log-scale').click(); document.getElementById('chart-equity').layout.yaxis.type",
        ], pdf: folder.appendingPathComponent("momentum.pdf"))
        Self.clean(look, "the backtest report")
        let symbols = 7
        Self.drawn(look, ["chart-equity", "chart-drawdown", "chart-rolling", "chart-exposure", "chart-monthly", "chart-trade-returns",
                          "chart-duration", "chart-contribution"] + (0..<symbols).map { "chart-price-\($0)" })
        #expect(look.charts["chart-equity"]?["traces"] as? Int == 2, "equity and buy and hold")
        var compared = 0
        for row in look.statistics where metrics[row.metric] != nil || ["capital", "final_equity"].contains(row.metric) {
            let expected = try #require(written[row.metric], "\(row.metric) is in the JSON")
            #expect(row.value.flatMap(Double.init) == Double(expected) || (row.value == "null" && expected == "null"),
                    "\(row.metric): the table says \(row.value ?? "") (\(row.text)), the JSON \(expected)")
            #expect(!row.text.isEmpty)
            compared += 1
        }
        #expect(compared == metrics.count + 2, "every metric, the capital and the final equity")
        #expect(look.actions[0].contains("Why it entered") && look.actions[0].contains("entry"), "\(look.actions[0].prefix(300))")
        let losses = (json["trades"] as? [[String: Any]] ?? []).compactMap { $0["pnl"] as? Double }.min() ?? 0
        #expect(look.actions[1].replacingOccurrences(of: ",", with: "") == String(format: "%.2f", losses), "sorted by P&L, the worst first")
        #expect(look.actions[2] == "log")
        // Printed as the browser's Print prints it: every section, over several pages.
        #expect((look.pdf?.pages ?? 0) >= 5 && (look.pdf?.bytes ?? 0) > 200_000, "\(String(describing: look.pdf))")
        #expect(look.requests.allSatisfy { $0.hasPrefix("file:") || $0.hasPrefix("data:") || $0.hasPrefix("blob:") })
    }

    @Test("a sweep: two params as a heatmap with the best marked, three as parallel coordinates; the metric is the reader's to pick")
    func sweeps() throws {
        let folder = try KeelBinary.temporaryFolder(["three.yaml": """
            keel: 1
            name: Three knobs
            symbols: [SPY]
            params: {fast: 10, slow: 30, stop: 5%}
            entry: {long: crosses_above(sma(close, fast), sma(close, slow))}
            exit: {long: crosses_below(sma(close, fast), sma(close, slow))}
            stop_loss: stop
            """])
        let two = folder.appendingPathComponent("two.html"), three = folder.appendingPathComponent("three.html")
        var run = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("sma_cross.yaml").path, "--data", Self.examples.path,
                                      "--sweep", "fast=5,10,15,20", "--sweep", "slow=30,40,60", "--report", two.path])
        #expect(run.status == 0, "\(run.stderr)")
        run = try KeelBinary.run(["backtest", folder.appendingPathComponent("three.yaml").path, "--data", Self.examples.path,
                                  "--sweep", "fast=5,10", "--sweep", "slow=30,50", "--sweep", "stop=2%,5%", "--report", three.path])
        #expect(run.status == 0, "\(run.stderr)")
        let heat = try Browser.look(two, screenshot: try Self.screenshot("sweep.png"), actions: [
            "document.getElementById('sweep-best').textContent",
            "const s = document.getElementById('sweep-metric'); s.value = 'max_drawdown'; s.dispatchEvent(new Event('change')); new Promise(r => setTimeout(() => r(document.getElementById('sweep-best').textContent), 500))",
            "document.querySelectorAll('#sweep-metric option').length",
        ])
        Self.clean(heat, "the sweep report")
        Self.drawn(heat, ["chart-sweep"])
        #expect(heat.charts["chart-sweep"]?["traces"] as? Int == 2, "the heatmap and the best point")
        #expect(heat.actions[0].hasPrefix("Best by Sharpe: fast = "), "\(heat.actions[0])")
        #expect(heat.actions[1].hasPrefix("Best by Max drawdown: "), "\(heat.actions[1])")
        #expect(Int(heat.actions[2]) ?? 0 >= 25, "every metric can colour the grid")
        let parallel = try Browser.look(three, screenshot: try Self.screenshot("sweep-parallel.png"))
        Self.clean(parallel, "the three-param sweep report")
        #expect(parallel.charts["chart-sweep"]?["traces"] as? Int == 1 && (parallel.charts["chart-sweep"]?["paths"] as? Int ?? 0) > 5)
    }

    @Test("a backtest's JSON alone draws its equity and trades and says what it cannot draw")
    func resultAlone() throws {
        let folder = try KeelBinary.temporaryFolder()
        let result = folder.appendingPathComponent("result.json")
        let run = try KeelBinary.run(["backtest", Self.strategies.appendingPathComponent("sma_cross.yaml").path, "--data", Self.examples.path,
                                      "--format", "json", "--equity"])
        try run.stdout.write(to: result, atomically: true, encoding: .utf8)
        let made = try KeelBinary.run(["report", result.path])
        #expect(made.status == 0, "\(made.stderr)")
        let page = folder.appendingPathComponent("result.html")
        let look = try Browser.look(page, screenshot: try Self.screenshot("from-json.png"), height: 1200)
        Self.clean(look, "the report of a JSON result")
        Self.drawn(look, ["chart-equity", "chart-drawdown", "chart-monthly", "chart-trade-returns"])
        #expect(look.charts["chart-price-0"] == nil)
        #expect(try String(contentsOf: page, encoding: .utf8).contains("need --strategy and --data"))
    }

    @Test("a year of one-minute bars (525,600): the file stays under 10 MB and opens; its render time is measured")
    func minuteYear() throws {
        let folder = try KeelBinary.temporaryFolder(["minute.yaml": """
            keel: 1
            name: Minute SMA cross
            profile: degen
            entry: {long: crosses_above(sma(close, 30), sma(close, 120))}
            exit: {long: crosses_below(sma(close, 30), sma(close, 120))}
            stop_loss: 1%
            take_profit:
              - {at: 1%, close: 50%}
              - {at: 2%, close: 100%}
            allocation: {size: percent_of_equity(50%)}
            execution: {fees: 0.05%, slippage: 1bps}
            """])
        let generated = try KeelBinary.run(["data", "generate", "--bars", "525600", "--bar", "1m", "--seed", "7", "--names", "MIN", "--out", folder.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        let page = folder.appendingPathComponent("minute.html")
        let run = try KeelBinary.run(["backtest", folder.appendingPathComponent("minute.yaml").path, "--data", folder.path, "--report", page.path])
        #expect(run.status == 0, "\(run.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: page.path)[.size] as? Int)
        #expect(size <= 10_000_000, "\(size) bytes")
        let look = try Browser.look(page, screenshot: try Self.screenshot("minute-year.png"), height: 1400, timeout: 90, actions: [
            // Zoomed to one hour, the candles are the bars themselves.
            "const n = document.getElementById('chart-price-0'); Plotly.relayout(n, {'xaxis.range': ['2020-03-02T10:00:00Z', '2020-03-02T11:00:00Z']}).then(() => n.data[0].x.length + ' ' + n.data[0].name)",
        ])
        Self.clean(look, "the minute-year report")
        Self.drawn(look, ["chart-equity", "chart-drawdown", "chart-price-0", "chart-monthly"])
        let zoomed = look.actions[0].split(separator: " ")
        #expect(Int(zoomed.first ?? "") ?? 0 >= 60 && Int(zoomed.first ?? "") ?? 0 <= 63 && zoomed.last == "MIN", "one candle a bar: \(look.actions[0])")
        let render = try #require(look.renderMs)
        print("report of 525,600 bars: \(size) bytes, first paint \(Int(look.firstPaintMs ?? -1)) ms, every chart drawn \(Int(render)) ms")
        #expect(render < 30_000)
    }
}
