import Keel

/// A Monte Carlo as `keel montecarlo` prints it.
public enum MonteCarloFormat {
    static var figures: [(name: String, key: String, path: KeyPath<MonteCarlo.Outcome, Double>, percent: Bool)] {
        [("final equity", "final_equity", \.finalEquity, false), ("max drawdown", "max_drawdown", \.maxDrawdown, true), ("Sharpe", "sharpe", \.sharpe, false)]
    }

    public static func text(_ m: MonteCarlo) -> String {
        func show(_ x: Double, _ percent: Bool) -> String {
            guard x.isFinite else { return "n/a" }
            return percent ? ResultFormat.format(x * 100, 2) + "%" : ResultFormat.format(x, 2)
        }
        var rows = [["", "backtest", "5%", "50%", "95%"]]
        for f in figures {
            rows.append([f.name, show(m.original[keyPath: f.path], f.percent)] + m.percentiles(f.path).map { show($0, f.percent) })
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = "\(m.outcomes.count) runs, \(m.method.rawValue), seed \(m.seed)\n\n"
        text += rows.map { row in
            row.enumerated().map { k, cell in
                let pad = String(repeating: " ", count: widths[k] - cell.count)
                return k == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n\n"
        text += "probability of ruin (a drawdown of \(show(m.ruinDrawdown, true)) or more): \(show(m.ruinProbability, true))\n"
        if m.method == .trades { text += "a reshuffle keeps the trades and so the final equity; the Sharpe ratio is the bootstrap's and the costs' to move\n" }
        return text
    }

    public static func json(_ m: MonteCarlo) -> String {
        JSON.encode(.object([
            ("method", .string(m.method.rawValue)), ("runs", .int(m.outcomes.count)), ("seed", .string(String(m.seed))), ("capital", .number(m.capital)),
            ("original", .object(figures.map { ($0.key, .number(m.original[keyPath: $0.path])) })),
            ("percentiles", .object(figures.map { f in
                let p = m.percentiles(f.path)
                return (f.key, .object([("p5", .number(p[0])), ("p50", .number(p[1])), ("p95", .number(p[2]))]))
            })),
            ("ruin", .object([("drawdown", .number(m.ruinDrawdown)), ("probability", .number(m.ruinProbability))])),
        ])) + "\n"
    }
}
