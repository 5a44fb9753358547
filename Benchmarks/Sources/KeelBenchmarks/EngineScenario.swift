import Foundation
import KeelData
import KeelEngine
import KeelLanguage

/// S2E (SMA 10/30 crossover, 5% stop, 10% take-profit) over generated one-minute bars, in process:
/// the engine alone, no CSV. Prints bars per second, median of several runs.
enum EngineScenario {
    static let s2e = """
    keel: 1
    name: S2E
    profile: degen
    let: {fast_ma: sma(close, 10), slow_ma: sma(close, 30)}
    entry: {long: crosses_above(fast_ma, slow_ma)}
    exit: {long: crosses_below(fast_ma, slow_ma)}
    stop_loss: 5%
    take_profit: 10%
    allocation: {size: percent_of_equity(100%)}
    """

    static func run(bars: Int, repeats: Int = 5) throws -> String {
        let checked = Frontend.check(SourceFile(path: "s2e.yaml", text: s2e)).checked!
        let program = try Compiler.compile(checked)
        let feed = SyntheticMarket(seed: 1).generate(symbols: 1, bars: bars)[0]
        var timings: [Double] = []
        var trades = 0
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            let result = Backtest.run(program, feeds: [feed], capital: 100_000)
            let elapsed = ContinuousClock.now - start
            trades = result.trades.count
            timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        timings.sort()
        let median = timings[timings.count / 2]
        return "engine S2E: \(bars) bars, \(trades) trades, median of \(repeats): \(String(format: "%.3f", median)) s, "
            + "\(Int(Double(bars) / median)) bars/s"
    }
}
