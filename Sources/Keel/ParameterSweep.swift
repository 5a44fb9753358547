import Dispatch
import Foundation

/// A parameter sweep: every combination of some params' values, one backtest each, run on every
/// core. The bars are read once and shared; each combination is checked and compiled once.
public struct ParameterSweep: Sendable {
    /// Values given for a param, in order: `fast=5,10,20`.
    public typealias Axis = (name: String, values: [ConstValue])

    /// One combination's backtest.
    public struct Run: Sendable {
        /// The swept params' values, in the axes' order.
        public let params: [(String, ConstValue)]
        /// The backtest with those values.
        public let result: BacktestResult

        /// A run read back from elsewhere (a sweep's JSON, for its report).
        public init(params: [(String, ConstValue)], result: BacktestResult) { (self.params, self.result) = (params, result) }
    }

    /// A sweep that cannot run: a param the strategy does not have, a value it refuses, an empty axis.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What is wrong, and what to write instead.
        public let description: String
        /// A failure that says `description`.
        public init(_ description: String) { self.description = description }
    }

    /// The strategy as parsed; each combination is checked and compiled from it.
    public let strategy: ParsedStrategy
    /// Params fixed for every run (`--set`).
    public let fixed: [String: ConstValue]
    /// The swept params, each with its values; every combination runs once. Empty when the
    /// combinations were given one by one (a search's trials).
    public let axes: [Axis]
    /// Every run's params, in the order the runs are listed: for axes, the last name varies fastest.
    public let combinations: [[(String, ConstValue)]]

    /// Refuses a name that is not one of the strategy's params (see `requireParams`).
    public init(_ strategy: LoadedStrategy, fixed: [String: ConstValue] = [:], axes: [Axis]) throws(Failure) {
        try Self.requireParams(Array(fixed.keys) + axes.map(\.name), in: strategy)
        (self.strategy, self.fixed, self.axes) = (strategy.checked.parsed, fixed, axes)
        combinations = axes.reduce([[]]) { partial, axis in
            partial.flatMap { prefix in axis.values.map { prefix + [(axis.name, $0)] } }
        }
    }

    /// Runs given one by one (a search's trials, `keel optimize`), each once, in this order.
    /// - Parameters:
    ///   - strategy: the strategy whose params the combinations set.
    ///   - fixed: params fixed for every run (`--set`).
    ///   - combinations: each run's params.
    public init(_ strategy: LoadedStrategy, fixed: [String: ConstValue] = [:], combinations: [[(String, ConstValue)]]) throws(Failure) {
        try Self.requireParams(Array(fixed.keys) + Set(combinations.flatMap { $0.map(\.0) }).sorted(), in: strategy)
        (self.strategy, self.fixed, axes, self.combinations) = (strategy.checked.parsed, fixed, [], combinations)
    }

    /// Throws for the first name that is not one of the strategy's params, naming the nearest one.
    public static func requireParams(_ names: [String], in strategy: LoadedStrategy) throws(Failure) {
        let params = strategy.checked.parsed.params.map(\.name)
        for name in names where !params.contains(name) {
            throw Failure("no param '\(name)' in \(strategy.path)\(Suggestions.didYouMean(name, in: params))")
        }
    }

    /// Parses `name=value`, or `name=v1,v2,...` when `list`; values are literals of the language (10, 2.5, 5%, true).
    public static func parse(_ items: [String], list: Bool) throws(Failure) -> [Axis] {
        var axes: [Axis] = []
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw Failure("expected NAME=VALUE\(list ? "[,VALUE...]" : ""), not '\(item)'") }
            let texts = list ? parts[1].split(separator: ",").map(String.init) : [parts[1]]
            var values: [ConstValue] = []
            for text in texts { values.append(try literal(text)) }
            axes.append((parts[0], values))
        }
        return axes
    }

    /// `--set NAME=VALUE` items as the params they hold fixed; a name given twice keeps the last.
    public static func fixed(_ items: [String]) throws(Failure) -> [String: ConstValue] {
        Dictionary(try parse(items, list: false).map { ($0.name, $0.values[0]) }, uniquingKeysWith: { $1 })
    }

    static func literal(_ text: String) throws(Failure) -> ConstValue {
        let tokens = Lexer.tokenize(text.trimmingCharacters(in: .whitespaces))
        guard tokens.count == 2 else { throw Failure("'\(text)' is not a single value") }
        switch tokens[0].kind {
        case .number(let v): return .number(v)
        case .percent(let v): return .number(v / 100)
        case .bps(let v): return .number(v / 10_000)
        case .keyword(.true): return .bool(true)
        case .keyword(.false): return .bool(false)
        default: throw Failure("'\(text)' is not a number, a percent or true/false")
        }
    }

    /// The program of one combination: the strategy checked and compiled with its values (and `fixed`).
    public func program(_ combination: [(String, ConstValue)]) throws(Failure) -> CompiledStrategy {
        var overrides = fixed
        for (name, value) in combination { overrides[name] = value }
        let (checked, problems) = Checker.check(strategy, options: .init(paramOverrides: overrides))
        if let error = problems.first(where: { $0.severity == .error }) { throw Failure(error.message) }
        do { return try Compiler.compile(checked) } catch { throw Failure(error.message) }
    }

    /// Runs every combination over `feeds`, `jobs` at once; `advanced` is called as each run ends.
    /// - Throws: `Failure` when a combination does not check or a run fails; `Backtest.Refusal`
    ///   when the bars do not fit the strategy's `timeframe:` (judged once, before any run).
    /// A bounded `range` trades only its bars, each run warmed up on its own warm-up before it.
    /// `each`, when given, receives each run's result with its equity curve (by combination index)
    /// as the run ends, on the run's thread; the results returned keep no curve, so memory holds one
    /// curve per job.
    public func run(feeds: [BarSeries], capital: Double, jobs: Int, range: DateRange = DateRange(),
                    each: (@Sendable (_ index: Int, _ result: BacktestResult) -> Void)? = nil,
                    advanced: (@Sendable () -> Void)? = nil) throws -> [Run] {
        let combos = combinations
        var programs: [CompiledStrategy] = []
        for combo in combos { programs.append(try program(combo)) }
        if let timeframe = strategy.timeframe, let declared = timeframe.value.seconds {
            _ = try TimeframePlan.apply(feeds.map(MemoryBarSource.init), timeframeSeconds: declared, declaredAt: timeframe.range)
        }
        if let empty = feeds.first(where: { !$0.time.contains(where: range.contains) }) {
            throw Backtest.Refusal(description: "\(empty.symbol): no bars in the range asked for")
        }
        let results = Slots<BacktestResult>(count: combos.count)
        let queue = DispatchQueue(label: "keel.sweep", attributes: .concurrent)
        let group = DispatchGroup()
        let semaphore = DispatchSemaphore(value: max(1, jobs))
        for (index, program) in programs.enumerated() {
            semaphore.wait()
            queue.async(group: group) {
                // Every run reads the one copy of the bars: the engine reaches them through pointers,
                // touching no reference count per bar. (A copy per run, 48 MB a trial at 1M bars, cost a
                // quarter of a 100-trial search on two cores, measured 2026-12-07.)
                if var result = try? Backtest.run(program, feeds: feeds, capital: capital, keepEquityCurve: each != nil, keepTrades: false, range: range) {
                    if let each {
                        each(index, result)
                        result.equityCurve = []
                    }
                    results.set(index, result)
                }
                advanced?()
                semaphore.signal()
            }
        }
        group.wait()
        return try zip(combos, results.values).map { params, result in
            guard let result else { throw Failure("the run with \(params.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")) failed") }
            return Run(params: params, result: result)
        }
    }
}

/// Values written by concurrent workers, each into its own slot.
package final class Slots<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    package init(count: Int) { slots = Array(repeating: nil, count: count) }

    package func set(_ index: Int, _ value: Value) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    package var values: [Value?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
