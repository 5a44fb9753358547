import KeelLanguage
import Testing

/// A param's search space (`range:`, `step:`, `choices:`): read, resolved to values, and checked at
/// every value research may try, each problem at the space's own line.
@Suite struct ParamSpaceTests {
    static func space(_ params: String, entry: String = "crosses_above(sma(close, fast), sma(close, 30))") -> String {
        """
        keel: 1
        name: Space
        description: d
        params:
        \(params)
        entry: {long: "\(entry)"}
        stop_loss: 5%
        execution: {fees: 0.1%, slippage: 1bps}
        """
    }

    @Test("a range walks by its step (whole numbers by 1 without one), choices are taken as given, a fractional range is an interval")
    func resolved() throws {
        let result = check(Self.space("""
          fast: {default: 10, range: [5, 50], step: 5}
          slow: {default: 30, range: [28, 32]}
          stop: {default: 5%, choices: [2%, 5%, 10%]}
          gain: {default: 0.5, range: [0.1, 0.9]}
          tick: {default: 0.2, range: [0.1, 0.4], step: 0.1}
        """, entry: "crosses_above(sma(close, fast), sma(close, slow)) and close * stop * gain * tick > 0"))
        #expect(result.errorIDs.isEmpty, "\(result.diagnostics.map(\.message))")
        let checked = try #require(result.checked)
        #expect(checked.paramValues["fast"] == .number(10), "the default is the value it runs with")
        #expect(checked.paramSpaces["fast"] == .values(stride(from: 5.0, through: 50, by: 5).map { .number($0) }))
        #expect(checked.paramSpaces["slow"] == .values([28, 29, 30, 31, 32].map { .number($0) }))
        #expect(checked.paramSpaces["stop"] == .values([0.02, 0.05, 0.1].map { .number($0) }))
        #expect(checked.paramSpaces["gain"] == .interval(low: 0.1, high: 0.9))
        #expect(checked.paramSpaces["tick"] == .values([0.1, 0.2, 0.3, 0.4].map { .number($0) }), "from the low end by the step, without float drift")
    }

    @Test("what cannot be searched is an error at its place, with what to write", arguments: [
        ("  fast: {range: [5, 50]}", "5:9", "needs 'default:'"),
        ("  fast: {default: 10, range: [50, 5]}", "5:30", "low end 50 is not below its high end 5"),
        ("  fast: {default: 10, range: [20, 50]}", "5:30", "the default 10 is outside the range [20, 50]"),
        ("  fast: {default: 10, range: [5, 50], step: 0}", "5:45", "'step:' must be above 0"),
        ("  fast: {default: 10, range: [5]}", "5:30", "'range:' is two values"),
        ("  fast: {default: 10, choices: []}", "5:32", "'choices:' is a list of values"),
        ("  fast: {default: 10, range: [5, 50], choices: [5]}", "5:49", "not both"),
        ("  fast: {default: 10, choices: [5, true]}", "5:36", "not of the default's kind"),
        ("  fast: {default: 10, range: [1, 1000000], step: 1}", "5:50", "more than 100000"),
        ("  fast: {default: 10, range: [0, 50], step: 5}", "5:30", "with fast = 0, line 6: sma's 'n' is 0"),
        ("  fast: {default: 10, range: [5, 20000]}", "5:30", "with fast = 20000"),
    ])
    func refused(params: String, place: String, message: String) throws {
        let result = check(Self.space(params))
        let problem = try #require(result.diagnostics.first { $0.id == "invalid-param-space" }, "\(result.diagnostics.map(\.message))")
        #expect(problem.severity == .error)
        #expect(problem.message.contains(message), "\(problem.message)")
        #expect(result.location(of: "invalid-param-space") == place)
    }

    @Test("a stop the choices make impossible names the value and the line where it fails")
    func choicesChecked() throws {
        let text = Self.space("  stop: {default: 5%, choices: [2%, 150%]}", entry: "close > open").replacingOccurrences(of: "stop_loss: 5%", with: "stop_loss: stop")
        let problem = try #require(check(text).diagnostics.first { $0.id == "invalid-param-space" })
        #expect(problem.message.contains("with stop = 1.5") && problem.message.contains("stop-loss of 150%"), "\(problem.message)")
    }
}
