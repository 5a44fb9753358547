// Compile a strategy, backtest it, sweep a param: everything through `import Keel`.
// Usage: Embedding [STRATEGY.yaml] [SYMBOL=FILE.csv]; by default the bundled SMA crossover on AAPL.
import Foundation
import Keel

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let arguments = Array(CommandLine.arguments.dropFirst())
let strategyPath = arguments.first ?? root.appendingPathComponent("Strategies/sma_cross.yaml").path
let data = arguments.count > 1 ? arguments[1] : "AAPL=" + root.appendingPathComponent("Examples/data/AAPL.csv").path
let (symbol, csv) = (String(data.prefix { $0 != "=" }), String(data.drop { $0 != "=" }.dropFirst()))

// 1. Compile: diagnostics are values; a strategy with errors gives no program.
guard let text = try? String(contentsOfFile: strategyPath, encoding: .utf8) else {
    FileHandle.standardError.write(Data("cannot read \(strategyPath)\n".utf8))
    exit(66)
}
let compilation = Keel.compile(text, path: strategyPath)
for diagnostic in compilation.diagnostics where diagnostic.severity == .error {
    let place = compilation.file.location(ofOffset: diagnostic.range.start)
    print("\(strategyPath):\(place): \(diagnostic.id): \(diagnostic.message)")
}
guard let strategy = compilation.strategy else { exit(1) }

// 2. Backtest over a CSV file (Keel's cache is built next to it and used from then on).
let result = try Keel.backtest(strategy, data: try MarketData.open([(symbol, csv)]), capital: 100_000)
print(ResultFormat.text(result), terminator: "")

// 3. Sweep: every value of the strategy's first param, on every core, over bars read once.
if let param = strategy.checked.parsed.params.first {
    let sweep = try ParameterSweep(strategy, axes: [(param.name, [5, 10, 20].map { ConstValue.number($0) })])
    let runs = try sweep.run(feeds: try MarketData.load(try MarketData.open([(symbol, csv)])), capital: 100_000,
                             jobs: ProcessInfo.processInfo.activeProcessorCount)
    print()
    print(SweepFormat.text(runs), terminator: "")
}
