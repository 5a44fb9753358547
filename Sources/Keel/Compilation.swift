/// What `Keel.compile` found: every diagnostic, and the strategy ready to run when none is an error.
public struct Compilation: Sendable {
    /// The strategy's text and path, which diagnostics' ranges point into.
    public let file: SourceFile
    /// Lint, front end, checker and compiler findings, sorted by position.
    public let diagnostics: [Diagnostic]
    /// The linted, checked and compiled strategy; nil when a diagnostic is an error.
    public let strategy: LoadedStrategy?

    /// Whether any diagnostic is an error (then there is no strategy).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    init(_ file: SourceFile, params: [String: ConstValue], linter: Linter) {
        self.file = file
        let report = linter.lint(file)
        var diagnostics = report.diagnostics
        var strategy: LoadedStrategy?
        if report.count(.error) == 0, var checked = report.checked {
            if !params.isEmpty {
                let (overridden, problems) = Checker.check(checked.parsed, options: .init(paramOverrides: params))
                diagnostics += problems.filter { $0.severity == .error }
                checked = overridden
            }
            if !diagnostics.contains(where: { $0.severity == .error }) {
                let (program, problem) = Keel.compiled(checked)
                if let program { strategy = LoadedStrategy(file: file, checked: checked, program: program) }
                if let problem { diagnostics.append(problem) }
            }
        }
        self.diagnostics = diagnostics.sortedForDisplay()
        self.strategy = strategy
    }

    /// The diagnostics as `keel lint` prints them (text: `file:line:column: error[id]: message`
    /// with the source line and a caret).
    public func rendered(_ format: ReportFormat = .text) -> String {
        Reporter.render([Linter.Report(file: file, diagnostics: diagnostics)], format: format)
    }
}
