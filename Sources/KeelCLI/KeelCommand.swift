import ArgumentParser

@main
struct KeelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "A declarative strategy runtime: lint, check and run YAML trading strategies.",
        discussion: """
        Exit codes: 0 clean, 1 findings that fail, 64 usage error, 66 unreadable input.
        """,
        subcommands: [Lint.self, Backtest.self, Run.self, Runs.self, Broker.self, Serve.self, Rules.self, Reference.self, DataCommand.self]
    )
}

/// Exit codes, documented in the README.
enum Exit {
    static let findings = ExitCode(1)
    static let unreadable = ExitCode(66)
    /// The output could not be written (a full disk, a closed pipe): sysexits' EX_IOERR.
    static let cannotWrite = ExitCode(74)
}
