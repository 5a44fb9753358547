/// A sweep's results: one row (text) or object (JSON) per parameter combination.
public enum SweepFormat {
    package static func value(_ v: ConstValue) -> String {
        switch v {
        case .number(let n): ExpressionPrinter.format(n)
        case .bool(let b): b ? "true" : "false"
        case .string(let s): s
        case .duration(let d): d.description
        }
    }

    /// A table: the params' values, final equity, return, Sharpe, maximum drawdown and trades, one row a run.
    public static func text(_ runs: [ParameterSweep.Run]) -> String {
        guard let first = runs.first else { return "" }
        let headers = first.params.map(\.0) + ["final equity", "return", "sharpe", "max dd", "trades"]
        var rows = runs.map { run -> [String] in
            let m = run.result.metrics
            return run.params.map { value($0.1) } + [
                ResultFormat.format(run.result.finalEquity, 2), ResultFormat.format(m.totalReturn * 100, 2) + "%",
                ResultFormat.format(m.sharpe, 2), ResultFormat.format(m.maxDrawdown * 100, 2) + "%", "\(m.tradeCount)",
            ]
        }
        rows.insert(headers, at: 0)
        let widths = headers.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `{"runs": [...]}`, one object a run: its params, final equity, return, Sharpe, maximum drawdown, win rate, trades,
    /// and every metric under `metrics` (as `keel backtest` names them; `keel report` draws them).
    public static func json(_ runs: [ParameterSweep.Run]) -> String {
        JSON.encode(.object([("runs", .array(runs.map { run in
            let m = run.result.metrics
            return .object([
                ("params", .object(run.params.map { name, v in
                    (name, { if case .number(let n) = v { return .number(n) } else { return .string(value(v)) } }())
                })),
                ("final_equity", .number(run.result.finalEquity)),
                ("total_return", .number(m.totalReturn)), ("sharpe", .number(m.sharpe)), ("max_drawdown", .number(m.maxDrawdown)),
                ("win_rate", .number(m.winRate)), ("trade_count", .int(m.tradeCount)),
                ("symbols", .array(run.result.symbols.map { .string($0) })), ("capital", .number(run.result.capital)),
                ("bars", .int(run.result.bars)),
                ("first_time", .string(TimestampParser.format(run.result.firstTime))), ("last_time", .string(TimestampParser.format(run.result.lastTime))),
                ("metrics", .object(m.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) })),
            ])
        }))])) + "\n"
    }
}
