import Foundation

/// Headless Chromium, driven over the DevTools protocol by `Browser/look.py` (Python's standard
/// library only): a page opened from disk as a person would open it. Chromium missing fails the
/// test that needs it with how to install it, never a silent skip.
package enum Browser {
    package struct Look {
        /// What the page's probe reported: window.keelReport and the DOM (see look.py's PROBE).
        package let probe: [String: Any]
        /// Console errors and warnings, uncaught exceptions and error log entries.
        package let console: [String]
        /// Every request the page made, and the ones that left the machine (not file:, data:, blob:).
        package let requests: [String]
        package let network: [String]
        /// What each `--action` script returned.
        package let actions: [String]
        /// The page printed to PDF, when asked: its size and pages.
        package let pdf: (bytes: Int, pages: Int)?

        package var ready: Bool { probe["ready"] as? Bool ?? false }
        package var renderMs: Double? { probe["renderMs"] as? Double }
        package var firstPaintMs: Double? { probe["firstPaintMs"] as? Double }
        package var errors: [String] { probe["errors"] as? [String] ?? [] }
        /// Per chart id: traces, SVG paths, whether it says it is empty.
        package var charts: [String: [String: Any]] { probe["charts"] as? [String: [String: Any]] ?? [:] }
        /// The statistics table: metric name, exact value, shown text.
        package var statistics: [(metric: String, value: String?, text: String)] {
            (probe["stats"] as? [[String: Any]] ?? []).map { ($0["metric"] as? String ?? "", $0["value"] as? String, $0["text"] as? String ?? "") }
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package static let script = KeelBinary.root.appendingPathComponent("Tests/KeelTestSupport/Browser/look.py")

    /// Opens `page`, waits until it says it is drawn (or `timeout`), runs `actions` in it, and
    /// writes a screenshot of its first `height` pixels (0: the whole page).
    package static func look(_ page: URL, screenshot: URL, height: Int = 0, timeout: Double = 60, actions: [String] = [], pdf: URL? = nil) throws -> Look {
        guard ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "no Chromium: apt-get install chromium (.ci/run installs it)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, page.path, screenshot.path, "--height", "\(height)", "--timeout", "\(timeout)"]
            + actions.flatMap { ["--action", $0] } + (pdf.map { ["--pdf", $0.path] } ?? [])
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try Launch.run(process)
        let text = out.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: text) as? [String: Any],
              let probe = object["probe"] as? [String: Any] else {
            throw Failure(description: "look.py failed (\(process.terminationStatus)): \(problems.suffix(2_000)) \(String(decoding: text, as: UTF8.self).prefix(500))")
        }
        return Look(probe: probe, console: object["console"] as? [String] ?? [],
                    requests: object["requests"] as? [String] ?? [], network: object["network"] as? [String] ?? [],
                    actions: (object["actions"] as? [Any] ?? []).map { "\($0)" },
                    pdf: (object["pdf"] as? [String: Any]).map { ($0["bytes"] as? Int ?? 0, $0["pages"] as? Int ?? 0) })
    }
}
