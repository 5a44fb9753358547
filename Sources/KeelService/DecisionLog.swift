import Foundation
import Hummingbird
import Keel
import KeelHTTP
import KeelLanguage
import KeelStore

/// `GET /v1/runs/{id}/decisions`: what a run did and why, newest first and paged, filtered like
/// the cross-run lists (`symbol`, `since`, `until`, `signal_type`). Each decision carries its rule,
/// the rule's text in the strategy the run trades, the values the rule read, and one sentence that
/// says it: "entry.long on ORCL: crosses_above(fast_ma, slow_ma) held; read fast_ma = 41.2, …".
enum DecisionLog {
    struct Entry: Encodable {
        var decision: StoredDecision
        var time: String
        var expression: String?
        var why: String

        enum CodingKeys: String, CodingKey { case timeISO = "time_iso", expression, why }

        func encode(to encoder: Encoder) throws {
            try decision.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(time, forKey: .timeISO)
            try c.encodeIfPresent(expression, forKey: .expression)
            try c.encode(why, forKey: .why)
        }
    }

    static func answer(_ run: StoredServiceRun, _ request: Request, _ state: ServiceState) throws -> Response {
        let asked = TradingRoutes.rowFilter(request)
        guard case .success(var (filter, page)) = asked else { return asked.failureResponse }
        filter.run = run.run.id
        let rules = expressions(run.run.strategySource)
        let entries = try state.store.decisions(filter).map { _, decision in entry(decision, rules: rules) }
        return page.answer(entries, total: try state.store.decisionCount(filter))
    }

    /// The text of each entry and exit rule (`entry.long` → `crosses_above(fast_ma, slow_ma)`), as the linter prints expressions.
    static func expressions(_ source: String) -> [String: String] {
        guard let parsed = StrategyReader.read(SourceFile(path: "strategy.yaml", text: source)).0 else { return [:] }
        var rules: [String: String] = [:]
        for (side, expr) in parsed.entry.all { rules["entry.\(side.rawValue)"] = ExpressionPrinter.print(expr) }
        for (side, expr) in parsed.exit.all { rules["exit.\(side.rawValue)"] = ExpressionPrinter.print(expr) }
        return rules
    }

    static func entry(_ decision: StoredDecision, rules: [String: String]) -> Entry {
        let expression = rules[decision.rule]
        let readings = (try? JSONReader.parse(decision.readings)).flatMap { value -> [(String, JSON.Value)]? in
            if case .object(let fields) = value { return fields }
            return nil
        } ?? []
        let read = readings.map { "\($0.0) = \(JSON.encode($0.1, pretty: false))" }.joined(separator: ", ")
        var why = "\(decision.rule) on \(decision.symbol)"
        if let expression { why += ": \(expression) held" } else if decision.rule != decision.action { why += " (\(decision.action))" }
        if !read.isEmpty { why += "; read \(read)" }
        return Entry(decision: decision, time: TimestampParser.format(decision.time), expression: expression, why: why)
    }
}
