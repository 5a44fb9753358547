import Testing
import KeelLanguage

/// Every numeric setting is range-checked as a number before anything converts it: `time_stop:
/// 1e19` once trapped in the checker (`keel lint` died, and `POST /v1/strategies` took `keel
/// serve` down with it). Each setting gets the values below; the checker must answer, and every
/// error it reports must sit on the line that holds the value.
@Suite("Numeric settings at their extremes")
struct SettingRangeTests {
    static let values = ["0", "-1", "1e19", "1e308", "1e400", "nan", ".nan", ".inf", "9223372036854775807", "99999999999999999999999"]

    /// (the line to add, params it needs): `{v}` is replaced by each value.
    static let settings: [(String, String?)] = [
        ("time_stop: {v}", nil), ("time_stop: {v} bars", nil), ("time_stop: n", "params: {n: {v}}"),
        ("stop_loss: {v}%", nil), ("take_profit: {v}%", nil), ("take_profit: [{at: 5%, close: {v}%}]", nil),
        ("allocation: {size: fixed({v})}", nil), ("allocation: {size: percent_of_equity({v}%)}", nil),
        ("allocation: {size: kelly(0.5, {v})}", nil), ("allocation: {size: kelly({v})}", nil),
        ("allocation: {size: volatility_target(15%, {v})}", nil), ("allocation: {size: volatility_target({v}%, 20)}", nil),
        ("allocation: {size: kelly(0.5, n)}", "params: {n: {v}}"),
        ("allocation: {lot: {v}}", nil), ("allocation: {max_positions: {v}}", nil), ("allocation: {rank: close, top: {v}}", nil),
        ("execution: {fees: {v}%}", nil), ("execution: {fees: {per_unit: {v}}}", nil), ("execution: {fees: {per_order: {v}}}", nil),
        ("execution: {slippage: {ticks: {v}, tick_size: 0.01}}", nil),
        ("risk: {cooldown: {v}}", nil), ("risk: {cooldown: {v} bars}", nil), ("risk: {max_open_positions: {v}}", nil),
        ("risk: {max_leverage: {v}}", nil), ("risk: {daily_loss_limit: {v}%}", nil), ("risk: {max_position: {v}%}", nil),
        ("let: {a: sma(close, {v})}", nil), ("let: {a: close[{v}]}", nil), ("let: {a: sma(close, n)}", "params: {n: {v}}"),
        ("let: {a: timeframe({v}d, close)}", nil), ("timeframe: {v}m", nil),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let line: String
        let params: String?
        var testDescription: String { line }
    }

    static let cases = settings.map { Case(line: $0.0, params: $0.1) }

    @Test("a diagnostic at the value, never a trap", arguments: cases)
    func extremes(_ setting: Case) {
        for value in Self.values {
            let line = setting.line.replacingOccurrences(of: "{v}", with: value)
            var lines = ["keel: 1", "name: P", "profile: degen", "entry: {long: close > sma(close, 10)}", "exit: {long: close < sma(close, 10)}"]
            if let params = setting.params { lines.append(params.replacingOccurrences(of: "{v}", with: value)) }
            lines.append(line)
            let result = check(lines.joined(separator: "\n") + "\n")
            let valueLines = Set([lines.count] + (setting.params == nil ? [] : [lines.count - 1]))
            for error in result.diagnostics where error.severity == .error {
                let at = result.file.location(ofOffset: error.range.start)
                #expect(valueLines.contains(at.line), "\(line): \(at): \(error.message)")
            }
            // A count of bars (a window, a lookback, a time stop, a cooldown, a count) past its bound is refused.
            let huge = ["e19", "e308", "e400", "9223", "9999"].contains(where: value.contains)
            let counts = ["time_stop", "kelly(0.5", "volatility_target(15%", "max_positions", "top:", "cooldown", "max_open_positions",
                          "sma(", "close[", "timeframe"]
            if huge, counts.contains(where: line.contains) {
                let refused = result.hasErrors
                #expect(refused, "\(line) was accepted")
            }
        }
    }
}
