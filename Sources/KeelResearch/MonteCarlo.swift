import Dispatch
import Foundation
import Keel

/// Monte Carlo of a backtest: many runs that could have happened instead, each drawn from the
/// seed and its own number alone, so a run is the same however many are asked for.
public struct MonteCarlo: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        /// The closed trades in a shuffled order: each trade's return on the equity it met, compounded
        /// in the new order. The final equity cannot change; the drawdowns on the way can.
        case trades
        /// A stationary block bootstrap (Politis and Romano, 1994) of the per-bar returns: blocks
        /// of random length (geometric, mean `blockLength`) from random starts, wrapping around.
        case bootstrap
        /// The backtest run again with its fees, slippage and fill timing drawn from ranges.
        case costs
    }

    /// One simulated run.
    public struct Outcome: Sendable, Equatable {
        public var finalEquity: Double
        public var maxDrawdown: Double
        /// Annualised; NaN where the method cannot change it (the trades' order).
        public var sharpe: Double

        public init(finalEquity: Double, maxDrawdown: Double, sharpe: Double) {
            (self.finalEquity, self.maxDrawdown, self.sharpe) = (finalEquity, maxDrawdown, sharpe)
        }
    }

    public let method: Method
    public let seed: UInt64
    public let capital: Double
    /// The backtest itself, measured as the simulations are.
    public let original: Outcome
    public let outcomes: [Outcome]
    /// The drawdown that counts as ruin, and the share of runs that reached it.
    public let ruinDrawdown: Double
    public var ruinProbability: Double {
        outcomes.isEmpty ? .nan : Double(outcomes.filter { $0.maxDrawdown >= ruinDrawdown }.count) / Double(outcomes.count)
    }

    public init(method: Method, seed: UInt64, capital: Double, original: Outcome, outcomes: [Outcome], ruinDrawdown: Double) {
        (self.method, self.seed, self.capital, self.original, self.outcomes, self.ruinDrawdown) = (method, seed, capital, original, outcomes, ruinDrawdown)
    }

    /// The 5th, 50th and 95th percentiles of a figure over the runs (linear between ranks, as numpy's default).
    public func percentiles(_ figure: KeyPath<Outcome, Double>) -> [Double] {
        let values = outcomes.map { $0[keyPath: figure] }.filter(\.isFinite).sorted()
        return [0.05, 0.5, 0.95].map { Self.percentile(values, $0) }
    }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = q * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = min(sorted.count - 1, low + 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    // MARK: Trades

    /// Each trade's return on the equity before it, in the order the trades closed.
    public static func tradeReturns(_ trades: [Trade], capital: Double) -> [Double] {
        var equity = capital
        return trades.sorted { ($0.exitTime, $0.entryTime) < ($1.exitTime, $1.entryTime) }.map { trade in
            defer { equity += trade.pnl }
            return trade.pnl / equity
        }
    }

    /// `runs` shuffles of the trades' returns (Fisher-Yates, run k from stream k of `seed`).
    public static func shuffledTrades(_ returns: [Double], capital: Double, runs: Int, seed: UInt64, ruin: Double) -> MonteCarlo {
        let original = path(returns, capital: capital, annualization: nil)
        let outcomes = (0..<runs).map { k -> Outcome in
            var generator = SplitMix64(seed: seed, stream: UInt64(k))
            var order = returns
            if order.count > 1 {
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
                }
            }
            return path(order, capital: capital, annualization: nil)
        }
        return MonteCarlo(method: .trades, seed: seed, capital: capital, original: original, outcomes: outcomes, ruinDrawdown: ruin)
    }

    // MARK: Bootstrap

    /// Per-step returns of an equity curve, the first against the capital (as the metrics read them).
    public static func curveReturns(_ curve: [(time: Int64, equity: Double)], capital: Double) -> [Double] {
        var previous = capital
        return curve.map { point in
            defer { previous = point.equity }
            return point.equity / previous - 1
        }
    }

    /// The stationary bootstrap's default mean block: the cube root of the returns' count.
    public static func defaultBlock(_ count: Int) -> Int { max(1, Int(pow(Double(count), 1.0 / 3).rounded())) }

    /// `runs` resamples of `returns`, each as long as the original.
    public static func bootstrap(_ returns: [Double], capital: Double, blockLength: Int, annualization: Double, runs: Int, seed: UInt64,
                                 ruin: Double) -> MonteCarlo {
        let original = path(returns, capital: capital, annualization: annualization)
        let n = returns.count
        let restart = 1 / Double(max(1, blockLength))
        let outcomes = (0..<runs).map { k -> Outcome in
            var generator = SplitMix64(seed: seed, stream: UInt64(k))
            var sample = [Double]()
            sample.reserveCapacity(n)
            var at = n == 0 ? 0 : Int(generator.next() % UInt64(n))
            while sample.count < n {
                sample.append(returns[at])
                // A new block starts with probability 1/L, so blocks are geometric with mean L.
                at = generator.unit() < restart ? Int(generator.next() % UInt64(n)) : (at + 1) % n
            }
            return path(sample, capital: capital, annualization: annualization)
        }
        return MonteCarlo(method: .bootstrap, seed: seed, capital: capital, original: original, outcomes: outcomes, ruinDrawdown: ruin)
    }

    /// Final equity, deepest drawdown and (with `annualization`) the Sharpe ratio of returns compounded from `capital`.
    static func path(_ returns: [Double], capital: Double, annualization: Double?) -> Outcome {
        var equity = capital, peak = capital, deepest = 0.0
        var mean = 0.0, squares = 0.0
        for (k, r) in returns.enumerated() {
            equity *= 1 + r
            peak = max(peak, equity)
            if peak > 0 { deepest = max(deepest, 1 - equity / peak) }
            let delta = r - mean
            mean += delta / Double(k + 1)
            squares += delta * (r - mean)
        }
        var sharpe = Double.nan
        if let annualization, returns.count > 1 {
            let deviation = (squares / Double(returns.count - 1)).squareRoot()
            sharpe = deviation > 0 ? mean / deviation * annualization.squareRoot() : 0
        }
        return Outcome(finalEquity: equity, maxDrawdown: deepest, sharpe: sharpe)
    }

    // MARK: Costs

    /// A range a cost is drawn from: absolute (`0.05%..0.2%`) or a multiple of the strategy's own (`1x..3x`).
    public struct CostRange: Sendable, Equatable, CustomStringConvertible {
        public var low: Double
        public var high: Double
        public var multiple: Bool

        public init(low: Double, high: Double, multiple: Bool) { (self.low, self.high, self.multiple) = (low, high, multiple) }

        /// Reads `LOW..HIGH`, both ending in `x` (multiples), or both percents or basis points; nil otherwise.
        public init?(_ text: String) {
            let parts = text.components(separatedBy: "..")
            guard parts.count == 2 else { return nil }
            func value(_ part: String) -> (Double, Bool)? {
                if part.hasSuffix("x"), let n = Double(part.dropLast()) { return (n, true) }
                if part.hasSuffix("bps"), let n = Double(part.dropLast(3)) { return (n / 10_000, false) }
                if part.hasSuffix("%"), let n = Double(part.dropLast()) { return (n / 100, false) }
                return nil
            }
            guard let a = value(parts[0]), let b = value(parts[1]), a.1 == b.1, a.0 >= 0, b.0 >= a.0, b.0.isFinite else { return nil }
            (low, high, multiple) = (a.0, b.0, a.1)
        }

        public func draw(_ own: Double, _ generator: inout SplitMix64) -> Double {
            let x = low + (high - low) * generator.unit()
            return multiple ? own * x : x
        }

        public var description: String {
            multiple ? "\(low)x..\(high)x" : "\(ResultFormat.format(low * 100, 4))%..\(ResultFormat.format(high * 100, 4))%"
        }
    }

    /// What the costs method draws for each run.
    public struct CostDraws: Sendable {
        public var fees: CostRange
        public var slippage: CostRange
        /// Fill timings drawn from, uniformly; the strategy's own when empty.
        public var fills: [FillTiming]

        public init(fees: CostRange, slippage: CostRange, fills: [FillTiming]) { (self.fees, self.slippage, self.fills) = (fees, slippage, fills) }

        /// The strategy checked with run k's draw.
        public func perturb(_ checked: CheckedStrategy, generator: inout SplitMix64) -> CheckedStrategy {
            var c = checked
            c.costs.feeFraction = fees.draw(checked.costs.feeFraction, &generator)
            c.costs.slippageFraction = slippage.draw(checked.costs.slippageFraction, &generator)
            if !fills.isEmpty { c.fill = fills[Int(generator.next() % UInt64(fills.count))] }
            return c
        }
    }

    /// `runs` backtests of `strategy` with costs drawn by `draws`, `jobs` at once.
    public static func costs(_ strategy: LoadedStrategy, original: BacktestResult, feeds: [BarSeries], draws: CostDraws, runs: Int, seed: UInt64,
                             jobs: Int, ruin: Double, advanced: (@Sendable () -> Void)? = nil) throws -> MonteCarlo {
        var programs: [CompiledStrategy] = []
        for k in 0..<runs {
            var generator = SplitMix64(seed: seed, stream: UInt64(k))
            programs.append(try Compiler.compile(draws.perturb(strategy.checked, generator: &generator)))
        }
        let slots = Slots<Outcome>(count: runs)
        let (capital, range, annualization) = (original.capital, original.range, original.metrics.annualization)
        let failure = Slots<String>(count: 1)
        let compiled = programs
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, runs))) { worker in
            for k in stride(from: worker, to: runs, by: max(1, min(jobs, runs))) {
                do {
                    let result = try Backtest.run(compiled[k], feeds: feeds, capital: capital, keepTrades: false,
                                                  annualization: annualization, range: range)
                    slots.set(k, Outcome(finalEquity: result.finalEquity, maxDrawdown: result.metrics.maxDrawdown, sharpe: result.metrics.sharpe))
                } catch { failure.set(0, "run \(k): \(error)") }
                advanced?()
            }
        }
        if let message = failure.values[0] { throw SearchPlan.Failure(description: message) }
        return MonteCarlo(method: .costs, seed: seed, capital: capital,
                          original: Outcome(finalEquity: original.finalEquity, maxDrawdown: original.metrics.maxDrawdown, sharpe: original.metrics.sharpe),
                          outcomes: slots.values.map { $0! }, ruinDrawdown: ruin)
    }
}
