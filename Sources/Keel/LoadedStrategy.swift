/// A strategy file made ready to run: linted, checked and compiled. Made by `Keel.compile`, or by
/// `init(path:text:)`, which refuses a file with errors with every diagnostic, each at its
/// `file:line:column`.
public struct LoadedStrategy: Sendable {
    /// The strategy's text and path.
    public let file: SourceFile
    /// The checked strategy: its parsed keys, the types and warm-ups of its expressions, its
    /// resolved settings (what lint rules read).
    public let checked: CheckedStrategy
    /// The program the engine runs.
    public let program: CompiledStrategy

    /// The file's path, as diagnostics name it.
    public var path: String { file.path }
    /// The file's text.
    public var text: String { file.text }

    init(file: SourceFile, checked: CheckedStrategy, program: CompiledStrategy) {
        (self.file, self.checked, self.program) = (file, checked, program)
    }

    /// A file with errors: its diagnostics, and the text `keel lint` prints for them.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        /// Every diagnostic, errors and the rest, sorted by position.
        public let diagnostics: [Diagnostic]
        /// The diagnostics as `keel lint` prints them, each with its line and a caret.
        public let description: String
    }

    /// Lints, checks and compiles `text` as `Keel.compile` does, with the default linter.
    /// - Throws: `Refusal` when a diagnostic is an error.
    public init(path: String, text: String) throws(Refusal) {
        let compilation = Keel.compile(text, path: path)
        guard let strategy = compilation.strategy else {
            throw Refusal(diagnostics: compilation.diagnostics, description: compilation.rendered())
        }
        self = strategy
    }

    /// `file:line:column: ` of a place in the strategy, for errors found after loading.
    public func position(of range: SourceRange) -> String {
        "\(path):\(file.location(ofOffset: range.start)): "
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
