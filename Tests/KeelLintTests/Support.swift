import Foundation
import KeelLanguage
@testable import KeelLint

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func lint(_ text: String, path: String = "test.yaml", configuration: LintConfiguration = .init(),
          profile: ProfileName? = nil) -> Linter.Report {
    Linter(configuration: configuration, profileOverride: profile).lint(SourceFile(path: path, text: text))
}

extension Linter.Report {
    var ids: [String] { diagnostics.map(\.id) }
    func first(_ id: String) -> Diagnostic? { diagnostics.first { $0.id == id } }
}
