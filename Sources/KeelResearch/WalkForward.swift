import Keel

/// Walk-forward analysis: per fold, the search runs on the train window alone, and the trial it
/// chooses runs on the test window that follows, its indicators warmed up on the bars before it.
/// The test windows' equity, each starting where the last one ended, is the out-of-sample record.
public struct WalkForward: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// How the windows move: each fold's train window, then an optional purge gap, then its test
    /// window; the next fold starts `step` later (rolling) or keeps the first start (anchored).
    public struct Schedule: Sendable {
        public var train: Span
        public var test: Span
        public var step: Span
        public var anchored = false
        public var purge: Span?

        public init(train: Span, test: Span, step: Span? = nil, anchored: Bool = false, purge: Span? = nil) {
            (self.train, self.test, self.step, self.anchored, self.purge) = (train, test, step ?? test, anchored, purge)
        }

        public var description: String {
            "train \(train), test \(test), step \(step)\(anchored ? ", anchored" : ", rolling")\(purge.map { ", purge \($0)" } ?? "")"
        }
    }

    /// One fold's windows, in epoch milliseconds, each from its first instant up to (not including) its end.
    public struct Fold: Sendable, Equatable {
        public var number: Int
        public var train: Range<Int64>
        public var test: Range<Int64>
        /// The test window was cut short by the data's end.
        public var partial: Bool
    }

    /// What one fold's search chose, from its train window alone: the unit a shard runs
    /// (`keel walkforward --shard`) and `keel merge` replays.
    public struct Choice: Sendable {
        public var fold: Fold
        /// The chosen trial (nil when no trial had a finite objective: the plan's first is run).
        public var chosen: Int?
        /// The trial run on the train window (the chosen one, or the plan's first): its number,
        /// params and in-sample figures.
        public var inSample: ResultsFile.Trial
        /// What the search was given: each symbol's bars (the train window and the warm-up before
        /// it) and the last bar time among them, always before the test window.
        public var trainBars: [Int]
        public var trainLastTime: Int64?
        /// The last bar time any trial's backtest read.
        public var trialsLastTime: Int64?

        public init(fold: Fold, chosen: Int?, inSample: ResultsFile.Trial, trainBars: [Int], trainLastTime: Int64?, trialsLastTime: Int64?) {
            (self.fold, self.chosen, self.inSample) = (fold, chosen, inSample)
            (self.trainBars, self.trainLastTime, self.trialsLastTime) = (trainBars, trainLastTime, trialsLastTime)
        }
    }

    /// What one fold chose and what its choice made on the test window.
    @dynamicMemberLookup
    public struct FoldResult: Sendable {
        public var choice: Choice
        /// The chosen trial's test-window backtest.
        public var outOfSample: BacktestResult

        public subscript<T>(dynamicMember path: KeyPath<Choice, T>) -> T { choice[keyPath: path] }
        public var params: [(String, ConstValue)] { choice.inSample.params }
    }

    public let schedule: Schedule
    public let folds: [FoldResult]
    public let objective: Objective
    public let capital: Double
    /// The test windows' equity curves one after another.
    public let equityCurve: [(time: Int64, equity: Double)]
    /// The metrics of that curve, and of the test windows' trades.
    public let metrics: Metrics

    /// The folds of `schedule` over data from `first` to `last` (bar times, epoch ms). A fold needs
    /// a test window that starts at or before `last`; the final one may be cut short.
    public static func folds(_ schedule: Schedule, first: Int64, last: Int64) throws(Failure) -> [Fold] {
        var folds: [Fold] = []
        for k in 0..<100_000 {
            let trainFrom = schedule.anchored ? first : schedule.step.advance(first, times: k)
            let trainUntil = schedule.anchored ? schedule.step.advance(schedule.train.advance(first), times: k) : schedule.train.advance(trainFrom)
            let testFrom = schedule.purge?.advance(trainUntil) ?? trainUntil
            guard testFrom <= last else { break }
            let testUntil = schedule.test.advance(testFrom)
            folds.append(Fold(number: k, train: trainFrom..<trainUntil, test: testFrom..<min(testUntil, last + 1), partial: testUntil > last + 1))
        }
        guard !folds.isEmpty else {
            throw Failure(description: "the data runs from \(TimestampParser.format(first)) to \(TimestampParser.format(last)): too short for one fold "
                + "of \(schedule.description); give shorter windows or more data")
        }
        return folds
    }

    /// The folds of `schedule` over the bars of `feeds` inside `bounds`.
    public static func folds(_ schedule: Schedule, feeds: [BarSeries], bounds: DateRange) throws(Failure) -> [Fold] {
        guard let first = feeds.compactMap({ $0.time.first(where: bounds.contains) }).min(),
              let last = feeds.compactMap({ $0.time.last(where: bounds.contains) }).max() else { throw Failure(description: "no bars in the range asked for") }
        return try folds(schedule, first: first, last: last)
    }

    /// Runs the walk-forward.
    /// - Parameters:
    ///   - strategy: the strategy whose declared spaces (as `plan` draws them) are searched.
    ///   - plan: the trials each fold's search runs.
    ///   - fixed: params held at a value.
    ///   - carry: positions open at a seam are taken into the next fold at the seam's close; without
    ///     it each test window starts flat with the equity the last one ended with.
    ///   - bounds: the period the folds cover (`--from`, `--to`); the bars before it still warm up.
    ///   - choices: folds already searched (by shards): their test windows run on what they chose.
    ///   - advanced: called as each trial (of every fold searched here) ends.
    public static func run(_ strategy: LoadedStrategy, plan: SearchPlan, fixed: [String: ConstValue], feeds: [BarSeries], capital: Double,
                           objective: Objective, schedule: Schedule, carry: Bool = false, bounds: DateRange = DateRange(), jobs: Int,
                           choices: [Choice] = [], advanced: (@Sendable () -> Void)? = nil) throws -> WalkForward {
        let sweep = try ParameterSweep(strategy, fixed: fixed, combinations: plan.trials.indices.map(plan.combination))
        let given = Dictionary(choices.map { ($0.fold.number, $0) }, uniquingKeysWith: { first, _ in first })
        var results: [FoldResult] = []
        var equity = capital
        var carried: [BacktestResult.OpenPosition] = []
        for fold in try folds(schedule, feeds: feeds, bounds: bounds) {
            var choice: Choice
            if let shard = given[fold.number] {
                guard shard.fold == fold, shard.inSample.number < plan.trials.count else {
                    throw Failure(description: "the choice given for fold \(fold.number) is not of this walk-forward's windows or plan")
                }
                choice = shard
                // The params as the plan draws them: a file holds them as text, the plan as the values they are.
                choice.inSample.params = plan.combination(shard.inSample.number)
            } else {
                choice = try search(fold, sweep: sweep, feeds: feeds, capital: capital, objective: objective, jobs: jobs, advanced: advanced)
            }
            let program = try sweep.program(choice.inSample.params)
            let outOfSample: BacktestResult
            do {
                outOfSample = try Backtest.run(program, feeds: feeds.map { $0.before(fold.test.upperBound) }, capital: equity, keepEquityCurve: true,
                                               range: DateRange(from: fold.test.lowerBound, until: fold.test.upperBound), carried: carried)
            } catch {
                throw Failure(description: "fold \(fold.number)'s test window \(TimestampParser.format(fold.test.lowerBound)) to "
                    + "\(TimestampParser.format(fold.test.upperBound - 1)): \(error)")
            }
            equity = outOfSample.finalEquity
            carried = carry ? outOfSample.openPositions : []
            results.append(FoldResult(choice: choice, outOfSample: outOfSample))
        }
        return WalkForward(schedule: schedule, folds: results, objective: objective, capital: capital)
    }

    /// The searches of the folds `only` keeps (a shard's), skipping the ones `done` holds; each
    /// choice is handed to `finished` as it is made (a shard writes its file). No test window runs:
    /// the test windows chain equity and positions from fold to fold, so they run when the shards
    /// are merged (`run(choices:)`).
    public static func choose(_ strategy: LoadedStrategy, plan: SearchPlan, fixed: [String: ConstValue], feeds: [BarSeries], capital: Double,
                              objective: Objective, schedule: Schedule, bounds: DateRange = DateRange(), jobs: Int, only: (Fold) -> Bool,
                              done: [Choice] = [], finished: (Choice) throws -> Void = { _ in },
                              advanced: (@Sendable () -> Void)? = nil) throws -> [Choice] {
        let sweep = try ParameterSweep(strategy, fixed: fixed, combinations: plan.trials.indices.map(plan.combination))
        let held = Dictionary(done.map { ($0.fold.number, $0) }, uniquingKeysWith: { first, _ in first })
        var choices: [Choice] = []
        for fold in try folds(schedule, feeds: feeds, bounds: bounds) where only(fold) {
            if var choice = held[fold.number], choice.fold == fold, choice.inSample.number < plan.trials.count {
                // The params as the plan draws them: a shard's file holds them as text.
                choice.inSample.params = plan.combination(choice.inSample.number)
                choices.append(choice)
                continue
            }
            let choice = try search(fold, sweep: sweep, feeds: feeds, capital: capital, objective: objective, jobs: jobs, advanced: advanced)
            choices.append(choice)
            try finished(choice)
        }
        return choices
    }

    /// One fold's search, on the bars before its train window's end.
    static func search(_ fold: Fold, sweep: ParameterSweep, feeds: [BarSeries], capital: Double, objective: Objective, jobs: Int,
                       advanced: (@Sendable () -> Void)?) throws -> Choice {
        // The search sees nothing at or after the train window's end: the bars are cut before it runs.
        let trainFeeds = feeds.map { $0.before(fold.train.upperBound) }
        let runs = try sweep.run(feeds: trainFeeds, capital: capital, jobs: jobs, range: DateRange(from: fold.train.lowerBound, until: fold.train.upperBound),
                                 advanced: advanced)
        let chosen = objective.best(of: runs.map { objective.value($0.result) })
        // The chosen trial's own train-window run is its in-sample record: nothing is run twice.
        let run = runs[chosen ?? 0]
        return Choice(fold: fold, chosen: chosen,
                      inSample: ResultsFile.Trial(number: chosen ?? 0, params: run.params, finalEquity: run.result.finalEquity, metrics: run.result.metrics),
                      trainBars: trainFeeds.map(\.count), trainLastTime: trainFeeds.compactMap(\.time.last).max(), trialsLastTime: runs.map(\.result.lastTime).max())
    }

    init(schedule: Schedule, folds: [FoldResult], objective: Objective, capital: Double) {
        (self.schedule, self.folds, self.objective, self.capital) = (schedule, folds, objective, capital)
        equityCurve = folds.flatMap(\.outOfSample.equityCurve)
        let tests = folds.map(\.outOfSample)
        let bars = Double(max(1, tests.map(\.bars).reduce(0, +)))
        func weighted(_ value: (BacktestResult) -> Double) -> Double { tests.map { value($0) * Double($0.bars) }.reduce(0, +) / bars }
        metrics = Metrics.of(curve: equityCurve, capital: capital, trades: tests.flatMap(\.trades), barSeconds: tests.first?.barSeconds,
                             annualization: nil, exposure: weighted(\.metrics.exposure), exposureTime: weighted(\.metrics.exposureTime),
                             buyAndHold: tests.reduce(1.0) { $0 * (1 + $1.metrics.buyAndHold) } - 1)
    }

    /// Walk-forward efficiency (Pardo): the out-of-sample record's annual return over the mean of
    /// the folds' in-sample annual returns. Near 1 the optimised edge carried over; near 0 or below
    /// it did not. NaN when the in-sample mean is not above 0.
    public var efficiency: Double {
        let inSample = folds.map(\.inSample.metrics.cagr).filter(\.isFinite)
        guard !inSample.isEmpty else { return .nan }
        let mean = inSample.reduce(0, +) / Double(inSample.count)
        return mean > 0 ? metrics.cagr / mean : .nan
    }

    /// The share of folds whose test window made money.
    public var profitableFolds: Double {
        folds.isEmpty ? 0 : Double(folds.filter { $0.outOfSample.finalEquity > $0.outOfSample.capital }.count) / Double(folds.count)
    }
}

extension BarSeries {
    /// The bars before `time`.
    func before(_ time: Int64) -> BarSeries {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if self.time[mid] < time { low = mid + 1 } else { high = mid }
        }
        if low == count { return self }
        var cut = BarSeries(symbol: symbol, signalNames: signalNames)
        cut.append(contentsOf: self, range: 0..<low)
        return cut
    }
}
