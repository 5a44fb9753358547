import Foundation

/// The outside tools the tests drive, from the virtualenv `.ci/tools.sh` makes (`.build/tools`), or
/// `KEEL_TOOLS_PYTHON`. Missing tools fail the test that needs them with how to install them:
/// never a silent skip.
package enum OutsideTools {
    package struct Missing: Error, CustomStringConvertible {
        package let description: String
    }

    package static var python: URL {
        get throws {
            let candidates = [ProcessInfo.processInfo.environment["KEEL_TOOLS_PYTHON"].map(URL.init(fileURLWithPath:)),
                              KeelBinary.root.appendingPathComponent(".build/tools/bin/python3")].compactMap { $0 }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw Missing(description: "the outside tools are not installed: run .ci/tools.sh (a virtualenv at .build/tools)")
            }
            return found
        }
    }

    /// A tool of the same virtualenv, beside its python (`openapi-spec-validator`, `schemathesis`).
    package static func tool(_ name: String) throws -> URL { try python.deletingLastPathComponent().appendingPathComponent(name) }

    /// Runs a tool to its end: its exit status and its output and errors together.
    package static func run(_ executable: URL, _ arguments: [String], in folder: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try Launch.run(process)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// Validates `document` (JSON text) against the JSON Schema at `schema` with the `jsonschema`
    /// package, every format checked. Returns the errors, one line each; empty when valid.
    package static func validate(_ document: String, schema: URL) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-doc-\(UUID().uuidString).json")
        try document.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        cls = jsonschema.validators.validator_for(schema)
        v = cls(schema, format_checker=jsonschema.FormatChecker())
        for e in v.iter_errors(json.load(open(sys.argv[2]))):
            print(e.message[:300], "at", "/".join(str(p) for p in e.absolute_path))
        """
        let process = Process()
        process.executableURL = try python
        process.arguments = ["-c", script, schema.path, file.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try Launch.run(process)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problems = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Missing(description: "jsonschema failed: \(problems)") }
        return text.split(separator: "\n").map(String.init)
    }
}
