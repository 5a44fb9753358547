import Foundation
import KeelStore
import KeelTestSupport
import KeelData
import KeelEngine
import KeelRunner
import Testing

@Suite("stream events: the line format")
struct EventLineTests {
    @Test("each event type reads, with ISO or epoch timestamps, numbers correctly rounded")
    func reads() throws {
        #expect(try EventLine.parse(#"{"type":"bar","symbol":"A","timestamp":"2024-01-02T14:30:00Z","open":1.1,"high":1.3,"low":1.0,"close":1.2,"volume":10}"#)
            == .bar(symbol: "A", time: 1_704_205_800_000, open: 1.1, high: 1.3, low: 1.0, close: 1.2, volume: 10))
        #expect(try EventLine.parse(#"{"type":"quote","symbol":"A","timestamp":1704205800,"bid":1.0,"ask":1.2}"#)
            == .quote(symbol: "A", time: 1_704_205_800_000, price: 1.1, size: 0))
        #expect(try EventLine.parse(#" { "type" : "signal", "symbol":"A","time":1704205800000,"name":"sentiment","value":-0.25 } "#)
            == .signal(symbol: "A", time: 1_704_205_800_000, name: "sentiment", value: -0.25))
        #expect(try EventLine.parse(#"{"type":"heartbeat","timestamp":"2024-01-02T14:31:00Z"}"#) == .heartbeat(time: 1_704_205_860_000))
    }

    @Test("the fast path for bars gives what the general path gives, or leaves the line to it: 20,000 varied lines")
    func fastPathAgrees() {
        var g = SeededGenerator(seed: 21)
        let pieces: [(String, [String])] = [
            ("\"type\"", ["\"bar\"", "\"quote\"", "\"ba\\u0072\"", "null"]),
            ("\"symbol\"", ["\"ORCL\"", "\"A\\\"B\"", "\"\"", "7"]),
            ("\"timestamp\"", ["\"2024-01-02T14:30:00Z\"", "1704205800", "1704205800000", "\"yesterday\"", "17042058000"]),
            ("\"time\"", ["1704205800000"]),
            ("\"open\"", ["10", "10.5", "\"10\"", "1e1", "-1", "nan", "10\t"]),
            ("\"high\"", ["12", "11.25", "9", "1e400"]),
            ("\"low\"", ["9", "9.75", "0", "11"]),
            ("\"close\"", ["11", "10.125", "13"]),
            ("\"volume\"", ["100", "0", "-1", "null", "1.5e3"]),
            ("\"extra\"", ["1"]),
        ]
        var fast = 0
        for _ in 0..<20_000 {
            var fields: [String] = []
            for (key, values) in pieces where Int.random(in: 0..<10, using: &g) < (key == "\"extra\"" || key == "\"time\"" ? 1 : 9) {
                let value = values[Int.random(in: 0..<values.count, using: &g) < 2 ? 0 : Int.random(in: 0..<values.count, using: &g)]
                let space = [" ", "", ""][Int.random(in: 0..<3, using: &g)]
                fields.append(key + space + ":" + space + value)
                if Int.random(in: 0..<200, using: &g) == 0 { fields.append(fields.last!) }
            }
            fields.shuffle(using: &g)
            let line = (Int.random(in: 0..<4, using: &g) == 0 ? " { " : "{") + fields.joined(separator: ",") + "}"
            let general = Result { () throws(EventLineError) in try EventLine.general(line) }
            var text = line
            if let event = text.withUTF8(EventLine.fastBar) {
                fast += 1
                #expect(general == .success(event), "\(line)")
            }
            #expect(Result { () throws(EventLineError) in try EventLine.parse(line) } == general, "\(line)")
        }
        #expect(fast > 400, "the fast path took \(fast) of 20,000")
    }

    @Test("a line written by MarketEvent.line reads back to the same event, bit for bit")
    func roundTrip() throws {
        let events: [MarketEvent] = [
            .bar(symbol: "ORCL", time: 788_400_000_000, open: 2.179012, high: 2.191358, low: 2.117284, close: 2.117284, volume: 36_301_200),
            .quote(symbol: "BTC/USD", time: 1, price: 0.1 + 0.2, size: 1e-8),
            .signal(symbol: "A \"quoted\"", time: -86_400_000, name: "s", value: 1.0 / 3.0),
            .heartbeat(time: 1_704_205_860_000),
            // Found by the events fuzz target: year 308 was written "308-12-31", which does not read back.
            .bar(symbol: "ORCL", time: -52_416_201_600_000, open: 45.2, high: 45.5, low: 44.9, close: 44.97, volume: 9_100),
        ]
        for event in events { #expect(try EventLine.parse(event.line) == event) }
    }

    @Test("bad lines name the column and what to write", arguments: [
        (#"{"type":"bar","symbol":"A","timestamp":"2024-01-02T14:30:00Z","open":1,"high":1,"low":1}"#, "missing \"close\""),
        (#"{"type":"bar","symbol":"A","timestamp":"yesterday","open":1,"high":1,"low":1,"close":1}"#, "column 40: unreadable timestamp yesterday"),
        (#"{"type":"tick","symbol":"A","timestamp":1}"#, "column 9: unknown event type \"tick\"; expected bar, quote, signal or heartbeat"),
        (#"{"type":"bar","type":"bar"}"#, "column 15: duplicate key \"type\""),
        (#"{"type":"bar","symbol":"A","timestamp":1,"open":2,"high":1,"low":1,"close":1}"#, "inconsistent bar"),
        (#"{"type":"signal","symbol":"A","timestamp":1,"name":"x","value":[1]}"#, "nested values are not part of an event"),
        (#"[1,2]"#, "column 1: an event is a JSON object on one line: expected {"),
        (#"{"type":"heartbeat","timestamp":1} trailing"#, "text after the object"),
        (#"{"type":"quote","symbol":"A","timestamp":1,"price":"abc"}"#, "\"price\" is not a number: abc"),
    ])
    func refuses(line: String, message: String) {
        #expect(throws: EventLineError.self) { try EventLine.parse(line) }
        do { _ = try EventLine.parse(line) } catch { #expect(error.description.contains(message), "\(error.description)") }
    }
}

@Suite("stream events: the assembler's policy")
struct EventAssemblerTests {
    static let minute: Int64 = 60_000

    func bar(_ symbol: String, _ minute: Int64, close: Double = 10) -> MarketEvent {
        .bar(symbol: symbol, time: minute * Self.minute, open: close, high: close + 1, low: close - 1, close: close, volume: 1)
    }

    @Test("a step closes when every symbol has its bar, or when a later event arrives")
    func stepClosing() {
        var assembler = EventAssembler(symbols: ["A", "B"], signalNames: [], barMilliseconds: Self.minute)
        #expect(assembler.accept(bar("A", 0)) == .accepted)
        #expect(assembler.takeSteps().isEmpty)
        #expect(assembler.accept(bar("B", 0)) == .accepted)
        let both = assembler.takeSteps()
        #expect(both.map(\.symbols) == [[0, 1]])
        // B is missing at minute 1: A's bar at minute 2 closes minute 1 with A alone.
        _ = assembler.accept(bar("A", 1))
        _ = assembler.accept(.heartbeat(time: 90_000))
        let alone = assembler.takeSteps()
        #expect(alone.map(\.time) == [Self.minute])
        #expect(alone.map(\.symbols) == [[0]])
        #expect(alone[0].bars[0].index == 1, "bar indices count each symbol's bars")
    }

    @Test("late, duplicate, conflicting and foreign events are refused with a reason; the first bar stands")
    func refusals() {
        var assembler = EventAssembler(symbols: ["A", "B"], signalNames: ["s"], barMilliseconds: Self.minute)
        _ = assembler.accept(bar("A", 5))
        #expect(assembler.accept(bar("A", 5)) == .refused(status: "duplicate", reason: "A already has this bar at 1970-01-01T00:05:00Z"))
        guard case .refused("conflict", _) = assembler.accept(bar("A", 5, close: 11)) else { Issue.record("expected a conflict"); return }
        guard case .refused("late", _) = assembler.accept(bar("B", 4)) else { Issue.record("expected late"); return }
        guard case .refused("unknown_symbol", _) = assembler.accept(bar("C", 5)) else { Issue.record("expected unknown_symbol"); return }
        guard case .refused("unknown_signal", _) = assembler.accept(.signal(symbol: "A", time: 0, name: "t", value: 1)) else {
            Issue.record("expected unknown_signal"); return
        }
        _ = assembler.accept(bar("B", 5))
        let steps = assembler.takeSteps()
        #expect(steps.count == 1 && steps[0].bars[0].close == 10)
        guard case .refused("late", _) = assembler.accept(bar("A", 5)) else { Issue.record("a bar of a closed step is late"); return }
    }

    @Test("quotes become bars aligned to the timeframe, closed when time reaches the boundary")
    func quotesToBars() {
        var assembler = EventAssembler(symbols: ["A"], signalNames: [], barMilliseconds: 5 * Self.minute)
        let quotes: [(Int64, Double, Double)] = [(60, 10, 1), (120, 12, 2), (180, 9, 1), (299, 11, 5)]
        for (second, price, size) in quotes { #expect(assembler.accept(.quote(symbol: "A", time: second * 1_000, price: price, size: size)) == .accepted) }
        #expect(assembler.takeSteps().isEmpty, "the 0:00-0:05 bar is open until 0:05")
        #expect(assembler.accept(.heartbeat(time: 300_000)) == .accepted)
        let steps = assembler.takeSteps()
        #expect(steps.count == 1)
        let b = steps[0].bars[0]
        #expect(b.time == 0 && b.open == 10 && b.high == 12 && b.low == 9 && b.close == 11 && b.volume == 9)
        guard case .refused("late", _) = assembler.accept(.quote(symbol: "A", time: 200_000, price: 10, size: 1)) else {
            Issue.record("a quote of a closed bar is late"); return
        }
        var untimed = EventAssembler(symbols: ["A"], signalNames: [], barMilliseconds: nil)
        guard case .refused("no_timeframe", _) = untimed.accept(.quote(symbol: "A", time: 0, price: 1, size: 1)) else {
            Issue.record("quotes need a timeframe"); return
        }
    }

    @Test("a signal holds from its time on; an older value is late")
    func signals() {
        var assembler = EventAssembler(symbols: ["A"], signalNames: ["s"], barMilliseconds: Self.minute)
        _ = assembler.accept(.signal(symbol: "A", time: 0, name: "s", value: 0.5))
        _ = assembler.accept(bar("A", 0))
        _ = assembler.accept(bar("A", 1))
        _ = assembler.accept(.signal(symbol: "A", time: 2 * Self.minute, name: "s", value: -1))
        guard case .refused("late", _) = assembler.accept(.signal(symbol: "A", time: Self.minute, name: "s", value: 9)) else {
            Issue.record("an older signal is late"); return
        }
        _ = assembler.accept(bar("A", 2))
        #expect(assembler.takeSteps().map { $0.signals[0][0] } == [0.5, 0.5, -1])
    }

    @Test("the end of a file stream closes the open step")
    func endOfStream() {
        var assembler = EventAssembler(symbols: ["A", "B"], signalNames: [], barMilliseconds: nil)
        _ = assembler.accept(bar("A", 0))
        assembler.endOfStream()
        #expect(assembler.takeSteps().map(\.symbols) == [[0]])
    }
}

@Suite("stream events: bars resampled to the run's timeframe")
struct ResampledStreamTests {
    static func bar(_ symbol: String, minute: Int64, _ price: Double) -> MarketEvent {
        .bar(symbol: symbol, time: 1_704_067_200_000 + minute * 60_000, open: price, high: price + 1, low: price - 1, close: price + 0.5, volume: 2)
    }

    @Test("minute bars make hour bars per symbol: closed when time reaches the hour's end, the last by the end of the stream")
    func hours() {
        var assembler = EventAssembler(symbols: ["A", "B"], signalNames: [], barMilliseconds: 3_600_000, resamplesBars: true)
        for minute in Int64(0)..<150 {
            #expect(assembler.accept(Self.bar("A", minute: minute, 100 + Double(minute))) == .accepted)
            if minute % 2 == 0 { #expect(assembler.accept(Self.bar("B", minute: minute, 50)) == .accepted) }
        }
        // A second bar of A at minute 149: a duplicate, never merged twice.
        if case .refused(let status, _) = assembler.accept(Self.bar("A", minute: 149, 249)) { #expect(status == "duplicate") } else {
            Issue.record("a repeated bar was accepted")
        }
        var steps = assembler.takeSteps()
        #expect(steps.map(\.time) == [1_704_067_200_000, 1_704_070_800_000])
        let first = steps[0].bars[0]
        #expect(steps[0].symbols == [0, 1] && first.open == 100 && first.close == 159.5 && first.high == 160 && first.low == 99 && first.volume == 120)
        assembler.endOfStream()
        steps = assembler.takeSteps()
        #expect(steps.count == 1 && steps[0].time == 1_704_074_400_000 && steps[0].bars[0].close == 249.5 && steps[0].bars[0].volume == 60)
        #expect(assembler.streamBarSeconds == 60)
        // A bar of an hour already closed is late.
        if case .refused(let status, _) = assembler.accept(Self.bar("B", minute: 61, 50)) { #expect(status == "late") } else {
            Issue.record("a bar of a closed hour was accepted")
        }
    }

    @Test("a bar ending on the hour's end closes the hour at once, once three gaps judged the bar size; a sparse start waits for time")
    func earlyClose() {
        // 00:56, 00:58: a first gap of 2m overstates the bar size; closing at 00:58 would make 00:59 late.
        var sparse = EventAssembler(symbols: ["A"], signalNames: [], barMilliseconds: 3_600_000, resamplesBars: true)
        for minute in [Int64(56), 58, 59] + Array(60..<70) {
            #expect(sparse.accept(Self.bar("A", minute: minute, Double(minute))) == .accepted, "minute \(minute)")
        }
        let first = sparse.takeSteps()
        #expect(first.count == 1 && first[0].bars[0].close == 59.5 && first[0].bars[0].volume == 6, "\(first.map(\.bars))")
        // An hour stream for an hourly strategy: after three gaps each hour is handed on with its own bar.
        var hourly = EventAssembler(symbols: ["A"], signalNames: [], barMilliseconds: 3_600_000, resamplesBars: true)
        for hour in Int64(0)..<5 {
            #expect(hourly.accept(Self.bar("A", minute: hour * 60, Double(hour))) == .accepted)
            #expect(hourly.takeSteps().count == (hour == 0 ? 0 : hour < 3 ? 1 : hour == 3 ? 2 : 1), "hour \(hour)")
        }
    }

    @Test("without a timeframe, bars pass as they are and their size is inferred")
    func inferred() {
        var assembler = EventAssembler(symbols: ["A"], signalNames: [], barMilliseconds: nil)
        for minute in [Int64(0), 5, 10, 20, 25] { _ = assembler.accept(Self.bar("A", minute: minute, 10)) }
        assembler.endOfStream()
        #expect(assembler.takeSteps().count == 5 && assembler.streamBarSeconds == 300)
    }
}

@Suite("stream events: the clock-skew horizon")
struct ClockSkewTests {
    /// Runs a small daily strategy over `text` as a stream file; the journal it wrote, and the state file.
    static func journal(of text: String) throws -> (events: [StoredEvent], state: URL) {
        let folder = try KeelBinary.temporaryFolder(["s.yaml": "keel: 1\nname: S\nprofile: degen\nentry: {long: close > sma(close, 3)}\nexit: {long: close < sma(close, 3)}\n"])
        try text.write(to: folder.appendingPathComponent("s.jsonl"), atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("s.db")
        let run = try KeelBinary.run(["run", "s.yaml", "--paper", "--stream", "s.jsonl", "--state", state.path, "--symbols", "A", "--run-id", "r"],
                                     in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        return (try KeelStore(path: state.path).events(run: "r"), state)
    }

    @Test("a bar years ahead is refused as clock_skew (journaled) and the real bars after it go on; a negative volume is invalid")
    func farFuture() throws {
        var lines: [String] = []
        for day in 0..<40 {
            let time = 1_704_067_200 + Int64(day) * 86_400
            let price = 100 + Double(day % 7)
            lines.append(MarketEvent.bar(symbol: "A", time: time * 1_000, open: price, high: price + 1, low: price - 1, close: price, volume: 10).line)
            if day == 20 { lines.append(MarketEvent.bar(symbol: "A", time: 4_070_908_800_000, open: 1, high: 1, low: 1, close: 1, volume: 1).line) }
        }
        lines.append(#"{"type":"bar","symbol":"A","timestamp":1800000000,"open":1,"high":1,"low":1,"close":1,"volume":-5}"#)
        let (events, state) = try Self.journal(of: lines.joined(separator: "\n") + "\n")
        let refused = events.filter { $0.status != "accepted" }
        #expect(refused.map(\.status) == ["clock_skew", "invalid"], "\(refused.map { "\($0.status): \($0.reason ?? "")" })")
        #expect(refused.last?.reason?.contains("volume") == true)
        #expect(events.filter { $0.status == "accepted" && $0.kind == "bar" }.count == 40)
        let listed = try KeelBinary.run(["runs", "list", "--state", state.path, "--format", "json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 1 && runs[0]["id"] as? String == "r" && runs[0]["events"] as? Int == events.count)
    }
}

extension ClockSkewTests {
    @Test("a line past 1 MiB is journaled invalid with its offset and skipped to its newline; the lines after it are read")
    func oversizedLine() throws {
        var lines: [String] = []
        for day in 0..<10 {
            let price = 100 + Double(day)
            lines.append(MarketEvent.bar(symbol: "A", time: (1_704_067_200 + Int64(day) * 86_400) * 1_000, open: price, high: price + 1,
                                         low: price - 1, close: price, volume: 10).line)
        }
        let huge = "{\"type\":\"bar\",\"pad\":\"" + String(repeating: "x", count: 3 << 20) + "\"}"
        let text = lines[..<5].joined(separator: "\n") + "\n" + huge + "\n" + lines[5...].joined(separator: "\n") + "\n"
        let events = try Self.journal(of: text).events
        let invalid = events.filter { $0.status == "invalid" }
        let offset = lines[..<5].joined(separator: "\n").utf8.count + 1
        #expect(invalid.count == 1 && invalid[0].reason?.contains("at byte offset \(offset)") == true, "\(invalid.map { $0.reason ?? "" })")
        #expect(invalid.first.map { $0.line.utf8.count < 100 } == true, "the journal does not keep the line")
        #expect(events.filter { $0.status == "accepted" && $0.kind == "bar" }.count == 10)
    }
}
