import KeelData
import KeelLanguage

/// The backtest JSON contract (docs/backtest.md) and the human summary.
public enum ResultFormat {
    public static func json(_ result: BacktestResult, includeEquity: Bool = false) -> String {
        let m = result.metrics
        var fields: [(String, JSON.Value)] = [
            ("strategy", .string(result.strategy)),
            ("symbols", .array(result.symbols.map { .string($0) })),
            ("capital", .number(result.capital)),
            ("bars", .int(result.bars)),
            ("first_time", .string(TimestampParser.format(result.firstTime))),
            ("last_time", .string(TimestampParser.format(result.lastTime))),
            ("bar_seconds", result.barSeconds.map { .int($0) } ?? .null),
            ("data_bar_seconds", result.dataBarSeconds.map { .int($0) } ?? .null),
        ]
        if result.range.isBounded {
            fields.append(("range", .object([
                ("from", result.range.fromText.map { .string($0) } ?? .null), ("to", result.range.toText.map { .string($0) } ?? .null),
                ("warmup_needed", .int(result.warmupNeeded)),
                ("warmup_bars", .object(zip(result.symbols, result.warmupBars).map { ($0, .int($1)) })),
            ])))
        }
        fields += [
            ("final_equity", .number(result.finalEquity)),
            ("metrics", .object(m.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) })),
            ("trades", .array(result.trades.map { t in .written { writeTrade(t, indent: $0, pretty: $1, into: &$2) } })),
            ("open_positions", .array(result.openPositions.map(openPosition))),
            ("risk_events", .array(result.riskEvents.map { e in .written { writeRiskEvent(e, indent: $0, pretty: $1, into: &$2) } })),
        ]
        if includeEquity {
            fields.append(("equity", .array(result.equityCurve.map {
                .object([("time", .string(TimestampParser.format($0.time))), ("equity", .number($0.equity))])
            })))
        }
        return JSON.encode(.object(fields)) + "\n"
    }

    /// The decision trace as JSON lines: one decision per line.
    public static func trace(_ result: BacktestResult) -> String {
        result.decisions.map { d in
            JSON.encode(.object([
                ("time", .string(TimestampParser.format(d.time))), ("symbol", .string(d.symbol)), ("action", .string(d.action)),
                ("side", .string(d.side.rawValue)), ("rule", .string(d.rule)),
                ("values", .object(d.values.map { ($0.0, .number($0.1)) })),
            ]), pretty: false)
        }.joined(separator: "\n") + (result.decisions.isEmpty ? "" : "\n")
    }

    /// A risk event's JSON, written field by field: the in-memory result and the spool share it.
    static func writeRiskEvent(_ event: Engine.RiskEvent, indent: Int, pretty: Bool, into out: inout [UInt8]) {
        JSON.writeObject(indent: indent, pretty: pretty, into: &out) { o in
            o.time("time", event.time); o.string("symbol", event.symbol); o.string("kind", event.kind); o.string("reason", event.reason)
        }
    }

    /// A trade's JSON, written field by field: the in-memory result and the spool share it.
    static func writeTrade(_ t: Trade, indent: Int, pretty: Bool, into out: inout [UInt8]) {
        JSON.writeObject(indent: indent, pretty: pretty, into: &out) { o in
            o.string("symbol", t.symbol); o.string("side", t.side.rawValue)
            o.time("entry_time", t.entryTime); o.number("entry_price", t.entryPrice)
            o.time("exit_time", t.exitTime); o.number("exit_price", t.exitPrice)
            o.number("quantity", t.quantity); o.number("pnl", t.pnl); o.number("fees", t.fees)
            o.string("exit_reason", t.exitReason.rawValue)
        }
    }

    static func openPosition(_ p: BacktestResult.OpenPosition) -> JSON.Value {
        .object([
            ("symbol", .string(p.symbol)), ("side", .string(p.side.rawValue)), ("quantity", .number(p.quantity)),
            ("entry_time", .string(TimestampParser.format(p.entryTime))), ("entry_price", .number(p.entryPrice)),
            ("mark_time", .string(TimestampParser.format(p.markTime))), ("mark_price", .number(p.markPrice)),
            ("unrealized_pnl", .number(p.unrealizedPnl)),
        ])
    }

    public static func text(_ result: BacktestResult) -> String {
        let m = result.metrics
        func pct(_ x: Double) -> String { x.isFinite ? format(x * 100, 2) + "%" : "n/a" }
        let rows: [(String, String)] = [
            ("strategy", result.strategy),
            ("symbols", result.symbols.joined(separator: ", ")),
            ("period", "\(TimestampParser.format(result.firstTime)) to \(TimestampParser.format(result.lastTime)), \(result.bars) bars"),
            ("bar size", barSize(result)),
        ] + dataRows(result) + rangeRows(result) + [
            ("capital", format(result.capital, 2)),
            ("final equity", format(result.finalEquity, 2)),
            ("total return", pct(m.totalReturn)),
            ("CAGR", pct(m.cagr)),
            ("Sharpe", format(m.sharpe, 2)),
            ("Sortino", format(m.sortino, 2)),
            ("volatility", pct(m.volatility)),
            ("Calmar", format(m.calmar, 2)),
            ("annualized by", "\(format(m.annualization, 1)) bars per year"),
            ("max drawdown", pct(m.maxDrawdown)),
            ("avg drawdown", pct(m.averageDrawdown)),
            ("drawdown length", "max \(duration(m.maxDrawdownDuration)), avg \(duration(m.averageDrawdownDuration))"),
            ("trades", "\(m.tradeCount) closed, \(result.openPositions.count) open"),
            ("win rate", pct(m.winRate)),
            ("profit factor", m.profitFactor.isFinite ? format(m.profitFactor, 2) : "n/a (no losing trade)"),
            ("trade return", "best \(pct(m.bestTrade)), worst \(pct(m.worstTrade)), avg \(pct(m.averageTrade))"),
            ("expectancy", pct(m.expectancy)),
            ("SQN", format(m.sqn, 2)),
            ("Kelly", format(m.kelly, 4)),
            ("trade length", "max \(duration(m.maxTradeDuration)), avg \(duration(m.averageTradeDuration))"),
            ("exposure", "\(pct(m.exposure)) of symbol-bars; \(pct(m.exposureTime)) of time (backtesting.py's)"),
            ("buy and hold", pct(m.buyAndHold)),
            ("risk events", "\(result.riskEventCount)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }

    /// One row per file read: its symbol, path and how it was read.
    static func dataRows(_ result: BacktestResult) -> [(String, String)] {
        zip(result.symbols, result.dataFiles).enumerated().compactMap { index, pair in
            pair.1.map { (index == 0 ? "data" : "", "\(pair.0) \($0.summary)") }
        }
    }

    /// The range asked for and the warm-up each symbol had before it, when a range was given.
    static func rangeRows(_ result: BacktestResult) -> [(String, String)] {
        guard result.range.isBounded else { return [] }
        let asked = "\(result.range.fromText ?? "the data's start") to \(result.range.toText ?? "the data's end")"
        let bars = Set(result.warmupBars)
        let warmup: String
        if result.warmupNeeded == 0 {
            warmup = "none needed"
        } else if bars.count == 1, let only = bars.first {
            warmup = "\(only) of the \(result.warmupNeeded) bars the strategy needs, before the range"
        } else {
            warmup = zip(result.symbols, result.warmupBars).map { "\($0) \($1)" }.joined(separator: ", ")
                + " of the \(result.warmupNeeded) bars the strategy needs, before the range"
        }
        return [("range asked", asked), ("warm-up", warmup)]
    }

    /// "1h", or "1h (resampled from 1m bars)"; "unknown" from a single bar.
    package static func barSize(_ result: BacktestResult) -> String {
        guard let bar = result.barSeconds else { return "unknown" }
        guard let data = result.dataBarSeconds, data != bar else { return TimeframePlan.text(bar) }
        return "\(TimeframePlan.text(bar)) (resampled from \(TimeframePlan.text(data)) bars)"
    }

    /// A length of time for people: days with one decimal from a day up, else hours, minutes or seconds.
    package static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "n/a" }
        if seconds >= 86_400 { return format(seconds / 86_400, 1) + " days" }
        if seconds >= 3_600 { return format(seconds / 3_600, 1) + " hours" }
        if seconds >= 60 { return format(seconds / 60, 1) + " minutes" }
        return format(seconds, 0) + " seconds"
    }

    /// Fixed decimals without Foundation's formatter.
    public static func format(_ value: Double, _ decimals: Int) -> String {
        // Past 1e15 the digits are not exact anyway (a CAGR over four minutes): Swift's own form.
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = (scaled / scale).rounded(.down)
        let fraction = Int(scaled - whole * scale)
        let digits = String(fraction)
        let padded = String(repeating: "0", count: max(0, decimals - digits.count)) + digits
        return (value < 0 && scaled > 0 ? "-" : "") + String(Int(whole)) + (decimals > 0 ? "." + padded : "")
    }
}
