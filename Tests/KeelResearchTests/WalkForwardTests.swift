import Foundation
import Keel
import KeelTestSupport
import Testing
@testable import KeelResearch

/// Walk-forward: the windows, a search that never reads a test window's bars, and an out-of-sample
/// record equal to each fold's choice run on its own.
@Suite struct WalkForwardTests {
    static let text = """
        keel: 1
        name: Cross
        symbols: [AAA, BBB]
        params:
          fast: {default: 10, range: [4, 16], step: 4}
          slow: {default: 30, range: [20, 40], step: 10}
        entry: {long: close > sma(close, fast) and sma(close, fast) > sma(close, slow)}
        exit: {long: close < sma(close, slow)}
        allocation: {size: percent_of_equity(40%)}
        execution: {fees: 0.05%, slippage: 2bps}
        """

    static let day: Int64 = 86_400_000
    /// 2021-01-01.
    static let start: Int64 = 1_609_459_200_000

    /// Daily bars of two random walks with a little drift, from a seed.
    static func feeds(days: Int, seed: UInt64 = 7) -> [BarSeries] {
        var generator = SeededGenerator(seed: seed)
        return ["AAA", "BBB"].map { symbol in
            var series = BarSeries(symbol: symbol)
            var close = 100.0
            for k in 0..<days {
                let open = close
                close = max(1, open * (1 + Double.random(in: -0.02...0.0215, using: &generator)))
                series.append(time: start + Int64(k) * day, open: open, high: max(open, close) * 1.004, low: min(open, close) * 0.996, close: close,
                              volume: 1_000)
            }
            return series
        }
    }

    static func walk(_ schedule: WalkForward.Schedule, carry: Bool = false, days: Int = 900, jobs: Int = 2) throws -> (WalkForward, LoadedStrategy, [BarSeries]) {
        let strategy = try LoadedStrategy(path: "cross.yaml", text: text)
        let plan = try SearchPlan(strategy, method: .grid)
        let feeds = Self.feeds(days: days)
        let walk = try WalkForward.run(strategy, plan: plan, fixed: [:], feeds: feeds, capital: 100_000, objective: Objective("sharpe")!,
                                       schedule: schedule, carry: carry, jobs: jobs)
        return (walk, strategy, feeds)
    }

    @Test("rolling, anchored and purged windows on the UTC calendar; the last test window cut at the data's end")
    func windows() throws {
        let last = Self.start + 900 * Self.day
        let rolling = try WalkForward.folds(.init(train: Span("1y")!, test: Span("6m")!), first: Self.start, last: last)
        #expect(rolling.count == 3, "tests from 2022-01-01, 2022-07-01 and 2023-01-01; the data ends 2023-06-20")
        #expect(rolling[0].train == Self.start..<(Self.start + 365 * Self.day))
        #expect(rolling[0].test.lowerBound == rolling[0].train.upperBound)
        #expect(TimestampParser.format(rolling[1].train.lowerBound).hasPrefix("2021-07-01"))
        #expect(TimestampParser.format(rolling[1].test.lowerBound).hasPrefix("2022-07-01"))
        #expect(rolling.last!.partial && rolling.last!.test.upperBound == last + 1)
        let anchored = try WalkForward.folds(.init(train: Span("1y")!, test: Span("6m")!, anchored: true), first: Self.start, last: last)
        #expect(anchored.allSatisfy { $0.train.lowerBound == Self.start })
        #expect(anchored.map(\.test) == rolling.map(\.test))
        let purged = try WalkForward.folds(.init(train: Span("1y")!, test: Span("6m")!, purge: Span("10d")!), first: Self.start, last: last)
        #expect(purged.allSatisfy { $0.test.lowerBound == $0.train.upperBound + 10 * Self.day })
        #expect(throws: WalkForward.Failure.self) { try WalkForward.folds(.init(train: Span("3y")!, test: Span("6m")!), first: Self.start, last: last) }
        #expect(Span("6mo") == Span("6m") && Span("30min")?.unit == .minutes && Span("0d") == nil && Span("6x") == nil)
    }

    @Test("each fold's search reads no bar at or after its train window's end: the bars it was given and every trial's last bar say so")
    func noPeeking() throws {
        let (walk, _, feeds) = try Self.walk(.init(train: Span("1y")!, test: Span("3m")!, purge: Span("5d")!))
        #expect(walk.folds.count >= 5)
        for fold in walk.folds {
            let end = fold.fold.train.upperBound
            #expect(fold.trainLastTime! < end && fold.trialsLastTime! < end, "fold \(fold.fold.number)")
            #expect(fold.trainLastTime! < fold.fold.test.lowerBound)
            #expect(fold.trainBars == feeds.map { $0.time.filter { $0 < end }.count }, "the search was given exactly the bars before its end")
        }
    }

    @Test("the stitched out-of-sample equity equals each fold's chosen params run on its own test window, from the equity the last one left")
    func stitched() throws {
        let (walk, strategy, feeds) = try Self.walk(.init(train: Span("1y")!, test: Span("3m")!))
        let sweep = try ParameterSweep(strategy, combinations: [])
        var equity = 100_000.0
        var curve: [(time: Int64, equity: Double)] = []
        for fold in walk.folds {
            let alone = try Backtest.run(try sweep.program(fold.params), feeds: feeds, capital: equity, keepEquityCurve: true,
                                         range: DateRange(from: fold.fold.test.lowerBound, until: fold.fold.test.upperBound))
            #expect(alone.finalEquity == fold.outOfSample.finalEquity, "fold \(fold.fold.number)")
            #expect(alone.metrics.tradeCount == fold.outOfSample.metrics.tradeCount)
            equity = alone.finalEquity
            curve += alone.equityCurve
        }
        #expect(curve.map(\.time) == walk.equityCurve.map(\.time))
        #expect(curve.map(\.equity) == walk.equityCurve.map(\.equity))
        #expect(walk.metrics.totalReturn == equity / 100_000 - 1)
        #expect(walk.metrics.tradeCount == walk.folds.map(\.outOfSample.metrics.tradeCount).reduce(0, +))
        let chosen = walk.folds.map { $0.params.map { "\($0.0)=\(SweepFormat.value($0.1))" }.joined(separator: " ") }
        print("folds chose: \(chosen); efficiency \(walk.efficiency); out-of-sample return \(walk.metrics.totalReturn)")
        #expect(walk.folds.allSatisfy { $0.chosen != nil })
        let (oneCore, _, _) = try Self.walk(.init(train: Span("1y")!, test: Span("3m")!), jobs: 1)
        #expect(oneCore.equityCurve.map(\.equity) == walk.equityCurve.map(\.equity), "one core and two give the same record")
        #expect(oneCore.folds.map(\.chosen) == walk.folds.map(\.chosen))
    }

    @Test("--carry takes an open position over the seam at its close: equity runs on unbroken and the next fold holds it from the seam")
    func carry() throws {
        let (walk, _, _) = try Self.walk(.init(train: Span("1y")!, test: Span("3m")!), carry: true)
        let (flat, _, _) = try Self.walk(.init(train: Span("1y")!, test: Span("3m")!), carry: false)
        var carried = 0
        for (previous, next) in zip(walk.folds, walk.folds.dropFirst()) {
            #expect(next.outOfSample.capital == previous.outOfSample.finalEquity)
            for position in previous.outOfSample.openPositions {
                carried += 1
                let held = next.outOfSample.trades.first { $0.symbol == position.symbol }
                    ?? next.outOfSample.openPositions.first { $0.symbol == position.symbol }.map {
                        Trade(symbol: $0.symbol, side: $0.side, entryTime: $0.entryTime, entryPrice: $0.entryPrice, exitTime: 0, exitPrice: 0,
                              quantity: $0.quantity, pnl: 0, fees: 0, exitReason: .signal)
                    }
                #expect(held?.entryTime == position.markTime && held?.entryPrice == position.markPrice && held?.quantity == position.quantity,
                        "fold \(next.fold.number) holds \(position.symbol) from the seam")
            }
        }
        #expect(carried > 0, "the data leaves a position open at some seam")
        #expect(flat.folds.allSatisfy { fold in
            fold.outOfSample.trades.allSatisfy { $0.entryTime >= fold.fold.test.lowerBound }
        }, "without --carry every test window starts flat")
        #expect(walk.metrics.totalReturn != flat.metrics.totalReturn)
    }
}
