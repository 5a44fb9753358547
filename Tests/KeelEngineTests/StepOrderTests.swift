import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// The step order (docs/backtest.md), bar by bar, on small hand-made series. Entries are driven by `bar_index`
/// so every fill lands on a known bar: a decision at the close of bar k fills at the open of k + 1.
@Suite("Execution semantics, bar by bar")
struct StepOrderTests {
    typealias OHLC = (Double, Double, Double, Double)
    static let day: Int64 = 86_400_000

    static func run(_ body: String, _ bars: [OHLC], profile: String = "degen", capital: Double = 10_000,
                    start: Int64 = 1_577_836_800_000, step: Int64 = day) throws -> BacktestResult {
        let text = "keel: 1\nname: T\nprofile: \(profile)\n" + body
        let front = Frontend.check(SourceFile(path: "t.yaml", text: text))
        guard let checked = front.checked, !front.hasErrors else {
            Issue.record("strategy errors: \(front.diagnostics.map(\.message))")
            throw CancellationError()
        }
        var feed = BarSeries(symbol: "X")
        for (i, bar) in bars.enumerated() {
            feed.append(time: start + Int64(i) * step, open: bar.0, high: bar.1, low: bar.2, close: bar.3, volume: 1_000)
        }
        return try Backtest.run(try Compiler.compile(checked), feeds: [feed], capital: capital)
    }

    static func time(_ bar: Int, start: Int64 = 1_577_836_800_000) -> Int64 { start + Int64(bar) * day }

    static let allIn = "allocation: {size: percent_of_equity(100%)}\n"

    @Test("a market entry fills at the next open, with the size computed at the fill")
    func entryAtNextOpen() throws {
        let r = try Self.run("entry: {long: bar_index == 1}\nexit: {long: bar_index == 3}\n" + Self.allIn,
                             [(10, 10, 10, 10), (10, 10, 10, 10), (20, 21, 19, 20), (20, 20, 20, 20), (30, 30, 30, 30), (31, 31, 31, 31)])
        let trade = try #require(r.trades.first)
        #expect(trade.entryTime == Self.time(2) && trade.entryPrice == 20 && trade.quantity == 500)
        #expect(trade.exitTime == Self.time(4) && trade.exitPrice == 30 && trade.exitReason == .signal)
        #expect(r.finalEquity == 15_000)
    }

    @Test("a gap through the stop fills at the open, not at the level")
    func gapThroughStop() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: 5%\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 101, 99, 100), (90, 92, 88, 91)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitReason == .stopLoss && trade.exitPrice == 90 && trade.exitTime == Self.time(2))
    }

    @Test("the stop is armed at the fill, so it is checked on the entry bar itself")
    func stopOnEntryBar() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: 5%\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 101, 94, 96), (96, 97, 95, 96)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitTime == Self.time(1) && trade.exitPrice == 100 * (1 - 0.05) && trade.exitReason == .stopLoss)
    }

    @Test("stop and target in one bar: the intrabar policy decides", arguments: [
        // Levels are the fill price times (1 - 5%) and (1 + 10%), as the conformance spec computes them.
        ("stop_first", ExitReason.stopLoss, 100 * (1 - 0.05)), ("target_first", .takeProfit, 100 * (1 + 0.1)),
    ])
    func intrabar(policy: String, reason: ExitReason, price: Double) throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: 5%\ntake_profit: 10%\nexecution: {intrabar: \(policy)}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (100, 111, 94, 100)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitReason == reason && trade.exitPrice == price && trade.exitTime == Self.time(2))
    }

    @Test("nearest_first: the extreme nearer the open is reached first", arguments: [
        (109.0, ExitReason.takeProfit, 100 * (1 + 0.1)), (96.0, .stopLoss, 100 * (1 - 0.05)),
    ])
    func nearestFirst(open: Double, reason: ExitReason, price: Double) throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: 5%\ntake_profit: 10%\nexecution: {intrabar: nearest_first}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (open, 111, 94, 100)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitReason == reason && trade.exitPrice == price)
    }

    @Test("a take-profit ladder closes part, then the rest")
    func ladder() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\ntake_profit:\n  - {at: 10%, close: 50%}\n  - {at: 20%, close: 100%}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (105, 111, 104, 109), (109, 125, 108, 120)])
        #expect(r.trades.count == 2)
        #expect(r.trades[0].quantity == 50 && r.trades[0].exitPrice == 100 * (1 + 0.1) && r.trades[0].exitTime == Self.time(2))
        #expect(r.trades[1].quantity == 50 && r.trades[1].exitPrice == 100 * (1 + 0.2) && r.trades[1].exitTime == Self.time(3))
        #expect(r.trades.allSatisfy { $0.exitReason == .takeProfit })
        #expect(r.openPositions.isEmpty)
    }

    @Test("a trailing stop only ratchets in the position's favour")
    func trailing() throws {
        // Closes 100, 110, 105, 120: the 10% trailing level goes 90, 99, (stays 99), 108; bar 5 falls through 108.
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: {trailing: 10%}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 101, 99, 100), (100, 111, 100, 110), (110, 110, 104, 105),
                              (105, 121, 105, 120), (115, 116, 100, 101)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitReason == .trailingStop && trade.exitTime == Self.time(5))
        #expect(abs(trade.exitPrice - 108) < 1e-9)
    }

    @Test("a price-expression trailing stop is set at the entry bar's close and active from the next bar")
    func expressionTrailing() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nstop_loss: {trailing: close - 5}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 80, 100), (100, 100, 96, 100), (100, 100, 94, 97)])
        let trade = try #require(r.trades.first)
        // Not stopped on the entry bar (low 80): the level 95 exists only from its close.
        #expect(trade.exitTime == Self.time(3) && trade.exitPrice == 95 && trade.exitReason == .trailingStop)
    }

    @Test("a time stop closes after N bars at the next open")
    func timeStop() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\ntime_stop: 2 bars\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (101, 101, 101, 101), (102, 102, 102, 102), (103, 103, 103, 103)])
        let trade = try #require(r.trades.first)
        #expect(trade.exitReason == .timeStop && trade.exitTime == Self.time(4) && trade.exitPrice == 103)
    }

    @Test("fill: close fills at the deciding bar's close")
    func fillAtClose() throws {
        let r = try Self.run("entry: {long: bar_index == 1}\nexit: {long: bar_index == 2}\nexecution: {fill: close}\n" + Self.allIn,
                             [(10, 10, 10, 10), (10, 12, 9, 11), (11, 14, 10, 13), (13, 13, 13, 13)])
        let trade = try #require(r.trades.first)
        #expect(trade.entryTime == Self.time(1) && trade.entryPrice == 11 && trade.exitTime == Self.time(2) && trade.exitPrice == 13)
    }

    @Test("fees and slippage: size fits the cash with fees; fills are worse by the slippage")
    func costs() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nexit: {long: bar_index == 1}\nexecution: {fees: 1%, slippage: 100bps}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)])
        let trade = try #require(r.trades.first)
        #expect(trade.entryPrice == 101 && trade.exitPrice == 99)
        // floor(10000 / (101 * 1.01)) = 98 units.
        #expect(trade.quantity == 98)
        let fees = 0.01 * 98 * 101 + 0.01 * 98 * 99
        #expect(abs(trade.fees - fees) < 1e-9)
        #expect(abs(trade.pnl - (98 * (99 - 101) - fees)) < 1e-9)
    }

    @Test("a short under the conservative profile is refused by the engine too")
    func refusedShort() throws {
        let r = try Self.run("entry: {short: bar_index == 0}\nstop_loss: 2%\nallocation: {size: percent_of_equity(10%)}\n",
                             [(100, 100, 100, 100), (100, 100, 100, 100)], profile: "conservative")
        #expect(r.trades.isEmpty && r.openPositions.isEmpty)
        #expect(r.riskEvents.first?.kind == "short_selling")
    }

    @Test("the kill switch trips on the daily loss limit, flattens, refuses entries, and resets next session")
    func killSwitch() throws {
        // Hourly bars: enter at hour 1, crash at hour 3 (loss > 5% of the day's start), flattened at hour 4's open;
        // the entry at hour 5 is refused; the next day's entry is accepted.
        let hour: Int64 = 3_600_000
        var bars: [OHLC] = Array(repeating: (100, 100, 100, 100), count: 30)
        bars[3] = (100, 100, 80, 80)
        for i in 4..<30 { bars[i] = (80, 80, 80, 80) }
        let r = try Self.run("entry: {long: bar_index == 1 or bar_index == 5 or bar_index == 25}\nexit: {long: bar_index == 27}\n"
                             + Self.allIn + "risk: {daily_loss_limit: 5%}\n", bars, step: hour)
        #expect(r.trades.first?.exitReason == .killSwitch)
        #expect(r.trades.first?.exitTime == 1_577_836_800_000 + 4 * hour)
        #expect(r.riskEvents.contains { $0.kind == "kill_switch" })
        #expect(r.riskEvents.contains { $0.kind == "kill_switch" && $0.time == 1_577_836_800_000 + 5 * hour && $0.symbol == "X" })
        // Day two: bar 25 is 01:00 the next day; its entry fills at bar 26.
        #expect(r.trades.count == 2 && r.trades[1].entryTime == 1_577_836_800_000 + 26 * hour)
    }

    @Test("the drawdown halt refuses new entries")
    func drawdownHalt() throws {
        let r = try Self.run("entry: {long: bar_index == 0 or bar_index == 3}\nexit: {long: bar_index == 1}\n" + Self.allIn
                             + "risk: {max_drawdown: 10%, daily_loss_limit: off}\n",
                             [(100, 100, 100, 100), (100, 100, 100, 100), (80, 80, 80, 80), (80, 80, 80, 80), (80, 80, 80, 80)])
        #expect(r.trades.count == 1)
        #expect(r.riskEvents.contains { $0.kind == "drawdown_halt" })
    }

    @Test("a decision on the last bar is dropped; an open position is marked to the last close")
    func endOfData() throws {
        let r = try Self.run("entry: {long: bar_index == 0}\nexit: {long: bar_index == 2}\n" + Self.allIn,
                             [(100, 100, 100, 100), (100, 100, 100, 100), (120, 120, 120, 120)])
        #expect(r.trades.isEmpty && r.openPositions.count == 1)
        #expect(r.finalEquity == 12_000)
    }
}

@Suite("Higher timeframes")
struct TimeframeTests {
    @Test("timeframe(1d, close) in an hourly strategy changes only when the day has closed")
    func noLookahead() throws {
        let text = "keel: 1\nname: T\ntimeframe: 1h\nprofile: degen\nentry: {long: timeframe(1d, close) > 0}\n"
        let front = Frontend.check(SourceFile(path: "t.yaml", text: text))
        let checked = try #require(front.checked)
        let engine = Engine(program: try Compiler.compile(checked), symbols: ["X"], options: .init(capital: 1_000, barSeconds: 3_600))
        let hour: Int64 = 3_600_000
        var seen: [Double] = []
        for i in 0..<72 {
            let close = Double(100 + i)
            engine.process(symbol: 0, bar: BarInput(time: Int64(i) * hour, open: close, high: close, low: close, close: close, volume: 1, index: i))
            seen.append(engine.books[0].evaluator.contexts[0])
        }
        // Day 0 closes with the 23:00 bar (close 123): no value before it, 123 from it until day 1's last bar.
        #expect(seen[0..<23].allSatisfy { $0.isNaN })
        #expect(seen[23] == 123 && seen[24] == 123 && seen[46] == 123)
        #expect(seen[47] == 147 && seen[70] == 147 && seen[71] == 171)
    }

    @Test("a day with missing hours closes when the next day's first bar arrives")
    func gaps() throws {
        let text = "keel: 1\nname: T\ntimeframe: 1h\nprofile: degen\nentry: {long: timeframe(1d, close) > 0}\n"
        let checked = try #require(Frontend.check(SourceFile(path: "t.yaml", text: text)).checked)
        let engine = Engine(program: try Compiler.compile(checked), symbols: ["X"], options: .init(capital: 1_000, barSeconds: 3_600))
        let hour: Int64 = 3_600_000
        // Day 0 has bars 0..20 only; day 1 starts at hour 24.
        for (n, h) in (Array(0...20) + [24, 25]).enumerated() {
            let close = Double(h)
            engine.process(symbol: 0, bar: BarInput(time: Int64(h) * hour, open: close, high: close, low: close, close: close, volume: 1, index: n))
            let value = engine.books[0].evaluator.contexts[0]
            if h <= 20 { #expect(value.isNaN) } else { #expect(value == 20) }
        }
    }
}

@Suite("External signals")
struct SignalTests {
    @Test("an extra CSV column is signal.NAME; an empty cell has no value, so the rule is false")
    func csvSignal() throws {
        let csv = """
        timestamp,open,high,low,close,volume,sentiment
        2020-01-01,10,10,10,10,1,0.2
        2020-01-02,10,10,10,10,1,
        2020-01-03,10,10,10,10,1,0.9
        2020-01-04,11,11,11,11,1,0.1
        2020-01-05,12,12,12,12,1,0.1
        """
        let feed = try CSVBarReader.parse(csv, symbol: "X").series
        let text = "keel: 1\nname: T\nprofile: degen\nentry: {long: signal.sentiment > 0.5 or not (signal.sentiment >= 0)}\n"
            + "exit: {long: signal.sentiment < 0.5}\nallocation: {size: percent_of_equity(100%)}\n"
        let checked = try #require(Frontend.check(SourceFile(path: "t.yaml", text: text)).checked)
        let result = try Backtest.run(try Compiler.compile(checked), feeds: [feed], capital: 1_000)
        // Only 2020-01-03 (0.9) decides an entry; the empty cell of 2020-01-02 decides nothing.
        let trade = try #require(result.trades.first)
        #expect(result.trades.count == 1)
        #expect(trade.entryTime == TimestampParser.parse("2020-01-04") && trade.entryPrice == 11)
        #expect(trade.exitTime == TimestampParser.parse("2020-01-05") && trade.exitPrice == 12)
    }
}

@Suite("Risk caps on sizing")
struct SizingCapTests {
    @Test("the largest position share caps percent_of_equity", arguments: [("balanced", 20.0), ("conservative", 10.0)])
    func largestPosition(profile: String, share: Double) throws {
        let r = try StepOrderTests.run("entry: {long: bar_index == 0}\nstop_loss: 1%\nallocation: {size: percent_of_equity(100%)}\n",
                                       [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)], profile: profile)
        #expect(r.openPositions.first?.quantity == share)
    }

    @Test("risk sizing: a 2% stop and 1% risk size the position at 50% of equity, capped at 20% by balanced")
    func risk() throws {
        let r = try StepOrderTests.run("entry: {long: bar_index == 0}\nstop_loss: 2%\nallocation: {size: risk(1%)}\nrisk: {max_position: 100%}\n",
                                       [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)], profile: "balanced")
        #expect(r.openPositions.first?.quantity == 50)
        let capped = try StepOrderTests.run("entry: {long: bar_index == 0}\nstop_loss: 2%\nallocation: {size: risk(1%)}\n",
                                            [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)], profile: "balanced")
        #expect(capped.openPositions.first?.quantity == 20)
    }

    @Test("whole lots: a lot of 10 rounds the size down")
    func lots() throws {
        let r = try StepOrderTests.run("entry: {long: bar_index == 0}\nallocation: {size: percent_of_equity(100%), lot: 10}\n",
                                       [(100, 100, 100, 100), (37, 37, 37, 37), (37, 37, 37, 37)])
        // floor(10000 / 37) = 270 units, in lots of 10.
        #expect(r.openPositions.first?.quantity == 270)
    }
}

@Suite("Shorts, costs and the remaining sizers")
struct MoreSemanticsTests {
    typealias OHLC = StepOrderTests.OHLC

    @Test("a short: its stop sits above, its target below, and profit is entry minus exit")
    func short() throws {
        let r = try StepOrderTests.run("entry: {short: bar_index == 0}\nstop_loss: 5%\ntake_profit: 10%\nallocation: {size: percent_of_equity(100%)}\n",
                                       [(100, 100, 100, 100), (100, 100, 100, 100), (95, 96, 89, 90)])
        let trade = try #require(r.trades.first)
        #expect(trade.side == .short && trade.exitReason == .takeProfit && trade.exitPrice == 100 * (1 - 0.1))
        #expect(abs(trade.pnl - 100 * (100 - 100 * (1 - 0.1))) < 1e-9)
        let stopped = try StepOrderTests.run("entry: {short: bar_index == 0}\nstop_loss: 5%\nallocation: {size: percent_of_equity(100%)}\n",
                                             [(100, 100, 100, 100), (100, 100, 100, 100), (104, 106, 103, 105)])
        #expect(stopped.trades.first?.exitReason == .stopLoss && stopped.trades.first?.exitPrice == 100 * (1 + 0.05))
    }

    @Test("tick slippage, per-unit and per-order fees")
    func tickCosts() throws {
        let r = try StepOrderTests.run("entry: {long: bar_index == 0}\nexit: {long: bar_index == 1}\n"
                                       + "execution: {fees: {per_unit: 0.01, per_order: 1}, slippage: {ticks: 2, tick_size: 0.05}}\n"
                                       + "allocation: {size: fixed(10)}\n",
                                       [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)])
        let trade = try #require(r.trades.first)
        #expect(trade.entryPrice == 100.1 && trade.exitPrice == 99.9 && trade.quantity == 10)
        #expect(abs(trade.fees - 2 * (0.01 * 10 + 1)) < 1e-12)
    }

    @Test("after a stop-out the cooldown refuses entries on that symbol for N bars")
    func cooldown() throws {
        var bars: [OHLC] = [(100, 100, 100, 100), (100, 100, 100, 100), (90, 90, 90, 90)]
        bars += Array(repeating: (90, 90, 90, 90), count: 6)
        let r = try StepOrderTests.run("entry: {long: bar_index == 0 or bar_index >= 2}\nstop_loss: 5%\n"
                                       + "allocation: {size: percent_of_equity(100%)}\nrisk: {cooldown: 3 bars}\n", bars)
        #expect(r.trades.first?.exitReason == .stopLoss && r.trades.first?.exitTime == StepOrderTests.time(2))
        #expect(r.riskEvents.filter { $0.kind == "cooldown" }.count == 3)
        #expect(r.openPositions.first?.entryTime == StepOrderTests.time(6))
    }

    @Test("volatility_target sizes inversely to volatility; kelly sizes at f times the largest share until 10 trades close")
    func volatilityAndKelly() throws {
        var calm: [OHLC] = [], wild: [OHLC] = []
        for i in 0..<40 {
            let c1 = 100 + (i % 2 == 0 ? 0.5 : -0.5), c2 = 100 + (i % 2 == 0 ? 5.0 : -5.0)
            calm.append((c1, c1, c1, c1)); wild.append((c2, c2, c2, c2))
        }
        let body = "entry: {long: bar_index == 30}\nallocation: {size: volatility_target(10%, 20)}\nrisk: {max_position: 100%}\n"
        let quiet = try #require(try StepOrderTests.run(body, calm, capital: 1_000_000).openPositions.first?.quantity)
        let loud = try #require(try StepOrderTests.run(body, wild, capital: 1_000_000).openPositions.first?.quantity)
        #expect(quiet > 5 * loud && loud > 0)
        let kelly = try StepOrderTests.run("entry: {long: bar_index == 0}\nallocation: {size: kelly(0.5)}\n",
                                           [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)], profile: "balanced")
        // 0.5 x the balanced profile's 20% largest position of 10,000 at 100.
        #expect(kelly.openPositions.first?.quantity == 10)
    }
}

/// A declared `timeframe:` is never ignored: finer data is resampled to it, coarser data refused.
@Suite("A declared timeframe")
struct DeclaredTimeframeTests {
    static func program(_ timeframe: String?) throws -> CompiledStrategy {
        let text = "keel: 1\nname: T\n\(timeframe.map { "timeframe: \($0)\n" } ?? "")profile: degen\n"
            + "entry: {long: crosses_above(sma(close, 5), sma(close, 12))}\nexit: {long: crosses_below(sma(close, 5), sma(close, 12))}\n"
            + "stop_loss: 2%\nallocation: {size: percent_of_equity(50%)}\nexecution: {fees: 0.1%, slippage: 1bps}\n"
        return try Compiler.compile(try #require(Frontend.check(SourceFile(path: "t.yaml", text: text)).checked))
    }

    static func minutes(_ count: Int) -> BarSeries {
        SyntheticMarket(seed: 3, barMilliseconds: 60_000).generate(symbols: 1, bars: count)[0]
    }

    @Test("timeframe: 1h on minute bars trades exactly as the same rules on those bars aggregated to hours")
    func resampled() throws {
        let minutes = Self.minutes(20_000)
        let declared = try Backtest.run(try Self.program("1h"), feeds: [minutes], capital: 100_000)
        var hours = BarSeries(symbol: minutes.symbol)
        var piece = hours
        let source = ResampledBarSource(MemoryBarSource(minutes), periodMilliseconds: 3_600_000)
        while try source.next(into: &piece) { hours.append(contentsOf: piece) }
        let aggregated = try Backtest.run(try Self.program(nil), feeds: [hours], capital: 100_000)
        #expect(declared.trades.count > 10 && declared.trades == aggregated.trades && declared.finalEquity == aggregated.finalEquity)
        #expect(declared.bars == hours.count && declared.barSeconds == 3_600 && declared.dataBarSeconds == 60)
        let undeclared = try Backtest.run(try Self.program(nil), feeds: [minutes], capital: 100_000)
        #expect(undeclared.trades != declared.trades && undeclared.barSeconds == 60 && undeclared.dataBarSeconds == 60)
    }

    @Test("coarser bars, and bars the timeframe is no multiple of, are refused with what to do")
    func refused() throws {
        let hours = SyntheticMarket(seed: 3, barMilliseconds: 3_600_000).generate(symbols: 1, bars: 100)[0]
        #expect { try Backtest.run(try Self.program("5m"), feeds: [hours], capital: 100_000) } throws: { error in
            "\(error)".contains("bars are 1h, coarser than the strategy's timeframe 5m") && "\(error)".contains("timeframe: 1h")
        }
        let sevens = SyntheticMarket(seed: 3, barMilliseconds: 420_000).generate(symbols: 1, bars: 100)[0]
        #expect { try Backtest.run(try Self.program("1h"), feeds: [sevens], capital: 100_000) } throws: { error in
            "\(error)".contains("bars are 7m") && "\(error)".contains("not a whole number")
        }
    }
}
