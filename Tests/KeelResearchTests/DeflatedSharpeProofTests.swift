import Foundation
import KeelTestSupport
import Testing

/// The proof the research loop exists for: the best of many trials on pure noise looks good in
/// sample and its deflated Sharpe ratio says it is luck; a rule with a real edge (a drift it
/// rides) keeps a deflated Sharpe ratio near 1 after the same search.
@Suite struct DeflatedSharpeProofTests {
    static let strategy = """
        keel: 1
        name: Trend
        description: Long while the close is above its moving average.
        symbols: [SYN]
        profile: degen
        params:
          n: {default: 20, range: [5, 120]}
        entry: {long: close > sma(close, n)}
        exit: {long: close < sma(close, n)}
        allocation: {size: percent_of_equity(100%)}
        execution: {fees: 0.01%, slippage: 1bps}
        """

    /// 3,000 daily bars of a random walk with this drift per bar (1% noise), from a seed.
    static func bars(drift: Double, seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        var close = 100.0
        var rows = ["timestamp,open,high,low,close,volume"]
        for day in 0..<3_000 {
            // Box-Muller from two uniforms: a normal draw.
            let (u, v) = (Double.random(in: Double.ulpOfOne..<1, using: &generator), Double.random(in: 0..<1, using: &generator))
            let step = drift + 0.01 * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
            let open = close
            close = (open * exp(step) * 100).rounded() / 100
            let time = TimeInterval(1_262_304_000 + day * 86_400)
            let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: time))
            rows.append("\(stamp),\(open),\(max(open, close) + 0.05),\(min(open, close) - 0.05),\(close),1000")
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static func deflated(drift: Double, seed: UInt64) throws -> (dsr: Double, psr: Double, bestSharpe: Double) {
        let folder = try KeelBinary.temporaryFolder(["trend.yaml": strategy, "SYN.csv": bars(drift: drift, seed: seed)])
        let run = try KeelBinary.run(["optimize", folder.appendingPathComponent("trend.yaml").path, "--data", folder.path, "--format", "json",
                                      "-o", folder.appendingPathComponent("r.db").path])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let statistics = try #require(object["statistics"] as? [String: Any])
        let best = try #require((object["best"] as? [String: Any])?["metrics"] as? [String: Any])
        return (try #require(statistics["deflated_sharpe"] as? Double), try #require(statistics["probabilistic_sharpe"] as? Double),
                try #require(best["sharpe"] as? Double))
    }

    @Test("noise: the best of 116 trials looks like an edge in sample, and the deflated Sharpe ratio says it is luck")
    func noise() throws {
        let found = try Self.deflated(drift: 0, seed: 17)
        print("noise: best Sharpe \(found.bestSharpe), probabilistic \(found.psr), deflated \(found.dsr)")
        #expect(found.bestSharpe > 0.3, "in sample, the best trial looks like an edge: \(found)")
        #expect(found.dsr < 0.95, "after 116 trials it is luck: \(found)")
        #expect(found.dsr < found.psr)
    }

    @Test("an edge: a drift the rule rides keeps a deflated Sharpe ratio near 1 after the same search")
    func edge() throws {
        let found = try Self.deflated(drift: 0.0012, seed: 17)
        print("edge: best Sharpe \(found.bestSharpe), probabilistic \(found.psr), deflated \(found.dsr)")
        #expect(found.dsr > 0.95, "\(found)")
    }

    /// `keel research` with the gates the proof needs: the deflated Sharpe ratio and an out-of-sample edge.
    static func research(drift: Double, seed: UInt64) throws -> (status: Int32, evidence: [String: Any]) {
        let gated = strategy + "\ngates: {deflated_sharpe: \">= 0.95\", oos_sharpe: \"> 0\"}\n"
        let folder = try KeelBinary.temporaryFolder(["trend.yaml": gated, "SYN.csv": bars(drift: drift, seed: seed)])
        let evidence = folder.appendingPathComponent("trend.evidence.json")
        let run = try KeelBinary.run(["research", folder.appendingPathComponent("trend.yaml").path, "--data", folder.path,
                                      "--train", "3y", "--test", "1y", "--runs", "200"])
        #expect(run.stderr.isEmpty || run.status != 0, "\(run.stderr)")
        print(run.stdout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: evidence)) as? [String: Any], "the evidence is written either way")
        return (run.status, object)
    }

    @Test("the gates: noise fails deflated_sharpe and keel research exits 1; the edge passes every gate")
    func gates() throws {
        let noise = try Self.research(drift: 0, seed: 17)
        #expect(noise.status == 1)
        #expect(noise.evidence["verdict"] as? String == "fail")
        let failed = (noise.evidence["gates"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }.compactMap { $0["figure"] as? String }
        #expect(failed.contains("deflated_sharpe"), "\(failed)")
        let edge = try Self.research(drift: 0.0012, seed: 17)
        #expect(edge.status == 0)
        #expect(edge.evidence["verdict"] as? String == "pass", "\(edge.evidence)")
        let manifest = try #require(edge.evidence["manifest"] as? [String: Any])
        #expect((manifest["strategy_sha256"] as? String)?.count == 64 && (manifest["data"] as? [Any])?.count == 1)
    }
}
