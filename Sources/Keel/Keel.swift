@_exported import KeelData
@_exported import KeelEngine
@_exported import KeelLanguage
@_exported import KeelLint

/// Keel as a library: the few calls an embedder needs, and the only module it imports.
///
/// ```swift
/// import Keel
///
/// let compilation = Keel.compile(text, path: "sma_cross.yaml")
/// guard let strategy = compilation.strategy else { print(compilation.rendered()); return }
/// let data = try MarketData.open([("AAPL", "AAPL.csv")])
/// let result = try Keel.backtest(strategy, data: data, capital: 100_000)
/// print(ResultFormat.text(result))
/// ```
///
/// The pipeline behind it: text → YAML front end → checker → linter → compiler → engine
/// (docs/architecture.md). Problems with the strategy come back as `Diagnostic` values, each at
/// its `file:line:column`; problems with the data are thrown.
public enum Keel {
    /// Lints, checks and compiles a strategy's text: every diagnostic of every phase (a compile
    /// error too), sorted by position, and the program when no diagnostic is an error.
    /// - Parameters:
    ///   - text: the strategy file's text.
    ///   - path: the file's path, as diagnostics name it.
    ///   - params: values that replace the strategy's `params:` (as `--set` does).
    ///   - linter: the lint rules and configuration; the defaults by default.
    public static func compile(_ text: String, path: String, params: [String: ConstValue] = [:], linter: Linter = Linter()) -> Compilation {
        Compilation(SourceFile(path: path, text: text), params: params, linter: linter)
    }

    /// Lints a file as `keel lint` does: the linter's findings, and for a file without errors the
    /// compiler's too (`engine-unsupported`: a strategy that checks but the engine cannot run yet
    /// fails lint, not only the backtest).
    public static func lint(_ file: SourceFile, linter: Linter = Linter()) -> Linter.Report {
        var report = linter.lint(file)
        if report.count(.error) == 0, let checked = report.checked, let problem = compiled(checked).problem {
            report.diagnostics = (report.diagnostics + [problem]).sortedForDisplay()
        }
        return report
    }

    /// The program, or the compiler's refusal as an `engine-unsupported` diagnostic at its position.
    static func compiled(_ checked: CheckedStrategy) -> (program: CompiledStrategy?, problem: Diagnostic?) {
        do { return (try Compiler.compile(checked), nil) } catch {
            return (nil, .report(.engineUnsupported(error.message), at: error.range))
        }
    }

    /// Runs `strategy` over `data` (one source per symbol) and returns the result.
    /// - Parameters:
    ///   - strategy: a compiled strategy (``Compilation/strategy``).
    ///   - data: one bar source per symbol (``MarketData/open(_:policy:)``).
    ///   - capital: starting cash.
    ///   - keepTrades: list every trade and risk event in the result (memory grows with them);
    ///     the summary's figures never need them.
    ///   - keepEquityCurve: keep the equity after every time step in the result.
    ///   - trace: record every decision with the values its rule read.
    ///   - annualization: periods per year for Sharpe, Sortino and volatility; nil for the data's
    ///     observed bars per year.
    ///   - spool: where trades and risk events go as they happen instead of the result (a JSON
    ///     document written while the run goes on).
    ///   - range: the period traded (`--from`, `--to`); the strategy's indicators warm up on the
    ///     bars before it. Unbounded by default.
    ///   - progress: called with the fraction of the bars read, from 0 to 1.
    /// - Throws: `Backtest.Refusal` when the data does not fit the strategy (bars coarser than its
    ///   `timeframe:`), the data's own errors (`CSVBarReader.Failure`) when a file has bad rows.
    public static func backtest(_ strategy: LoadedStrategy, data: [BarSource], capital: Double = 100_000, keepTrades: Bool = true,
                                keepEquityCurve: Bool = false, trace: Bool = false, annualization: Double? = nil,
                                spool: ResultSpool? = nil, range: DateRange = DateRange(), progress: ((Double) -> Void)? = nil) throws -> BacktestResult {
        try Backtest.run(strategy.program, sources: data, capital: capital, trace: trace, keepEquityCurve: keepEquityCurve,
                         keepTrades: keepTrades, annualization: annualization, spool: spool, range: range, progress: progress)
    }
}
