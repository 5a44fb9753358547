/// Every message of the strategy reader: the file's keys and values, before any expression is checked.
extension DiagnosticMessage {
    // The file as a whole

    static func strategyNotMapping(found: String) -> Self {
        .init("expected-mapping", "a strategy file is a mapping of keys such as 'keel:', 'name:' and 'entry:', not \(found)")
    }

    static let missingVersion = Self("missing-key", "missing 'keel:', the format version; add 'keel: 1' as the first line")

    static let missingEntry = Self("missing-key", "missing 'entry:'; a strategy without entry rules never trades")

    static func unsupportedVersion(_ version: String) -> Self {
        .init("unsupported-version", "format version '\(version)' is not supported; this Keel reads 'keel: 1'")
    }

    static func duplicateSymbol(_ symbol: String) -> Self {
        .init("duplicate-symbol", "'\(symbol)' is listed twice in 'symbols:'", severity: .warning)
    }

    static let invalidTimeframe = Self("invalid-timeframe", "'timeframe:' is a bar size such as 1m, 15m, 1h, 4h or 1d")

    // Keys and values

    static func mappingExpected(_ what: String, found: String) -> Self {
        .init("expected-mapping", "'\(what)' expects a mapping of keys, found \(found)")
    }

    /// `hint` is a did-you-mean or the list of keys, starting with "; ".
    static func unknownKey(_ name: String, in section: String, hint: String) -> Self {
        .init("unknown-key", "unknown key '\(name)' in \(section)\(hint)")
    }

    static func scalarExpected(_ what: String, found: String) -> Self {
        .init("expected-scalar", "'\(what)' expects a single value, found \(found)")
    }

    static func missingValue(_ what: String) -> Self { .init("missing-value", "'\(what)' has no value") }

    static func boolExpected(_ what: String, found: String) -> Self { .init("expected-bool", "'\(what)' is true or false, not '\(found)'") }

    /// `hint` is a did-you-mean or the list of choices.
    static func invalidChoice(_ value: String, for what: String, hint: String) -> Self {
        .init("invalid-value", "'\(value)' is not a valid \(what); \(hint)")
    }

    static func yaml11Text(_ value: String) -> Self {
        .init("ambiguous-scalar", "'\(value)' is read as the text '\(value)' (YAML 1.1 reads it as a boolean); quote it to say so",
              severity: .warning)
    }

    static func yaml11Boolean(_ value: String, readAs bool: Bool) -> Self {
        .init("ambiguous-scalar", "'\(value)' is read as \(bool); write '\(bool)' to be unambiguous", severity: .warning)
    }

    static func yaml11Octal(_ value: String, readAs decimal: String) -> Self {
        .init("ambiguous-scalar", "'\(value)' is read as \(decimal) (YAML 1.1 reads a leading zero as octal); write \(decimal)",
              severity: .warning)
    }

    // Sections

    static func sidesExpected(_ section: String) -> Self {
        .init("expected-mapping", "'\(section):' takes one rule per side; write '\(section): {long: ...}'")
    }

    /// A param's search space (`range:`, `step:`, `choices:`) that cannot be read or searched.
    static func paramSpace(_ name: String, _ problem: String) -> Self {
        .init("invalid-param-space", "param '\(name)': \(problem)")
    }

    /// A promotion gate whose bound does not read.
    static func invalidGate(_ problem: String) -> Self { .init("invalid-gate", problem) }

    static let takeProfitList = Self("expected-list", "'take_profit:' is a percent or a list of steps such as '- {at: 10%, close: 50%}'")

    static let takeProfitNeedsAt = Self("missing-key", "a take-profit step needs 'at:', the level (a percent from the entry or a price)")

    static let tickSlippageIncomplete = Self("missing-key", "tick slippage needs both 'ticks:' and 'tick_size:'")

    static func limitCannotBeOff(_ limit: RiskLimit) -> Self { .init("invalid-value", "'\(limit.rawValue)' cannot be turned off") }

    static func invalidName(_ name: String) -> Self {
        .init("invalid-name", "'\(name)' is not a valid name; names use letters, digits and '_', starting with a letter")
    }

    static func keywordName(_ name: String) -> Self {
        .init("invalid-name", "'\(name)' is a keyword of the expression language; choose another name")
    }

    static func shadowedBuiltin(_ name: String, in section: String) -> Self {
        .init("shadowed-builtin", "'\(name)' under '\(section):' hides the built-in '\(name)'; choose another name")
    }
}
