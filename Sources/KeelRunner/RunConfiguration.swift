import KeelLanguage

/// The run's configuration file (`keel run --config run.yaml`): where a run is allowed to trade
/// live. Live trading needs two acts: `live: true` here and `--live` on the command line.
///
///     # run.yaml
///     live: true                          # this run may send orders to a real broker
///     broker: https://broker.example/     # optional; --broker must then name the same
///     gates: {oos_sharpe: ">= 1"}         # optional; added to the strategy's (and replace its gate on a figure)
///
/// Unknown keys and wrong types are errors at their `file:line:column`, as in a strategy file.
package struct RunConfiguration: Sendable, Equatable {
    package var live = false
    package var broker: String?
    /// Promotion gates this run adds to the strategy's (`gates:`, as in a strategy file).
    package var gates: [Gate] = []

    package init() {}

    /// The strategy's gates with this run's: a run's gate on a figure replaces the strategy's.
    package func gates(with strategy: [Gate]) -> [Gate] {
        strategy.filter { mine in !gates.contains { $0.figure == mine.figure } } + gates
    }

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
            case "gates":
                guard let entries = pair.value.pairs else { throw error("'gates' is a mapping such as {oos_sharpe: \">= 0.8\"}", pair.value.range) }
                for entry in entries {
                    guard let figure = Gate.Figure(rawValue: entry.name) else {
                        throw error("unknown gate '\(entry.name)'\(Suggestions.closest(to: entry.name, in: Gate.Figure.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""); "
                            + "the gates are \(Gate.Figure.allCases.map(\.rawValue).joined(separator: ", "))", entry.key.range)
                    }
                    guard let text = entry.value.scalar?.value else { throw error("gate '\(entry.name)' is a bound such as '>= 0.8'", entry.value.range) }
                    switch Gate.parse(figure, text) {
                    case .success(let gate): gates.append(gate)
                    case .failure(let problem): throw error(problem.message, entry.value.range)
                    }
                }
            default:
                throw error("unknown key '\(pair.name)' in a run configuration; the keys are live, broker and gates", pair.key.range)
            }
        }
    }
}
