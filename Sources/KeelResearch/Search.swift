import Keel

/// A search: every trial of a plan over the bars, on `jobs` cores, and what can be said about the
/// trial it chooses (probabilistic and deflated Sharpe ratios, stability, PBO). What
/// `keel optimize`, `keel research` and the service's `/v1/optimizations` run.
public enum Search {
    /// - Parameters:
    ///   - only: the trial numbers this process runs (a shard's); every trial of the plan when nil.
    ///   - done: trials already run (a journal's, on a resume): not run again.
    ///   - finished: called with each trial as it ends, on its thread (the journal writes it).
    /// - Returns: the trials run and done, in trial order, and the evidence when they are the whole plan.
    public static func run(_ strategy: LoadedStrategy, plan: SearchPlan, fixed: [String: ConstValue], feeds: [BarSeries], capital: Double,
                           range: DateRange, objective: Objective, jobs: Int, only: [Int]? = nil, done: [ResultsFile.Trial] = [],
                           finished: (@Sendable (ResultsFile.Trial) -> Void)? = nil, advanced: (@Sendable () -> Void)? = nil) throws
        -> (trials: [ResultsFile.Trial], evidence: SearchEvidence?) {
        let held = Set(done.map(\.number))
        let numbers = (only ?? Array(plan.trials.indices)).filter { !held.contains($0) }
        let sweep = try ParameterSweep(strategy, fixed: fixed, combinations: numbers.map(plan.combination))
        let made = Slots<ResultsFile.Trial>(count: numbers.count)
        _ = try sweep.run(feeds: feeds, capital: capital, jobs: jobs, range: range, each: { index, result in
            let trial = ResultsFile.Trial(number: numbers[index], params: plan.combination(numbers[index]), finalEquity: result.finalEquity,
                                          metrics: result.metrics, returns: TrialReturns(curve: result.equityCurve, capital: capital))
            made.set(index, trial)
            finished?(trial)
        }, advanced: advanced)
        let trials = (done + made.values.compactMap { $0 }).sorted { $0.number < $1.number }
        let whole = trials.count == plan.trials.count
        return (trials, whole ? SearchEvidence.of(trials, spaces: strategy.checked.paramSpaces, objective: objective) : nil)
    }
}

extension ResultsFile {
    /// Trials best first by the objective (NaN last, ties by trial number).
    public func ranked(by objective: Objective) -> [Trial] {
        trials.sorted { a, b in
            let (x, y) = (objective.value(a), objective.value(b))
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
