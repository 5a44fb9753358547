import Keel

/// The trials of a search over a strategy's declared spaces (`params: {fast: {default, range, step}}`):
/// every combination of their values (grid), or `count` draws (random). Trial k's params depend only
/// on the seed and k, so any subset of trials (a shard) draws the same values.
public struct SearchPlan: Sendable {
    public enum Method: String, Sendable, CaseIterable { case grid, random }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The searched params, in the file's order.
    public let names: [String]
    /// Each trial's values, in `names`' order.
    public let trials: [[ConstValue]]
    public let method: Method
    public let seed: UInt64

    /// The most trials a grid may hold.
    public static let maxTrials = 1_000_000

    /// - Parameters:
    ///   - strategy: a strategy whose params declare search spaces.
    ///   - method: grid (every combination) or random (`count` draws, seeded).
    ///   - count: the random trials (default 100); a grid takes every combination.
    ///   - seed: the random search's seed.
    ///   - fixed: params held at a value (`--set`): not searched.
    public init(_ strategy: LoadedStrategy, method: Method, count: Int? = nil, seed: UInt64 = 0, fixed: Set<String> = []) throws(Failure) {
        let spaces = strategy.checked.parsed.params.compactMap { decl in
            strategy.checked.paramSpaces[decl.name].flatMap { fixed.contains(decl.name) ? nil : (decl.name, $0) }
        }
        guard !spaces.isEmpty else {
            throw Failure(description: "\(strategy.path) declares no search space: give a param one, e.g. 'fast: {default: 10, range: [5, 50], step: 5}'")
        }
        (names, self.method, self.seed) = (spaces.map(\.0), method, seed)
        switch method {
        case .grid:
            var size = 1
            for (name, space) in spaces {
                guard case .values(let values) = space else {
                    throw Failure(description: "param '\(name)' ranges over fractions without a step: give it 'step:' for a grid, or use --method random")
                }
                size = size.multipliedReportingOverflow(by: values.count).partialValue
                guard size <= Self.maxTrials, size > 0 else {
                    throw Failure(description: "the grid holds more than \(Self.maxTrials) trials; take larger steps, or use --method random --trials N")
                }
            }
            trials = spaces.reduce([[]]) { partial, space in
                guard case .values(let values) = space.1 else { return partial }
                return partial.flatMap { prefix in values.map { prefix + [$0] } }
            }
        case .random:
            let draws = count ?? 100
            guard draws >= 1, draws <= Self.maxTrials else { throw Failure(description: "--trials is from 1 to \(Self.maxTrials)") }
            trials = (0..<draws).map { k in
                var generator = SplitMix64(seed: seed, stream: UInt64(k))
                return spaces.map { $0.1.draw(&generator) }
            }
        }
    }

    /// The trials shard `index` of `count` runs: those whose number is `index` mod `count`, in order.
    public func shard(_ index: Int, of count: Int) -> [Int] { trials.indices.filter { $0 % count == index } }

    /// Trial k's params as the sweep takes them.
    public func combination(_ k: Int) -> [(String, ConstValue)] { Array(zip(names, trials[k])) }
}

extension ResolvedSpace {
    /// A value drawn uniformly: one of the values, or a number in the interval.
    func draw(_ generator: inout SplitMix64) -> ConstValue {
        switch self {
        case .values(let values): values[Int(generator.next() % UInt64(values.count))]
        case .interval(let low, let high): .number(low + (high - low) * generator.unit())
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood): a small generator whose every (seed, stream) pair is its own
/// sequence, the same on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        state = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
