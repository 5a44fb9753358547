import Foundation
import Keel
import KeelTestSupport
import Testing
@testable import KeelResearch

/// Monte Carlo: what each method may and may not change, seeds, percentiles and ruin.
@Suite struct MonteCarloTests {
    static func backtest(fees: String = "0.1%") throws -> (LoadedStrategy, [BarSeries], BacktestResult) {
        let text = WalkForwardTests.text.replacingOccurrences(of: "fees: 0.05%", with: "fees: \(fees)")
        let strategy = try LoadedStrategy(path: "cross.yaml", text: text)
        let feeds = WalkForwardTests.feeds(days: 700)
        let result = try Backtest.run(strategy.program, feeds: feeds, capital: 100_000, keepEquityCurve: true)
        return (strategy, feeds, result)
    }

    @Test("a trade reshuffle keeps the final equity and moves the drawdowns; run k is the same however many runs")
    func trades() throws {
        let (_, _, result) = try Self.backtest()
        #expect(result.trades.count > 20)
        let returns = MonteCarlo.tradeReturns(result.trades, capital: result.capital)
        let closed = result.capital + result.trades.map(\.pnl).reduce(0, +)
        let m = MonteCarlo.shuffledTrades(returns, capital: result.capital, runs: 500, seed: 3, ruin: 0.1)
        #expect(abs(m.original.finalEquity - closed) < 1e-6 * closed, "the trades compound to the closed-trade equity")
        #expect(m.outcomes.allSatisfy { abs($0.finalEquity - m.original.finalEquity) < 1e-6 * closed })
        let drawdowns = m.percentiles(\.maxDrawdown)
        #expect(drawdowns[0] < drawdowns[1] && drawdowns[1] < drawdowns[2])
        let fewer = MonteCarlo.shuffledTrades(returns, capital: result.capital, runs: 50, seed: 3, ruin: 0.1)
        #expect(m.outcomes.prefix(50).map(\.maxDrawdown) == fewer.outcomes.map(\.maxDrawdown))
        #expect(MonteCarlo.shuffledTrades(returns, capital: result.capital, runs: 50, seed: 4, ruin: 0.1).outcomes.map(\.maxDrawdown) != fewer.outcomes.map(\.maxDrawdown))
        let deeper = MonteCarlo.shuffledTrades(returns, capital: result.capital, runs: 500, seed: 3, ruin: 0.2)
        #expect(m.ruinProbability >= deeper.ruinProbability)
        #expect(m.ruinProbability == Double(m.outcomes.filter { $0.maxDrawdown >= 0.1 }.count) / 500)
    }

    @Test("the stationary bootstrap: its original is the backtest's own curve, its spread covers it, an endless block only rotates it")
    func bootstrap() throws {
        let (_, _, result) = try Self.backtest()
        let returns = MonteCarlo.curveReturns(result.equityCurve, capital: result.capital)
        let m = MonteCarlo.bootstrap(returns, capital: result.capital, blockLength: 10, annualization: result.metrics.annualization, runs: 400, seed: 1,
                                     ruin: 0.5)
        #expect(abs(m.original.finalEquity - result.finalEquity) < 1e-6 * result.finalEquity)
        #expect(abs(m.original.maxDrawdown - result.metrics.maxDrawdown) < 1e-9)
        #expect(abs(m.original.sharpe - result.metrics.sharpe) < 1e-9)
        let equity = m.percentiles(\.finalEquity)
        #expect(equity[0] < equity[1] && equity[1] < equity[2])
        #expect(equity[0] < result.finalEquity && result.finalEquity < equity[2])
        // One endless block is a rotation of the original returns: the same product, so the same final equity.
        let rotations = MonteCarlo.bootstrap(returns, capital: result.capital, blockLength: Int.max / 2, annualization: 252, runs: 20, seed: 1, ruin: 0.5)
        #expect(rotations.outcomes.allSatisfy { abs($0.finalEquity - result.finalEquity) < 1e-9 * result.finalEquity })
        #expect(Set(rotations.outcomes.map(\.maxDrawdown)).count > 1, "but not the same path")
        #expect(MonteCarlo.defaultBlock(1_000_000) == 100 && MonteCarlo.defaultBlock(700) == 9)
    }

    @Test("costs: a range of 1x..1x is the backtest itself in every run; higher fees cost equity; fills drawn from both timings")
    func costs() throws {
        let (strategy, feeds, result) = try Self.backtest()
        let same = try MonteCarlo.costs(strategy, original: result, feeds: feeds,
                                        draws: .init(fees: .init("1x..1x")!, slippage: .init("1x..1x")!, fills: []), runs: 4, seed: 0, jobs: 2, ruin: 0.5)
        #expect(same.outcomes.allSatisfy { $0.finalEquity == result.finalEquity && $0.maxDrawdown == result.metrics.maxDrawdown })
        let dearer = try MonteCarlo.costs(strategy, original: result, feeds: feeds,
                                          draws: .init(fees: .init("2x..3x")!, slippage: .init("1x..3x")!, fills: []), runs: 8, seed: 0, jobs: 2, ruin: 0.5)
        #expect(dearer.outcomes.allSatisfy { $0.finalEquity < result.finalEquity })
        let (cheap, _, cheapResult) = try Self.backtest(fees: "0%")
        let absolute = try MonteCarlo.costs(cheap, original: cheapResult, feeds: feeds,
                                            draws: .init(fees: .init("0.1%..0.1%")!, slippage: .init("1x..1x")!, fills: []), runs: 2, seed: 0, jobs: 1, ruin: 0.5)
        #expect(absolute.outcomes[0].finalEquity == result.finalEquity, "an absolute 0.1% is the strategy written with 0.1%")
        let timings = try MonteCarlo.costs(strategy, original: result, feeds: feeds,
                                           draws: .init(fees: .init("1x..1x")!, slippage: .init("1x..1x")!, fills: [.nextOpen, .close]), runs: 12, seed: 5,
                                           jobs: 2, ruin: 0.5)
        #expect(Set(timings.outcomes.map(\.finalEquity)).count == 2)
        #expect(MonteCarlo.CostRange("2x..1x") == nil && MonteCarlo.CostRange("1x..2%") == nil && MonteCarlo.CostRange("5bps..10bps")?.high == 0.001)
    }
}
