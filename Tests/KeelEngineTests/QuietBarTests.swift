import Testing
import KeelData
import KeelLanguage
@testable import KeelEngine

/// A backtest of one symbol takes quiet bars in bulk (QuietBars.swift); a bar-by-bar run
/// (`precomputeRows: 1`) never does. The two must agree bit for bit on strategies that reach every
/// edge of a quiet stretch: both sides, ladders of partial targets, price stops, gaps through
/// levels, `fill: close`, a kill switch tripped while holding, time stops and trailing stops
/// (which keep a held bar from being quiet).
@Suite("Quiet bars taken in bulk agree with the step-by-step run")
struct QuietBarTests {
    static let strategies: [(name: String, body: String)] = [
        ("long, stop and target", """
            entry: {long: crosses_above(sma(close, 10), sma(close, 30))}
            exit: {long: crosses_below(sma(close, 10), sma(close, 30))}
            stop_loss: 2%
            take_profit: 3%
            """),
        ("short, a ladder of partial targets", """
            entry: {short: crosses_below(sma(close, 8), sma(close, 21))}
            exit: {short: crosses_above(sma(close, 8), sma(close, 21))}
            stop_loss: 1.5%
            take_profit:
              - {at: 0.5%, close: 50%}
              - {at: 1%, close: 50%}
              - {at: 2%, close: 100%}
            """),
        ("both sides, fill at the close, a kill switch that trips", """
            entry:
              long: close > highest(high, 30)[1]
              short: close < lowest(low, 30)[1]
            exit: {long: close < sma(close, 20), short: close > sma(close, 20)}
            stop_loss: 1%
            execution: {fill: close, fees: 0.05%, slippage: 2bps}
            risk: {daily_loss_limit: 0.4%}
            """),
        ("a price stop and no exit rule", """
            entry: {long: crosses_above(ema(close, 12), ema(close, 40))}
            stop_loss: lowest(low, 50)
            take_profit: 4%
            """),
        ("a time stop", """
            entry: {long: rsi(close, 14) < 30}
            exit: {long: rsi(close, 14) > 60}
            time_stop: 45
            """),
        ("a trailing stop", """
            entry: {long: crosses_above(sma(close, 10), sma(close, 50))}
            stop_loss: {trailing: 1%}
            """),
    ]

    /// Strategy `k` of the list above, on `symbols`, sized by `allocation`, compiled.
    static func program(_ k: Int, symbols: String = "SYM001", allocation: String = "{size: percent_of_equity(90%)}") throws -> CompiledStrategy {
        let source = "keel: 1\nname: quiet \(k)\nsymbols: [\(symbols)]\nprofile: degen\nallocation: \(allocation)\n" + strategies[k].body + "\n"
        return try Compiler.compile(try #require(Frontend.check(SourceFile(path: "quiet.yaml", text: source)).checked, "\(strategies[k].name)"))
    }

    @Test("the same result as the bar-by-bar run", arguments: strategies.indices)
    func parity(_ k: Int) throws {
        let program = try Self.program(k)
        let feed = SyntheticMarket(seed: UInt64(10 + k)).generate(symbols: 1, bars: 40_000)[0]
        let stepped = try Backtest.run(program, feeds: [feed], capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: 1)
        #expect(stepped.trades.count > 20, "\(Self.strategies[k].name): \(stepped.trades.count) trades")
        for rows in [5, 333, nil] {
            let bulk = try Backtest.run(program, feeds: [feed], capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: rows)
            #expect(bulk.quietBars > 0, "\(Self.strategies[k].name): no bar was taken in bulk")
            #expect(PrecomputeParityTests.difference(stepped, bulk) == nil, "\(Self.strategies[k].name), window \(rows.map(String.init) ?? "default")")
        }
    }

    @Test("three symbols, one with gaps: quiet time steps give the bar-by-bar result", arguments: [0, 1, 2])
    func severalSymbols(_ k: Int) throws {
        let program = try Self.program(k, symbols: "SYM001, SYM002, SYM003", allocation: "{size: percent_of_equity(30%), max_positions: 2}")
        var feeds = SyntheticMarket(seed: UInt64(20 + k)).generate(symbols: 3, bars: 20_000)
        // SYM002 misses every seventh bar: its time steps hold two symbols, the others three.
        var gappy = BarSeries(symbol: feeds[1].symbol)
        for i in feeds[1].time.indices where !i.isMultiple(of: 7) {
            gappy.append(time: feeds[1].time[i], open: feeds[1].open[i], high: feeds[1].high[i], low: feeds[1].low[i],
                         close: feeds[1].close[i], volume: feeds[1].volume[i])
        }
        feeds[1] = gappy
        let stepped = try Backtest.run(program, feeds: feeds, capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: 1)
        #expect(stepped.trades.count > 20)
        for rows in [3, nil] {
            let quiet = try Backtest.run(program, feeds: feeds, capital: 100_000, trace: true, keepEquityCurve: true, precomputeRows: rows)
            #expect(quiet.quietBars > 0)
            #expect(PrecomputeParityTests.difference(stepped, quiet) == nil, "\(Self.strategies[k].name), window \(rows.map(String.init) ?? "default")")
        }
    }

    @Test("the kill switch case does trip it, so the parity above covers a held stretch cut where the switch places its exit")
    func killSwitchTrips() throws {
        let program = try Self.program(2)
        let feed = SyntheticMarket(seed: 12).generate(symbols: 1, bars: 40_000)[0]
        let result = try Backtest.run(program, feeds: [feed], capital: 100_000, keepTrades: true)
        #expect(result.trades.contains { $0.exitReason == .killSwitch })
    }
}
