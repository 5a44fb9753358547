/// Typed reads of single YAML values: the schema's expected type decides, never YAML 1.1's guess.
extension StrategyReader {
    /// Plain words that YAML 1.1 reads as booleans (and some tools as null).
    static let yaml11Booleans: Set<String> = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
                                              "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]

    mutating func mapping(_ node: YAMLNode, for what: String) -> [YAMLPair]? {
        if let pairs = node.pairs { return pairs }
        if !node.isInvalid {
            diagnostics.add(.mappingExpected(what, found: node.kindDescription), at: node.range)
        }
        return nil
    }

    /// The pairs whose keys are allowed; the others are reported with a suggestion.
    mutating func knownPairs(_ pairs: [YAMLPair], allowed: [String], in section: String) -> [YAMLPair] {
        pairs.filter { pair in
            guard !pair.key.isInvalid else { return false }
            guard allowed.contains(pair.name) else {
                var hint = Suggestions.closest(to: pair.name, in: allowed).map { "; did you mean '\($0)'?" }
                    ?? "; expected one of: \(allowed.joined(separator: ", "))"
                if pair.key.scalar?.inFlowCollection == true, pair.name.contains(")") || pair.name.first?.isNumber == true {
                    hint = "; this looks like the rest of an expression cut at a ',': inside {...} a ',' ends a plain value, so quote the expression"
                }
                let fix = Suggestions.closest(to: pair.name, in: allowed).map { [FixIt(range: pair.key.range, replacement: $0)] } ?? []
                diagnostics.add(.unknownKey(pair.name, in: section, hint: hint), at: pair.key.range, fixIts: fix)
                return false
            }
            return true
        }
    }

    mutating func scalar(_ node: YAMLNode, for what: String) -> YAMLScalar? {
        guard let scalar = node.scalar else {
            if !node.isInvalid {
                diagnostics.add(.scalarExpected(what, found: node.kindDescription), at: node.range)
            }
            return nil
        }
        if scalar.isNull {
            diagnostics.add(.missingValue(what), at: node.range)
            return nil
        }
        return scalar
    }

    mutating func text(_ node: YAMLNode, for what: String) -> Located<String>? {
        guard let scalar = scalar(node, for: what) else { return nil }
        if scalar.style == .plain, Self.yaml11Booleans.contains(scalar.value) {
            diagnostics.add(.yaml11Text(scalar.value), at: node.range, fixIts: [FixIt(range: node.range, replacement: "\"\(scalar.value)\"")])
        }
        return Located(scalar.value, node.range)
    }

    mutating func flag(_ scalar: YAMLScalar, at range: SourceRange, for what: String) -> Bool? {
        switch scalar.value {
        case "true": return true
        case "false": return false
        case _ where scalar.style == .plain && Self.yaml11Booleans.contains(scalar.value):
            let value = ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "True", "TRUE"].contains(scalar.value)
            diagnostics.add(.yaml11Boolean(scalar.value, readAs: value), at: range, fixIts: [FixIt(range: range, replacement: "\(value)")])
            return value
        default:
            diagnostics.add(.boolExpected(what, found: scalar.value), at: range)
            return nil
        }
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable & Sendable>(_ node: YAMLNode, for what: String) -> Located<Choice>?
    where Choice.RawValue == String {
        guard let scalar = scalar(node, for: what) else { return nil }
        if let value = Choice(rawValue: scalar.value) { return Located(value, node.range) }
        let names = Choice.allCases.map(\.rawValue)
        let hint = Suggestions.closest(to: scalar.value, in: names).map { "did you mean '\($0)'?" }
            ?? "expected one of: \(names.joined(separator: ", "))"
        diagnostics.add(.invalidChoice(scalar.value, for: what, hint: hint), at: node.range)
        return nil
    }

    /// Parses a scalar as an expression, mapping its positions back into the file.
    mutating func expression(_ node: YAMLNode, for what: String) -> Expr? {
        guard let scalar = scalar(node, for: what) else { return nil }
        if scalar.style == .plain, scalar.value.count > 1, scalar.value.first == "0",
           scalar.value.allSatisfy(\.isNumber) {
            let decimal = String(scalar.value.drop { $0 == "0" }.isEmpty ? "0" : scalar.value.drop { $0 == "0" })
            diagnostics.add(.yaml11Octal(scalar.value, readAs: decimal), at: node.range, fixIts: [FixIt(range: node.range, replacement: decimal)])
        }
        let source = ExpressionText(scalar: scalar, range: node.range, in: file)
        var (expr, problems) = ExpressionParser.parse(source, ids: &ids, limits: options.expressions)
        if scalar.inFlowCollection, scalar.style == .plain {
            for index in problems.indices where problems[index].message.contains("to close the '('") {
                problems[index].message += "; inside {...} or [...] a ',' ends a plain value: quote the expression, or write it on its own line"
            }
        }
        if problems.contains(where: { $0.severity == .error }) { strategy.brokenExpressions.insert(expr.id) }
        diagnostics.add(contentsOf: problems)
        return expr
    }
}
