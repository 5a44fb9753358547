import ArgumentParser
import Dispatch
import KeelLanguage

struct KeelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "A declarative strategy runtime: lint, check and run YAML trading strategies.",
        discussion: prose("""
        Exit codes: 0 clean, 1 findings that fail, 64 usage error, 66 unreadable input, 74 output that
        cannot be written.
        """),
        version: KeelVersion.current,
        subcommands: [New.self, Lint.self, Fmt.self, LSP.self, Backtest.self, Optimize.self, Cluster.self, WalkForwardCommand.self, MonteCarloCommand.self, ResearchCommand.self, Merge.self, Report.self, Run.self, Runs.self, Broker.self, Serve.self, Rules.self, Reference.self, DataCommand.self]
    )
}

/// The process's entry. A batch command (lint, backtest, data, ...) runs on a plain main thread;
/// a command that serves or follows a stream (`serve`, `broker serve`, `run`) is async, and only
/// then is the main thread handed to the dispatch main loop, as an async `main` would. Batch
/// commands stay readable by valgrind, which cannot follow that loop (Benchmarks/run.sh counts
/// their allocations).
@main
enum KeelMain {
    static func main() {
        let command: ParsableCommand
        do { command = try KeelCommand.parseAsRoot() } catch { KeelCommand.exit(withError: error) }
        guard let served = command as? AsyncParsableCommand else {
            var batch = command
            do { try batch.run() } catch { KeelCommand.exit(withError: error) }
            return
        }
        nonisolated(unsafe) var async = served
        Task {
            do { try await async.run() } catch { KeelCommand.exit(withError: error) }
            KeelCommand.exit()
        }
        dispatchMain()
    }
}

/// Exit codes, documented in the README.
enum Exit {
    static let findings = ExitCode(1)
    static let unreadable = ExitCode(66)
    /// The output could not be written (a full disk, a closed pipe): sysexits' EX_IOERR.
    static let cannotWrite = ExitCode(74)
}

/// A discussion written as wrapped source lines, read as paragraphs: a single newline becomes a
/// space and a blank line stays, so swift-argument-parser wraps it once, to the terminal's width.
func prose(_ text: String) -> String {
    text.components(separatedBy: "\n\n").map { $0.split(separator: "\n").joined(separator: " ") }.joined(separator: "\n\n")
}
