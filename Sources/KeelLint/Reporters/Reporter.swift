import KeelData
import KeelLanguage

/// How `keel lint` prints its findings.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, github
}

public enum Reporter {
    /// `root`: what SARIF's artifact URIs are relative to (the other formats print paths as given).
    public static func render(_ reports: [Linter.Report], format: ReportFormat, root: ArtifactRoot? = nil) -> String {
        switch format {
        case .text: TextReporter.render(reports)
        case .json: JSONReporter.render(reports)
        case .sarif: SARIFReporter.render(reports, root: root ?? ArtifactRoot(rootPath: nil, workingDirectory: "/"))
        case .github: GitHubReporter.render(reports)
        }
    }
}

/// A diagnostic located for printing: 1-based line and column of its start and end.
struct Placed {
    let file: SourceFile
    let diagnostic: Diagnostic
    let start: SourceLocation
    let end: SourceLocation

    init(_ diagnostic: Diagnostic, in file: SourceFile) {
        self.file = file
        self.diagnostic = diagnostic
        self.start = file.location(ofOffset: diagnostic.range.start)
        self.end = file.location(ofOffset: diagnostic.range.end)
    }
}

extension Array where Element == Linter.Report {
    func total(_ severity: Severity) -> Int { reduce(0) { $0 + $1.count(severity) } }

    var placed: [Placed] { flatMap { report in report.diagnostics.map { Placed($0, in: report.file) } } }
}

