/// Renders Grammar/REFERENCE.md from the built-in table; a test fails when the committed file is stale.
package enum LanguageReference {
    package static func markdown() -> String {
        var out = """
        # Keel expression language: built-in reference

        Generated from the built-in table by `keel reference`; do not edit by hand.
        The grammar is in `expression.ebnf`; the file format in `keel-strategy.schema.json`.

        Every value is a series, one value per bar. Until an indicator has seen its warm-up (the bars
        before its first value, as TA-Lib counts its lookback) it has no value, and a rule that reads it
        is false. A series argument's own warm-up adds to the indicator's. Windows are constant whole
        numbers of bars from 1 to \(BuiltinTable.maxWindow). Percents are fractions: `5%` is 0.05.

        In `stop_loss:` and `take_profit:` the name `entry_price` is the entry's fill price.

        """
        for category in Builtin.Category.allCases {
            let entries = BuiltinTable.all.filter { $0.category == category }
            guard !entries.isEmpty else { continue }
            out += "\n## \(category.rawValue)\n"
            for builtin in entries { out += "\n### `\(builtin.signature)`\n\n" + entry(builtin) }
        }
        return out
    }

    /// One built-in's text under its signature: the doc, outputs, warm-up, type, example (the
    /// reference's entry, and the editor's hover).
    package static func entry(_ builtin: Builtin) -> String {
        var out = "\(builtin.doc)\n\n"
        if !builtin.outputs.isEmpty {
            let prefix = builtin.form == .namespace ? builtin.name : "\(builtin.name)(...)"
            out += builtin.outputs.map { "- `\(prefix).\($0.name)`: \($0.doc)" }.joined(separator: "\n") + "\n\n"
        }
        if builtin.form == .function { out += "- warm-up: \(builtin.warmup.describe) bars\n" }
        if !builtin.reads.isEmpty { out += "- reads: \(builtin.reads.joined(separator: ", "))\n" }
        out += "- type: \(resultDescription(builtin))\n"
        if let bounds = builtin.bounds {
            out += "- values: \(ExpressionPrinter.format(bounds.lowerBound)) to \(ExpressionPrinter.format(bounds.upperBound))\n"
        }
        if !builtin.definition.isEmpty { out += "- definition: \(builtin.definition)\n" }
        return out + "- example: `\(builtin.example)`\n"
    }

    private static func resultDescription(_ builtin: Builtin) -> String {
        if builtin.form == .namespace { return "namespace (pick a field)" }
        if !builtin.outputs.isEmpty { return "several outputs (pick one with `.name`)" }
        switch builtin.result {
        case .fixed(let type): return type.description
        case .argument(let index): return "the type of `\(builtin.parameters[index].name)`"
        }
    }
}
