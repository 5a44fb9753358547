import KeelEngine
import KeelLanguage
import KeelLint

/// A strategy file made ready to run: linted, checked and compiled. A file with errors is refused
/// with every diagnostic, each at its `file:line:column`.
public struct LoadedStrategy: Sendable {
    public let path: String
    public let text: String
    public let checked: CheckedStrategy
    public let program: CompiledStrategy

    public init(path: String, text: String) throws(RunnerError) {
        let file = SourceFile(path: path, text: text)
        let report = Linter().lint(file)
        guard report.count(.error) == 0, let checked = Frontend.check(file).checked else {
            throw RunnerError.refused(Reporter.render([report], format: .text))
        }
        do { program = try Compiler.compile(checked) } catch {
            throw RunnerError.refused("\(path):\(file.location(ofOffset: error.range.start)): error: \(error.message)\n")
        }
        (self.path, self.text, self.checked) = (path, text, checked)
    }

    /// `file:line:column: ` of a place in the strategy, for errors found after loading.
    public func position(of range: SourceRange) -> String {
        "\(path):\(SourceFile(path: path, text: text).location(ofOffset: range.start)): "
    }

    /// FNV-1a of the text: a run resumes only with the very strategy it started with.
    public var hash: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The bar length: the strategy's `timeframe`, else the one given.
    public func barSeconds(given: Int?) -> Int? { checked.parsed.timeframe?.value.seconds ?? given }
}
