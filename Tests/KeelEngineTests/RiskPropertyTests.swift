import Foundation
import KeelData
import KeelLanguage
import KeelTestSupport
import Testing
@testable import KeelEngine

/// The risk manager and the engine under a million random order intents: random strategies
/// (profiles, sizing, fill timing, stops, ladders, limits), random decisions through signals,
/// random prices with gaps and missing bars, operators' manual orders with ladders of any length,
/// profile switches, halts, resumes, flattens and restarts. After every time step, from the
/// engine's own journal of fills:
///
/// - each entry's value is within the largest position, and the gross exposure after it within
///   the gross-exposure and leverage limits, of the equity it was sized on;
/// - open positions stay within the open-position cap;
/// - no entry is placed or filled while the kill switch (same session) or a halt holds, and no
///   short entry under a profile that does not sell short;
/// - the kill switch trips at the step whose close takes the day's loss (from the session's first
///   equity, rebuilt here from the fills) to the daily loss limit, never below it, and holds until
///   the next session;
/// - a manual order past the 5/5/8 guardrails is refused;
/// - cash and positions are what the fills make them, and equity is cash plus positions at the mark;
/// - a restart (a fresh engine fed the same inputs, as a run's journal replays them) reaches the
///   same state, its kill switch latched as before: three restarts per strategy, each at the first
///   step past a quarter of the run at which the kill switch holds, where it trips.
@Suite("Risk limits as properties, a million intents")
struct RiskPropertyTests {
    static let symbols = ["A", "B", "C", "D"]
    static let profiles = ["conservative", "balanced", "aggressive", "degen"]

    /// What a run was fed, to feed a restarted engine the same.
    enum Input {
        case bar(Int, BarInput), signal(Int, Int, Double), step(Int64)
        case halt(Int64), resume(Int64), profile(Int, Int64), manual(Int, ManualOrder, Int64), flatten(Int64)
    }

    /// A random strategy whose entries and exits are external signals (random decisions).
    static func strategy(_ rng: inout SeededGenerator, profile: String) -> String {
        let sizing = ["percent_of_equity(\(Int.random(in: 5...100, using: &rng))%)", "fixed(\(Int.random(in: 1...400, using: &rng)))",
                      "risk(\(Int.random(in: 1...3, using: &rng))%)", "kelly(0.5, 20)", "equal_weight"].randomElement(using: &rng)!
        var risk: [String] = []
        if Bool.random(using: &rng) { risk.append("max_position: \(Int.random(in: 5...100, using: &rng))%") }
        if Bool.random(using: &rng) { risk.append("max_gross_exposure: \(Int.random(in: 30...200, using: &rng))%") }
        if Bool.random(using: &rng) { risk.append("daily_loss_limit: \(Int.random(in: 1...8, using: &rng))%") }
        if Bool.random(using: &rng) { risk.append("max_open_positions: \(Int.random(in: 1...4, using: &rng))") }
        let ladder = Bool.random(using: &rng) ? "take_profit: [{at: 2%, close: 50%}, {at: 4%, close: 100%}]" : ""
        return """
            keel: 1
            name: risk property
            symbols: [A, B, C, D]
            timeframe: 1h
            profile: \(profile)
            entry:
              long: signal.go_long > 0.5
              short: signal.go_short > 0.5
            exit:
              long: signal.out > 0.5
              short: signal.out > 0.5
            stop_loss: \(Int.random(in: 1...10, using: &rng))%
            \(ladder)
            allocation:
              size: \(sizing)
              lot: 1
            execution:
              fill: \(Bool.random(using: &rng) ? "next_open" : "close")
              fees: 0.1%
              slippage: 2bps
            \(risk.isEmpty ? "" : "risk: {\(risk.joined(separator: ", "))}")
            """
    }

    static func checked(_ text: String) -> CheckedStrategy? {
        Frontend.check(SourceFile(path: "risk.yaml", text: text)).checked
    }

    static func engine(_ program: CompiledStrategy) -> Engine {
        Engine(program: program, symbols: symbols, options: .init(capital: 100_000, barSeconds: 3_600, journal: true))
    }

    /// Feeds `input` to `engine`; `settings` are the strategy checked under each profile.
    static func feed(_ engine: Engine, _ input: Input, _ settings: [TradingSettings]) {
        switch input {
        case .bar(let i, let bar): engine.stage(i, bar)
        case .signal(let i, let k, let value): engine.stageSignal(i, k, value)
        case .step(let time): engine.step(time)
        case .halt(let time): engine.halt(time, reason: "property test")
        case .resume(let time): engine.resume(time)
        case .profile(let k, let time): engine.switchRisk(to: settings[k], time)
        case .manual(let i, let order, let time): engine.placeManual(i, order, time: time)
        case .flatten(let time): engine.flatten(time)
        }
    }

    /// What the checks keep between steps: cash and positions rebuilt from the fills, the marks.
    struct Books {
        var cash = 100_000.0
        var position = [Double](repeating: 0, count: 4)
        var mark = [Double](repeating: .nan, count: 4)

        func equity(marks: [Double]) -> Double {
            var total = cash
            for i in 0..<4 where position[i] != 0 { total += position[i] * marks[i] }
            return total
        }

        func gross(marks: [Double]) -> Double {
            var total = 0.0
            for i in 0..<4 where position[i] != 0 { total += abs(position[i]) * marks[i] }
            return total
        }
    }

    struct Counts {
        var intents = 0, fills = 0, entries = 0, refusedManual = 0, killSwitches = 0, halts = 0, switches = 0, restarts = 0, steps = 0
        var trips = 0, latchedRestarts = 0

        mutating func add(_ other: Counts) {
            intents += other.intents; fills += other.fills; entries += other.entries; refusedManual += other.refusedManual
            killSwitches += other.killSwitches; halts += other.halts; switches += other.switches; restarts += other.restarts
            steps += other.steps + 1; trips += other.trips; latchedRestarts += other.latchedRestarts
        }
    }

    /// One run of `steps` time steps; returns what it counted. Records the first broken property and stops.
    static func run(seed: UInt64, steps: Int) throws -> Counts {
        var rng = SeededGenerator(seed: seed)
        let profile = Int.random(in: 0..<4, using: &rng)
        let text = strategy(&rng, profile: profiles[profile])
        guard let checked = Self.checked(text) else { Issue.record("seed \(seed): the generated strategy does not check:\n\(text)"); return Counts() }
        // The same strategy under each profile: what a profile switch installs.
        let settings = profiles.map { name in Self.checked(text.replacingOccurrences(of: "profile: \(profiles[profile])", with: "profile: \(name)")).map(TradingSettings.init) }
        guard settings.allSatisfy({ $0 != nil }) else { Issue.record("seed \(seed): a profile refuses the strategy"); return Counts() }
        let program = try Compiler.compile(checked)
        let engine = Self.engine(program)
        let signals = program.signalNames
        var inputs: [Input] = []
        var books = Books()
        var counts = Counts()
        var price = [100.0, 20.0, 250.0, 5.0]
        var barIndex = [0, 0, 0, 0]
        // Restarts: from each of these steps on, at the first step where the kill switch holds (or
        // 5,000 steps later if it never does), so many restarts meet a latched switch.
        var restarts = [steps / 4, steps / 2, 3 * steps / 4]
        // The day's loss, rebuilt from the fills: the session's first equity is the last step's end.
        var session = Int64.min, sessionStart = 100_000.0, lastEquity = 100_000.0
        var time: Int64 = 1_704_067_200_000
        var broken = false
        func fail(_ message: String) {
            if !broken { Issue.record("seed \(seed), step \(counts.steps): \(message)\n\(text)") }
            broken = true
        }
        for step in 0..<steps {
            counts.steps = step
            time += 3_600_000
            // The operator, now and then, between steps.
            let roll = Int.random(in: 0..<1_000, using: &rng)
            var between: [Input] = []
            if roll < 8 { between.append(engine.haltReason == nil ? .halt(time - 1) : .resume(time - 1)) }
            if roll >= 8, roll < 12 { between.append(.profile(Int.random(in: 0..<4, using: &rng), time - 1)) }
            if roll >= 12, roll < 40 {
                func levels(_ n: Int) -> [ManualOrder.Level] { (0..<n).map { _ in .init(fraction: 1 / Double(n), distance: Double.random(in: 0.01...0.2, using: &rng)) } }
                let order = ManualOrder(side: Bool.random(using: &rng) ? .long : .short, quantity: Double(Int.random(in: 1...2_000, using: &rng)),
                                        takeProfits: levels(Int.random(in: 0...7, using: &rng)), stopLosses: levels(Int.random(in: 0...7, using: &rng)))
                between.append(.manual(Int.random(in: 0..<4, using: &rng), order, time - 1))
            }
            if roll >= 40, roll < 42 { between.append(.flatten(time - 1)) }
            for input in between {
                if case .manual(let i, let order, _) = input {
                    counts.intents += 1
                    let past = order.takeProfits.count > 5 || order.stopLosses.count > 5 || order.takeProfits.count + order.stopLosses.count > 8
                    let refusal = engine.placeManual(i, order, time: time - 1)
                    if refusal != nil { counts.refusedManual += 1 }
                    if past, refusal == nil { fail("a manual order past the 5/5/8 guardrails was placed") }
                } else {
                    feed(engine, input, settings.map { $0! })
                }
                if case .halt = input { counts.halts += 1 }
                if case .profile = input { counts.switches += 1 }
                inputs.append(input)
            }
            let halted = engine.haltReason != nil
            let latched = engine.risk.killSwitchActive, engineSession = engine.risk.session
            // The market: most symbols have a bar, some gap, now and then by 10%.
            var staged: [Int] = []
            var opens = price
            for i in 0..<4 where Int.random(in: 0..<100, using: &rng) < 85 {
                let gap = Int.random(in: 0..<40, using: &rng) == 0 ? Double.random(in: -0.12...0.12, using: &rng) : Double.random(in: -0.01...0.01, using: &rng)
                let open = price[i] * (1 + gap), close = open * (1 + Double.random(in: -0.03...0.03, using: &rng))
                let high = max(open, close) * (1 + Double.random(in: 0...0.01, using: &rng)), low = min(open, close) * (1 - Double.random(in: 0...0.01, using: &rng))
                let bar = BarInput(time: time, open: open, high: high, low: low, close: close, volume: 1, index: barIndex[i])
                barIndex[i] += 1
                (price[i], opens[i]) = (close, open)
                engine.stage(i, bar)
                inputs.append(.bar(i, bar))
                staged.append(i)
                for (k, name) in signals.enumerated() {
                    let chance = name == "go_long" ? 30 : name == "go_short" ? 20 : 25
                    let value: Double = Int.random(in: 0..<100, using: &rng) < chance ? 1 : 0
                    if name != "out", value > 0 { counts.intents += 1 }
                    engine.stageSignal(i, k, value)
                    inputs.append(.signal(i, k, value))
                }
            }
            let before = books
            let limits = (position: engine.limit(.maxPosition), gross: [engine.limit(.maxGrossExposure), engine.limit(.maxLeverage)].compactMap { $0 }.min(),
                          cap: min(Double(engine.settings.maxPositions ?? Int.max), engine.limit(.maxOpenPositions) ?? .infinity),
                          shorts: engine.settings.risk.allowShort, atClose: engine.settings.fill == .close)
            engine.step(time)
            inputs.append(.step(time))
            // The marks an entry of this step was sized on: this bar's open, or its close for a
            // strategy's entry with fill: close (a manual order fills at the open either way).
            var atOpen = before.mark, atClose = before.mark
            for i in staged { (atOpen[i], atClose[i]) = (opens[i], price[i]) }
            let sameSession = engine.risk.session == engineSession
            // The generated strategies set no session start: sessions begin at UTC midnight.
            let day = time / 86_400_000
            if day != session { (session, sessionStart) = (day, lastEquity) }
            let records = engine.takeRecords()
            for entry in records.journal {
                switch entry {
                case .placed(let ticket, _, _):
                    let side: Side
                    switch ticket.rule {
                    case .entry(let s), .manual(let s): side = s
                    default: continue
                    }
                    if halted || (latched && sameSession) { fail("an entry was placed while \(halted ? "halted" : "the kill switch held")") }
                    if side == .short, !limits.shorts { fail("a short entry under a profile that does not sell short") }
                case .filled(let fill):
                    counts.fills += 1
                    let i = fill.order.symbol
                    if fill.reason == "entry" {
                        counts.entries += 1
                        if halted || (latched && sameSession) { fail("an entry filled while \(halted ? "halted" : "the kill switch held")") }
                        var manual = false
                        if case .manual = fill.order.rule { manual = true }
                        let sizingMarks = limits.atClose && !manual ? atClose : atOpen
                        let equity = books.equity(marks: sizingMarks)
                        let value = fill.quantity * fill.price
                        if let cap = limits.position, value > cap * equity * (1 + 1e-9) + 1e-6 {
                            fail("an entry of \(value) past the largest position \(cap) of equity \(equity)")
                        }
                        if let bound = limits.gross, books.gross(marks: sizingMarks) + value > bound * equity * (1 + 1e-9) + 1e-6 {
                            fail("gross exposure \(books.gross(marks: sizingMarks) + value) past \(bound) of equity \(equity)")
                        }
                    }
                    let signed = fill.order.buying ? fill.quantity : -fill.quantity
                    books.cash -= signed * fill.price + fill.fee
                    books.position[i] += signed
                    if abs(books.position[i]) < 1e-9 { books.position[i] = 0 }
                    // An entry never makes more positions than the cap (a profile switch may leave more open, never add).
                    let open = books.position.filter { $0 != 0 }.count
                    if fill.reason == "entry", Double(open) > limits.cap { fail("an entry of \(symbols[i]) made \(open) positions open; the cap is \(limits.cap)") }
                case .cancelled: break
                }
            }
            for i in staged { books.mark[i] = price[i] }
            if records.riskEvents.contains(where: { $0.kind == "kill_switch" }) { counts.killSwitches += 1 }
            // A trip is the account-wide event ("*"); a refused order while it holds names its symbol.
            let tripped = records.riskEvents.contains { $0.kind == "kill_switch" && $0.symbol == "*" }
            // The books the fills make, and equity at the marks.
            for i in 0..<4 where abs(engine.positionQuantity(i) - books.position[i]) > 1e-6 {
                fail("\(symbols[i]) holds \(engine.positionQuantity(i)); its fills make \(books.position[i])")
            }
            if abs(engine.cash - books.cash) > 1e-6 * max(1, abs(books.cash)) { fail("cash is \(engine.cash); the fills make \(books.cash)") }
            let marked = books.equity(marks: books.mark.map { $0.isNaN ? 0 : $0 })
            if abs(engine.equity - marked) > 1e-6 * max(1, abs(marked)) { fail("equity is \(engine.equity); cash plus positions at the mark is \(marked)") }
            // The daily loss limit: tripped exactly when the day's loss reaches it, latched for the session.
            let dailyLimit = engine.limit(.dailyLossLimit), loss = sessionStart > 0 ? 1 - marked / sessionStart : 0
            if tripped { counts.trips += 1 }
            if latched, sameSession, !engine.risk.killSwitchActive { fail("the kill switch let go inside its session") }
            if let dailyLimit, loss >= dailyLimit + 1e-7, !engine.risk.killSwitchActive {
                fail("the day's loss \(loss) reached the daily loss limit \(dailyLimit) and the kill switch did not trip")
            }
            if tripped, loss < (dailyLimit ?? .infinity) - 1e-7 { fail("the kill switch tripped at a loss of \(loss), under the limit \(dailyLimit ?? .nan)") }
            lastEquity = marked
            if broken { return counts }
            if let next = restarts.first, step >= next, engine.risk.killSwitchActive || step >= next + 5_000 {
                // A restart: a fresh engine fed what this one was fed reaches the same state.
                restarts.removeFirst()
                counts.restarts += 1
                if engine.risk.killSwitchActive { counts.latchedRestarts += 1 }
                let restarted = Self.engine(program)
                for input in inputs { feed(restarted, input, settings.map { $0! }) }
                if restarted.cash != engine.cash || restarted.equity != engine.equity || restarted.risk.killSwitchActive != engine.risk.killSwitchActive
                    || restarted.risk.sessionStartEquity != engine.risk.sessionStartEquity || restarted.risk.peak != engine.risk.peak
                    || restarted.haltReason != engine.haltReason || (0..<4).contains(where: { restarted.positionQuantity($0) != engine.positionQuantity($0) }) {
                    fail("a restart reached another state (kill switch \(restarted.risk.killSwitchActive) against \(engine.risk.killSwitchActive))")
                }
            }
        }
        return counts
    }

    @Test("1,000,000 random intents over 24 random strategies: no order breaks a limit, the books always add up, restarts agree")
    func millionIntents() throws {
        var total = Counts()
        var seed: UInt64 = 0
        while total.intents < 1_000_000 {
            let counts = try Self.run(seed: 4_000 + seed, steps: 25_000)
            if counts.steps == 0 { break }
            total.add(counts)
            seed += 1
        }
        print("risk properties: \(total.intents) intents, \(total.steps) steps over \(seed) strategies, \(total.fills) fills (\(total.entries) entries), "
              + "\(total.refusedManual) manual orders refused, \(total.trips) kill switch trips (\(total.killSwitches) steps with a kill switch event), "
              + "\(total.halts) halts, \(total.switches) profile switches, \(total.restarts) restarts (\(total.latchedRestarts) with the kill switch latched)")
        #expect(total.intents >= 1_000_000 && total.trips > 100 && total.entries > 10_000 && total.refusedManual > 0 && total.latchedRestarts > 10)
    }
}
