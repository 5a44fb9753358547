import Foundation
import Keel
import KeelData

/// A result file `keel report` draws: a backtest's JSON (`keel backtest --format json`, or `keel
/// runs show --format json`) or a sweep's (`--sweep ... --format json`), read back.
public enum ResultDocument {
    case backtest(BacktestResult)
    case sweep(strategy: String, runs: [ParameterSweep.Run])

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func read(_ data: Data, path: String) throws(Failure) -> ResultDocument {
        guard let object = (try? JSONReader.foundationObject(data)) as? [String: Any] else {
            throw Failure(description: "\(path): not a JSON object; give the output of keel backtest --format json")
        }
        if let runs = object["runs"] as? [[String: Any]] {
            let order = paramOrder(String(decoding: data, as: UTF8.self))
            return .sweep(strategy: "", runs: try runs.map { run throws(Failure) in
                let read = try sweepRun(run, path: path)
                let params = read.params.sorted { (order.firstIndex(of: $0.0) ?? .max, $0.0) < (order.firstIndex(of: $1.0) ?? .max, $1.0) }
                return ParameterSweep.Run(params: params, result: read.result)
            })
        }
        guard object["metrics"] is [String: Any], object["trades"] is [Any] else {
            throw Failure(description: "\(path): neither a backtest's result (no metrics and trades) nor a sweep's (no runs)")
        }
        return .backtest(try backtest(object, path: path))
    }

    private static func time(_ value: Any?, _ field: String, path: String) throws(Failure) -> Int64 {
        if let text = value as? String, let t = TimestampParser.parse(text) { return t }
        if let n = value as? NSNumber { return n.int64Value }
        throw Failure(description: "\(path): \(field) is not a time")
    }

    private static func number(_ value: Any?) -> Double {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return s == "inf" ? .infinity : s == "-inf" ? -.infinity : Double(s) ?? .nan }
        return .nan
    }

    private static func metrics(_ value: Any?) -> Metrics {
        Metrics(named: ((value as? [String: Any]) ?? [:]).mapValues(number))
    }

    static func backtest(_ o: [String: Any], path: String) throws(Failure) -> BacktestResult {
        var trades: [Trade] = []
        for case let t as [String: Any] in (o["trades"] as? [Any]) ?? [] {
            trades.append(Trade(symbol: t["symbol"] as? String ?? "", side: Side(rawValue: t["side"] as? String ?? "") ?? .long,
                                entryTime: try time(t["entry_time"], "entry_time", path: path), entryPrice: number(t["entry_price"]),
                                exitTime: try time(t["exit_time"], "exit_time", path: path), exitPrice: number(t["exit_price"]),
                                quantity: number(t["quantity"]), pnl: number(t["pnl"]), fees: number(t["fees"]),
                                exitReason: ExitReason(rawValue: t["exit_reason"] as? String ?? "") ?? .signal))
        }
        var open: [BacktestResult.OpenPosition] = []
        for case let p as [String: Any] in (o["open_positions"] as? [Any]) ?? [] {
            open.append(.init(symbol: p["symbol"] as? String ?? "", side: Side(rawValue: p["side"] as? String ?? "") ?? .long,
                              quantity: number(p["quantity"]), entryTime: try time(p["entry_time"], "entry_time", path: path),
                              entryPrice: number(p["entry_price"]), markTime: try time(p["mark_time"], "mark_time", path: path),
                              markPrice: number(p["mark_price"]), unrealizedPnl: number(p["unrealized_pnl"])))
        }
        var risk: [Engine.RiskEvent] = []
        for case let e as [String: Any] in (o["risk_events"] as? [Any]) ?? [] {
            risk.append(.init(time: try time(e["time"], "time", path: path), symbol: e["symbol"] as? String ?? "",
                              kind: e["kind"] as? String ?? "", reason: e["reason"] as? String ?? ""))
        }
        var equity: [(time: Int64, equity: Double)] = []
        for case let point as [String: Any] in (o["equity"] as? [Any]) ?? [] {
            equity.append((try time(point["time"], "equity time", path: path), number(point["equity"])))
        }
        let m = metrics(o["metrics"])
        var result = BacktestResult(strategy: o["strategy"] as? String ?? "", symbols: o["symbols"] as? [String] ?? [], capital: number(o["capital"]),
                                    bars: (o["bars"] as? NSNumber)?.intValue ?? 0, firstTime: try time(o["first_time"], "first_time", path: path),
                                    lastTime: try time(o["last_time"], "last_time", path: path), finalEquity: number(o["final_equity"]),
                                    trades: trades, openPositions: open, equityCurve: equity, riskEvents: risk, riskEventCount: risk.count,
                                    decisions: [], metrics: m)
        result.barSeconds = (o["bar_seconds"] as? NSNumber)?.intValue
        result.dataBarSeconds = (o["data_bar_seconds"] as? NSNumber)?.intValue
        if let range = o["range"] as? [String: Any] {
            result.range = (try? DateRange(from: range["from"] as? String, to: range["to"] as? String)) ?? DateRange()
        }
        return result
    }

    /// The params' names in the order the file writes them (the sweep's axes), from the first run's `params` object.
    static func paramOrder(_ text: String) -> [String] {
        guard let start = text.range(of: "\"params\""), let open = text[start.upperBound...].firstIndex(of: "{"),
              let close = text[open...].firstIndex(of: "}") else { return [] }
        var names: [String] = []
        var inString = false, current = "", depth = 0
        for c in text[text.index(after: open)..<close] {
            if c == "\"" {
                if inString, depth == 0 { names.append(current) }
                inString.toggle(); current = ""
            } else if inString { current.append(c) } else if c == ":" { depth = 1 } else if c == "," { depth = 0 }
        }
        return names
    }

    private static func sweepRun(_ o: [String: Any], path: String) throws(Failure) -> ParameterSweep.Run {
        // Key order is the params' order in the file; JSONSerialization forgets it, so it is read from the text's order below.
        let params = ((o["params"] as? [String: Any]) ?? [:]).map { name, value -> (String, ConstValue) in
            if let n = value as? NSNumber { return (name, .number(n.doubleValue)) }
            return (name, .string("\(value)"))
        }.sorted { $0.0 < $1.0 }
        let m = o["metrics"] != nil ? metrics(o["metrics"]) : {
            var m = Metrics()
            (m.totalReturn, m.sharpe, m.maxDrawdown, m.winRate) = (number(o["total_return"]), number(o["sharpe"]), number(o["max_drawdown"]), number(o["win_rate"]))
            m.tradeCount = (o["trade_count"] as? NSNumber)?.intValue ?? 0
            return m
        }()
        let first = (o["first_time"] as? String).flatMap(TimestampParser.parse) ?? 0
        let last = (o["last_time"] as? String).flatMap(TimestampParser.parse) ?? 0
        let result = BacktestResult(strategy: "", symbols: o["symbols"] as? [String] ?? [], capital: number(o["capital"]), bars: (o["bars"] as? NSNumber)?.intValue ?? 0,
                                    firstTime: first, lastTime: last, finalEquity: number(o["final_equity"]), trades: [], openPositions: [],
                                    equityCurve: [], riskEvents: [], riskEventCount: 0, decisions: [], metrics: m)
        return ParameterSweep.Run(params: params, result: result)
    }
}
