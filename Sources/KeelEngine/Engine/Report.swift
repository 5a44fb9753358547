import KeelLanguage

extension Engine {
    /// The run so far in the backtest's result contract: metrics from the running statistics,
    /// open positions marked at each symbol's last close (`markTimes`: each symbol's last bar
    /// time), and the trades, risk events and decisions the engine still holds.
    package func report(bars: Int, firstTime: Int64, lastTime: Int64, markTimes: [Int64?], barSeconds: Int?) -> BacktestResult {
        var open: [BacktestResult.OpenPosition] = []
        for (index, book) in books.enumerated() {
            guard let p = book.position, let mark = markTimes[index] else { continue }
            open.append(.init(symbol: symbols[index], side: p.side, quantity: p.quantity, entryTime: p.entryTime,
                              entryPrice: p.entryPrice, markTime: mark, markPrice: book.lastClose,
                              unrealizedPnl: p.sign * p.quantity * (book.lastClose - p.entryPrice) - p.entryFees))
        }
        let exposure = bars == 0 ? 0 : Double(books.reduce(0) { $0 + $1.barsInMarket }) / Double(bars)
        let held = books.filter { !$0.firstClose.isNaN && $0.firstClose > 0 }
        let buyAndHold = held.isEmpty ? 0 : held.reduce(0.0) { $0 + ($1.lastClose / $1.firstClose - 1) } / Double(held.count)
        var finished = statistics
        finished.finish()
        let exposureTime = finished.count == 0 ? 0 : Double(stepsHeld) / Double(finished.count)
        let metrics = Metrics.compute(finished, capital: options.capital, trades: tradeStatistics, barSeconds: barSeconds,
                                      annualization: options.annualization, exposure: exposure, exposureTime: exposureTime, buyAndHold: buyAndHold)
        return BacktestResult(strategy: program.name, symbols: symbols, capital: options.capital, bars: bars, firstTime: firstTime,
                              lastTime: lastTime, finalEquity: equity, trades: trades, openPositions: open, equityCurve: equityCurve,
                              riskEvents: riskEvents, riskEventCount: riskEventCount, decisions: decisions, metrics: metrics)
    }

}
