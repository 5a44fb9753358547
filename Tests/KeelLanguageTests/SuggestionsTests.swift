import KeelTestSupport
import Testing
@testable import KeelLanguage

/// "Did you mean": the bounded search suggests exactly what the full table over every candidate did.
@Suite("Suggestions")
struct SuggestionsTests {
    /// The unbounded search, as it was: every distance in full, over Characters.
    static func reference(_ word: String, _ candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = fullDistance(Array(lowered), Array(candidate.lowercased()))
            if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        if best.distance <= max(1, min(3, word.count / 3)) { return best.name }
        guard lowered.count >= 4 else { return nil }
        return candidates.filter { $0.lowercased().hasPrefix(lowered) }.min { $0.count < $1.count }
    }

    static func fullDistance(_ a: [Character], _ b: [Character]) -> Int {
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }

    @Test("typos, swaps, truncations and ties", arguments: [
        ("smaa", "sma"), ("crosses_abvoe", "crosses_above"), ("daily_loss", "daily_loss_limit"), ("RSI", "rsi"), ("xyzzy", nil),
        ("ab", "ab"), ("ac", "ab"),
    ] as [(String, String?)])
    func examples(_ word: String, _ expected: String?) {
        let candidates = BuiltinTable.all.map(\.name) + ["daily_loss_limit", "ab", "ad"]
        #expect(Suggestions.closest(to: word, in: candidates) == expected)
        #expect(Self.reference(word, candidates) == expected)
    }

    @Test("random words against the built-in names and random names, ASCII or not: the reference's answer every time")
    func agreesWithTheFullTable() {
        var rng = SeededGenerator(seed: 2026)
        let letters: [String] = ["a", "b", "c", "s", "m", "_", "A", "é", "e\u{301}", "ß", "İ", "\r\n", "日", "1"]
        func word(_ length: ClosedRange<Int>) -> String {
            (0..<Int.random(in: length, using: &rng)).map { _ in letters.randomElement(using: &rng)! }.joined()
        }
        let builtins = BuiltinTable.all.map(\.name)
        var suggested = 0
        for round in 0..<4_000 {
            let candidates = round.isMultiple(of: 2) ? builtins : (0..<Int.random(in: 0...12, using: &rng)).map { _ in word(0...9) }
            // Half the words are a candidate with a slip or two, so the search finds something.
            var text = candidates.randomElement(using: &rng).map(Array.init) ?? []
            for _ in 0..<Int.random(in: 0...3, using: &rng) where !text.isEmpty {
                text[Int.random(in: 0..<text.count, using: &rng)] = Character(letters.randomElement(using: &rng)!)
            }
            let typed = Bool.random(using: &rng) ? String(text) : word(0...12)
            let expected = Self.reference(typed, candidates)
            #expect(Suggestions.closest(to: typed, in: candidates) == expected, "\(typed.debugDescription) in \(candidates)")
            if expected != nil { suggested += 1 }
        }
        #expect(suggested > 1_000)
    }

    @Test("the distance itself: swaps cost one, a bound past which nil")
    func distance() {
        #expect(Suggestions.editDistance("sma", "sam") == 1)
        #expect(Suggestions.editDistance("", "abc") == 3)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.editDistance("e\u{301}", "é") == 0)
        #expect(Suggestions.editDistance(.init("kitten"), .init("sitting"), atMost: 2) == nil)
        #expect(Suggestions.editDistance(.init("kitten"), .init("sitting"), atMost: 3) == 3)
    }
}
