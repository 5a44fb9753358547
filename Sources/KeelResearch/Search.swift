import Keel

/// A search: every trial of a plan over the bars, on `jobs` cores, and what can be said about the
/// trial it chooses (probabilistic and deflated Sharpe ratios, stability, PBO). What
/// `keel optimize`, `keel research` and the service's `/v1/optimizations` run.
public enum Search {
    public static func run(_ strategy: LoadedStrategy, plan: SearchPlan, fixed: [String: ConstValue], feeds: [BarSeries], capital: Double,
                           range: DateRange, objective: Objective, jobs: Int, advanced: (@Sendable () -> Void)? = nil) throws
        -> (runs: [ParameterSweep.Run], evidence: SearchEvidence?) {
        let sweep = try ParameterSweep(strategy, fixed: fixed, combinations: plan.trials.indices.map(plan.combination))
        let blocks = OverfittingBlocks(trials: plan.trials.count, capital: capital)
        let runs = try sweep.run(feeds: feeds, capital: capital, jobs: jobs, range: range, curves: { blocks.add($0, $1) }, advanced: advanced)
        var evidence = try evidence(runs, sweep: sweep, spaces: strategy.checked.paramSpaces, objective: objective, feeds: feeds, capital: capital,
                                    range: range)
        evidence?.overfitting = blocks.estimate
        return (runs, evidence)
    }

    /// The best trial by the objective, run again with its equity curve: its probabilistic and
    /// deflated Sharpe ratios and its stability (nil when no trial has a finite objective).
    static func evidence(_ runs: [ParameterSweep.Run], sweep: ParameterSweep, spaces: [String: ResolvedSpace], objective: Objective,
                         feeds: [BarSeries], capital: Double, range: DateRange) throws -> SearchEvidence? {
        guard let best = objective.best(of: runs.map { objective.value($0.result) }) else { return nil }
        let result = try Backtest.run(try sweep.program(runs[best].params), feeds: feeds, capital: capital, keepEquityCurve: true, keepTrades: false,
                                      range: range)
        var evidence = SearchEvidence(chosen: best, result: result, trials: runs.map(\.result))
        (evidence.stability, evidence.neighbours) = SearchEvidence.stability(
            chosen: best, trials: runs.map { ($0.params, objective.value($0.result)) }, spaces: spaces, objective: objective)
        return evidence
    }
}

extension ResultsFile {
    /// Trials best first by the objective (NaN last, ties by trial number).
    public func ranked(by objective: Objective) -> [Trial] {
        func value(_ t: Trial) -> Double {
            objective.metric == "final_equity" ? t.finalEquity : t.metrics.named.first { $0.0 == objective.metric }?.1 ?? .nan
        }
        return trials.sorted { a, b in
            let (x, y) = (value(a), value(b))
            if objective.better(x, than: y) { return true }
            if objective.better(y, than: x) { return false }
            return a.number < b.number
        }
    }

    /// `keel optimize --format json`: the statistics and the best trial; `path` names the results
    /// file; `everyTrial` adds every trial in trial order (the service's answer).
    public func json(objective: Objective, path: String?, everyTrial: Bool = false) -> String {
        func trial(_ t: Trial) -> JSON.Value {
            .object([("trial", .int(t.number)), ("params", .object(t.params.map { name, value in
                if case .number(let n) = value { return (name, .number(n)) }
                return (name, .string(SweepFormat.value(value)))
            })), ("final_equity", .number(t.finalEquity)),
                     ("metrics", .object(t.metrics.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) }))])
        }
        var fields: [(String, JSON.Value)] = path.map { [("results", .string($0))] } ?? []
        fields += [
            ("objective", .string(objective.metric)), ("trials", .int(trials.count)),
            ("statistics", .object(statistics.map { key, value in (key, Double(value).map { .number($0) } ?? .string(value)) })),
            ("best", ranked(by: objective).first.map(trial) ?? .null),
        ]
        if everyTrial {
            fields.append(("manifest", .object(manifest.map { ($0.0, .string($0.1)) })))
            fields.append(("every_trial", .array(trials.map(trial))))
        }
        return JSON.encode(.object(fields)) + "\n"
    }
}
