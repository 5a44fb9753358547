import Foundation
import KeelTestSupport
import Testing
@testable import KeelResearch

/// The Probabilistic and Deflated Sharpe Ratios against an implementation no one here wrote:
/// skfolio's values, committed with the script that made them (Fixtures/sharpe.py, sharpe.json).
@Suite struct ResearchStatisticsTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            var series: String
            var sharpe: Double
            var skew: Double
            var kurtosis: Double
            var psr: [String: Double]
            var dsr: [String: Double]
        }
        struct ExpectedMax: Decodable {
            var trials: Int
            var std: Double
            var mean: Double
            var value: Double
        }
        struct Quantile: Decodable {
            var p: Double
            var value: Double
        }
        var source: String
        var series: [String: [Double]]
        var trials: [String: [Double]]
        var cases: [Case]
        var expected_max: [ExpectedMax]
        var quantiles: [Quantile]
    }

    static let fixture: Fixture = {
        let url = KeelBinary.root.appendingPathComponent("Tests/KeelResearchTests/Fixtures/sharpe.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

    @Test("the normal quantile equals scipy's to 1e-12, tails included")
    func quantiles() {
        for q in Self.fixture.quantiles {
            #expect(Self.close(SharpeStatistics.normalQuantile(q.p), q.value, 1e-12), "p \(q.p)")
        }
    }

    @Test("moments and the probabilistic Sharpe ratio equal skfolio's on normal, negatively skewed and fat-tailed returns")
    func probabilistic() throws {
        #expect(Self.fixture.source.hasPrefix("skfolio 1.12.2"))
        for c in Self.fixture.cases {
            let m = SharpeStatistics.Moments(try #require(Self.fixture.series[c.series]))
            #expect(Self.close(m.sharpe, c.sharpe, 1e-12) && Self.close(m.skew, c.skew, 1e-10) && Self.close(m.kurtosis, c.kurtosis, 1e-10), "\(c.series)")
            for (benchmark, expected) in c.psr {
                let value = SharpeStatistics.probabilisticSharpe(m, benchmark: Double(benchmark)!)
                #expect(Self.close(value, expected, 1e-9), "\(c.series) against \(benchmark): \(value) vs \(expected)")
            }
        }
    }

    @Test("the expected best Sharpe ratio of N trials, and the deflated Sharpe ratio, equal skfolio's")
    func deflated() throws {
        for e in Self.fixture.expected_max {
            let value = SharpeStatistics.expectedMaxSharpe(trials: e.trials, standardDeviation: e.std, mean: e.mean)
            #expect(Self.close(value, e.value, 1e-12), "N \(e.trials), sd \(e.std), mean \(e.mean): \(value) vs \(e.value)")
        }
        for c in Self.fixture.cases {
            let m = SharpeStatistics.Moments(try #require(Self.fixture.series[c.series]))
            for (name, expected) in c.dsr {
                let value = SharpeStatistics.deflatedSharpe(m, trialSharpes: try #require(Self.fixture.trials[name]))
                #expect(Self.close(value, expected, 1e-9), "\(c.series) with \(name) trials: \(value) vs \(expected)")
            }
        }
    }

    @Test("more trials deflate more: the same record passes after 3 trials and fails after 1,000")
    func moreTrialsDeflateMore() throws {
        let m = SharpeStatistics.Moments(try #require(Self.fixture.series["normal_drift"]))
        let three = SharpeStatistics.deflatedSharpe(m, trialSharpes: try #require(Self.fixture.trials["three"]))
        let thousand = SharpeStatistics.deflatedSharpe(m, trialSharpes: try #require(Self.fixture.trials["thousand"]))
        #expect(three > 0.95 && thousand < 0.5 && SharpeStatistics.probabilisticSharpe(m) > three)
    }
}
