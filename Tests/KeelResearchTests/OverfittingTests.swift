import Foundation
import KeelTestSupport
import Testing
@testable import KeelResearch

/// CSCV's probability of backtest overfitting, checked against pypbo's on committed cases
/// (Fixtures/pbo.json, made by Fixtures/pbo.py: noise, a graded skill, one real edge among noise).
@Suite struct OverfittingTests {
    struct Case: Decodable {
        let name: String
        let blocks: Int
        let returns: [[Double]]
        let pbo: Double
        let median_logit: Double
        let splits: Int
    }

    static func cases() throws -> [Case] {
        struct File: Decodable { let cases: [Case] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pbo.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    @Test("PBO, the median logit and the splits equal pypbo's on noise, skill and a mixed set")
    func againstPypbo() throws {
        let cases = try Self.cases()
        #expect(cases.map(\.name) == ["noise", "skill", "mixed"])
        for c in cases {
            let estimate = try #require(Overfitting.estimate(c.returns.map { Overfitting.blocks($0, count: c.blocks) }), "\(c.name)")
            #expect(estimate.splits == c.splits, "\(c.name)")
            #expect(estimate.probability == c.pbo, "\(c.name): \(estimate.probability) vs \(c.pbo)")
            #expect(abs(estimate.medianLogit - c.median_logit) < 1e-9, "\(c.name): \(estimate.medianLogit) vs \(c.median_logit)")
        }
    }

    @Test("noise overfits more often than not; a graded skill never does")
    func meaning() throws {
        let cases = try Self.cases()
        #expect(cases[0].pbo > 0.5)
        #expect(cases[1].pbo == 0)
    }

    @Test("no estimate where CSCV cannot be made: one trial, an odd block count, blocks of one return")
    func refusals() {
        let returns = (0..<64).map { Double($0 % 7) / 100 - 0.03 }
        #expect(Overfitting.estimate([Overfitting.blocks(returns, count: 16)]) == nil)
        #expect(Overfitting.estimate([Overfitting.blocks(returns, count: 15), Overfitting.blocks(returns, count: 15)]) == nil)
        #expect(Overfitting.estimate([Overfitting.blocks(returns, count: 64), Overfitting.blocks(returns, count: 64)]) == nil)
    }

    @Test("blocks leave out the first returns that do not fill a block, as the reference code does")
    func blocks() {
        let blocks = Overfitting.blocks([9, 1, 2, 3, 4], count: 2)
        #expect(blocks.map(\.count) == [2, 2])
        #expect(blocks.map(\.sum) == [3, 7])
        #expect(blocks.map(\.squares) == [5, 25])
    }
}
