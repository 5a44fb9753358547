/// Every diagnostic id the front end and the checker can emit, described once: SARIF's `rules[]`,
/// `docs/diagnostics.md` and a test that scans the sources for ids all read this table. (Lint
/// rules describe themselves in `RuleDescription`.)
public enum DiagnosticCatalogue {
    public struct Entry: Sendable {
        public let id: String
        public let severity: Severity
        /// One line: what is wrong.
        public let summary: String
        /// What to write instead.
        public let help: String
    }

    public static func entry(_ id: String) -> Entry? { entries.first { $0.id == id } }

    private static func e(_ id: String, _ summary: String, _ help: String, _ severity: Severity = .error) -> Entry {
        Entry(id: id, severity: severity, summary: summary, help: help)
    }

    public static let entries: [Entry] = yaml + structure + expressions + settings + tooling

    static let yaml: [Entry] = [
        e("yaml-syntax", "The file is not valid YAML.", "Fix the YAML at the position shown: an unclosed bracket or quote, or a bad indentation."),
        e("yaml-anchor", "YAML anchors are refused.", "Write the value out where it is used; anchors and aliases can make a small file expand without bound."),
        e("yaml-alias", "YAML aliases are refused.", "Write the value out instead of `*name`."),
        e("yaml-tag", "YAML tags are refused.", "Remove the `!tag`; values are typed by the key they belong to."),
        e("yaml-multiple-documents", "A strategy file holds one YAML document.", "Remove the `---` separators and keep one strategy per file."),
        e("yaml-complex-key", "A mapping key must be a plain name.", "Write keys as plain words such as `entry:`."),
        e("yaml-too-deep", "The YAML nests deeper than the limit.", "Flatten the structure; strategies never need deep nesting."),
        e("yaml-too-many-nodes", "The YAML has more nodes than the limit.", "Split or simplify the file."),
        e("file-too-large", "The file is larger than the limit.", "A strategy file is small text; check that the right file was given."),
        e("empty-file", "The file is empty.", "A strategy needs at least `keel: 1` and `entry:`."),
        e("duplicate-key", "A key appears twice in one mapping.", "Keep one of the two; YAML would silently keep only the last."),
        e("ambiguous-scalar", "A YAML 1.1 scalar that reads differently than it looks (`no`, `on`, `012`).", "Write the value it is read as, or quote it.", .warning),
    ]

    static let structure: [Entry] = [
        e("unknown-key", "A key that is not part of the format.", "Use the suggested key, or see `keel reference` for the keys of each section."),
        e("missing-key", "A required key is missing.", "Add the key the message names (every strategy needs `keel: 1` and `entry:`)."),
        e("missing-value", "A key has no value.", "Give the key a value or remove it."),
        e("expected-mapping", "A mapping (`key: value` pairs) was expected.", "Write the section as a mapping, e.g. `entry: {long: ...}`."),
        e("expected-list", "A list was expected.", "Write a list, e.g. `symbols: [AAPL, MSFT]`."),
        e("expected-scalar", "A single value was expected.", "Write one value, not a list or a mapping."),
        e("expected-bool", "A boolean was expected.", "Write `true` or `false`."),
        e("unsupported-version", "The format version is not one Keel reads.", "Write `keel: 1`."),
        e("invalid-name", "A name that is not a valid identifier.", "Names start with a letter and hold letters, digits and `_`."),
        e("duplicate-name", "Two params or lets share a name.", "Rename one of them."),
        e("unknown-param", "A value is given from outside the file for a param the strategy does not declare.", "Set one of the strategy's `params:` (the message suggests the nearest), or declare the param."),
        e("duplicate-symbol", "A symbol is listed twice.", "List each symbol once."),
        e("shadowed-builtin", "A param or let hides a built-in of the same name.", "Choose another name."),
        e("invalid-timeframe", "A timeframe that is not a bar size.", "Write a bar size such as `1m`, `4h` or `1d`."),
        e("missing-timeframe", "A rule needs the bar size, and none is known.", "Add `timeframe:` to the strategy."),
    ]

    static let expressions: [Entry] = [
        e("syntax-error", "The expression does not parse.", "Fix the expression at the caret; `keel reference` shows the grammar."),
        e("chained-comparison", "Comparisons do not chain.", "Write `a < b and b < c`."),
        e("expression-too-long", "The expression is longer than the limit.", "Split it into named `let:` series."),
        e("expression-too-deep", "The expression nests deeper than the limit.", "Split it into named `let:` series."),
        e("unknown-name", "A name that is no series, param or let.", "Use the suggested name, or define it under `let:` or `params:`."),
        e("unknown-function", "A function that does not exist.", "Use the suggested function; `keel reference` lists them all."),
        e("unknown-member", "A member the value does not have.", "Use one of the members the message lists, e.g. `macd(close).signal`."),
        e("missing-member", "A multi-output indicator used without a member.", "Pick a member, e.g. `bbands(close, 20, 2).upper`."),
        e("not-a-function", "A series called like a function.", "Write the series without parentheses."),
        e("missing-call", "A function used without a call.", "Call it with its arguments, as the message shows."),
        e("arity", "The wrong number of arguments.", "Give the arguments the signature in the message asks for."),
        e("unknown-argument", "A labelled argument the function does not have.", "Use one of the function's parameter names."),
        e("duplicate-argument", "An argument given twice.", "Give each argument once."),
        e("type-mismatch", "A value of the wrong type.", "Use a value of the type the message names (a number, a bool, a percent such as 5%)."),
        e("division-by-zero", "A division by the constant zero.", "Divide by something that is not zero."),
        e("let-cycle", "Lets that refer to each other in a cycle.", "Break the cycle; a let may only read lets defined without it."),
        e("non-constant-window", "A window that is not a constant.", "Windows are literals or params, so memory is known before the run."),
        e("window-out-of-range", "A window outside its bounds.", "Use a whole number of bars within the bound the message gives."),
        e("non-constant-history", "A history index that is not a constant.", "Write `x[n]` with a literal or a param."),
        e("negative-history", "A negative history index would read the future.", "History indexes are 0 or more; lookahead cannot be written."),
        e("invalid-history", "A history index that is not a whole number in range.", "Use a whole number of bars within the bound the message gives."),
        e("non-constant-argument", "An argument that must be a constant is not.", "Use a literal or a param."),
        e("non-constant-param", "A param whose value is not a constant.", "Params are constants: a number, a percent, a duration, a bool or a string."),
        e("invalid-gate", "A promotion gate under `gates:` whose bound does not read, or a percent on a figure that is not a fraction (`oos_sharpe: 80%`).", "Write the bound as `\">= 0.8\"`, `\"<= 20%\"` or a bare number, which means at least (at most for `max_drawdown`, `pbo` and `ruin_probability`)."),
        e("invalid-param-space", "A param's search space (`range:`, `step:`, `choices:`) that cannot be searched: no `default:`, a low end not below the high end, a step not above 0, a value of another kind than the default, or a value at which the strategy has an error (a window of 0 bars, a stop of 150%).", "Fix the space at the caret: `{default: 10, range: [5, 50], step: 5}` or `{default: 5%, choices: [2%, 5%, 10%]}`; every value of it must make a strategy that checks."),
    ]

    static let settings: [Entry] = [
        e("invalid-value", "A setting outside its allowed range.", "Use a value in the range the message gives."),
        e("non-constant-setting", "A setting that must be a constant is an expression.", "Use a literal or a param."),
        e("invalid-sizing", "An allocation size that is not one of the sizing rules.", "Write one of percent_of_equity(10%), fixed(100), risk(1%), volatility_target(15%, 20), kelly(0.5, 50), equal_weight."),
        e("risk-sizing-without-stop", "`risk(...)` sizing without a stop-loss.", "Add `stop_loss:`, or size another way."),
    ]

    static let tooling: [Entry] = [
        e("engine-unsupported", "The strategy checks, but the engine cannot run a part of it yet.", "Rewrite the part the message names with the functions `keel reference` lists for the engine."),
        e("unreadable-file", "A file that cannot be read, or is not UTF-8 text.", "Check the path and the permissions; strategy and configuration files are UTF-8 text."),
        e("unknown-rule", "A configuration or suppression names a rule that does not exist.", "Use an id from `keel rules`."),
        e("invalid-suppression", "A suppression comment that does not parse.", "Write `# keel-lint: disable-line RULE -- reason`."),
        e("suppression-without-reason", "A suppression without a reason.", "Add `-- why` after the rule id."),
        e("unused-suppression", "A suppression that silences nothing.", "Remove it.", .warning),
    ]
}
