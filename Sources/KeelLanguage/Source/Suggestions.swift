/// "Did you mean" suggestions by edit distance.
public enum Suggestions {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        let allowed = max(1, min(3, word.count / 3))
        // Only a candidate within `allowed` edits is suggested by distance, so no distance past it
        // (or past the best so far) is worked out: a long unknown name is not compared in full with
        // every known one.
        let letters = Letters(lowered)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let limit = best?.distance ?? allowed
            guard let distance = editDistance(letters, Letters(candidate.lowercased()), atMost: limit) else { continue }
            if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) {
                best = (candidate, distance)
            }
        }
        if let best { return best.name }
        // A truncated name (`daily_loss` for `daily_loss_limit`) is a plausible slip too.
        guard lowered.count >= 4 else { return nil }
        return candidates.filter { $0.lowercased().hasPrefix(lowered) }.min { $0.count < $1.count }
    }

    /// Damerau-Levenshtein distance (optimal string alignment): a swap of two letters costs one.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        editDistance(Letters(a), Letters(b), atMost: .max)!
    }

    /// A word's letters: its bytes when it is ASCII (one byte, one Character), else its Characters.
    enum Letters {
        case ascii([UInt8])
        case characters([Character])

        init(_ text: String) {
            let bytes = Array(text.utf8)
            // "\r\n" is one Character in two ASCII bytes: only a byte count equal to the Character
            // count means each byte is a letter.
            self = bytes.allSatisfy { $0 < 0x80 } && bytes.count == text.count ? .ascii(bytes) : .characters(Array(text))
        }
    }

    /// The distance if it is at most `limit`, else nil.
    static func editDistance(_ a: Letters, _ b: Letters, atMost limit: Int) -> Int? {
        switch (a, b) {
        case let (.ascii(a), .ascii(b)): editDistance(a, b, atMost: limit)
        case let (.ascii(a), .characters(b)): editDistance(a.map { Character(Unicode.Scalar($0)) }, b, atMost: limit)
        case let (.characters(a), .ascii(b)): editDistance(a, b.map { Character(Unicode.Scalar($0)) }, atMost: limit)
        case let (.characters(a), .characters(b)): editDistance(a, b, atMost: limit)
        }
    }

    private static func editDistance<Letter: Equatable>(_ a: [Letter], _ b: [Letter], atMost limit: Int) -> Int? {
        // Each edit changes the length by at most one.
        guard abs(a.count - b.count) <= limit else { return nil }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowBest = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], previous2[j - 2] + 1)
                }
                rowBest = Swift.min(rowBest, current[j])
            }
            // A row's smallest cell never falls below the row's before it (a swap's cell is at least
            // the diagonal one it skips), and the distance is in the last row: past the limit, stop.
            if rowBest > limit { return nil }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }

    /// "; did you mean 'x'?" or an empty string.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
