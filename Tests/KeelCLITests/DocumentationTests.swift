import Foundation
import KeelTestSupport
import Testing

/// The README and docs/ are read on GitHub and in a checkout: every relative link must land, on a
/// file and, when it names one, on a heading; nothing may point outside the repository.
@Suite("documentation")
struct DocumentationTests {
    static let root = KeelBinary.root

    static var pages: [URL] {
        let docs = (try? FileManager.default.contentsOfDirectory(at: root.appendingPathComponent("docs"), includingPropertiesForKeys: nil)) ?? []
        return [root.appendingPathComponent("README.md"), root.appendingPathComponent("Examples/README.md")]
            + docs.filter { $0.pathExtension == "md" }.sorted { $0.path < $1.path }
    }

    /// `[text](target)` outside code spans and fences.
    static func links(in text: String) -> [String] {
        var links: [String] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle() }
            if fenced { continue }
            // Code spans hold examples, not links.
            let prose = line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined()
            var rest = Substring(prose)
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                links.append(String(after[..<close]))
                rest = after[close...]
            }
        }
        return links
    }

    /// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
    static func anchors(in text: String) -> Set<String> {
        var anchors = Set<String>()
        var fenced = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            anchors.insert(String(title.unicodeScalars.compactMap { scalar -> Character? in
                if scalar == " " { return "-" }
                if CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" { return Character(scalar) }
                return nil
            }))
        }
        return anchors
    }

    @Test("every relative link in README.md, Examples/README.md and docs/ resolves, anchors included")
    func linksResolve() throws {
        #expect(Self.pages.count > 10, "docs/ holds the manual")
        var broken: [String] = []
        for page in Self.pages {
            let text = try String(contentsOf: page, encoding: .utf8)
            for link in Self.links(in: text) where !link.contains("://") && !link.hasPrefix("mailto:") {
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let target = parts[0].isEmpty ? page : page.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
                guard target.path.hasPrefix(Self.root.standardizedFileURL.path) else {
                    broken.append("\(page.lastPathComponent): \(link) leads outside the repository")
                    continue
                }
                guard FileManager.default.fileExists(atPath: target.path) else {
                    broken.append("\(page.lastPathComponent): \(link) names no file")
                    continue
                }
                if parts.count == 2, !Self.anchors(in: try String(contentsOf: target, encoding: .utf8)).contains(parts[1]) {
                    broken.append("\(page.lastPathComponent): \(link) names no heading")
                }
            }
        }
        #expect(broken.isEmpty, "\(broken)")
    }

    @Test("the README stays a front page: at most 150 lines, and no page points at files beside the checkout")
    func frontPage() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 150)
        for page in Self.pages {
            let text = try String(contentsOf: page, encoding: .utf8)
            #expect(!text.contains("../shared") && !text.contains("DESIGN.md"), "\(page.lastPathComponent)")
        }
    }
}
