import Foundation
import KeelTestSupport
import Testing
@testable import KeelService

/// The OpenAPI document, checked by programs no one here wrote: openapi-spec-validator reads it,
/// schemathesis fuzzes the live server against it, and openapi-python-client makes a client from
/// it that runs a backtest and a paper run.
@Suite("keel serve: the OpenAPI document", .serialized)
struct OpenAPITests {
    typealias Server = ServiceTests.Server

    /// The served document, saved to a file.
    static func saved(_ server: Server) throws -> URL {
        let file = server.folder.appendingPathComponent("openapi.json")
        try server.send("GET", "/openapi.json").body.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("every operation has its shape: a schema for each body and each 2xx answer that has one, a component for each reference")
    func shapes() throws {
        let shapes = OpenAPI.shapes
        for op in OpenAPI.operations {
            let key = "\(op.method) \(op.path)"
            guard let shape = shapes[key] else {
                Issue.record("\(key) has no shape")
                continue
            }
            for (status, _) in op.responses where status.hasPrefix("2") && status != "204" && !shape.empty.contains(status) {
                #expect(shape.answers[status] != nil, "\(key) answers \(status) without saying what")
            }
        }
        #expect(Set(shapes.keys) == Set(OpenAPI.operations.map { "\($0.method) \($0.path)" }))
        let document = OpenAPI.document()
        let names = Set(OpenAPI.components.map(\.0))
        let references = document.components(separatedBy: "#/components/schemas/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!references.isEmpty && Set(references).isSubset(of: names), "\(Set(references).subtracting(names))")
        // Read off the types: a required field and an optional one of a body, an enum's cases, an answer's optional.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        let schemas = (parsed["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] ?? [:]
        let request = ((schemas["BacktestFull"]?["properties"] as? [String: Any])?["request"] as? [String: Any]) ?? [:]
        #expect(Set(request["required"] as? [String] ?? []) == ["strategy_id", "data"])
        #expect(((request["properties"] as? [String: Any])?["capital"] as? [String: Any])?["type"] as? String == "number")
        #expect((((schemas["Trade"]?["properties"] as? [String: Any])?["side"]) as? [String: Any])?["enum"] as? [String] == ["long", "short"])
        let run = schemas["Run"] ?? [:]
        #expect((run["required"] as? [String])?.contains("risk_profile") == true && (run["required"] as? [String])?.contains("broker_id") == false)
    }

    @Test("the document validates with openapi-spec-validator (OpenAPI 3.1)")
    func validates() throws {
        let server = try Server()
        defer { server.process.stop() }
        let checked = try OutsideTools.run(try OutsideTools.tool("openapi-spec-validator"), [try Self.saved(server).path])
        #expect(checked.status == 0 && checked.output.contains("OK"), "\(checked.output.suffix(3_000))")
    }

    @Test("schemathesis against the live server with the token, bounded: no 5xx, no answer that breaks the schema, no undocumented status")
    func schemathesis() throws {
        // Configured in full (a key for broker credentials), so a 5xx would be a fault, not a missing setting.
        let key = Data((0..<32).map { UInt8($0 * 3 % 256) }).base64EncodedString()
        let server = try Server(environment: ["KEEL_SECRET_KEY": key])
        defer { server.process.stop() }
        // Something to read: a strategy, a finished backtest, an ended paper run.
        let strategy = try server.create("S1")
        let (_, backtest) = try server.object("POST", "/v1/backtests", ServiceTests.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"]]))
        _ = try server.finished(backtest["id"] as? String ?? "")
        let run = try Self.pagedRun(server, strategy)
        #expect(!run.isEmpty)
        let checked = try OutsideTools.run(try OutsideTools.tool("schemathesis"), [
            "run", server.process.url + "/openapi.json", "-H", "Authorization: Bearer \(ServiceTests.token)",
            "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
            "--max-examples", "10", "--seed", "7", "--max-time", "90", "--phases", "examples,coverage,fuzzing", "--no-color",
        ], in: server.folder)
        #expect(checked.status == 0, "\(checked.output.suffix(6_000))")
        print(checked.output.split(separator: "\n").suffix(12).joined(separator: "\n"))
    }

    /// A paper run over ORCL's bars that has ended; its id.
    static func pagedRun(_ server: Server, _ strategy: String) throws -> String {
        try RunServiceTests.orclLines().joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let (_, run) = try server.object("POST", "/v1/runs", ServiceTests.body(["strategy_id": strategy, "stream": "ORCL.jsonl", "symbols": ["ORCL"],
                                                                                "bar_seconds": 86_400]))
        let id = run["id"] as? String ?? ""
        try RunServiceTests.until("the run to end") { try server.object("GET", "/v1/runs/\(id)").1["status"] as? String == "ended" }
        return id
    }

    @Test("a client generated by openapi-python-client runs a backtest and a paper run end to end, and reads what plain HTTP reads")
    func generatedClient() throws {
        let server = try Server()
        defer { server.process.stop() }
        try RunServiceTests.orclLines().joined(separator: "\n").write(to: server.folder.appendingPathComponent("data/ORCL.jsonl"), atomically: true, encoding: .utf8)
        let output = server.folder.appendingPathComponent("client")
        let generated = try OutsideTools.run(try OutsideTools.tool("openapi-python-client"),
                                     ["generate", "--path", try Self.saved(server).path, "--output-path", output.path, "--overwrite"])
        #expect(generated.status == 0, "\(generated.output.suffix(3_000))")
        let driven = try OutsideTools.run(try OutsideTools.python, [
            KeelBinary.root.appendingPathComponent("Tests/KeelServiceTests/Fixtures/generated_client.py").path, output.path, server.process.url,
            ServiceTests.token, ServiceTests.strategies.appendingPathComponent("S1.yaml").path,
        ])
        #expect(driven.status == 0, "\(driven.output.suffix(3_000))")
        let seen = (try? JSONSerialization.jsonObject(with: Data((driven.output.split(separator: "\n").last ?? "").utf8)) as? [String: Any]) ?? [:]
        let backtest = seen["backtest"] as? [String: Any] ?? [:]
        #expect(backtest["status"] as? String == "done" && (backtest["trades"] as? Int ?? 0) > 10, "\(seen)")
        let overHTTP = try server.object("GET", "/v1/backtests/\(backtest["id"] as? String ?? "")").1
        #expect(overHTTP["final_value"] as? Double == backtest["final_value"] as? Double && overHTTP["final_value"] != nil)
        let run = seen["run"] as? [String: Any] ?? [:]
        #expect(run["status"] as? String == "ended" && run["mode"] as? String == "paper")
        #expect((seen["run_trades"] as? Int ?? 0) > 10 && seen["run_trades"] as? Int == seen["run_trades_total"] as? Int)
        #expect(seen["run_final_equity"] is Double)
    }
}
