import KeelLanguage

/// The run's configuration file (`keel run --config run.yaml`): where a run is allowed to trade
/// live. Live trading needs two acts: `live: true` here and `--live` on the command line.
///
///     # run.yaml
///     live: true                          # this run may send orders to a real broker
///     broker: https://broker.example/     # optional; --broker must then name the same
///
/// Unknown keys and wrong types are errors at their `file:line:column`, as in a strategy file.
package struct RunConfiguration: Sendable, Equatable {
    package var live = false
    package var broker: String?

    package init() {}

    package init(path: String, text: String) throws(RunnerError) {
        let file = SourceFile(path: path, text: text)
        var diagnostics = DiagnosticBag()
        let root = YAMLLoader.load(file, diagnostics: &diagnostics)
        func error(_ message: String, _ range: SourceRange) -> RunnerError {
            .usage("\(path):\(file.location(ofOffset: range.start)): error: \(message)")
        }
        if let first = diagnostics.items.first { throw error(first.message, first.range) }
        guard let root, !(root.scalar?.isNull ?? false) else { return }
        guard let pairs = root.pairs else { throw error("a run configuration is a mapping (live: true)", root.range) }
        for pair in pairs {
            switch pair.name {
            case "live":
                guard let value = pair.value.scalar?.value, value == "true" || value == "false" else {
                    throw error("'live' is true or false", pair.value.range)
                }
                live = value == "true"
            case "broker":
                guard let value = pair.value.scalar?.value, !value.isEmpty else { throw error("'broker' is the broker's URL", pair.value.range) }
                broker = value
            default:
                throw error("unknown key '\(pair.name)' in a run configuration; the keys are live and broker", pair.key.range)
            }
        }
    }
}
