import KeelData
import KeelLanguage

/// SARIF 2.1.0, which GitHub code scanning shows inline on pull requests. Valid against the
/// official schema (a test checks it): every id a result can carry has a rule, artifact URIs are
/// relative to the repository root and percent-encoded, and each result has a fingerprint that
/// survives unrelated edits above it.
enum SARIFReporter {
    /// Where the documentation of each diagnostic lives (`docs/diagnostics.md` in the repository).
    static let documentation = "https://github.com/keel-runtime/keel/blob/main/docs/diagnostics.md"

    static func render(_ reports: [Linter.Report], root: ArtifactRoot) -> String {
        var occurrences: [String: Int] = [:]
        let results: [JSON.Value] = reports.placed.map { place in
            let uri = root.uri(of: place.file.path)
            let line = place.file.lineText(place.start.line).trimmingCharacters(in: .whitespaces)
            let key = fingerprint("\(place.diagnostic.id)\u{0}\(uri)\u{0}\(line)")
            occurrences[key, default: 0] += 1
            return .object([
                ("ruleId", .string(place.diagnostic.id)), ("level", .string(place.diagnostic.severity.rawValue)),
                ("message", .object([("text", .string(place.diagnostic.message))])),
                ("locations", .array([.object([("physicalLocation", .object([
                    // A file outside the root has an absolute URI, which SARIF forbids a base for (3.4.4).
                    ("artifactLocation", root.base == nil || uri.hasPrefix("file://") ? .object([("uri", .string(uri))])
                        : .object([("uri", .string(uri)), ("uriBaseId", .string("%SRCROOT%"))])),
                    ("region", region(place)),
                ]))])])),
                ("partialFingerprints", .object([("primaryLocationLineHash", .string("\(key):\(occurrences[key]!)"))])),
            ])
        }
        var run: [(String, JSON.Value)] = [
            ("tool", .object([("driver", .object([
                ("name", .string("keel")), ("version", .string(KeelVersion.current)),
                ("informationUri", .string("https://github.com/keel-runtime/keel")), ("rules", .array(rules)),
            ]))])),
        ]
        if let base = root.base { run.append(("originalUriBaseIds", .object([("%SRCROOT%", .object([("uri", .string(base))]))]))) }
        run += [("columnKind", .string("unicodeCodePoints")), ("results", .array(results))]
        return JSON.encode(.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")), ("version", .string("2.1.0")),
            ("runs", .array([.object(run)])),
        ])) + "\n"
    }

    /// A rule for every id a result can carry: the lint rules, then the front end's and the checker's.
    static var rules: [JSON.Value] {
        let lint = RuleRegistry.all.map { rule in
            let d = rule.description
            return descriptor(d.id, name: d.name, short: d.name, full: d.rationale, help: d.rationale, level: d.severity)
        }
        let language = DiagnosticCatalogue.entries.map { entry in
            descriptor(entry.id, name: entry.id, short: entry.summary, full: "\(entry.summary) \(entry.help)", help: entry.help,
                       level: entry.severity)
        }
        return lint + language
    }

    private static func descriptor(_ id: String, name: String, short: String, full: String, help: String, level: Severity) -> JSON.Value {
        .object([
            ("id", .string(id)), ("name", .string(name)),
            ("shortDescription", .object([("text", .string(short))])),
            ("fullDescription", .object([("text", .string(full))])),
            ("help", .object([("text", .string(help)), ("markdown", .string("\(help)\n\nSee [\(id)](\(documentation)#\(id)).")) ])),
            ("helpUri", .string("\(documentation)#\(id)")),
            ("defaultConfiguration", .object([("level", .string(level.rawValue))])),
        ])
    }

    /// SARIF counts columns in code points (`columnKind`), not in the characters the other formats use.
    static func region(_ place: Placed) -> JSON.Value {
        let range = place.diagnostic.range
        let startColumn = place.file.scalarColumn(ofOffset: range.start)
        let endColumn = place.file.scalarColumn(ofOffset: range.end)
        return .object([
            ("startLine", .int(place.start.line)), ("startColumn", .int(startColumn)),
            ("endLine", .int(place.end.line)),
            ("endColumn", .int(place.end.line == place.start.line ? max(endColumn, startColumn + 1) : endColumn)),
        ])
    }

    /// FNV-1a, 64 bits, in hex: stable across runs and machines (Swift's `Hasher` is seeded per process).
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Where SARIF artifact URIs are relative to: the repository root (`--sarif-root`, else the nearest
/// folder above the current one with a `.git`), as an absolute `file://` URI ending in `/`.
public struct ArtifactRoot: Sendable {
    /// The root as an absolute path ending in "/", or nil: then every URI is absolute.
    let rootPath: String?
    /// The folder relative paths on the command line are relative to.
    let workingDirectory: String

    public init(rootPath: String?, workingDirectory: String) {
        self.rootPath = rootPath.map { path in
            let normalized = Self.normalize(path)
            return normalized.hasSuffix("/") ? normalized : normalized + "/"
        }
        self.workingDirectory = workingDirectory
    }

    var base: String? { rootPath.map { "file://" + Self.encode($0) } }

    /// The file's URI: relative to the root when inside it, else an absolute `file://` URI.
    func uri(of path: String) -> String {
        let absolute = Self.normalize(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
        if let rootPath, absolute.hasPrefix(rootPath) { return Self.encode(String(absolute.dropFirst(rootPath.count))) }
        return "file://" + Self.encode(absolute)
    }

    /// Removes `.` and `..` segments and doubled slashes.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Percent-encodes a path for a URI (RFC 3986): unreserved characters and "/" stay, every
    /// other byte of the UTF-8 becomes %XX (a space, "%", ",", ":", "é").
    static func encode(_ path: String) -> String {
        var result = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
