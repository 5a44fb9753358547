/// The front half of Keel in one call: text to a checked strategy and every diagnostic on the way.
public enum Frontend {
    public struct Result: Sendable {
        public var file: SourceFile
        public var parsed: ParsedStrategy?
        public var checked: CheckedStrategy?
        /// Sorted by position.
        public var diagnostics: [Diagnostic]

        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    public static func check(_ file: SourceFile, reader: StrategyReader.Options = .init(),
                             checker: Checker.Options = .init()) -> Result {
        let (parsed, readProblems) = StrategyReader.read(file, options: reader)
        guard let parsed else {
            return Result(file: file, parsed: nil, checked: nil, diagnostics: readProblems.sortedForDisplay())
        }
        let (checked, checkProblems) = Checker.check(parsed, options: checker)
        return Result(file: file, parsed: parsed, checked: checked, diagnostics: (readProblems + checkProblems).sortedForDisplay())
    }
}
