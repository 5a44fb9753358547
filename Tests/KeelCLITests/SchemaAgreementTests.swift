import Foundation
import KeelTestSupport
import Testing

/// `Grammar/keel-strategy.schema.json` checked by check-jsonschema (PyPI), as editors and CI
/// use it, against Keel's own verdict. Where a schema can express a rule, both must agree exactly
/// (the hand-made cases); on every committed strategy, a file Keel accepts the schema must accept.
@Suite("The JSON Schema agrees with Keel")
struct SchemaAgreementTests {
    static let schema = KeelBinary.root.appendingPathComponent("Grammar/keel-strategy.schema.json")
    static let base = "keel: 1\nname: S\ndescription: d\nprofile: degen\nentry:\n  long: close > sma(close, 10)\nexit:\n  long: close < sma(close, 10)\n"

    /// (the line that replaces its key in `base`, whether Keel and the schema accept it)
    static let cases: [(String, Bool)] = [
        ("time_stop: 40", true), ("time_stop: 40 bars", true), ("time_stop: 5d", true), ("time_stop: 0 bars", false),
        ("name: 123", true), ("keel: \"1\"", true), ("keel: 2", false), ("symbols: [1234]", true), ("symbols: [AAPL, MSFT]", true),
        ("risk: {session_start: \"9:30\"}", true), ("risk: {session_start: \"25:00\"}", false),
        ("execution: {fees: 0.1}", false), ("execution: {fees: 0.1 %}", false), ("execution: {fees: 0.1%}", true), ("execution: {fees: 10bps}", true),
        ("execution: {fees: -0.1%}", false), ("execution: {slippage: {ticks: 1, tick_size: 0.01}}", true), ("execution: {fill: open}", false),
        ("allocation: {lot: -5}", false), ("allocation: {lot: 10}", true), ("allocation: {rank: close, top: -1}", false),
        ("allocation: {rank: close, top: 2}", true), ("allocation: {max_positions: 0}", false), ("allocation: {max_positions: 3}", true),
        ("allocation: {size: all_in}", false), ("allocation: {size: percent_of_equity(20%), rank: roc(close, 5), top: 1}", true),
        ("timeframe: 0m", false), ("timeframe: 15m", true), ("risk: {max_leverage: -2}", false), ("risk: {max_leverage: 2}", true),
        ("risk: {max_drawdown: false}", false), ("risk: {max_drawdown: off}", true), ("risk: {max_drawdown: 10%}", true),
        ("risk: {cooldown: 5 bars}", true), ("risk: {cooldown: 5}", true), ("risk: {max_open_positions: 0}", false),
        ("risk: {allow_short: maybe}", false), ("profile: yolo", false), ("stop_loss: 5%", true), ("stop_loss: 0%", false),
        ("take_profit: [{at: 5%, close: 50%}, {at: 10%, close: 100%}]", true), ("entri: x", false),
        ("params: {n: {default: 10, range: [5, 50], step: 5}}", true), ("params: {n: {default: 5%, choices: [2%, 5%]}}", true),
        ("params: {n: {range: [5, 50]}}", false), ("params: {n: {default: 10, rnage: [5, 50]}}", false),
        ("params: {n: {default: 10, range: [5]}}", false), ("params: {n: {default: 10, range: [5, 50], choices: [5]}}", false),
    ]

    static func file(_ line: String) -> String {
        let key = line.prefix { $0 != ":" }
        var kept: [Substring] = []
        var skipping = false
        for row in base.split(separator: "\n") {
            if row.hasPrefix(key + ":") { skipping = true; continue }
            if skipping, row.hasPrefix("  ") { continue }
            skipping = false
            kept.append(row)
        }
        return (kept + [Substring(line)]).joined(separator: "\n") + "\n"
    }

    /// Per file: does check-jsonschema accept it? One process for all the files.
    static func schemaVerdicts(_ files: [URL]) throws -> [String: Bool] {
        let process = Process()
        process.executableURL = try OutsideTools.python
        process.arguments = ["-m", "check_jsonschema", "--output-format", "json", "--schemafile", schema.path] + files.map(\.path)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try Launch.run(process)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "check-jsonschema: \(String(decoding: data, as: UTF8.self))")
        let failed = Set(((report["errors"] as? [[String: Any]]) ?? []).compactMap { $0["filename"] as? String })
            .union(((report["parse_errors"] as? [[String: Any]]) ?? []).compactMap { $0["filename"] as? String })
        return Dictionary(uniqueKeysWithValues: files.map { ($0.path, !failed.contains($0.path)) })
    }

    /// Per file: does Keel accept it (no error of any kind)? One `keel lint` for all the files.
    static func keelVerdicts(_ files: [URL]) throws -> [String: Bool] {
        let run = try KeelBinary.run(["lint", "--format", "json"] + files.map(\.path))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require(report["diagnostics"] as? [[String: Any]])
        let failed = Set(diagnostics.filter { $0["severity"] as? String == "error" }.compactMap { $0["file"] as? String })
        return Dictionary(uniqueKeysWithValues: files.map { ($0.path, !failed.contains($0.path)) })
    }

    @Test("hand-made cases: the same verdict as Keel, case by case")
    func cases() throws {
        let folder = try KeelBinary.temporaryFolder()
        let files = try Self.cases.enumerated().map { index, item in
            let url = folder.appendingPathComponent("case\(index).yaml")
            try Self.file(item.0).write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        let schema = try Self.schemaVerdicts(files)
        let keel = try Self.keelVerdicts(files)
        for (url, item) in zip(files, Self.cases) {
            #expect(keel[url.path] == item.1, "Keel on \(item.0)")
            #expect(schema[url.path] == item.1, "the schema on \(item.0)")
        }
    }

    @Test("every committed strategy Keel accepts, the schema accepts (flow maps split at commas included)")
    func committed() throws {
        let root = KeelBinary.root
        var files: [URL] = []
        for folder in ["Strategies", "Tests/KeelEngineTests/Fixtures", "Tests/KeelTestSupport/Fixtures", "Tests/KeelLintTests/Golden"] {
            let base = root.appendingPathComponent(folder)
            let found = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") } ?? []
            files += found.sorted().map { base.appendingPathComponent($0) }
        }
        #expect(files.count > 60)
        // Only the files Keel accepts go to the schema (the alias bomb Keel refuses costs a YAML library minutes).
        let keel = try Self.keelVerdicts(files)
        let accepted = files.filter { keel[$0.path] == true }
        let schema = try Self.schemaVerdicts(accepted)
        for file in accepted {
            #expect(schema[file.path] == true, "Keel accepts \(file.lastPathComponent), the schema refuses it")
        }
        #expect(accepted.count > 20)
    }

    @Test("every key has a description and a markdownDescription; off is not false")
    func described() throws {
        let text = try String(contentsOf: Self.schema, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func walk(_ properties: [String: Any], _ path: String) {
            for (key, value) in properties {
                guard let node = value as? [String: Any] else { continue }
                #expect(node["description"] is String && node["markdownDescription"] is String, "\(path).\(key)")
                if let nested = node["properties"] as? [String: Any] { walk(nested, "\(path).\(key)") }
            }
        }
        walk(try #require(object["properties"] as? [String: Any]), "")
        #expect(!text.contains("\"enum\": [\n        \"off\",\n        false"))
    }
}
