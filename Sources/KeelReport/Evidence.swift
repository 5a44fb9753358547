import Foundation
import Keel
import KeelData

/// `keel research`'s evidence file: the figures of a strategy's research protocol (walk-forward,
/// Monte Carlo, the full-sample search's statistics), its gates judged against them, and the
/// manifest binding both to the strategy's text (its SHA-256) and the data's checksums. A live run
/// reads it before it sends anything (`admit`).
public struct Evidence: Sendable {
    public struct Verdict: Sendable, Equatable {
        public var gate: Gate
        /// The figure's value; nil when the research could not make it (CSCV without enough trials).
        public var value: Double?
        public var passed: Bool { value.map { gate.comparison.holds($0, gate.bound) } ?? false }

        /// `oos_sharpe >= 0.8: 1.23, passed`.
        public var description: String {
            "\(gate.text): \(value.map { Self.show($0, gate.figure) } ?? "not in the evidence"), \(passed ? "passed" : "failed")"
        }

        public static func show(_ value: Double, _ figure: Gate.Figure) -> String {
            figure.isFraction && figure != .minTrades ? ResultFormat.format(value * 100, 2) + "%" : ResultFormat.format(value, figure == .minTrades ? 0 : 3)
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public var manifest: ReportManifest
    /// How the protocol ran: schedule, objective, method, trials, seeds.
    public var protocolSettings: [(String, String)]
    /// The full-sample search's chosen params.
    public var chosen: [(String, ConstValue)]
    public var figures: [(Gate.Figure, Double)]
    public var verdicts: [Verdict]

    public init(manifest: ReportManifest, protocolSettings: [(String, String)], chosen: [(String, ConstValue)], figures: [(Gate.Figure, Double)],
                gates: [Gate]) {
        (self.manifest, self.protocolSettings, self.chosen, self.figures) = (manifest, protocolSettings, chosen, figures)
        verdicts = Self.judge(gates, figures: figures)
    }

    public static func judge(_ gates: [Gate], figures: [(Gate.Figure, Double)]) -> [Verdict] {
        gates.map { gate in Verdict(gate: gate, value: figures.first { $0.0 == gate.figure }.map(\.1).flatMap { $0.isFinite ? $0 : nil }) }
    }

    /// pass when every gate passes, fail when one does not, and no gates when the strategy declares none.
    public var verdict: String { verdicts.isEmpty ? "no gates" : verdicts.allSatisfy(\.passed) ? "pass" : "fail" }

    public func figure(_ figure: Gate.Figure) -> Double? { figures.first { $0.0 == figure }?.1 }

    // MARK: The file

    public func json() -> String {
        JSON.encode(.object([
            ("keel_evidence", .int(1)),
            ("manifest", .object([
                ("keel_version", .string(manifest.keelVersion)), ("command", .string(manifest.recordedCommand ?? manifest.commandLine)),
                ("strategy_path", .string(manifest.strategyPath ?? "")), ("strategy_sha256", .string(manifest.strategySHA256 ?? "")),
                ("data", .array(manifest.data.map { .object([("symbol", .string($0.symbol)), ("path", .string($0.path)), ("bytes", .int($0.bytes)),
                                                           ("sha256", .string($0.sha256))]) })),
            ])),
            ("protocol", .object(protocolSettings.map { ($0.0, .string($0.1)) })),
            ("chosen_params", .object(chosen.map { name, value in (name, value.number.map { .number($0) } ?? .string(SweepFormat.value(value))) })),
            ("figures", .object(figures.map { ($0.0.rawValue, .number($0.1)) })),
            ("gates", .array(verdicts.map { v in
                .object([("gate", .string(v.gate.text)), ("figure", .string(v.gate.figure.rawValue)), ("comparison", .string(v.gate.comparison.rawValue)),
                         ("bound", .number(v.gate.bound)), ("value", v.value.map { .number($0) } ?? .null), ("passed", .bool(v.passed))])
            })),
            ("verdict", .string(verdict)),
        ])) + "\n"
    }

    /// Reads an evidence file back; its gates are judged again from its figures (`gates` when given: the strategy's now).
    public static func read(_ data: Data, path: String, gates: [Gate]? = nil) throws(Failure) -> Evidence {
        guard let o = (try? JSONReader.foundationObject(data)) as? [String: Any], o["keel_evidence"] != nil,
              let m = o["manifest"] as? [String: Any], let figures = o["figures"] as? [String: Any] else {
            throw Failure(description: "\(path) is not an evidence file: make one with keel research")
        }
        var manifest = ReportManifest(command: [], strategyPath: m["strategy_path"] as? String)
        manifest.strategySHA256 = m["strategy_sha256"] as? String
        manifest.recordedCommand = m["command"] as? String
        manifest.keelVersion = m["keel_version"] as? String ?? ""
        manifest.data = ((m["data"] as? [[String: Any]]) ?? []).map {
            ReportManifest.DataFile(symbol: $0["symbol"] as? String ?? "", path: $0["path"] as? String ?? "", bytes: ($0["bytes"] as? NSNumber)?.intValue ?? 0,
                                    sha256: $0["sha256"] as? String ?? "")
        }
        let read: [(Gate.Figure, Double)] = Gate.Figure.allCases.compactMap { figure in
            (figures[figure.rawValue] as? NSNumber).map { (figure, $0.doubleValue) }
        }
        let written: [Gate] = ((o["gates"] as? [[String: Any]]) ?? []).compactMap { g in
            guard let figure = (g["figure"] as? String).flatMap(Gate.Figure.init), let comparison = (g["comparison"] as? String).flatMap(Gate.Comparison.init),
                  let bound = (g["bound"] as? NSNumber)?.doubleValue else { return nil }
            return Gate(figure: figure, comparison: comparison, bound: bound)
        }
        let settings = ((o["protocol"] as? [String: Any]) ?? [:]).map { ($0.key, "\($0.value)") }.sorted { $0.0 < $1.0 }
        let chosen = ((o["chosen_params"] as? [String: Any]) ?? [:]).map { name, value -> (String, ConstValue) in
            ((name, (value as? NSNumber).map { .number($0.doubleValue) } ?? .string("\(value)")))
        }.sorted { $0.0 < $1.0 }
        return Evidence(manifest: manifest, protocolSettings: settings, chosen: chosen, figures: read, gates: gates ?? written)
    }

    // MARK: Admission to live trading

    /// What a run may do with the strategy's evidence.
    public enum Admission: Sendable {
        /// The strategy declares no gates: nothing to check.
        case noGates
        /// Every gate passes on evidence made from this very text.
        case admitted(Evidence)
        /// Missing, stale or failing evidence, with what to do about it.
        case refused(String)
    }

    /// Judges the evidence at `path` for a strategy of `text` whose gates are `gates`: the file must
    /// exist, be made from this text (its SHA-256), and every gate must pass on its figures.
    public static func admit(strategyPath: String, text: String, gates: [Gate], evidencePath: String) -> Admission {
        admit(strategyPath: strategyPath, text: text, gates: gates, evidence: FileManager.default.contents(atPath: evidencePath), from: evidencePath,
              remedy: "run keel research \(strategyPath) --data ... -o \(evidencePath)")
    }

    /// The same for evidence held elsewhere (the service's store): `from` names where it was
    /// looked for, `remedy` says how to make it.
    public static func admit(strategyPath: String, text: String, gates: [Gate], evidence data: Data?, from place: String, remedy: String) -> Admission {
        guard !gates.isEmpty else { return .noGates }
        guard let data else { return .refused("\(strategyPath) declares gates and has no research evidence at \(place): \(remedy)") }
        let evidence: Evidence
        do { evidence = try read(data, path: place, gates: gates) } catch { return .refused("\(error.description): \(remedy)") }
        let hash = ReportManifest(command: [], strategyText: text).strategySHA256 ?? ""
        guard evidence.manifest.strategySHA256 == hash else {
            return .refused("""
                the evidence \(place) is stale: it was made from another text of \(strategyPath) (sha256 \
                \(evidence.manifest.strategySHA256?.prefix(12) ?? "none"), the file now \(hash.prefix(12))): \(remedy)
                """)
        }
        let failing = evidence.verdicts.filter { !$0.passed }
        guard failing.isEmpty else {
            return .refused("the evidence \(place) fails \(failing.count == 1 ? "a gate" : "\(failing.count) gates"): "
                + failing.map(\.description).joined(separator: "; "))
        }
        return .admitted(evidence)
    }

    /// Where an evidence file goes by default: beside the strategy, `NAME.evidence.json`.
    public static func defaultPath(for strategyPath: String) -> String {
        let stem = [".yaml", ".yml"].first(where: strategyPath.hasSuffix).map { String(strategyPath.dropLast($0.count)) } ?? strategyPath
        return stem + ".evidence.json"
    }
}
