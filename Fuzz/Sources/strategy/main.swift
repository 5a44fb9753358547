import FuzzSupport
import Keel
import KeelData
import KeelEngine
import KeelLanguage

// The strategy file's whole front end: YAML, the reader, the checker, the linter and the compiler
// (`Keel.compile`), then, for a file that compiles, a short backtest on generated bars, so a value
// the checker lets through (a huge `time_stop`, `kelly(0.5, 1e30)`) meets the engine too.

/// 80 bars per symbol at the strategy's own bar size (a day when it declares none).
func bars(for program: CompiledStrategy) -> [BarSeries] {
    let seconds = program.settings.timeframe?.value.seconds.map { min(max($0, 1), 31_536_000) } ?? 86_400
    let market = SyntheticMarket(seed: 7, barMilliseconds: Int64(seconds) * 1_000)
    return program.settings.symbols.prefix(4).enumerated().map { index, symbol in
        market.series(named: symbol, bars: 80, seed: UInt64(index + 1))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let compilation = Keel.compile(FuzzDriver.text(data, size), path: "fuzz.yaml")
    // Every diagnostic renders with its position inside the file.
    _ = compilation.rendered()
    guard let strategy = compilation.strategy else { return 0 }
    let program = strategy.program
    // A backtest may refuse the data (a symbol with no bars); it may not crash.
    if let result = try? Backtest.run(program, feeds: bars(for: program), capital: 100_000) {
        if result.finalEquity.isNaN { FuzzDriver.broken("a backtest ended with NaN equity") }
    }
    return 0
}

FuzzDriver.run(fuzz)
