import Keel

extension BacktestReport {
    /// Reads the bars into memory (the price charts draw them), runs the backtest with every trade,
    /// the equity curve and the decision trace kept, and makes its report: what `keel backtest
    /// --report`, `keel report --strategy` and the service's report route share.
    /// - Returns: the report, and the sources (their skipped rows and warnings are the caller's to say).
    /// - Throws: the data's errors (`MarketData.Unreadable`, `CSVBarReader.Failure`) and `Backtest.Refusal`.
    public static func make(_ strategy: LoadedStrategy, files: [(symbol: String, path: String)], policy: MarketData.Policy = .init(),
                            capital: Double, range: DateRange = DateRange(), annualization: Double? = nil, command: [String],
                            strategyPath: String? = nil) throws -> (report: BacktestReport, sources: [BarSource]) {
        let sources = try MarketData.open(files, policy: policy)
        let bars = try MarketData.load(sources)
        var result = try Keel.backtest(strategy, data: bars.map(MemoryBarSource.init), capital: capital, keepTrades: true, keepEquityCurve: true,
                                       trace: true, annualization: annualization, range: range)
        result.dataFiles = sources.map(\.origin)
        let manifest = ReportManifest(command: command, strategyPath: strategyPath ?? strategy.path, strategyText: strategy.text,
                                      data: ReportManifest.checksums(files))
        return (BacktestReport(result: result, bars: bars, strategy: strategy, manifest: manifest), sources)
    }
}
