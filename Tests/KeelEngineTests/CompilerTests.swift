import Foundation
import Testing
import KeelLanguage
import KeelTestSupport
@testable import KeelEngine

@Suite("Compiler and evaluator")
struct CompilerTests {
    static var bars: [BarInput] {
        let input = IndicatorReferenceTests.reference.inputs["ORCL"]!
        return (0..<input.count).map {
            BarInput(time: input.time[$0], open: input.open[$0], high: input.high[$0], low: input.low[$0],
                     close: input.close[$0], volume: input.volume[$0], index: $0)
        }
    }

    static func compile(_ text: String) throws -> (CheckedStrategy, CompiledStrategy) {
        let result = Frontend.check(SourceFile(path: "t.yaml", text: text))
        guard let checked = result.checked, !result.hasErrors else {
            throw Failure(message: result.diagnostics.map(\.message).joined(separator: "; "))
        }
        return (checked, try Compiler.compile(checked))
    }

    struct Failure: Error { let message: String }

    static func strategy(_ entry: String, lets: [String: String] = [:]) -> String {
        var text = "keel: 1\nname: T\nprofile: degen\n"
        if !lets.isEmpty { text += "let:\n" + lets.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"\n" }.joined() }
        return text + "entry:\n  long: \"\(entry)\"\n"
    }

    @Test("equal subexpressions are computed once")
    func sharing() throws {
        let (_, program) = try Self.compile(Self.strategy(
            "sma(close, 20) > sma(close, 50) and close > sma(close, 20) and crosses_above(sma(close, 20), sma(close, 50))"))
        let indicators = program.nodes.filter { if case .indicator = $0 { return true } else { return false } }
        // sma 20, sma 50, crosses_above: three nodes, however often they are written.
        #expect(indicators.count == 3)
        let closes = program.nodes.filter { if case .bar(.close, _) = $0 { return true } else { return false } }
        #expect(closes.count == 1)
    }

    @Test("a let is computed once however many rules read it")
    func lets() throws {
        let (_, program) = try Self.compile(Self.strategy("trend and trend and not (trend == false)", lets: ["trend": "sma(close, 10) > sma(close, 30)"]))
        let indicators = program.nodes.filter { if case .indicator = $0 { return true } else { return false } }
        #expect(indicators.count == 2)
    }

    @Test("the compiled program and the tree-walking reference agree exactly on random expressions over real bars")
    func agreement() throws {
        var rng = SeededGenerator(seed: 2024)
        let bars = Self.bars
        var checkedCount = 0
        for _ in 0..<120 {
            let entry = RandomCondition.make(&rng, depth: 3)
            let letText = RandomCondition.numeric(&rng, depth: 2)
            guard let (checked, program) = try? Self.compile(Self.strategy(entry + " or shared > 0", lets: ["shared": letText])) else {
                continue
            }
            checkedCount += 1
            let evaluator = Evaluator(program)
            let reference = ReferenceEvaluator(checked)
            let rule = checked.parsed.entry.long!
            for bar in bars {
                evaluator.step(bar)
                let want = reference.step(bar, rules: [rule])[0]
                let got = evaluator[program.entry[.long]!]
                guard want.bitPattern == got.bitPattern || (want.isNaN && got.isNaN) else {
                    Issue.record("\(ExpressionPrinter.print(rule)) at bar \(bar.index): reference \(want), compiled \(got)")
                    break
                }
            }
        }
        #expect(checkedCount > 80)
    }
}

/// Random well-typed conditions over the indicators, history, lets and logic.
enum RandomCondition {
    static func numeric(_ rng: inout SeededGenerator, depth: Int) -> String {
        let leaves = ["close", "open", "high", "low", "volume / 1000000", "hl2", "3", "0.5"]
        if depth == 0 { return leaves.randomElement(using: &rng)! }
        let x = numeric(&rng, depth: depth - 1)
        let n = Int.random(in: 2...30, using: &rng)
        switch Int.random(in: 0..<14, using: &rng) {
        case 0: return "sma(\(x), \(n))"
        case 1: return "ema(\(x), \(n))"
        case 2: return "rsi(\(x), \(n))"
        case 3: return "highest(\(x), \(n))[\(Int.random(in: 0...3, using: &rng))]"
        case 4: return "(\(x) - \(numeric(&rng, depth: depth - 1)))"
        case 5: return "\(x) * \(numeric(&rng, depth: depth - 1))"
        case 6: return "macd(\(x)).\(["macd", "signal", "histogram"].randomElement(using: &rng)!)"
        case 7: return "bbands(\(x), \(n), 2).\(["upper", "middle", "lower"].randomElement(using: &rng)!)"
        case 8: return "atr(\(n))"
        case 9: return "\(x)[\(Int.random(in: 1...5, using: &rng))]"
        case 10: return "(if \(make(&rng, depth: depth - 1)) then \(x) else \(numeric(&rng, depth: depth - 1)))"
        case 11: return "max(\(x), \(numeric(&rng, depth: depth - 1)))"
        case 12: return "donchian(\(n))[1].\(["upper", "lower"].randomElement(using: &rng)!)"
        default: return "nz(stdev(\(x), \(n)), 1)"
        }
    }

    static func make(_ rng: inout SeededGenerator, depth: Int) -> String {
        let a = numeric(&rng, depth: max(0, depth - 1)), b = numeric(&rng, depth: max(0, depth - 1))
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: return "\(a) > \(b)"
        case 1: return "\(a) <= \(b)"
        case 2: return "crosses_above(\(a), \(b))"
        case 3 where depth > 0: return "(\(make(&rng, depth: depth - 1)) and \(make(&rng, depth: depth - 1)))"
        case 4 where depth > 0: return "(\(make(&rng, depth: depth - 1)) or not \(make(&rng, depth: depth - 1)))"
        case 5: return "rising(\(a), \(Int.random(in: 1...4, using: &rng)))"
        default: return "\(a) != \(b)"
        }
    }
}
