import Keel

/// A walk-forward as `keel walkforward` prints it (text) and writes it (JSON, with its manifest).
public enum WalkForwardFormat {
    public static func text(_ walk: WalkForward) -> String {
        let metric = walk.objective.metric
        func day(_ time: Int64) -> String { String(TimestampParser.format(time).prefix(10)) }
        func pct(_ x: Double) -> String { x.isFinite ? ResultFormat.format(x * 100, 2) + "%" : "n/a" }
        func number(_ x: Double) -> String { x.isFinite ? ResultFormat.format(x, 3) : "n/a" }
        var rows = [["fold", "train", "test", "params", "IS \(metric)", "OOS \(metric)", "OOS return", "trades"]]
        for f in walk.folds {
            rows.append([
                "\(f.fold.number)", "\(day(f.fold.train.lowerBound)) to \(day(f.fold.train.upperBound - 1))",
                "\(day(f.fold.test.lowerBound)) to \(day(f.fold.test.upperBound - 1))\(f.fold.partial ? "*" : "")",
                f.params.map { "\($0.0)=\(SweepFormat.value($0.1))" }.joined(separator: " ") + (f.chosen == nil ? " (none finite)" : ""),
                number(walk.objective.value(f.inSample)), number(walk.objective.value(f.outOfSample)),
                pct(f.outOfSample.finalEquity / f.outOfSample.capital - 1), "\(f.outOfSample.metrics.tradeCount)",
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = rows.map { row in
            row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
        if walk.folds.contains(where: \.fold.partial) { text += "* cut short by the data's end\n" }
        let m = walk.metrics
        let final = walk.equityCurve.last?.equity ?? walk.capital
        text += "\nout of sample (\(walk.folds.count) folds, \(walk.schedule.description)): final equity \(ResultFormat.format(final, 2)), "
            + "return \(pct(m.totalReturn)), CAGR \(pct(m.cagr)), Sharpe \(number(m.sharpe)), max drawdown \(pct(m.maxDrawdown)), \(m.tradeCount) trades\n"
        let profitable = walk.folds.filter { $0.outOfSample.finalEquity > $0.outOfSample.capital }.count
        text += "walk-forward efficiency \(number(walk.efficiency)) (out-of-sample CAGR over the folds' mean in-sample CAGR); "
            + "\(profitable) of \(walk.folds.count) test windows made money\n"
        return text
    }

    public static func json(_ walk: WalkForward, manifest: [(String, String)]) -> String {
        func metrics(_ m: Metrics) -> JSON.Value {
            .object(m.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) })
        }
        func window(_ range: Range<Int64>) -> JSON.Value {
            .object([("from", .string(TimestampParser.format(range.lowerBound))), ("to", .string(TimestampParser.format(range.upperBound - 1)))])
        }
        let folds: [JSON.Value] = walk.folds.map { f in
            .object([
                ("fold", .int(f.fold.number)), ("train", window(f.fold.train)), ("test", window(f.fold.test)), ("partial", .bool(f.fold.partial)),
                ("chosen_trial", f.chosen.map { .int($0) } ?? .null),
                ("params", .object(f.params.map { name, value in (name, value.number.map { .number($0) } ?? .string(SweepFormat.value(value))) })),
                ("train_bars", .array(f.trainBars.map { .int($0) })), ("train_last_bar", f.trainLastTime.map { .string(TimestampParser.format($0)) } ?? .null),
                ("in_sample", .object([("final_equity", .number(f.inSample.finalEquity)), ("metrics", metrics(f.inSample.metrics))])),
                ("out_of_sample", .object([("capital", .number(f.outOfSample.capital)), ("final_equity", .number(f.outOfSample.finalEquity)),
                                           ("open_positions", .int(f.outOfSample.openPositions.count)), ("metrics", metrics(f.outOfSample.metrics))])),
            ])
        }
        return JSON.encode(.object([
            ("manifest", .object(manifest.map { ($0.0, .string($0.1)) })),
            ("objective", .string(walk.objective.metric)), ("capital", .number(walk.capital)),
            ("folds", .array(folds)),
            ("out_of_sample", .object([
                ("final_equity", .number(walk.equityCurve.last?.equity ?? walk.capital)), ("metrics", metrics(walk.metrics)),
                ("efficiency", .number(walk.efficiency)),
                ("equity", .array(walk.equityCurve.map { .array([.int(Int($0.time)), .number($0.equity)]) })),
            ])),
        ])) + "\n"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
