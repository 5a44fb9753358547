import KeelLanguage

/// The risk manager's running state: peak equity for drawdown, the session for the daily loss limit
/// and the kill switch latch.
struct RiskState {
    /// Read every bar, so resolved once (and again when the operator switches the profile).
    var dailyLossLimit: Double?
    var peak: Double
    var sessionStartEquity: Double
    var session: Int64 = .min
    var killSwitchActive = false
    /// Recent closed trades' P&L, for Kelly sizing: at most `pnlHistory` of them.
    var closedPnls: [Double] = []
    var pnlHistory = 0

    init(limits: EffectiveRisk, capital: Double) {
        dailyLossLimit = limits.limit(.dailyLossLimit)
        peak = capital
        sessionStartEquity = capital
    }

    /// A new session (UTC midnight, or the strategy's session start) resets the daily loss and the kill switch.
    mutating func beginBar(time: Int64, equity: Double, sessionStartSeconds: Int) {
        let day: Int64 = 86_400_000
        let shifted = time - Int64(sessionStartSeconds) * 1_000
        let current = shifted >= 0 ? shifted / day : (shifted - day + 1) / day
        if current != session {
            session = current
            sessionStartEquity = equity
            killSwitchActive = false
        }
    }

    mutating func afterBar(_ equity: Double) { peak = max(peak, equity) }

    func drawdown(_ equity: Double) -> Double { peak > 0 ? max(0, 1 - equity / peak) : 0 }

    /// Trips the kill switch once per session when the daily loss limit is breached.
    mutating func checkLimits(equity: Double) -> String? {
        guard !killSwitchActive, let limit = dailyLossLimit, sessionStartEquity > 0 else { return nil }
        let loss = 1 - equity / sessionStartEquity
        guard loss >= limit else { return nil }
        killSwitchActive = true
        return "daily loss \(percent(loss)) breached the \(percent(limit)) limit"
    }

    mutating func recordClosed(pnl: Double) {
        guard pnlHistory > 0 else { return }
        closedPnls.append(pnl)
        if closedPnls.count > pnlHistory { closedPnls.removeFirst(closedPnls.count - pnlHistory) }
    }
}
