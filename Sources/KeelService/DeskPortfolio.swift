import Foundation
import Keel
import KeelStore

/// `GET /v1/portfolio`: every running run's money summed, from what each has committed.
///
/// - A run's equity is its last committed summary's final equity (its capital before the first
///   commit); its unrealised P&L the sum over its open positions at their marks; its cash the
///   equity less the signed market value of those positions.
/// - Realised today: the P&L of trades closed since midnight UTC of the run's own clock (the time
///   of its last bar), so a run replaying 2019 counts its 2019 day, and a live run the calendar's.
/// - Drawdown: how far below its peak a run's equity is now (1 − equity / peak equity); the total's
///   is the total value against the sum of the runs' peaks.
struct DeskPortfolio: Encodable {
    struct RunFigures: Encodable {
        var run: TradingRoutes.RunTag
        var equity: Double
        var cash: Double
        var unrealizedPnl: Double
        var realizedPnlToday: Double
        var drawdown: Double
        var positions: Int

        enum CodingKeys: String, CodingKey {
            case equity, cash, drawdown, positions
            case unrealizedPnl = "unrealized_pnl", realizedPnlToday = "realized_pnl_today"
        }

        func encode(to encoder: Encoder) throws {
            try run.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(equity, forKey: .equity)
            try c.encode(cash, forKey: .cash)
            try c.encode(unrealizedPnl, forKey: .unrealizedPnl)
            try c.encode(realizedPnlToday, forKey: .realizedPnlToday)
            try c.encode(drawdown, forKey: .drawdown)
            try c.encode(positions, forKey: .positions)
        }
    }

    var totalValue = 0.0
    var cash = 0.0
    var unrealizedPnl = 0.0
    var realizedPnlToday = 0.0
    var drawdown = 0.0
    var runs: [RunFigures] = []
    var positions: [TradingRoutes.Held] = []

    enum CodingKeys: String, CodingKey {
        case cash, drawdown, runs, positions
        case totalValue = "total_value", unrealizedPnl = "unrealized_pnl", realizedPnlToday = "realized_pnl_today"
    }

    static let day: Int64 = 86_400_000

    /// Midnight UTC of the day `time` (ms) falls in.
    static func dayStart(_ time: Int64) -> Int64 { time - ((time % day) + day) % day }

    static func number(_ value: JSON.Value) -> Double? {
        switch value {
        case .number(let x): x
        case .int(let n): Double(n)
        default: nil
        }
    }
}

/// Made from the store (the memberwise initializer stays, for the OpenAPI document's sample).
extension DeskPortfolio {
    init(_ state: ServiceState) throws {
        var peaks = 0.0
        for run in try TradingRoutes.activeRuns(state) {
            let id = run.run.id
            let summary = run.run.summary.flatMap { try? JSONReader.parse($0) }
            let equity = summary?["final_equity"].flatMap(Self.number) ?? run.run.capital
            let held = try state.store.positions(run: id)
            let marketValue = held.reduce(0.0) { $0 + ($1.side == .long ? 1 : -1) * $1.quantity * $1.markPrice }
            let today = try summary?["last_time"].flatMap(Self.number).map { try state.store.realizedPnl(run: id, since: Self.dayStart(Int64($0))) } ?? 0
            let peak = max(equity, try state.store.peakEquity(run: id) ?? equity)
            let tag = TradingRoutes.RunTag(run, state)
            runs.append(RunFigures(run: tag, equity: equity, cash: equity - marketValue, unrealizedPnl: held.reduce(0) { $0 + $1.unrealizedPnl },
                                   realizedPnlToday: today, drawdown: peak > 0 ? 1 - equity / peak : 0, positions: held.count))
            positions += held.map { TradingRoutes.Held(position: $0, run: tag) }
            peaks += peak
        }
        for run in runs {
            totalValue += run.equity
            cash += run.cash
            unrealizedPnl += run.unrealizedPnl
            realizedPnlToday += run.realizedPnlToday
        }
        drawdown = peaks > 0 ? 1 - totalValue / peaks : 0
    }
}
