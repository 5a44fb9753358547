import Foundation
import Keel

/// The probability of backtest overfitting (Bailey, Borwein, López de Prado and Zhu, 2015) by
/// combinatorially symmetric cross-validation: the trials' returns are cut into S blocks in time;
/// for every way of taking half the blocks as in-sample, the trial best in-sample is ranked among
/// all trials on the other half. PBO is the share of splits where that trial ranks at or below
/// the median out-of-sample (logit of its relative rank ω = rank / (N + 1) at most 0).
public enum Overfitting {
    /// One block of one trial's returns, as sums: the Sharpe ratio of any union of blocks follows from them.
    public struct Block: Sendable, Equatable {
        public var count = 0
        public var sum = 0.0
        public var squares = 0.0

        public init() {}

        mutating func add(_ other: Block) {
            count += other.count
            sum += other.sum
            squares += other.squares
        }

        /// Mean over sample standard deviation; 0 without variance (a trial that never traded).
        var sharpe: Double {
            guard count > 1 else { return 0 }
            let mean = sum / Double(count)
            let variance = (squares - sum * mean) / Double(count - 1)
            return variance > 0 ? mean / variance.squareRoot() : 0
        }
    }

    public struct Estimate: Sendable {
        public var probability: Double
        public var blocks: Int
        public var splits: Int
        /// The median logit over the splits: well above 0, the in-sample choice keeps its rank.
        public var medianLogit: Double
    }

    /// The blocks most CSCV runs use; C(16, 8) = 12,870 splits.
    public static let defaultBlocks = 16

    /// `returns` cut into `count` blocks of equal length, in time order; the first `returns.count % count`
    /// returns are left out so the blocks are equal (as the paper's reference code does).
    public static func blocks(_ returns: [Double], count: Int) -> [Block] {
        let size = returns.count / count
        let skip = returns.count % count
        return (0..<count).map { b in
            var block = Block()
            for r in returns[(skip + b * size)..<(skip + (b + 1) * size)] {
                block.count += 1
                block.sum += r
                block.squares += r * r
            }
            return block
        }
    }

    /// PBO of trials given as blocks (every trial the same even number of blocks); nil with fewer
    /// than 2 trials, fewer than 2 blocks, an odd count, or blocks too short for a Sharpe ratio.
    public static func estimate(_ trials: [[Block]]) -> Estimate? {
        guard trials.count >= 2, let s = trials.first?.count, s >= 2, s % 2 == 0, s <= 24,
              trials.allSatisfy({ $0.count == s }), trials[0].allSatisfy({ $0.count >= 2 }) else { return nil }
        let n = trials.count
        var logits: [Double] = []
        var inSample = [Double](repeating: 0, count: n)
        var outOfSample = [Double](repeating: 0, count: n)
        for mask in 0..<(1 << s) where mask.nonzeroBitCount == s / 2 {
            for t in 0..<n {
                var a = Block(), b = Block()
                for k in 0..<s {
                    if mask & (1 << k) != 0 { a.add(trials[t][k]) } else { b.add(trials[t][k]) }
                }
                (inSample[t], outOfSample[t]) = (a.sharpe, b.sharpe)
            }
            var best = 0
            for t in 1..<n where inSample[t] > inSample[best] { best = t }
            // Its out-of-sample rank among all, ties sharing the average rank.
            let value = outOfSample[best]
            var below = 0, equal = 0
            for x in outOfSample {
                if x < value { below += 1 } else if x == value { equal += 1 }
            }
            let rank = Double(below) + Double(equal + 1) / 2
            let omega = rank / Double(n + 1)
            logits.append(log(omega / (1 - omega)))
        }
        logits.sort()
        let middle = logits.count / 2
        let median = logits.count % 2 == 1 ? logits[middle] : (logits[middle - 1] + logits[middle]) / 2
        return Estimate(probability: Double(logits.filter { $0 <= 0 }.count) / Double(logits.count), blocks: s, splits: logits.count,
                        medianLogit: median)
    }
}
