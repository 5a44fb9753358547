import Keel

/// The shards of one search joined: every file from the same search (its manifest equal but for
/// `shard`), every shard of it once, and together every trial of the plan exactly once.
public enum ShardMerge {
    /// The merged manifest (without `shard`) and every trial in order.
    /// - Throws: naming the file and what is wrong: another search, a shard twice, a trial outside
    ///   its shard or twice, missing shards or trials.
    public static func merge(_ files: [(path: String, results: ResultsFile)]) throws(ResultsFile.Failure)
        -> (manifest: [(String, String)], trials: [ResultsFile.Trial]) {
        func fail(_ text: String) -> ResultsFile.Failure { ResultsFile.Failure(description: text) }
        guard let first = files.first else { throw fail("give the shards' results files") }
        var shards: [Int: String] = [:]
        var count: Int?
        var owner: [Int: String] = [:]
        var trials: [ResultsFile.Trial] = []
        let common = first.results.manifest.filter { $0.0 != "shard" }
        for (path, results) in files {
            guard let text = results.value("shard") else { throw fail("\(path) is not a shard's results (no shard in its manifest): keel optimize --shard I/N makes them") }
            let parts = text.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2 else { throw fail("\(path): its shard '\(text)' does not read") }
            let (index, n) = (parts[0], parts[1])
            if let count, count != n { throw fail("\(path) is shard \(text), the others are of \(count) shards") }
            count = n
            let mine = results.manifest.filter { $0.0 != "shard" }
            // The settings first, the command (which says them all at once) last: the message names what differs.
            let pairs = zip(common, mine).sorted { ($0.0.0 == "command" ? 1 : 0) < ($1.0.0 == "command" ? 1 : 0) }
            for ((key, value), (otherKey, otherValue)) in pairs where key != otherKey || value != otherValue {
                throw fail("\(path) comes from another search than \(first.path): its \(otherKey) is '\(otherValue.suffix(100))', not '\(value.suffix(100))'")
            }
            guard mine.count == common.count else { throw fail("\(path) comes from another search than \(first.path): their manifests differ") }
            if let other = shards[index] { throw fail("shard \(text) is given twice: \(other) and \(path)") }
            shards[index] = path
            for trial in results.trials {
                guard trial.number % n == index else { throw fail("\(path) holds trial \(trial.number), which is not shard \(text)'s") }
                if let other = owner[trial.number] { throw fail("trial \(trial.number) is in both \(other) and \(path)") }
                owner[trial.number] = path
                trials.append(trial)
            }
        }
        let n = count ?? 1
        let total = Int(first.results.value("trials") ?? "") ?? 0
        let absent = (0..<n).filter { shards[$0] == nil }
        guard absent.isEmpty else {
            throw fail("missing shard\(absent.count == 1 ? "" : "s") \(absent.map { "\($0)/\(n)" }.joined(separator: ", ")) of the \(total) trials' search")
        }
        let missing = (0..<total).filter { owner[$0] == nil }
        guard missing.isEmpty else {
            let byShard = Dictionary(grouping: missing) { $0 % n }.sorted { $0.key < $1.key }.map { index, numbers in
                "shard \(index)/\(n) (\(shards[index]!)) lacks \(numbers.count) trial\(numbers.count == 1 ? "" : "s") (\(numbers.prefix(8).map(String.init).joined(separator: ", "))\(numbers.count > 8 ? ", ..." : ""))"
            }
            throw fail("the shards do not cover the search: \(byShard.joined(separator: "; ")); run the shard again to finish it (it resumes)")
        }
        if let beyond = trials.first(where: { $0.number >= total }) { throw fail("\(owner[beyond.number]!) holds trial \(beyond.number), beyond the search's \(total)") }
        return (common, trials.sorted { $0.number < $1.number })
    }
}
