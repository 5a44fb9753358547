import Foundation
import KeelData
import KeelEngine
import KeelLanguage

/// S2E (SMA 10/30 crossover, 5% stop, 10% take-profit) over generated one-minute bars, in process:
/// the engine alone, no CSV. Prints bars per second, median of several runs.
enum EngineScenario {
    /// Benchmarks/s2e.yaml, next to this package.
    static var s2e: String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("s2e.yaml").path
        return try! String(contentsOfFile: path, encoding: .utf8)
    }

    static func run(bars: Int, repeats: Int = 5) throws -> String {
        let checked = Frontend.check(SourceFile(path: "s2e.yaml", text: s2e)).checked!
        let program = try Compiler.compile(checked)
        let feed = SyntheticMarket(seed: 1).generate(symbols: 1, bars: bars)[0]
        var timings: [Double] = []
        var trades = 0, quiet = 0
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            let result = try Backtest.run(program, feeds: [feed], capital: 100_000)
            let elapsed = ContinuousClock.now - start
            (trades, quiet) = (result.trades.count, result.quietBars)
            timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        timings.sort()
        let median = timings[timings.count / 2]
        return "engine S2E: \(bars) bars, \(trades) trades, median of \(repeats): \(String(format: "%.3f", median)) s, "
            + "\(Int(Double(bars) / median)) bars/s; \(quiet * 100 / max(1, bars))% of the bars taken as quiet bars"
    }
}
