import KeelLanguage

/// The front door's one message of its own: a strategy that checks, but that the compiler cannot
/// run yet (`Compiler.Unsupported`), reported as a diagnostic like every other problem.
extension DiagnosticMessage {
    static func engineUnsupported(_ reason: String) -> Self { .init("engine-unsupported", reason) }
}
