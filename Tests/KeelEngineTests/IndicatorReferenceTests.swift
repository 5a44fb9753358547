import Foundation
import Testing
@testable import KeelEngine

/// Every streaming indicator against reference values generated once by TA-Lib (and plain Python
/// definitions where TA-Lib has none): Fixtures/make_reference.py, committed with its output.
@Suite("Indicators against TA-Lib")
struct IndicatorReferenceTests {
    struct Bars {
        let time: [Int64]
        let open, high, low, close, volume: [Double]
        var count: Int { close.count }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let data: String
        let name: String
        let args: [String: Double]
        let outputs: [String: [Double]]
        var testDescription: String { "\(name)\(args.sorted { $0.key < $1.key }.map { "\($0.key)=\(ExpressionFormat.number($0.value))" }) on \(data)" }
    }

    static let reference: (inputs: [String: Bars], cases: [Case]) = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/indicator_reference.json")
        let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func doubles(_ any: Any?) -> [Double] { (any as! [Any]).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
        var inputs: [String: Bars] = [:]
        for (name, value) in root["inputs"] as! [String: [String: Any]] {
            inputs[name] = Bars(time: (value["time"] as! [NSNumber]).map(\.int64Value), open: doubles(value["open"]),
                                high: doubles(value["high"]), low: doubles(value["low"]), close: doubles(value["close"]),
                                volume: doubles(value["volume"]))
        }
        let cases = (root["cases"] as! [[String: Any]]).map { item in
            Case(data: item["data"] as! String, name: item["name"] as! String,
                 args: (item["args"] as! [String: NSNumber]).mapValues(\.doubleValue),
                 outputs: (item["outputs"] as! [String: Any]).mapValues(doubles))
        }
        return (inputs, cases)
    }()

    /// Outputs Keel knows earlier than TA-Lib prints them (TA-Lib aligns %K with %D).
    static let earlier: Set<String> = ["stoch.k", "stochrsi.k"]

    @Test("within 1e-9 relative, with the same warm-up", arguments: reference.cases)
    func matches(_ item: Case) throws {
        let bars = try #require(Self.reference.inputs[item.data])
        let computed = Self.compute(item, bars)
        #expect(Set(computed.keys) == Set(item.outputs.keys))
        for (output, expected) in item.outputs {
            let actual = try #require(computed[output])
            let scale = max(1e-300, expected.filter { !$0.isNaN }.map(abs).reduce(0, +) / Double(max(1, expected.filter { !$0.isNaN }.count)))
            var mismatches = 0
            for i in 0..<bars.count {
                let want = expected[i], got = actual[i]
                if want.isNaN {
                    if !got.isNaN, !Self.earlier.contains("\(item.name).\(output)") {
                        mismatches += 1
                        if mismatches <= 3 { Issue.record("\(output)[\(i)]: expected no value, got \(got)") }
                    }
                    continue
                }
                if !(abs(want - got) <= 1e-9 * max(abs(want), abs(got), scale)) {
                    mismatches += 1
                    if mismatches <= 3 { Issue.record("\(output)[\(i)]: expected \(want), got \(got)") }
                }
            }
            #expect(mismatches == 0, "\(item.testDescription).\(output): \(mismatches) of \(bars.count) bars differ")
        }
    }

    @Test("the reference covers every indicator of the built-in table")
    func coverage() {
        let names = Set(Self.reference.cases.map(\.name))
        let indicators = ["sma", "ema", "wma", "hma", "rma", "vwma", "dema", "tema", "kama", "rsi", "stoch", "stochrsi", "macd", "cci",
                          "mfi", "williams_r", "roc", "momentum", "atr", "natr", "true_range", "adx", "dmi", "supertrend", "bbands",
                          "keltner", "donchian", "stdev", "variance", "zscore", "obv", "vwap", "cmf", "highest", "lowest",
                          "crosses_above", "crosses_below", "rising", "barssince", "valuewhen"]
        for name in indicators { #expect(names.contains(name), "\(name)") }
    }

    /// Runs Keel's indicator for one reference case, bar by bar.
    static func compute(_ item: Case, _ bars: Bars) -> [String: [Double]] {
        func arg(_ name: String) -> Int { Int(item.args[name]!) }
        func series(_ step: (Int) -> Double) -> [String: [Double]] { ["value": (0..<bars.count).map(step)] }
        func outputs(_ names: [String], _ step: (Int) -> [Double]) -> [String: [Double]] {
            let rows = (0..<bars.count).map(step)
            return Dictionary(uniqueKeysWithValues: names.enumerated().map { index, name in (name, rows.map { $0[index] }) })
        }
        let (h, l, c, v) = (bars.high, bars.low, bars.close, bars.volume)
        switch item.name {
        case "sma": var x = SMA(period: arg("n")); return series { x.update(c[$0]) }
        case "ema": var x = EMA(period: arg("n")); return series { x.update(c[$0]) }
        case "wma": var x = WMA(period: arg("n")); return series { x.update(c[$0]) }
        case "dema": var x = DEMA(period: arg("n")); return series { x.update(c[$0]) }
        case "tema": var x = TEMA(period: arg("n")); return series { x.update(c[$0]) }
        case "kama": var x = KAMA(period: arg("n")); return series { x.update(c[$0]) }
        case "rma": var x = RMA(period: arg("n")); return series { x.update(c[$0]) }
        case "hma": var x = HMA(period: arg("n")); return series { x.update(c[$0]) }
        case "vwma": var x = VWMA(period: arg("n")); return series { x.update(c[$0], volume: v[$0]) }
        case "rsi": var x = RSI(period: arg("n")); return series { x.update(c[$0]) }
        case "stoch":
            var x = Stochastic(period: arg("n"), dPeriod: arg("d"), smooth: arg("smooth"))
            return outputs(["k", "d"]) { let r = x.update(high: h[$0], low: l[$0], close: c[$0]); return [r.k, r.d] }
        case "stochrsi":
            var rsi = RSI(period: arg("rsi_period"))
            var x = Stochastic(period: arg("n"), dPeriod: arg("d"), smooth: arg("smooth"))
            return outputs(["k", "d"]) { let r = rsi.update(c[$0]); let s = x.update(high: r, low: r, close: r); return [s.k, s.d] }
        case "macd":
            var x = MACD(fast: arg("fast"), slow: arg("slow"), signal: arg("signal"))
            return outputs(["macd", "signal", "histogram"]) { let r = x.update(c[$0]); return [r.macd, r.signal, r.histogram] }
        case "cci": var x = CCI(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0]) }
        case "mfi": var x = MFI(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0], volume: v[$0]) }
        case "williams_r": var x = WilliamsR(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0]) }
        case "roc": var x = Difference(period: arg("n"), ratio: true); return series { x.update(c[$0]) }
        case "momentum": var x = Difference(period: arg("n"), ratio: false); return series { x.update(c[$0]) }
        case "atr": var x = ATR(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0]) }
        case "natr": var x = ATR(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0]) / c[$0] }
        case "true_range": var x = TrueRange(); return series { x.update(high: h[$0], low: l[$0], close: c[$0]) }
        case "dmi":
            var x = DirectionalMovement(period: arg("n"))
            return outputs(["plus", "minus"]) { let r = x.update(high: h[$0], low: l[$0], close: c[$0]); return [r.plus, r.minus] }
        case "adx": var x = DirectionalMovement(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0]).adx }
        case "supertrend":
            var x = Supertrend(period: arg("n"), multiplier: item.args["multiplier"]!)
            return outputs(["line", "direction"]) { let r = x.update(high: h[$0], low: l[$0], close: c[$0]); return [r.line, r.direction] }
        case "stdev": var x = RollingVariance(period: arg("n")); return series { x.update(c[$0]).variance.squareRoot() }
        case "variance": var x = RollingVariance(period: arg("n")); return series { x.update(c[$0]).variance }
        case "zscore":
            var x = RollingVariance(period: arg("n"))
            return series { let r = x.update(c[$0]); return (c[$0] - r.mean) / r.variance.squareRoot() }
        case "bbands":
            var x = BollingerBands(period: arg("n"), k: item.args["k"]!)
            return outputs(["upper", "middle", "lower"]) { let r = x.update(c[$0]); return [r.upper, r.middle, r.lower] }
        case "keltner":
            var x = KeltnerChannel(period: arg("n"), k: item.args["k"]!, atrPeriod: arg("atr_period"))
            return outputs(["upper", "middle", "lower"]) { let r = x.update(high: h[$0], low: l[$0], close: c[$0]); return [r.upper, r.middle, r.lower] }
        case "donchian":
            var x = DonchianChannel(period: arg("n"))
            return outputs(["upper", "middle", "lower"]) { let r = x.update(high: h[$0], low: l[$0]); return [r.upper, r.middle, r.lower] }
        case "highest": var x = RollingExtreme(period: arg("n"), highest: true); return series { x.update(c[$0]) }
        case "lowest": var x = RollingExtreme(period: arg("n"), highest: false); return series { x.update(c[$0]) }
        case "obv": var x = OBV(); return series { x.update(close: c[$0], volume: v[$0]) }
        case "cmf": var x = ChaikinMoneyFlow(period: arg("n")); return series { x.update(high: h[$0], low: l[$0], close: c[$0], volume: v[$0]) }
        case "vwap":
            var x = SessionVWAP()
            return series { x.update(high: h[$0], low: l[$0], close: c[$0], volume: v[$0], time: bars.time[$0]) }
        case "crosses_above", "crosses_below":
            var fast = SMA(period: arg("fast")), slow = SMA(period: arg("slow")), x = Cross(above: item.name == "crosses_above")
            return series { x.update(fast.update(c[$0]), slow.update(c[$0])) }
        case "rising": var x = Monotone(period: arg("n"), rising: true); return series { x.update(c[$0]) }
        case "barssince":
            var fast = SMA(period: arg("fast")), slow = SMA(period: arg("slow")), cross = Cross(above: true), x = BarsSince()
            return series { x.update(cross.update(fast.update(c[$0]), slow.update(c[$0]))) }
        case "valuewhen":
            var fast = SMA(period: arg("fast")), slow = SMA(period: arg("slow")), cross = Cross(above: true)
            var x = ValueWhen(occurrence: arg("occurrence"))
            return series { x.update(cross.update(fast.update(c[$0]), slow.update(c[$0])), c[$0]) }
        default:
            Issue.record("no Keel indicator for reference case '\(item.name)'")
            return [:]
        }
    }
}

enum ExpressionFormat {
    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : "\(value)" }
}

import KeelLanguage

@Suite("Warm-up: the checker's static count equals the indicators' first value")
struct WarmupAgreementTests {
    /// Cases whose arguments are not the built-in's own (they feed sma crossings) or whose first
    /// value depends on the data (barssince, valuewhen).
    static let skipped: Set<String> = ["crosses_above", "crosses_below", "barssince", "valuewhen"]

    @Test("for every reference case", arguments: IndicatorReferenceTests.reference.cases.filter { !skipped.contains($0.name) && $0.data == "ORCL" })
    func agree(_ item: IndicatorReferenceTests.Case) throws {
        let builtin = try #require(BuiltinTable.named(item.name))
        var constants = item.args
        for parameter in builtin.parameters where constants[parameter.name] == nil {
            constants[parameter.name] = parameter.defaultValue
        }
        let firstValue = item.outputs.values.map { output in output.firstIndex { !$0.isNaN } ?? -1 }.max()!
        #expect(builtin.warmup.bars(constants) == firstValue, "\(item.testDescription): table says \(builtin.warmup.describe)")
    }
}
