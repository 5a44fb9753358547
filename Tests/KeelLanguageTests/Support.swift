import Foundation
import KeelLanguage

/// The package root, for tests that read committed files (Strategies/, Grammar/).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func file(_ text: String, path: String = "test.yaml") -> SourceFile { SourceFile(path: path, text: text) }

func load(_ text: String, limits: YAMLLimits = .default) -> (YAMLNode?, [Diagnostic]) {
    var bag = DiagnosticBag()
    let node = YAMLLoader.load(file(text), limits: limits, diagnostics: &bag)
    return (node, bag.items)
}

func check(_ text: String) -> Frontend.Result { Frontend.check(file(text)) }

extension Frontend.Result {
    var ids: [String] { diagnostics.map(\.id) }
    var errorIDs: [String] { diagnostics.filter { $0.severity == .error }.map(\.id) }

    /// "line:column" of the first diagnostic with this id.
    func location(of id: String) -> String? {
        diagnostics.first { $0.id == id }.map { file.location(ofOffset: $0.range.start).description }
    }
}

/// A strategy around one entry rule, for expression-level checks.
func strategy(entry: String, extra: String = "", timeframe: String = "1h") -> String {
    """
    keel: 1
    name: Test
    symbols: [AAPL, SPY]
    timeframe: \(timeframe)
    profile: degen
    entry:
      long: \(entry)
    \(extra)
    """
}

/// SplitMix64: a small deterministic generator so property tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
