import Keel

/// The shards of one search joined: every file from the same search (its manifest equal but for
/// `shard`), every shard of it once, and together every unit of the plan (a trial of
/// `keel optimize`, a fold of `keel walkforward`) exactly once.
public enum ShardMerge {
    /// One shard's file as the join reads it.
    public struct Part: Sendable {
        public var path: String
        public var manifest: [(String, String)]
        /// The trials (or folds) it holds.
        public var numbers: [Int]

        public init(path: String, manifest: [(String, String)], numbers: [Int]) { (self.path, self.manifest, self.numbers) = (path, manifest, numbers) }
    }

    /// What the units are called and where the plan's count of them is.
    public struct Units: Sendable {
        public var name: String
        /// The manifest key holding how many the plan has.
        public var countKey: String
        /// The command that makes the shards, for a file that is not one.
        public var maker: String

        public static let trials = Units(name: "trial", countKey: "trials", maker: "keel optimize --shard I/N")
        public static let folds = Units(name: "fold", countKey: "folds", maker: "keel walkforward --shard I/N -o FILE")
    }

    /// The merged manifest (without `shard`) and every trial in order.
    public static func merge(_ files: [(path: String, results: ResultsFile)]) throws(ResultsFile.Failure)
        -> (manifest: [(String, String)], trials: [ResultsFile.Trial]) {
        let manifest = try join(files.map { Part(path: $0.path, manifest: $0.results.manifest, numbers: $0.results.trials.map(\.number)) }, units: .trials)
        return (manifest, files.flatMap(\.results.trials).sorted { $0.number < $1.number })
    }

    /// Checks that the parts are the shards of one search and cover its plan exactly once.
    /// - Returns: the manifest they share, without `shard`.
    /// - Throws: naming the file and what is wrong: another search, a shard twice, a unit outside
    ///   its shard or twice, missing shards or units.
    public static func join(_ parts: [Part], units: Units) throws(ResultsFile.Failure) -> [(String, String)] {
        func fail(_ text: String) -> ResultsFile.Failure { ResultsFile.Failure(description: text) }
        func value(_ manifest: [(String, String)], _ key: String) -> String? { manifest.first { $0.0 == key }?.1 }
        let unit = units.name
        guard let first = parts.first else { throw fail("give the shards' files") }
        var shards: [Int: String] = [:]
        var count: Int?
        var owner: [Int: String] = [:]
        let common = first.manifest.filter { $0.0 != "shard" }
        for part in parts {
            let path = part.path
            guard let text = value(part.manifest, "shard") else { throw fail("\(path) is not a shard's file (no shard in its manifest): \(units.maker) makes them") }
            let numbers = text.split(separator: "/").compactMap { Int($0) }
            guard numbers.count == 2 else { throw fail("\(path): its shard '\(text)' does not read") }
            let (index, n) = (numbers[0], numbers[1])
            if let count, count != n { throw fail("\(path) is shard \(text), the others are of \(count) shards") }
            count = n
            let mine = part.manifest.filter { $0.0 != "shard" }
            // The settings first, the command (which says them all at once) last: the message names what differs.
            let pairs = zip(common, mine).sorted { ($0.0.0 == "command" ? 1 : 0) < ($1.0.0 == "command" ? 1 : 0) }
            for ((key, value), (otherKey, otherValue)) in pairs where key != otherKey || value != otherValue {
                throw fail("\(path) comes from another search than \(first.path): its \(otherKey) is '\(otherValue.suffix(100))', not '\(value.suffix(100))'")
            }
            guard mine.count == common.count else { throw fail("\(path) comes from another search than \(first.path): their manifests differ") }
            if let other = shards[index] { throw fail("shard \(text) is given twice: \(other) and \(path)") }
            shards[index] = path
            for number in part.numbers {
                guard number % n == index else { throw fail("\(path) holds \(unit) \(number), which is not shard \(text)'s") }
                if let other = owner[number] { throw fail("\(unit) \(number) is in both \(other) and \(path)") }
                owner[number] = path
            }
        }
        let n = count ?? 1
        let total = Int(value(first.manifest, units.countKey) ?? "") ?? 0
        let absent = (0..<n).filter { shards[$0] == nil }
        guard absent.isEmpty else {
            throw fail("missing shard\(absent.count == 1 ? "" : "s") \(absent.map { "\($0)/\(n)" }.joined(separator: ", ")) of the \(total) \(unit)s' search")
        }
        let missing = (0..<total).filter { owner[$0] == nil }
        guard missing.isEmpty else {
            let byShard = Dictionary(grouping: missing) { $0 % n }.sorted { $0.key < $1.key }.map { index, numbers in
                "shard \(index)/\(n) (\(shards[index]!)) lacks \(numbers.count) \(unit)\(numbers.count == 1 ? "" : "s") "
                    + "(\(numbers.prefix(8).map(String.init).joined(separator: ", "))\(numbers.count > 8 ? ", ..." : ""))"
            }
            throw fail("the shards do not cover the search: \(byShard.joined(separator: "; ")); run the shard again to finish it (it resumes)")
        }
        if let beyond = owner.keys.filter({ $0 >= total }).min() { throw fail("\(owner[beyond]!) holds \(unit) \(beyond), beyond the search's \(total)") }
        return common
    }
}
