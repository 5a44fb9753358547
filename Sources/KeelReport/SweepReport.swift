import Keel
import KeelResearch

/// A sweep's report: the parameter grid coloured by a metric the reader picks (a heatmap for two
/// params, a line for one, parallel coordinates for more), the best point marked, each point's
/// figures on selection.
public struct SweepReport: Sendable {
    public var runs: [ParameterSweep.Run]
    public var strategy: LoadedStrategy?
    public var manifest: ReportManifest
    /// The metric the grid opens on.
    public var objective: String
    /// How a point is named: "run" (a sweep's, from 1) or "trial" (a search's, by its number from 0).
    var numbering = "run"

    public init(runs: [ParameterSweep.Run], strategy: LoadedStrategy?, manifest: ReportManifest, objective: String = "sharpe") {
        (self.runs, self.strategy, self.manifest, self.objective) = (runs, strategy, manifest, objective)
    }

    /// The report of a search's results file (`keel optimize`): its trials, and its manifest as recorded.
    public init(results: ResultsFile, strategy: LoadedStrategy?) {
        let runs = results.trials.map { t in
            ParameterSweep.Run(params: t.params, result: BacktestResult(
                strategy: results.value("strategy_name") ?? results.value("strategy_path") ?? "search", symbols: [], capital: Double(results.value("capital") ?? "") ?? .nan, bars: 0, firstTime: 0, lastTime: 0,
                finalEquity: t.finalEquity, trades: [], openPositions: [], equityCurve: [], riskEvents: [], riskEventCount: 0, decisions: [],
                metrics: t.metrics))
        }
        var manifest = ReportManifest(command: [], strategyPath: results.value("strategy_path"))
        manifest.strategySHA256 = results.value("strategy_sha256")
        manifest.recordedCommand = results.value("command")
        manifest.keelVersion = results.value("keel_version") ?? "unknown"
        let shown: Set<String> = ["command", "strategy_path", "strategy_sha256", "keel_version"]
        manifest.extra = results.manifest.filter { !shown.contains($0.0) && !$0.1.isEmpty }
        self.init(runs: runs, strategy: strategy, manifest: manifest, objective: results.value("objective") ?? "sharpe")
        numbering = "trial"
    }

    /// The params' names (from the first run) and each run's values and metrics.
    var names: [String] { runs.first?.params.map(\.0) ?? [] }

    public func html() -> [UInt8] {
        var page = HTMLWriter()
        let title = strategy?.checked.parsed.name?.value ?? runs.first?.result.strategy ?? "sweep"
        page.raw("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"Keel \(KeelVersion.current)\">\n")
        page.element("title", "", "\(title): Keel sweep report")
        page.styleSheet()
        page.raw("</head>\n<body>\n<main>\n<header id=\"summary\">\n")
        page.element("h1", "", "\(title): parameter sweep")
        if let description = strategy?.checked.parsed.description?.value { page.element("p", "class=\"description\"", description) }
        page.raw("<dl class=\"facts\">\n")
        var facts: [(String, String)] = [("Runs", "\(runs.count)"), ("Params", names.joined(separator: ", "))]
        if let first = runs.first?.result, !first.symbols.isEmpty {
            facts += [("Symbols", first.symbols.joined(separator: ", ")),
                      ("Period", "\(TimestampParser.format(first.firstTime)) to \(TimestampParser.format(first.lastTime)), \(first.bars) bars"),
                      ("Capital", MetricGlossary.grouped(first.capital))]
        }
        facts.append(("Keel", manifest.keelVersion))
        for (term, value) in facts {
            page.element("dt", "", term)
            page.element("dd", "", value)
        }
        page.raw("</dl>\n")
        if let strategy { BacktestReport.rules(&page, strategy) }
        BacktestReport.manifestSection(&page, manifest)
        page.raw("</header>\n<section id=\"grid\">\n<h2>The grid</h2>\n")
        page.raw("<div class=\"controls\"><label>colour by <select id=\"sweep-metric\"></select></label> <span class=\"hint\">select a point to see its run's figures</span></div>\n")
        page.raw("<p id=\"sweep-best\"></p>\n<figure class=\"chart-box\"><div class=\"chart\" id=\"chart-sweep\" style=\"height:520px\"></div></figure>\n")
        page.raw("<div id=\"sweep-run\" class=\"detail\" hidden></div>\n</section>\n")
        runsTable(&page)
        page.data(data())
        page.scripts()
        page.raw("</main>\n</body>\n</html>\n")
        return page.bytes
    }

    /// Every run in a plain table too: the figures stay readable printed or without the script.
    private func runsTable(_ page: inout HTMLWriter) {
        page.raw("<section id=\"runs\">\n<h2>Every run</h2>\n<table class=\"list\">\n<thead><tr>")
        for name in names { page.element("th", "", name) }
        for label in ["Final equity", "Return", "Sharpe", "Max drawdown", "Trades"] { page.element("th", "class=\"num\"", label) }
        page.raw("</tr></thead>\n<tbody>\n")
        for (i, run) in runs.enumerated() {
            let m = run.result.metrics
            page.raw("<tr data-run=\"\(i)\">")
            for (_, value) in run.params { page.element("td", "", SweepFormat.value(value)) }
            for (value, unit) in [(run.result.finalEquity, MetricGlossary.Unit.money), (m.totalReturn, .percent), (m.sharpe, .ratio),
                                  (m.maxDrawdown, .percent), (Double(m.tradeCount), .count)] {
                page.element("td", "class=\"num\"", MetricGlossary.display(value, unit))
            }
            page.raw("</tr>\n")
        }
        page.raw("</tbody>\n</table>\n</section>\n")
    }

    func data() -> JSON.Value {
        let entries = MetricGlossary.entries.filter { $0.name != "annualization" }
        return .object([
            ("kind", .string("sweep")),
            ("objective", .string(objective)),
            ("numbering", .string(numbering)),
            ("params", .array(names.map { .string($0) })),
            ("metrics", .array(([("final_equity", "Final equity", MetricGlossary.Unit.money, true, "Cash plus open positions at the end.")]
                                + entries.map { ($0.name, $0.label, $0.unit, $0.higherIsBetter, $0.definition) }).map { name, label, unit, higher, definition in
                .object([("name", .string(name)), ("label", .string(label)), ("percent", .bool(unit == .percent)), ("duration", .bool(unit == .duration)),
                         ("higher", .bool(higher)), ("definition", .string(definition))])
            })),
            ("runs", .array(runs.map { run in
                .object([
                    ("params", .array(run.params.map { _, value in
                        if case .number(let n) = value { return .number(n) }
                        return .string(SweepFormat.value(value))
                    })),
                    ("metrics", .object([("final_equity", .number(run.result.finalEquity))] + run.result.metrics.named.map { ($0.0, .number($0.1)) })),
                ])
            })),
        ])
    }
}
