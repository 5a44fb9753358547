import Foundation
import KeelTestSupport
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
