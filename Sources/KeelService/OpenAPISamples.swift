import Foundation
import Keel
import KeelStore

/// One value of each type the service answers with, every optional set and every array holding
/// one element, from which `SchemaEncoder` reads the type's schema for the OpenAPI document.
/// The values are never shown; only their shapes are.
enum OpenAPISamples {
    static let time: Int64 = 1_704_067_200_000

    static var diagnostic: StrategyRoutes.DiagnosticView {
        .init(id: "arity", severity: "error", message: "m", line: 1, column: 1, endLine: 1, endColumn: 2)
    }

    static var strategy: StrategyRoutes.View {
        .init(id: "st_0", name: "n", mode: "paper", version: 1, createdAt: time, updatedAt: time, source: "s", description: "d", diagnostics: [diagnostic])
    }

    static var evidence: StrategyRoutes.EvidenceView { .init(strategyId: "st_0", admitted: false, reason: "r") }

    static var backtest: BacktestRoutes.View {
        .init(id: "bt_0", strategyId: "st_0", version: 1, status: "done", error: "e", createdAt: time, finishedAt: time, finalValue: 1, totalReturnPct: 1)
    }

    static var research: ResearchRoutes.View {
        .init(id: "op_0", kind: "optimization", strategyId: "st_0", version: 1, status: "done", error: "e", createdAt: time, finishedAt: time)
    }

    static var trade: Trade {
        Trade(symbol: "AAPL", side: .long, entryTime: time, entryPrice: 1, exitTime: time, exitPrice: 1, quantity: 1, pnl: 1, fees: 1, exitReason: .signal)
    }

    static var position: BacktestResult.OpenPosition {
        .init(symbol: "AAPL", side: .long, quantity: 1, entryTime: time, entryPrice: 1, markTime: time, markPrice: 1, unrealizedPnl: 1)
    }

    /// A result with one of everything it lists, every metric a number.
    static var result: BacktestResult {
        var result = BacktestResult(strategy: "s", symbols: ["AAPL"], capital: 1, bars: 1, firstTime: time, lastTime: time, finalEquity: 1,
                                    trades: [trade], openPositions: [position], equityCurve: [(time, 1)],
                                    riskEvents: [Engine.RiskEvent(time: time, symbol: "AAPL", kind: "k", reason: "r")], riskEventCount: 1,
                                    decisions: [Engine.Decision(time: time, symbol: "AAPL", action: "entry", side: .long, rule: "entry.long", values: [("x", 1)])],
                                    metrics: KeelEngine.Metrics(named: Dictionary(uniqueKeysWithValues: KeelEngine.Metrics().named.map { ($0.0, 1.0) })))
        (result.barSeconds, result.dataBarSeconds) = (60, 60)
        return result
    }

    static var run: RunRoutes.View {
        .init(id: "run_0", strategyId: "st_0", version: 1, mode: "paper", status: "running", active: true, stream: "s", symbols: ["AAPL"], capital: 1,
              riskProfile: "balanced", brokerId: "br_0", createdAt: time, updatedAt: time, lastSeq: 1)
    }

    static var queued: RunRoutes.Queued { .init(request_id: 1, run_id: "run_0", action: "halt", argument: "a", status: "queued") }

    static var everyRun: TradingRoutes.Answer {
        .init(action: "halt", runs: [.init(run_id: "run_0", status: 202, answer: .init(.null))], count: 1)
    }

    static var order: StoredOrder {
        StoredOrder(clientOrderId: "c", symbol: "AAPL", side: "buy", type: "market", rule: "entry.long", bar: 1, placedTime: time, status: "filled",
                    quantity: 1, updatedTime: time, reason: "r")
    }

    static var decision: StoredDecision {
        StoredDecision(time: time, symbol: "AAPL", action: "entry", side: "long", rule: "entry.long", readings: #"{"x":1}"#)
    }

    static var decisionEntry: DecisionLog.Entry { .init(decision: decision, time: "t", expression: "e", why: "w") }

    static var runMetrics: Metrics.RunFigures {
        .init(runId: "run_0", status: "running", performance: ["sharpe": .number(1)], signals: ["entry": 1], riskEvents: ["halt": 1])
    }

    static var metrics: Metrics.Everything {
        .init(system: .init(uptimeSeconds: 1, requests: ["2xx": 1], latencyMs: ["p50": 1], rateLimited: 1, websocketListeners: 1, websocketDropped: 1,
                            eventsPublished: 1, runsActive: 1, backtestsRunning: 1, rejections: 1, killSwitchActivations: 1, halts: 1,
                            riskEvents: ["halt": 1], signals: ["entry": 1]),
              runs: [runMetrics])
    }

    static var signalMetrics: SignalMetrics {
        .init(runs: ["run_0"], totalPnl: 1, rules: [.init(rule: "entry.long", decisions: 1, trades: 1, wins: 1, pnl: 1, winRate: 1, contribution: 1)],
              informationCoefficients: [.init(signal: "s", observations: 1, ic: 1, pearson: 1)])
    }

    static var tag: TradingRoutes.RunTag { .init(runId: "run_0", strategyId: "st_0", mode: "paper", brokerName: "paper") }
    static var held: TradingRoutes.Held { .init(position: position, run: tag) }
    static var brokerHeld: BrokerAccounts.Held {
        .init(brokerId: "br_0", brokerName: "paper", positionId: "P1", symbol: "X", side: "long", quantity: 1, entryPrice: 1, markPrice: 1, unrealizedPnl: 0,
              error: "a connection that cannot be read: why")
    }
    static var runTrade: TradingRoutes.Tagged<Trade> { .init(row: trade, runId: "run_0") }
    static var runDecision: TradingRoutes.Tagged<StoredDecision> { .init(row: decision, runId: "run_0") }

    static var portfolio: DeskPortfolio {
        .init(totalValue: 1, cash: 1, unrealizedPnl: 1, realizedPnlToday: 1, drawdown: 0,
              runs: [.init(run: tag, equity: 1, cash: 1, unrealizedPnl: 1, realizedPnlToday: 1, drawdown: 0, positions: 1)], positions: [held])
    }

    static var broker: BrokerRoutes.View { .init(id: "br_0", name: "n", url: "http://x", createdAt: time) }

    static var leaderboard: LeaderboardRoutes.Board {
        .init(by: "return", from: 0, to: 1, limit: 1, offset: 0, total: 1,
              entries: [.init(rank: 1, kind: "backtest", id: "bt_0", strategyId: "st_0", strategyName: "n", createdAt: time, totalReturn: 1, pnl: 1,
                              winRate: 1, maxDrawdown: 1)])
    }

    static var health: HealthCheck.Report {
        let component = HealthCheck.Component(status: "healthy", latencyMs: 1, detail: "d")
        return .init(status: "healthy", store: component, runs: .init(status: "healthy", running: 1, stalled: ["run_0"], lost: ["run_0"]),
                     brokers: [.init(id: "br_0", name: "n", inUse: true, check: component)])
    }

    static var ready: KeelService.ReadyBody { .init(status: "ready", store: "ok", runs: 1) }
}
