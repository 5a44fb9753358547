import ArgumentParser
import Foundation
import Keel
import KeelReport
import KeelResearch

struct WalkForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkforward",
        abstract: "Optimise on each train window, trade the choice on the test window after it, and stitch the out-of-sample record.",
        usage: "keel walkforward <strategy> --data <path> --train <span> --test <span>",
        discussion: prose("""
        Spans are 2y, 6m (months), 12w, 90d, 12h or 30min, on the UTC calendar. Fold k trains on
        its window (rolling: starting k steps after the data's first bar; anchored: always from
        it), then, after the purge gap, trades the chosen params on the test window with the
        indicators warmed up on the bars before it. The search never reads a bar at or after its
        train window's end. Each test window starts with the equity the last one ended with, flat
        unless --carry takes the open positions over the seam at its close. The output gives each
        fold's choice with its in-sample and out-of-sample figures, the stitched out-of-sample
        record and the walk-forward efficiency (out-of-sample CAGR over the mean in-sample CAGR).
        Exits 0 with results, 1 when the strategy, a fold or a trial fails, 64 on a usage error,
        66 when a file cannot be read, 74 when the output cannot be written.
        """)
    )

    @OptionGroup var study: StudyOptions

    @OptionGroup var windows: ScheduleOptions

    @Option(name: .shortAndLong, help: "Also write the whole walk-forward (folds, stitched equity, manifest) as JSON to this file.")
    var output: String?

    @Option(help: "Output: text (the folds and the stitched record) or json.")
    var format: Backtest.OutputFormat = .text

    func run() throws {
        let inputs = try study.inputs()
        let schedule = try windows.schedule()
        let walk = try windows.walk(inputs, search: study.search, capital: study.capital, range: study.reading.range)
        let manifest = ReportManifest(command: ["keel"] + CommandLine.arguments.dropFirst(), strategyPath: study.strategy, strategyText: inputs.loaded.text,
                                      data: ReportManifest.checksums(inputs.files))
        let rows = Optimize.manifest(manifest, strategyName: inputs.strategyName, plan: inputs.plan, objective: study.search.goal, capital: study.capital,
                                     range: study.reading.range, fixed: inputs.fixed) + [("schedule", schedule.description), ("carry", windows.carry ? "true" : "false")]
        let json = WalkForwardFormat.json(walk, manifest: rows)
        if let output {
            do { try Data(json.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                StandardError.say("cannot write the walk-forward to '\(output)': \(error.localizedDescription)")
                throw Exit.cannotWrite
            }
        }
        print(format == .json ? json : WalkForwardFormat.text(walk), terminator: "")
    }
}

/// The windows of a walk-forward (`keel walkforward`, `keel research`).
struct ScheduleOptions: ParsableArguments {
    @Option(help: "Each fold's train window (2y, 6m, 90d, ...).")
    var train: String

    @Option(help: "Each fold's test window.")
    var test: String

    @Option(help: "How far each fold moves on (default: the test window).")
    var step: String?

    @Flag(help: "Every train window starts at the data's first bar and grows by a step each fold.")
    var anchored = false

    @Option(help: "A gap left out between each train window and its test window.")
    var purge: String?

    @Flag(help: "Take positions open at a seam into the next fold at the seam's close, under the next fold's params.")
    var carry = false

    func validate() throws { _ = try schedule() }

    func schedule() throws -> WalkForward.Schedule {
        func span(_ text: String, _ flag: String) throws -> Span {
            guard let span = Span(text) else { throw ValidationError("\(flag) takes a span such as 2y, 6m (months), 12w, 90d, 12h or 30min, not '\(text)'") }
            return span
        }
        return WalkForward.Schedule(train: try span(train, "--train"), test: try span(test, "--test"), step: try step.map { try span($0, "--step") },
                                    anchored: anchored, purge: try purge.map { try span($0, "--purge") })
    }

    /// Runs the walk-forward with a progress bar; a failure is said and exits 1.
    func walk(_ inputs: SearchInputs, search: SearchOptions, capital: Double, range: DateRange) throws -> WalkForward {
        let schedule = try schedule()
        do {
            let times = inputs.feeds.flatMap { [$0.time.first(where: range.contains), $0.time.last(where: range.contains)] }.compactMap { $0 }
            let folds = try WalkForward.folds(schedule, first: times.min() ?? 0, last: times.max() ?? 0)
            let progress = Progress(total: folds.count * inputs.plan.trials.count)
            defer { progress.finish() }
            return try WalkForward.run(inputs.loaded, plan: inputs.plan, fixed: inputs.fixed, feeds: inputs.feeds, capital: capital, objective: search.goal,
                                       schedule: schedule, carry: carry, bounds: range, jobs: search.jobCount, advanced: { progress.advance() })
        } catch {
            StandardError.say("\(error)")
            throw Exit.findings
        }
    }
}
