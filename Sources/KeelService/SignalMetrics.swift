import Foundation
import Keel
import KeelStore

/// Metrics by signal (`GET /v1/metrics/signals`, `GET /v1/runs/{id}/metrics/signals`): how each
/// rule of a strategy did, and whether the stream's own signals predict the next bar.
///
/// - **Rules.** A trade belongs to the entry rule that opened it (`entry.long`, `entry.short`) and
///   to the rule or stop that closed it (`exit.long`, `stop_loss`, `take_profit`, ...). Per rule:
///   how often it fired (its decisions), its trades, wins, win rate, P&L and share of the total
///   P&L (`contribution`: negative for a rule that lost while the whole won).
/// - **Information coefficient.** For each `signal` event name (the `signal.NAME` a strategy reads),
///   the value a symbol's signal held at a bar's close is paired with that symbol's return from
///   this close to the next. `ic` is the rank (Spearman) correlation of the pairs, `pearson` the
///   linear one, `observations` their count; nil with fewer than 3 pairs or no spread.
struct SignalMetrics: Encodable {
    struct Rule: Encodable {
        var rule: String
        var decisions = 0
        var trades = 0
        var wins = 0
        var pnl = 0.0
        var winRate: Double?
        var contribution: Double?

        enum CodingKeys: String, CodingKey {
            case rule, decisions, trades, wins, pnl, contribution
            case winRate = "win_rate"
        }
    }

    struct Coefficient: Encodable {
        var signal: String
        var observations: Int
        var ic: Double?
        var pearson: Double?
    }

    var runs: [String]
    var totalPnl = 0.0
    var rules: [Rule] = []
    var informationCoefficients: [Coefficient] = []

    enum CodingKeys: String, CodingKey {
        case runs, rules
        case totalPnl = "total_pnl", informationCoefficients = "information_coefficients"
    }


    /// Each signal's value at a bar's close with the symbol's return to its next close.
    static func signalPairs(_ events: [StoredEvent]) throws -> [String: [(signal: Double, forward: Double)]] {
        var latest: [String: [String: Double]] = [:]
        var previous: [String: (close: Double, signals: [String: Double])] = [:]
        var pairs: [String: [(signal: Double, forward: Double)]] = [:]
        for event in events where event.status == "accepted" && (event.kind == "bar" || event.kind == "signal") {
            switch try? EventLine.parse(event.line) {
            case .signal(let symbol, _, let name, let value)?:
                latest[symbol, default: [:]][name] = value
            case .bar(let symbol, _, _, _, _, let close, _)?:
                if let before = previous[symbol], before.close != 0 {
                    let forward = close / before.close - 1
                    for (name, value) in before.signals where value.isFinite && forward.isFinite { pairs[name, default: []].append((value, forward)) }
                }
                previous[symbol] = (close, latest[symbol] ?? [:])
            default: break
            }
        }
        return pairs
    }

    static func pearson(_ pairs: [(signal: Double, forward: Double)]) -> Double? {
        correlation(pairs.map(\.signal), pairs.map(\.forward))
    }

    static func spearman(_ pairs: [(signal: Double, forward: Double)]) -> Double? {
        correlation(ranks(pairs.map(\.signal)), ranks(pairs.map(\.forward)))
    }

    /// Ranks from 1, ties sharing their mean rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let mean = Double(start + end) / 2 + 1
            for k in start...end { ranks[order[k]] = mean }
            start = end + 1
        }
        return ranks
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 3, x.count == y.count else { return nil }
        let n = Double(x.count)
        let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for i in x.indices {
            let (dx, dy) = (x[i] - mx, y[i] - my)
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}

/// Made from the store (the memberwise initializer stays, for the OpenAPI document's sample).
extension SignalMetrics {
    init(runs: [String], store: KeelStore) throws {
        self.runs = runs
        var byRule: [String: Rule] = [:]
        func add(_ rule: String, _ change: (inout Rule) -> Void) { change(&byRule[rule, default: Rule(rule: rule)]) }
        var pairs: [String: [(signal: Double, forward: Double)]] = [:]
        for run in runs {
            for trade in try store.trades(run: run) {
                totalPnl += trade.pnl
                for rule in ["entry.\(trade.side.rawValue)", trade.exitReason == .signal ? "exit.\(trade.side.rawValue)" : trade.exitReason.rawValue] {
                    add(rule) {
                        $0.trades += 1
                        $0.pnl += trade.pnl
                        if trade.pnl > 0 { $0.wins += 1 }
                    }
                }
            }
            for (rule, count) in try store.decisionCounts(run: run) { add(rule) { $0.decisions += count } }
            for (name, found) in try Self.signalPairs(try store.events(run: run)) { pairs[name, default: []] += found }
        }
        let total = totalPnl
        rules = byRule.values.map { rule in
            var rule = rule
            rule.winRate = rule.trades > 0 ? Double(rule.wins) / Double(rule.trades) : nil
            rule.contribution = total != 0 && rule.trades > 0 ? rule.pnl / abs(total) : nil
            return rule
        }.sorted { $0.rule < $1.rule }
        informationCoefficients = pairs.keys.sorted().map { name in
            let found = pairs[name] ?? []
            return Coefficient(signal: name, observations: found.count, ic: Self.spearman(found), pearson: Self.pearson(found))
        }
    }
}
