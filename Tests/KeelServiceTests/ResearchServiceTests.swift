import Foundation
import KeelTestSupport
import Testing

/// `/v1/optimizations`, `/v1/walkforwards` and a strategy's research evidence, on a real
/// `keel serve` over loopback: the jobs run asynchronously and answer what the CLI prints.
@Suite("keel serve: research", .serialized)
struct ResearchServiceTests {
    typealias Server = ServiceTests.Server
    static let body = ServiceTests.body

    static let source = """
        keel: 1
        name: ORCL trend
        symbols: [ORCL]
        params:
          fast: {default: 10, range: [10, 30], step: 10}
          slow: {default: 50, range: [50, 150], step: 50}
        entry: {long: crosses_above(sma(close, fast), sma(close, slow))}
        exit: {long: crosses_below(sma(close, fast), sma(close, slow))}
        stop_loss: 10%
        execution: {fees: 0.05%, slippage: 2bps}
        gates: {min_trades: 5, pbo: "<= 100%"}
        """

    /// Polls a job until it leaves `running` (at most 120 s).
    static func finished(_ server: Server, _ path: String) throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let (_, body) = try server.object("GET", path)
            if body["status"] as? String != "running" { return body }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return [:]
    }

    static func cli(_ arguments: [String], folder: URL) throws -> [String: Any] {
        let run = try KeelBinary.run(arguments + [folder.appendingPathComponent("s.yaml").path, "--data", "ORCL=" + ServiceTests.data.appendingPathComponent("ORCL.csv").path,
                                                  "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    @Test("an optimization and a walk-forward run asynchronously and answer what keel optimize and keel walkforward print")
    func jobs() throws {
        let server = try Server()
        defer { server.process.stop() }
        let folder = try KeelBinary.temporaryFolder(["s.yaml": Self.source])
        let (created, strategy) = try server.object("POST", "/v1/strategies", Self.body(["source": Self.source]))
        #expect(created == 201)
        let id = strategy["id"] as? String ?? ""

        let (accepted, job) = try server.object("POST", "/v1/optimizations", Self.body(["strategy_id": id, "data": ["ORCL": "ORCL.csv"], "seed": 3]))
        #expect(accepted == 202 && job["status"] as? String == "running" && (job["id"] as? String)?.hasPrefix("op_") == true, "\(job)")
        let done = try Self.finished(server, "/v1/optimizations/\(job["id"] as? String ?? "")")
        #expect(done["status"] as? String == "done", "\(done)")
        let result = try #require(done["result"] as? [String: Any])
        #expect((result["every_trial"] as? [Any])?.count == 9)
        let local = try Self.cli(["optimize", "-o", folder.appendingPathComponent("r.db").path], folder: folder)
        let (best, localBest) = (result["best"] as? [String: Any], local["best"] as? [String: Any])
        #expect(best?["trial"] as? Int == localBest?["trial"] as? Int)
        #expect(best?["final_equity"] as? Double == localBest?["final_equity"] as? Double)
        let statistics = result["statistics"] as? [String: Any]
        #expect(statistics?["deflated_sharpe"] as? Double == (local["statistics"] as? [String: Any])?["deflated_sharpe"] as? Double)
        #expect(statistics?["pbo"] is Double)
        let list = try RunServiceTests.list(server, "/v1/optimizations")
        #expect(list.count == 1 && list[0]["result"] == nil)

        let walk = Self.body(["strategy_id": id, "data": ["ORCL": "ORCL.csv"], "train": "5y", "test": "2y"])
        let (walkAccepted, walkJob) = try server.object("POST", "/v1/walkforwards", walk)
        #expect(walkAccepted == 202)
        let walked = try Self.finished(server, "/v1/walkforwards/\(walkJob["id"] as? String ?? "")")
        #expect(walked["status"] as? String == "done", "\(walked)")
        let folds = try #require((walked["result"] as? [String: Any])?["folds"] as? [[String: Any]])
        let localFolds = try #require(try Self.cli(["walkforward", "--train", "5y", "--test", "2y"], folder: folder)["folds"] as? [[String: Any]])
        #expect(folds.count == localFolds.count && folds.count >= 7)
        for (a, b) in zip(folds, localFolds) {
            #expect(a["params"] as? [String: Double] == b["params"] as? [String: Double])
            #expect((a["out_of_sample"] as? [String: Any])?["final_equity"] as? Double == (b["out_of_sample"] as? [String: Any])?["final_equity"] as? Double)
        }
    }

    @Test("refusals name the field: objective, method, windows, an optimization given windows, a strategy that is not there")
    func refusals() throws {
        let server = try Server()
        defer { server.process.stop() }
        let (_, strategy) = try server.object("POST", "/v1/strategies", Self.body(["source": Self.source]))
        let id = strategy["id"] as? String ?? ""
        let data = ["ORCL": "ORCL.csv"]
        for (path, fields, status, code) in [
            ("/v1/optimizations", ["objective": "sharp"], 422, "invalid_objective"),
            ("/v1/optimizations", ["method": "anneal"], 422, "invalid_method"),
            ("/v1/optimizations", ["trials": 10], 422, "invalid_trials"),
            ("/v1/optimizations", ["train": "2y"], 422, "invalid_field"),
            ("/v1/optimizations", ["set": ["fest": "5"]], 422, "invalid_search"),
            ("/v1/walkforwards", ["train": "2 years", "test": "6m"], 422, "invalid_window"),
            ("/v1/walkforwards", ["train": "2y", "test": "6m", "purge": "x"], 422, "invalid_window"),
        ] as [(String, [String: Any], Int, String)] {
            var body: [String: Any] = ["strategy_id": id, "data": data]
            for (key, value) in fields { body[key] = value }
            let (answered, error) = try server.object("POST", path, Self.body(body))
            #expect(answered == status && error["code"] as? String == code, "\(fields): \(error)")
        }
        let (missing, _) = try server.object("POST", "/v1/walkforwards", Self.body(["strategy_id": "st_nope", "data": data, "train": "2y", "test": "6m"]))
        #expect(missing == 404)
    }

    @Test("a strategy with gates goes live only on passing evidence of its current text: missing and stale are 409, naming why")
    func evidence() throws {
        let server = try Server()
        defer { server.process.stop() }
        let (_, strategy) = try server.object("POST", "/v1/strategies", Self.body(["source": Self.source]))
        let id = strategy["id"] as? String ?? ""
        let (refused, why) = try server.object("PUT", "/v1/strategies/\(id)/mode", Self.body(["mode": "live"]))
        #expect(refused == 409 && why["code"] as? String == "evidence_refused", "\(why)")
        #expect((why["message"] as? String)?.contains("declares gates and has no research evidence") == true)
        let (noEvidence, _) = try server.send("GET", "/v1/strategies/\(id)/evidence")
        #expect(noEvidence == 404)
        let (bad, badAnswer) = try server.object("PUT", "/v1/strategies/\(id)/evidence", "{\"not\": 1}")
        #expect(bad == 422 && badAnswer["code"] as? String == "invalid_evidence")

        // The evidence as a user makes it: keel research on the strategy's own text.
        let folder = try KeelBinary.temporaryFolder(["s.yaml": Self.source])
        let research = try KeelBinary.run(["research", folder.appendingPathComponent("s.yaml").path, "--data",
                                           "ORCL=" + ServiceTests.data.appendingPathComponent("ORCL.csv").path, "--train", "5y", "--test", "2y", "--runs", "100"])
        #expect(research.status == 0, "\(research.stdout)\(research.stderr)")
        let file = try String(contentsOf: folder.appendingPathComponent("s.evidence.json"), encoding: .utf8)
        let (stored, admitted) = try server.object("PUT", "/v1/strategies/\(id)/evidence", file)
        #expect(stored == 200 && admitted["admitted"] as? Bool == true, "\(admitted)")
        let (live, _) = try server.object("PUT", "/v1/strategies/\(id)/mode", Self.body(["mode": "live"]))
        #expect(live == 200)
        #expect(try server.send("GET", "/v1/strategies/\(id)/evidence").body == file)

        // A new version is another text: the evidence is stale for it.
        _ = try server.object("PUT", "/v1/strategies/\(id)/mode", Self.body(["mode": "paper"]))
        let (updated, _) = try server.object("PUT", "/v1/strategies/\(id)", Self.body(["source": Self.source.replacingOccurrences(of: "10%", with: "12%")]))
        #expect(updated == 200)
        let (stale, staleWhy) = try server.object("PUT", "/v1/strategies/\(id)/mode", Self.body(["mode": "live"]))
        #expect(stale == 409 && (staleWhy["message"] as? String)?.contains("is stale") == true, "\(staleWhy)")
    }
}
