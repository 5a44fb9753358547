import Foundation
import Keel
import KeelData

/// A walk-forward as `keel walkforward` prints it (text) and writes it (JSON, with its manifest).
public enum WalkForwardFormat {
    public static func text(_ walk: WalkForward) -> String {
        let metric = walk.objective.metric
        func day(_ time: Int64) -> String { String(TimestampParser.format(time).prefix(10)) }
        func pct(_ x: Double) -> String { x.isFinite ? ResultFormat.format(x * 100, 2) + "%" : "n/a" }
        func number(_ x: Double) -> String { x.isFinite ? ResultFormat.format(x, 3) : "n/a" }
        var rows = [["fold", "train", "test", "params", "IS \(metric)", "OOS \(metric)", "OOS return", "trades"]]
        for f in walk.folds {
            rows.append([
                "\(f.fold.number)", "\(day(f.fold.train.lowerBound)) to \(day(f.fold.train.upperBound - 1))",
                "\(day(f.fold.test.lowerBound)) to \(day(f.fold.test.upperBound - 1))\(f.fold.partial ? "*" : "")",
                f.params.map { "\($0.0)=\(SweepFormat.value($0.1))" }.joined(separator: " ") + (f.chosen == nil ? " (none finite)" : ""),
                number(walk.objective.value(f.inSample)), number(walk.objective.value(f.outOfSample)),
                pct(f.outOfSample.finalEquity / f.outOfSample.capital - 1), "\(f.outOfSample.metrics.tradeCount)",
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = rows.map { row in
            row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
        if walk.folds.contains(where: \.fold.partial) { text += "* cut short by the data's end\n" }
        let m = walk.metrics
        let final = walk.equityCurve.last?.equity ?? walk.capital
        text += "\nout of sample (\(walk.folds.count) folds, \(walk.schedule.description)): final equity \(ResultFormat.format(final, 2)), "
            + "return \(pct(m.totalReturn)), CAGR \(pct(m.cagr)), Sharpe \(number(m.sharpe)), max drawdown \(pct(m.maxDrawdown)), \(m.tradeCount) trades\n"
        let profitable = walk.folds.filter { $0.outOfSample.finalEquity > $0.outOfSample.capital }.count
        text += "walk-forward efficiency \(number(walk.efficiency)) (out-of-sample CAGR over the folds' mean in-sample CAGR); "
            + "\(profitable) of \(walk.folds.count) test windows made money\n"
        return text
    }

    public static func json(_ walk: WalkForward, manifest: [(String, String)]) -> String {
        func metrics(_ m: Metrics) -> JSON.Value {
            .object(m.named.map { name, value in (name, name == "trade_count" ? .int(Int(value)) : .number(value)) })
        }
        func window(_ range: Range<Int64>) -> JSON.Value {
            .object([("from", .string(TimestampParser.format(range.lowerBound))), ("to", .string(TimestampParser.format(range.upperBound - 1)))])
        }
        let folds: [JSON.Value] = walk.folds.map { f in
            .object([
                ("fold", .int(f.fold.number)), ("train", window(f.fold.train)), ("test", window(f.fold.test)), ("partial", .bool(f.fold.partial)),
                ("chosen_trial", f.chosen.map { .int($0) } ?? .null),
                ("params", .object(f.params.map { name, value in (name, value.number.map { .number($0) } ?? .string(SweepFormat.value(value))) })),
                ("train_bars", .array(f.trainBars.map { .int($0) })), ("train_last_bar", f.trainLastTime.map { .string(TimestampParser.format($0)) } ?? .null),
                ("in_sample", .object([("final_equity", .number(f.inSample.finalEquity)), ("metrics", metrics(f.inSample.metrics))])),
                ("out_of_sample", .object([("capital", .number(f.outOfSample.capital)), ("final_equity", .number(f.outOfSample.finalEquity)),
                                           ("open_positions", .int(f.outOfSample.openPositions.count)), ("metrics", metrics(f.outOfSample.metrics))])),
            ])
        }
        return JSON.encode(.object([
            ("manifest", .object(manifest.map { ($0.0, .string($0.1)) })),
            ("objective", .string(walk.objective.metric)), ("capital", .number(walk.capital)),
            ("folds", .array(folds)),
            ("out_of_sample", .object([
                ("final_equity", .number(walk.equityCurve.last?.equity ?? walk.capital)), ("metrics", metrics(walk.metrics)),
                ("efficiency", .number(walk.efficiency)),
                ("equity", .array(walk.equityCurve.map { .array([.int(Int($0.time)), .number($0.equity)]) })),
            ])),
        ])) + "\n"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// A walk-forward shard's file (`keel walkforward --shard I/N -o FILE`): its manifest and its
/// folds' choices. Each figure is written as text, the shortest that reads back as the same
/// Double ("0.018749000125696025", "nan", "inf"): a JSON reader's numbers may miss the last digit,
/// and `keel merge` must print what one machine prints, byte for byte.
public enum WalkForwardShardFile {
    public static let kind = "keel_walkforward_shard"

    public static func encode(_ choices: [WalkForward.Choice], manifest: [(String, String)]) -> String {
        func exact(_ x: Double) -> JSON.Value { .string(x.description) }
        func time(_ t: Int64?) -> JSON.Value { t.map { .int(Int($0)) } ?? .null }
        func window(_ range: Range<Int64>) -> JSON.Value { compact(.array([.int(Int(range.lowerBound)), .int(Int(range.upperBound))])) }
        let folds: [JSON.Value] = choices.sorted { $0.fold.number < $1.fold.number }.map { c in
            .object([
                ("fold", .int(c.fold.number)), ("train", window(c.fold.train)), ("test", window(c.fold.test)), ("partial", .bool(c.fold.partial)),
                ("chosen_trial", c.chosen.map { .int($0) } ?? .null), ("trial", .int(c.inSample.number)),
                ("params", .object(c.inSample.params.map { ($0.0, .string(SweepFormat.value($0.1))) })),
                ("final_equity", exact(c.inSample.finalEquity)),
                ("metrics", .object(c.inSample.metrics.named.map { ($0.0, exact($0.1)) })),
                ("train_bars", compact(.array(c.trainBars.map { .int($0) }))), ("train_last_time", time(c.trainLastTime)),
                ("trials_last_time", time(c.trialsLastTime)),
            ])
        }
        // The manifest as pairs: its order is the merged file's.
        return JSON.encode(.object([
            (kind, .int(1)), ("folds", .array(folds)),
            ("manifest", .array(manifest.map { compact(.array([.string($0.0), .string($0.1)])) })),
        ])) + "\n"
    }

    /// A value written on one line inside the pretty file.
    static func compact(_ value: JSON.Value) -> JSON.Value { .written { _, _, out in JSON.write(value, pretty: false, into: &out) } }

    /// Whether the file at `path` is JSON (a results file is SQLite): `read` says whether it is a shard's.
    public static func isJSON(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return head.drop { $0.isWhitespace }.first == "{"
    }

    /// The manifest and choices of a shard's file; the params are the plan's to give (the file
    /// holds them as text, for the reader).
    public static func read(_ path: String) throws -> (manifest: [(String, String)], choices: [WalkForward.Choice]) {
        func fail(_ what: String) -> ResultsFile.Failure { ResultsFile.Failure(description: "\(path): \(what)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw fail("cannot be read: \(error.localizedDescription)") }
        guard let object = (try? JSONReader.foundationObject(data)) as? [String: Any], object[kind] != nil,
              let pairs = object["manifest"] as? [[String]], let folds = object["folds"] as? [[String: Any]] else {
            throw fail("is not a walk-forward shard's file (keel walkforward --shard I/N -o FILE writes them)")
        }
        let manifest = try pairs.map { pair -> (String, String) in
            guard pair.count == 2 else { throw fail("its manifest does not read") }
            return (pair[0], pair[1])
        }
        func exact(_ value: Any?) -> Double { (value as? String).flatMap(Double.init) ?? .nan }
        func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
        let choices = try folds.map { f -> WalkForward.Choice in
            guard let number = int(f["fold"]), let train = f["train"] as? [NSNumber], let test = f["test"] as? [NSNumber], train.count == 2, test.count == 2,
                  let trial = int(f["trial"]), let metrics = f["metrics"] as? [String: Any] else { throw fail("a fold does not read") }
            let fold = WalkForward.Fold(number: number, train: train[0].int64Value..<train[1].int64Value, test: test[0].int64Value..<test[1].int64Value,
                                        partial: (f["partial"] as? NSNumber)?.boolValue ?? false)
            let inSample = ResultsFile.Trial(number: trial, params: [], finalEquity: exact(f["final_equity"]),
                                             metrics: Metrics(named: metrics.mapValues { exact($0) }))
            return WalkForward.Choice(fold: fold, chosen: int(f["chosen_trial"]), inSample: inSample, trainBars: (f["train_bars"] as? [NSNumber])?.map(\.intValue) ?? [],
                                      trainLastTime: (f["train_last_time"] as? NSNumber)?.int64Value, trialsLastTime: (f["trials_last_time"] as? NSNumber)?.int64Value)
        }
        return (manifest, choices)
    }
}
