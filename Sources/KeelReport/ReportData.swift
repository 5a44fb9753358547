import KeelData
import KeelEngine
import KeelLanguage

/// The data the report's script draws: big series packed (`PackedColumn`), the rest plain JSON.
extension BacktestReport {
    func data() -> JSON.Value {
        let r = result
        let curve = r.equityCurve
        let days = ReportAnalytics.dailyCloses(curve)
        let calendar = ReportAnalytics.calendarReturns(curve, capital: r.capital)
        let rolling = ReportAnalytics.rolling(days, window: 63)
        let exposure = ReportAnalytics.exposure(at: days, trades: r.trades, open: r.openPositions, bars: bars)
        func numbers(_ values: [Double]) -> JSON.Value { .array(values.map { $0.isFinite ? .number($0) : .null }) }
        func times(_ values: [Int64]) -> JSON.Value { .array(values.map { .int(Int($0)) }) }
        var fields: [(String, JSON.Value)] = [
            ("kind", .string("backtest")),
            ("capital", .number(r.capital)),
            ("symbols", .array(r.symbols.map { .string($0) })),
            ("bar_seconds", r.barSeconds.map { .int($0) } ?? .null),
            ("first_time", .int(Int(r.firstTime))), ("last_time", .int(Int(r.lastTime))),
            ("equity", curve.isEmpty ? .null : .object([
                ("t", PackedColumn(integers: curve.map(\.time)).json), ("v", PackedColumn(curve.map(\.equity), scale: 2).json),
            ])),
            ("bars", .array(bars.map { Self.packed(Self.clipped($0, from: r.firstTime, to: r.lastTime)) })),
            ("trades", packedTrades()),
            ("open", .array(r.openPositions.map { p in
                .object([("symbol", .string(p.symbol)), ("side", .string(p.side.rawValue)), ("quantity", .number(p.quantity)),
                         ("entry_time", .int(Int(p.entryTime))), ("entry_price", .number(p.entryPrice)),
                         ("mark_price", .number(p.markPrice)), ("unrealized_pnl", .number(p.unrealizedPnl))])
            })),
            ("decisions", decisions()),
            ("risk_events", .array(r.riskEvents.map { e in
                .array([.int(Int(e.time)), .string(e.symbol), .string(e.kind), .string(e.reason)])
            })),
            ("risk_event_count", .int(r.riskEventCount)),
            ("levels", levels()),
            ("monthly", .array(calendar.months.map { .array([.int($0.year), .int($0.month), .number($0.value)]) })),
            ("yearly", .array(calendar.years.map { .array([.int($0.year), .number($0.value)]) })),
            ("rolling", .object([("window", .int(63)), ("t", times(rolling.times)), ("sharpe", numbers(rolling.sharpe)),
                                 ("volatility", numbers(rolling.volatility))])),
            ("exposure", .object([("t", times(days.map(\.time))), ("v", numbers(exposure))])),
            ("contribution", .array(ReportAnalytics.contributions(symbols: r.symbols, trades: r.trades, open: r.openPositions).map { c in
                .object([("symbol", .string(c.symbol)), ("realized", .number(c.realized)), ("unrealized", .number(c.unrealized)),
                         ("trades", .int(c.trades)), ("wins", .int(c.wins)), ("fees", .number(c.fees))])
            })),
        ]
        fields.append(("trade_count", .int(r.metrics.tradeCount)))
        if let comparison {
            let curve = comparison.backtest.equityCurve
            fields.append(("comparison", .object([
                ("t", PackedColumn(integers: curve.map(\.time)).json), ("v", PackedColumn(curve.map(\.equity), scale: 2).json),
                ("divergence", comparison.firstDivergence.map { .int(Int($0.time)) } ?? .null),
            ])))
        }
        return .object(fields)
    }

    /// The bars from `from` to `to`: a range's warm-up is not drawn.
    static func clipped(_ series: BarSeries, from: Int64, to: Int64) -> BarSeries {
        let start = series.time.firstIndex { $0 >= from } ?? series.count
        let end = series.time.lastIndex { $0 <= to }.map { $0 + 1 } ?? 0
        guard start > 0 || end < series.count else { return series }
        var out = BarSeries(symbol: series.symbol)
        if start < end {
            out.time = Array(series.time[start..<end]); out.open = Array(series.open[start..<end]); out.high = Array(series.high[start..<end])
            out.low = Array(series.low[start..<end]); out.close = Array(series.close[start..<end]); out.volume = Array(series.volume[start..<end])
        }
        return out
    }

    /// A symbol's bars inside the result's period, prices at their own decimals.
    /// The close is written as its change from the last close; the open as its gap from the
    /// last close, the high and low as the wicks beyond the body: small numbers, which pack small.
    static func packed(_ series: BarSeries) -> JSON.Value {
        let decimals = PackedColumn.decimals(of: series.close + series.open + series.high + series.low)
        let (o, h, l, c) = (PackedColumn.scaled(series.open, decimals), PackedColumn.scaled(series.high, decimals),
                            PackedColumn.scaled(series.low, decimals), PackedColumn.scaled(series.close, decimals))
        let gaps = o.indices.map { o[$0] &- (($0 > 0) ? c[$0 - 1] : 0) }
        let upper = o.indices.map { h[$0] &- max(o[$0], c[$0]) }
        let lower = o.indices.map { min(o[$0], c[$0]) &- l[$0] }
        return .object([
            ("symbol", .string(series.symbol)),
            ("t", PackedColumn(integers: series.time).json),
            ("c", PackedColumn(integers: c, scale: decimals).json),
            ("gap", PackedColumn(integers: gaps, scale: decimals, delta: false).json),
            ("upper", PackedColumn(integers: upper, scale: decimals, delta: false).json),
            ("lower", PackedColumn(integers: lower, scale: decimals, delta: false).json),
        ])
    }

    /// The trades as columns: symbols and exit reasons as indexes into their lists.
    private func packedTrades() -> JSON.Value {
        let trades = result.trades
        let symbolIndex = Dictionary(result.symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let reasons: [ExitReason] = [.signal, .stopLoss, .takeProfit, .trailingStop, .timeStop, .killSwitch, .flatten]
        let prices = trades.map(\.entryPrice) + trades.map(\.exitPrice)
        let priceDecimals = PackedColumn.decimals(of: prices)
        let quantityDecimals = PackedColumn.decimals(of: trades.map(\.quantity))
        func column(_ values: [Double], _ scale: Int) -> JSON.Value { PackedColumn(values, scale: scale).json }
        return .object([
            ("n", .int(trades.count)),
            ("reasons", .array(reasons.map { .string($0.rawValue) })),
            ("symbol", PackedColumn(integers: trades.map { Int64(symbolIndex[$0.symbol] ?? 0) }).json),
            ("side", PackedColumn(integers: trades.map { $0.side == .long ? 1 : -1 }).json),
            ("reason", PackedColumn(integers: trades.map { Int64(reasons.firstIndex(of: $0.exitReason) ?? 0) }).json),
            ("entry_time", PackedColumn(integers: trades.map(\.entryTime)).json),
            ("exit_time", PackedColumn(integers: trades.map(\.exitTime)).json),
            ("entry_price", column(trades.map(\.entryPrice), priceDecimals)),
            ("exit_price", column(trades.map(\.exitPrice), priceDecimals)),
            ("quantity", column(trades.map(\.quantity), quantityDecimals)),
            ("pnl", column(trades.map(\.pnl), 4)),
            ("fees", column(trades.map(\.fees), 4)),
            ("return", column(trades.map { $0.pnl / ($0.quantity * $0.entryPrice) }, 6)),
        ])
    }

    /// The decision trace (the rule that fired and the values it read, for the trade detail), as
    /// columns: strings as indexes into their lists, each decision's reading names as one of a few
    /// shapes, every value in one column at 8 decimals (non-finite ones listed apart).
    private func decisions() -> JSON.Value {
        let all = result.decisions
        guard all.count <= Self.tracedDecisionLimit else {
            return .object([("count", .int(all.count)), ("omitted", .bool(true))])
        }
        var lists: [String: [String]] = [:], indexes: [String: [String: Int]] = [:]
        func code(_ kind: String, _ text: String) -> Int64 {
            if let known = indexes[kind]?[text] { return Int64(known) }
            lists[kind, default: []].append(text)
            indexes[kind, default: [:]][text] = lists[kind]!.count - 1
            return Int64(lists[kind]!.count - 1)
        }
        var shapes: [[String]] = [], shapeIndex: [[String]: Int] = [:]
        var values: [Double] = [], missing: [JSON.Value] = []
        var columns: (symbol: [Int64], action: [Int64], side: [Int64], rule: [Int64], shape: [Int64]) = ([], [], [], [], [])
        for d in all {
            let names = d.values.map(\.0)
            let shape = shapeIndex[names] ?? { shapes.append(names); shapeIndex[names] = shapes.count - 1; return shapes.count - 1 }()
            columns.symbol.append(code("symbol", d.symbol)); columns.action.append(code("action", d.action))
            columns.side.append(d.side == .long ? 1 : -1); columns.rule.append(code("rule", d.rule)); columns.shape.append(Int64(shape))
            for (_, value) in d.values {
                if !value.isFinite { missing.append(.int(values.count)) }
                values.append(value.isFinite ? value : 0)
            }
        }
        func strings(_ kind: String) -> JSON.Value { .array((lists[kind] ?? []).map { .string($0) }) }
        return .object([
            ("count", .int(all.count)),
            ("t", PackedColumn(integers: all.map(\.time)).json),
            ("symbol", PackedColumn(integers: columns.symbol, delta: false).json), ("symbols", strings("symbol")),
            ("action", PackedColumn(integers: columns.action, delta: false).json), ("actions", strings("action")),
            ("side", PackedColumn(integers: columns.side, delta: false).json),
            ("rule", PackedColumn(integers: columns.rule, delta: false).json), ("rules", strings("rule")),
            ("shape", PackedColumn(integers: columns.shape, delta: false).json),
            ("shapes", .array(shapes.map { .array($0.map { .string($0) }) })),
            ("values", PackedColumn(values, scale: 8).json), ("missing", .array(missing)),
        ])
    }

    /// Protective levels set as a fixed share of the entry price, drawn from each entry; levels
    /// read from price expressions are only known where they fired (the decision's `level`).
    private func levels() -> JSON.Value {
        guard let program = strategy?.program else { return .null }
        var stop: JSON.Value = .null
        if case .percent(let fraction)? = program.stopLoss { stop = .number(fraction) }
        let targets: [JSON.Value] = program.takeProfit.compactMap { step in
            if case .percent(let distance) = step.level { return .number(distance) }
            return nil
        }
        return .object([("stop", stop), ("trailing", .bool(program.trailing)), ("targets", .array(targets))])
    }
}
