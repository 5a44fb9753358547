import Foundation
import Keel
import KeelData
import KeelEngine
import KeelLanguage

/// A backtest's report: one self-contained HTML file (docs/report.md). The header, the rules and
/// the statistics are written here as HTML; the charts are drawn by the inlined script from the
/// data this writes beside it.
public struct BacktestReport: Sendable {
    /// The result, with its trades, equity curve and (when traced) decisions kept.
    public var result: BacktestResult
    /// The bars the run read, one series per symbol in the result's order; empty draws no price charts.
    public var bars: [BarSeries]
    /// The strategy, for its rules as written and its risk profile; nil when only a result is known.
    public var strategy: LoadedStrategy?
    public var manifest: ReportManifest
    /// Said at the top of the report: what it could not draw and why.
    public var notes: [String] = []
    /// The heading; the strategy's name when nil.
    public var title: String?
    /// For a paper or live run: the backtest of the same strategy on the same bars.
    public var comparison: RunComparison?
    /// The strategy's research evidence (`keel research`) and where it was read, shown with its verdict.
    public var evidence: (evidence: Evidence, path: String)?

    /// Trades beyond this many are drawn and listed; their decision trace is left out past it.
    static let tracedDecisionLimit = 100_000

    public init(result: BacktestResult, bars: [BarSeries], strategy: LoadedStrategy?, manifest: ReportManifest, notes: [String] = []) {
        (self.result, self.bars, self.strategy, self.manifest, self.notes) = (result, bars, strategy, manifest, notes)
    }

    public func html() -> [UInt8] {
        var page = HTMLWriter()
        let name = strategy?.checked.parsed.name?.value ?? result.strategy
        let title = self.title.map { "\(name): \($0)" } ?? name
        page.raw("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        page.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        page.raw("<meta name=\"generator\" content=\"Keel \(KeelVersion.current)\">\n")
        page.element("title", "", "\(title): Keel \(comparison == nil ? "backtest" : "run") report")
        page.styleSheet()
        page.raw("</head>\n<body>\n<main>\n")
        header(&page, title: title)
        statistics(&page)
        if let comparison { compared(&page, comparison) }
        charts(&page)
        page.data(data())
        page.scripts()
        page.raw("</main>\n</body>\n</html>\n")
        return page.bytes
    }

    // MARK: - Header

    private func header(_ page: inout HTMLWriter, title: String) {
        page.raw("<header id=\"summary\">\n")
        page.element("h1", "", title)
        if let description = strategy?.checked.parsed.description?.value { page.element("p", "class=\"description\"", description) }
        for note in notes { page.element("p", "class=\"note\"", note) }
        page.raw("<dl class=\"facts\">\n")
        for (term, value) in facts() {
            page.element("dt", "", term)
            page.element("dd", "", value)
        }
        page.raw("</dl>\n")
        if let strategy { Self.rules(&page, strategy) }
        if let evidence { Self.evidenceSection(&page, evidence.evidence, path: evidence.path, strategy: strategy) }
        Self.dataFiles(&page, symbols: result.symbols, origins: result.dataFiles, manifest: manifest)
        Self.manifestSection(&page, manifest)
        page.raw("</header>\n")
    }

    private func facts() -> [(String, String)] {
        let r = result
        var rows: [(String, String)] = [
            ("Symbols", r.symbols.joined(separator: ", ")),
            ("Period", "\(TimestampParser.format(r.firstTime)) to \(TimestampParser.format(r.lastTime))"),
            ("Bars", "\(r.bars)"),
            ("Bar size", ResultFormat.barSize(r)),
            ("Capital", MetricGlossary.grouped(r.capital)),
            ("Final equity", MetricGlossary.grouped(r.finalEquity)),
        ]
        if r.range.isBounded {
            rows.append(("Range asked", "\(r.range.fromText ?? "the data's start") to \(r.range.toText ?? "the data's end")"))
        }
        if let settings = strategy?.program.settings {
            let c = settings.costs
            var fees: [String] = []
            if c.feeFraction != 0 { fees.append(ResultFormat.format(c.feeFraction * 100, 4) + "% of value") }
            if c.feePerUnit != 0 { fees.append(ResultFormat.format(c.feePerUnit, 4) + " per unit") }
            if c.feePerOrder != 0 { fees.append(ResultFormat.format(c.feePerOrder, 2) + " per order") }
            var slippage: [String] = []
            if c.slippageFraction != 0 { slippage.append(ResultFormat.format(c.slippageFraction * 10_000, 2) + " bps") }
            if c.slippageTicks != 0 { slippage.append("\(ResultFormat.format(c.slippageTicks, 2)) ticks of \(ResultFormat.format(c.tickSize, 6))") }
            rows += [
                ("Fees", fees.isEmpty ? "none" : fees.joined(separator: " + ")),
                ("Slippage", slippage.isEmpty ? "none" : slippage.joined(separator: " + ")),
                ("Fills", "\(settings.fill.rawValue), intrabar \(settings.intrabar.rawValue)"),
                ("Risk profile", settings.profile.name.rawValue),
            ]
        }
        rows.append(("Keel", manifest.keelVersion))
        return rows
    }

    /// Each rule block of the file as written (entry, exit, stops, ladder, sizing, ...), then the
    /// risk profile's limits as they apply, then the whole file.
    static func rules(_ page: inout HTMLWriter, _ strategy: LoadedStrategy) {
        let text = strategy.text
        page.raw("<section id=\"rules\">\n<h2>Rules as written</h2>\n<table class=\"rules\">\n")
        for (key, block) in Self.blocks(of: strategy) where !["keel", "name", "description", "symbols"].contains(key) {
            page.raw("<tr><th>")
            page.text(key)
            page.raw("</th><td><pre>")
            page.text(block)
            page.raw("</pre></td></tr>\n")
        }
        page.raw("</table>\n")
        let risk = strategy.program.settings.risk
        page.raw("<h3>Risk limits (\(HTMLWriter.escape(risk.profile.name.rawValue)) profile, with the file's overrides)</h3>\n<table class=\"limits\">\n")
        for limit in RiskLimit.allCases {
            page.raw("<tr title=\"\(HTMLWriter.escape(limit.doc))\"><th>")
            page.text(limit.rawValue)
            page.raw("</th><td>")
            page.text(Self.limitText(limit, risk))
            page.raw("</td><td class=\"doc\">")
            page.text(limit.doc)
            page.raw("</td></tr>\n")
        }
        page.raw("</table>\n<details><summary>The whole file: ")
        page.text(strategy.path)
        page.raw("</summary><pre class=\"source\">")
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            page.raw("<span class=\"ln\">\(number + 1)</span>")
            page.text(String(line))
            page.raw("\n")
        }
        page.raw("</pre></details>\n</section>\n")
    }

    /// The text of each top-level key, from its line to the next key's, in file order.
    static func blocks(of strategy: LoadedStrategy) -> [(String, String)] {
        let file = strategy.file
        let keys = strategy.checked.parsed.keys.sorted { $0.value.start < $1.value.start }
        let lines = strategy.text.split(separator: "\n", omittingEmptySubsequences: false)
        let starts = keys.map { file.location(ofOffset: $0.value.start).line - 1 }
        return keys.indices.map { k in
            let end = k + 1 < starts.count ? starts[k + 1] : lines.count
            var block = lines[starts[k]..<max(starts[k] + 1, end)].map(String.init)
            while block.count > 1, block.last!.trimmingCharacters(in: .whitespaces).isEmpty || block.last!.hasPrefix("#") { block.removeLast() }
            return (keys[k].key, block.joined(separator: "\n"))
        }
    }

    static func limitText(_ limit: RiskLimit, _ risk: EffectiveRisk) -> String {
        switch limit {
        case .allowShort: return risk.allowShort ? "yes" : "no"
        case .sessionStart:
            let s = risk.sessionStartSeconds
            return String(format: "%02d:%02d UTC", s / 3_600, s / 60 % 60)
        default:
            guard let value = risk.limit(limit) else { return "off" }
            switch limit.valueKind {
            case .percent: return ResultFormat.format(value * 100, 2) + "%"
            case .count: return String(Int(value))
            case .bars: return "\(Int(value)) bars"
            default: return ResultFormat.format(value, 2)
            }
        }
    }

    static func dataFiles(_ page: inout HTMLWriter, symbols: [String], origins: [DataOrigin?], manifest: ReportManifest) {
        guard !manifest.data.isEmpty || origins.contains(where: { $0 != nil }) else { return }
        page.raw("<section id=\"data-files\">\n<h2>Data</h2>\n<table>\n<thead><tr><th>Symbol</th><th>File</th><th>Read as</th><th>Bars</th><th>Size</th><th>SHA-256</th></tr></thead>\n<tbody>\n")
        for (index, symbol) in symbols.enumerated() {
            let files = manifest.data.filter { $0.symbol == symbol }
            let origin = index < origins.count ? origins[index] : nil
            for (k, file) in (files.isEmpty ? [nil] : files.map(Optional.some)).enumerated() {
                page.raw("<tr><td>")
                page.text(k == 0 ? symbol : "")
                page.raw("</td><td>")
                page.text(file?.path ?? origin?.file ?? "")
                page.raw("</td><td>")
                page.text(k == 0 ? origin.map { "\($0.layout.rawValue) layout, \($0.timeForm) times\($0.compressed ? ", gzip" : "")\($0.adjusted ? ", adjusted" : "")" } ?? "" : "")
                page.raw("</td><td>")
                page.text(k == 0 ? origin?.barsSummary ?? "" : "")
                page.raw("</td><td>")
                page.text(file.map { "\(MetricGlossary.grouped(Double($0.bytes)).dropLast(3)) bytes" } ?? "")
                page.raw("</td><td class=\"hash\">")
                page.text(file?.sha256 ?? "")
                page.raw("</td></tr>\n")
            }
        }
        page.raw("</tbody>\n</table>\n</section>\n")
    }

    /// The research evidence: its verdict on the gates (judged again on this strategy's gates when
    /// known), whether it was made from this strategy's text, each gate and every figure.
    static func evidenceSection(_ page: inout HTMLWriter, _ evidence: Evidence, path: String, strategy: LoadedStrategy?) {
        var judged = evidence
        var stale = false
        if let strategy {
            judged.verdicts = Evidence.judge(strategy.checked.parsed.gates.map(\.value), figures: evidence.figures)
            stale = evidence.manifest.strategySHA256 != ReportManifest(command: [], strategyText: strategy.text).strategySHA256
        }
        page.raw("<section id=\"evidence\">\n<h2>Research evidence</h2>\n")
        let verdict = stale ? "stale: made from another text of the strategy" : judged.verdict
        page.element("p", "class=\"verdict \(stale || judged.verdict == "fail" ? "fail" : "pass")\"",
                     "Verdict: \(verdict) (\(path), made by \(evidence.manifest.recordedCommand ?? "keel research"))")
        if !judged.verdicts.isEmpty {
            page.raw("<table class=\"gates\">\n<thead><tr><th>Gate</th><th>Value</th><th>Passed</th></tr></thead>\n<tbody>\n")
            for v in judged.verdicts {
                page.raw("<tr>")
                page.element("td", "", v.gate.text)
                page.element("td", "", v.value.map { Evidence.Verdict.show($0, v.gate.figure) } ?? "not in the evidence")
                page.element("td", "", v.passed ? "yes" : "no")
                page.raw("</tr>\n")
            }
            page.raw("</tbody>\n</table>\n")
        }
        page.raw("<dl class=\"facts\">\n")
        for (figure, value) in evidence.figures {
            page.element("dt", "", figure.rawValue)
            page.element("dd", "", value.isFinite ? Evidence.Verdict.show(value, figure) : "n/a")
        }
        for (key, value) in evidence.protocolSettings {
            page.element("dt", "", key)
            page.element("dd", "", value)
        }
        page.raw("</dl>\n</section>\n")
    }

    static func manifestSection(_ page: inout HTMLWriter, _ manifest: ReportManifest) {
        page.raw("<section id=\"manifest\">\n<h2>Manifest</h2>\n<dl class=\"facts\">\n")
        page.element("dt", "", "Command")
        page.element("dd", "class=\"command\"", manifest.commandLine)
        if let hash = manifest.strategySHA256 {
            page.element("dt", "", "Strategy SHA-256")
            page.element("dd", "class=\"hash\"", "\(hash)  \(manifest.strategyPath ?? "")")
        }
        page.element("dt", "", "Keel version")
        page.element("dd", "", manifest.keelVersion)
        for (key, value) in manifest.extra {
            page.element("dt", "", key)
            page.element("dd", "class=\"command\"", value)
        }
        page.raw("</dl>\n</section>\n")
    }

    // MARK: - Statistics

    private func statistics(_ page: inout HTMLWriter) {
        page.raw("<section id=\"statistics\">\n<h2>Statistics</h2>\n<table class=\"stats\">\n<tbody>\n")
        let r = result
        let extra: [(String, String, Double, MetricGlossary.Unit, String)] = [
            ("capital", "Capital", r.capital, .money, "Starting cash."),
            ("final_equity", "Final equity", r.finalEquity, .money, "Cash plus open positions marked at their last close."),
        ]
        let rows = extra + MetricGlossary.entries.map { e in
            (e.name, e.label, r.metrics.named.first { $0.0 == e.name }?.1 ?? .nan, e.unit, e.definition)
        } + [
            ("open_positions", "Open positions", Double(r.openPositions.count), .count, "Positions still open at the end, marked at their last close."),
            ("risk_events", "Risk events", Double(r.riskEventCount), .count, "Refusals and limit events of the risk manager (kill switch, halts)."),
        ]
        for (name, label, value, unit, definition) in rows {
            page.raw("<tr title=\"\(HTMLWriter.escape(definition))\" data-metric=\"\(name)\" data-value=\"\(Self.exact(value))\"><th>")
            page.text(label)
            page.raw("</th><td>")
            page.text(MetricGlossary.display(value, unit))
            page.raw("</td></tr>\n")
        }
        page.raw("</tbody>\n</table>\n</section>\n")
    }

    /// A number as the JSON result writes it (Swift's shortest form), for the table's data-value.
    static func exact(_ value: Double) -> String {
        var out: [UInt8] = []
        JSON.write(.number(value), into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - A run against its backtest

    private func compared(_ page: inout HTMLWriter, _ c: RunComparison) {
        page.raw("<section id=\"comparison\">\n<h2>This run against the backtest on the same bars</h2>\n<dl class=\"facts\">\n")
        let rows: [(String, String)] = [
            ("Final equity", "run \(MetricGlossary.grouped(result.finalEquity)), backtest \(MetricGlossary.grouped(c.backtest.finalEquity))"),
            ("Trades", "run \(result.trades.count), backtest \(c.backtest.trades.count); the first \(c.matchingTrades) equal in every field"),
            ("Equity", c.firstDivergence.map {
                "first differs at \(TimestampParser.format($0.time)): run \(MetricGlossary.grouped($0.run)), backtest \(MetricGlossary.grouped($0.backtest))"
            } ?? "equal to the cent at every time step both have"),
        ]
        for (term, value) in rows {
            page.element("dt", "", term)
            page.element("dd", "", value)
        }
        page.raw("</dl>\n<figure class=\"chart-box\"><figcaption>Equity: run and backtest</figcaption><div class=\"chart\" id=\"chart-compare\"></div></figure>\n")
        if !c.differingTrades.isEmpty {
            page.raw("<h3>Trades that differ</h3>\n<table class=\"list\" id=\"differing-trades\">\n<thead><tr><th>#</th><th>Run</th><th>Backtest</th></tr></thead>\n<tbody>\n")
            func text(_ t: Trade?) -> String {
                guard let t else { return "none" }
                return "\(t.symbol) \(t.side.rawValue) \(ResultFormat.format(t.quantity, 4)) \(TimestampParser.format(t.entryTime)) at \(t.entryPrice) to \(TimestampParser.format(t.exitTime)) at \(t.exitPrice) (\(t.exitReason.rawValue)), P&L \(ResultFormat.format(t.pnl, 2))"
            }
            for d in c.differingTrades {
                page.raw("<tr><td>\(d.index + 1)</td><td>")
                page.text(text(d.run))
                page.raw("</td><td>")
                page.text(text(d.backtest))
                page.raw("</td></tr>\n")
            }
            page.raw("</tbody>\n</table>\n")
        }
        page.raw("</section>\n")
    }

    // MARK: - Charts

    private func charts(_ page: inout HTMLWriter) {
        func chart(_ id: String, _ title: String, _ note: String = "") {
            page.raw("<figure class=\"chart-box\"><figcaption>")
            page.text(title)
            if !note.isEmpty { page.raw(" <small>"); page.text(note); page.raw("</small>") }
            page.raw("</figcaption><div class=\"chart\" id=\"\(id)\"></div></figure>\n")
        }
        page.raw("<section id=\"performance\">\n<h2>Performance</h2>\n")
        page.raw("<div class=\"controls\"><label><input type=\"checkbox\" id=\"log-scale\"> log scale</label></div>\n")
        chart("chart-equity", "Equity against buy and hold", bars.isEmpty ? "buy and hold needs the bars" : "")
        chart("chart-drawdown", "Drawdown (underwater)")
        chart("chart-rolling", "Rolling Sharpe and volatility", "63 days, annualised")
        if !bars.isEmpty { chart("chart-exposure", "Exposure: positions' value over equity, at each day's close") }
        page.raw("</section>\n")
        if !bars.isEmpty {
            page.raw("<section id=\"prices\">\n<h2>Prices and trades</h2>\n")
            page.raw("<div class=\"controls\"><label><input type=\"checkbox\" id=\"candles\" checked> candles</label> <span class=\"hint\">zoom to see every bar; select a trade in the table or on the chart</span></div>\n")
            for (i, series) in bars.enumerated() { chart("chart-price-\(i)", series.symbol) }
            page.raw("<div id=\"trade-detail\" class=\"detail\" hidden></div>\n</section>\n")
        }
        page.raw("<section id=\"returns\">\n<h2>Returns</h2>\n")
        chart("chart-monthly", "Monthly returns")
        page.raw("<div id=\"table-yearly\"></div>\n")
        chart("chart-trade-returns", "Distribution of trade returns")
        chart("chart-duration", "Trade duration against return")
        page.raw("</section>\n")
        if result.symbols.count > 1 {
            page.raw("<section id=\"contribution\">\n<h2>Per-symbol contribution</h2>\n")
            chart("chart-contribution", "P&L by symbol", "realised and open")
            page.raw("<div id=\"table-contribution\"></div>\n</section>\n")
        }
        page.raw("<section id=\"trades\">\n<h2>Trades</h2>\n<div id=\"trades-table\"></div>\n</section>\n")
        page.raw("<section id=\"risk-events\">\n<h2>Risk events</h2>\n<div id=\"risk-table\"></div>\n</section>\n")
    }
}
