/// Every message about an expression: the lexer's and the parser's (`syntax-error` and its
/// kin), then the checker's names, calls, arguments, types and history.
extension DiagnosticMessage {
    // Tokens

    static func unrepresentableNumber(_ text: String) -> Self { .init("syntax-error", "'\(text)' is not a number Keel can represent") }

    static func unknownUnit(_ unit: String, after number: String) -> Self {
        .init("syntax-error", "unknown unit '\(unit)' after \(number); units are %, bps, s, m, h, d, w and bars")
    }

    static func fractionalDuration(_ text: String) -> Self {
        .init("syntax-error", "a duration counts whole units; '\(text)' is not a whole number")
    }

    static func unterminatedString(quote: Character) -> Self { .init("syntax-error", "unterminated string; close it with \(quote)") }

    static func unexpectedCharacter(_ text: String) -> Self { .init("syntax-error", "unexpected character '\(text)'") }

    static let singleEquals = Self("syntax-error", "'=' does not compare; write '=='")
    static let bang = Self("syntax-error", "write 'not' instead of '!'")
    static let ampersands = Self("syntax-error", "write 'and' instead of '&&'")
    static let bars = Self("syntax-error", "write 'or' instead of '||'")

    // Syntax

    static func expressionTooLong(bytes: Int, limit: Int) -> Self {
        .init("expression-too-long", "expression is \(bytes) bytes; the limit is \(limit). Split it into named parts under 'let:'")
    }

    static func expressionTooDeep(limit: Int) -> Self {
        .init("expression-too-deep", "expression nests deeper than \(limit) levels; name parts of it under 'let:'")
    }

    static let expressionExpected = Self("syntax-error", "expected an expression here")

    static func expressionExpected(found: String) -> Self { .init("syntax-error", "expected an expression, found \(found)") }

    static func durationWord(count: String, unit: String) -> Self {
        .init("syntax-error", "durations are written \(count)\(unit) (units s, m, h, d, w) or '\(count) bars'")
    }

    /// `hint` starts with "; " when there is one.
    static func trailingToken(_ found: String, hint: String) -> Self {
        .init("syntax-error", "unexpected \(found) after a complete expression\(hint)")
    }

    static let chainedComparison = Self("chained-comparison", "comparisons do not chain; write 'a < b and b < c'")

    static func memberNameExpected(found: String) -> Self { .init("syntax-error", "expected a name after '.', found \(found)") }

    static let notCallable = Self("syntax-error", "only a function name can be called")

    static func keywordExpected(_ keyword: String, after what: String, found: String) -> Self {
        .init("syntax-error", "expected '\(keyword)' after \(what), found \(found)")
    }

    static func closerExpected(_ closer: String, opener: String, found: String) -> Self {
        .init("syntax-error", "expected '\(closer)' to close the '\(opener)', found \(found)")
    }

    // Names

    static func paramBeforeDefinition(_ param: String) -> Self {
        .init("unknown-name", "param '\(param)' can only use params defined before it")
    }

    static let entryPriceOutsideLevels = Self("unknown-name",
                                             "'entry_price' exists only in stop_loss and take_profit; in rules write 'position.entry_price'")

    /// `suggestion` is a did-you-mean, or empty.
    static func unknownName(_ name: String, suggestion: String) -> Self {
        .init("unknown-name", "no series, param or let named '\(name)'\(suggestion)")
    }

    static func paramUsesSeries(_ name: String) -> Self {
        .init("non-constant-param", "a param is a constant and cannot use the series '\(name)'")
    }

    static func paramCallsFunction(_ name: String) -> Self { .init("non-constant-param", "a param is a constant and cannot call '\(name)'") }

    static func missingCall(_ name: String, example: String) -> Self {
        .init("missing-call", "'\(name)' is a function; call it, e.g. '\(example)'")
    }

    // Members

    static func missingOutput(_ function: String, outputs: String) -> Self {
        .init("missing-member", "\(function)(...) has several outputs; pick one: \(outputs)")
    }

    static func missingField(_ namespace: String, example: String) -> Self {
        .init("missing-member", "'\(namespace)' is not a value; pick a field, \(example)")
    }

    /// `hint` is a did-you-mean or the list of outputs.
    static func unknownOutput(_ name: String, of namespace: String, hint: String) -> Self {
        .init("unknown-member", "'\(namespace)' has no output '\(name)'; \(hint)")
    }

    static func noMembers(_ type: KeelType, member: String) -> Self {
        .init("unknown-member",
              "a \(type) has no member '\(member)'; only multi-output indicators such as macd(close).signal and 'position' have members")
    }

    // Calls and arguments

    /// `suggestion` is a did-you-mean, or empty.
    static func unknownFunction(_ name: String, suggestion: String) -> Self { .init("unknown-function", "no function '\(name)'\(suggestion)") }

    static func notAFunction(_ name: String) -> Self {
        .init("not-a-function", "'\(name)' is a series, not a function; write '\(name)' without parentheses")
    }

    /// `hint` is a did-you-mean or the list of parameters, starting with "; ".
    static func unknownArgument(_ label: String, of function: String, hint: String) -> Self {
        .init("unknown-argument", "\(function) has no parameter '\(label)'\(hint)")
    }

    static func duplicateArgument(_ label: String) -> Self { .init("duplicate-argument", "'\(label)' is given twice") }

    static let positionalAfterLabelled = Self("arity", "positional arguments come before labelled ones")

    static func tooManyArguments(_ builtin: Builtin, given: Int) -> Self {
        let most = builtin.parameters.count
        return .init("arity", "\(builtin.name) takes at most \(most) argument\(most == 1 ? "" : "s"), got \(given): \(builtin.signature)")
    }

    static func missingArgument(_ parameter: Parameter, of builtin: Builtin) -> Self {
        .init("arity", "\(builtin.name) needs '\(parameter.name)' (\(parameter.kind.summary)): \(builtin.signature), e.g. \(builtin.example)")
    }

    static func nonConstantWindow(_ what: String, example: String) -> Self {
        .init("non-constant-window", "\(what) is a window and must be a constant number of bars (a literal or a param), e.g. \(example)")
    }

    static func windowOutOfRange(_ what: String, bars: Double) -> Self {
        .init("window-out-of-range",
              "\(what) is \(ExpressionPrinter.format(bars)); a window is a whole number of bars from 1 to \(BuiltinTable.maxWindow)")
    }

    static func nonConstantArgument(_ what: String) -> Self { .init("non-constant-argument", "\(what) must be a constant number") }

    static func numberSeriesExpected(_ what: String, found: KeelType) -> Self { .init("type-mismatch", "\(what) is a number series, not a \(found)") }

    static func seriesExpected(_ what: String, found: KeelType) -> Self { .init("type-mismatch", "\(what) is a series, not a \(found)") }

    static func symbolExpected(_ what: String) -> Self { .init("type-mismatch", "\(what) is a symbol name in quotes, e.g. \"SPY\"") }

    static func barSizeExpected(_ what: String) -> Self { .init("type-mismatch", "\(what) is a bar size such as 4h or 1d") }

    static func timeframeWithoutBase(_ bar: DurationLiteral) -> Self {
        .init("missing-timeframe", "timeframe(\(bar), ...) needs the strategy's own 'timeframe:' to know which bars are higher")
    }

    static func timeframeNotHigher(_ bar: DurationLiteral, base: DurationLiteral) -> Self {
        .init("invalid-timeframe",
              "timeframe(\(bar), ...) must be a whole multiple above the strategy's \(base); a lower timeframe cannot be built from higher bars")
    }

    // Operators and types

    static func negationOfNonNumber(_ found: KeelType) -> Self { .init("type-mismatch", "'-' needs a number, found a \(found)") }

    static func notOfNonCondition(_ found: KeelType) -> Self { .init("type-mismatch", "'not' needs a condition, found a \(found)") }

    static func logicOfNonCondition(_ op: String, found: KeelType) -> Self {
        .init("type-mismatch", "'\(op)' joins conditions, but this is a \(found)")
    }

    static func incomparable(_ left: KeelType, _ right: KeelType, op: String) -> Self {
        .init("type-mismatch", "cannot compare a \(left) with a \(right) using '\(op)'")
    }

    static func arithmeticOfNonNumber(_ op: String, found: KeelType) -> Self {
        .init("type-mismatch", "'\(op)' needs numbers, but this is a \(found)")
    }

    static let divisionByZero = Self("division-by-zero", "division by zero")

    static func ifConditionType(_ found: KeelType) -> Self {
        .init("type-mismatch", "the condition of 'if' must be a condition, not a \(found)")
    }

    static func ifBranchTypes(_ a: KeelType, _ b: KeelType) -> Self {
        .init("type-mismatch", "both branches of 'if' must have the same type; found \(a) and \(b)")
    }

    // History

    static func historyOfNonSeries(_ found: KeelType) -> Self { .init("type-mismatch", "only a series has a history; this is a \(found)") }

    static let nonConstantHistory = Self("non-constant-history", "the index in '[...]' must be a constant number of bars, such as [1]")

    static func negativeHistory(_ bars: Double) -> Self {
        .init("negative-history",
              "'[\(ExpressionPrinter.format(bars))]' would read a future bar; history indexes are 0 or more (lookahead cannot be written)")
    }

    static let invalidHistory = Self("invalid-history", "a history index is a whole number of bars up to \(BuiltinTable.maxWindow)")
}
