import Dispatch
import Foundation
import KeelData
import KeelEngine
import KeelLanguage

/// Parameter sweeps: every combination of `--sweep` values, one engine each, run on every core.
/// The bars are read once and shared; each combination is checked and compiled once.
struct Sweep {
    struct Run: Sendable {
        let params: [(String, ConstValue)]
        let result: BacktestResult
    }

    /// Parses `name=value` or `name=v1,v2,...`; values are literals of the language (10, 2.5, 5%, true).
    static func parse(_ items: [String], list: Bool) throws -> [(String, [ConstValue])] {
        try items.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw SweepError("expected NAME=VALUE\(list ? "[,VALUE...]" : ""), not '\(item)'") }
            let texts = list ? parts[1].split(separator: ",").map(String.init) : [parts[1]]
            return (parts[0], try texts.map(literal))
        }
    }

    static func literal(_ text: String) throws -> ConstValue {
        let tokens = Lexer.tokenize(text.trimmingCharacters(in: .whitespaces))
        guard tokens.count == 2 else { throw SweepError("'\(text)' is not a single value") }
        switch tokens[0].kind {
        case .number(let v): return .number(v)
        case .percent(let v): return .number(v / 100)
        case .bps(let v): return .number(v / 10_000)
        case .keyword(.true): return .bool(true)
        case .keyword(.false): return .bool(false)
        default: throw SweepError("'\(text)' is not a number, a percent or true/false")
        }
    }

    /// Every combination, in the order the values were given (the last name varies fastest).
    static func combinations(_ axes: [(String, [ConstValue])]) -> [[(String, ConstValue)]] {
        axes.reduce([[]]) { partial, axis in
            partial.flatMap { prefix in axis.1.map { prefix + [(axis.0, $0)] } }
        }
    }

    static func run(_ parsed: ParsedStrategy, fixed: [String: ConstValue], axes: [(String, [ConstValue])], feeds: [BarSeries],
                    capital: Double, jobs: Int, progress: Progress?) throws -> [Run] {
        let combos = combinations(axes)
        var programs: [CompiledStrategy] = []
        for combo in combos {
            var overrides = fixed
            for (name, value) in combo { overrides[name] = value }
            let (checked, problems) = Checker.check(parsed, options: .init(paramOverrides: overrides))
            if let error = problems.first(where: { $0.severity == .error }) { throw SweepError(error.message) }
            programs.append(try Compiler.compile(checked))
        }
        // The bars' size against the strategy's timeframe is the same for every combination: refused once, before any run.
        if let timeframe = parsed.timeframe, let declared = timeframe.value.seconds {
            _ = try TimeframePlan.apply(feeds.map(MemoryBarSource.init), timeframeSeconds: declared, declaredAt: timeframe.range)
        }
        let results = ResultSlots(count: combos.count)
        let queue = DispatchQueue(label: "keel.sweep", attributes: .concurrent)
        let group = DispatchGroup()
        let semaphore = DispatchSemaphore(value: max(1, jobs))
        for (index, program) in programs.enumerated() {
            semaphore.wait()
            queue.async(group: group) {
                // Each run reads its own copy of the bars: shared buffers would bounce their reference
                // counts between cores on every access.
                let own = feeds.map { $0.uniqueCopy() }
                if let result = try? KeelEngine.Backtest.run(program, feeds: own, capital: capital, keepTrades: false) { results.set(index, result) }
                progress?.advance()
                semaphore.signal()
            }
        }
        group.wait()
        return try zip(combos, results.values).map { params, result in
            guard let result else { throw SweepError("the run with \(params.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")) failed") }
            return Run(params: params, result: result)
        }
    }
}

struct SweepError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Results written by concurrent runs, each into its own slot.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [BacktestResult?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: BacktestResult) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    var values: [BacktestResult?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}

/// A progress bar on a terminal (standard error); silent when standard error is not a terminal.
final class Progress: @unchecked Sendable {
    private let total: Int
    private var done = 0
    private let lock = NSLock()
    private let enabled: Bool
    private let percent: Bool

    /// `percent`: show done/total as a percentage rather than a count.
    init(total: Int, percent: Bool = false) {
        self.total = total
        self.percent = percent
        enabled = isatty(STDERR_FILENO) != 0 && total > 1
        draw()
    }

    func advance() {
        lock.lock()
        done += 1
        draw()
        lock.unlock()
    }

    /// Sets the count done; redraws only when the bar would change.
    func set(_ value: Int) {
        lock.lock()
        defer { lock.unlock() }
        let before = total == 0 ? 0 : 30 * done / total
        done = min(total, value)
        if before != (total == 0 ? 0 : 30 * done / total) { draw() }
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func draw() {
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let label = percent ? "\(total == 0 ? 100 : 100 * done / total)%" : "\(done)/\(total)"
        FileHandle.standardError.write(Data("\r[\(bar)] \(label)".utf8))
    }
}
