/// Reads a strategy file's YAML nodes into a `ParsedStrategy`: the file format's keys,
/// unknown keys with a "did you mean", every expression parsed. Reports every problem it finds and
/// keeps going, so one broken section does not hide the others.
public struct StrategyReader {
    public struct Options: Sendable {
        public var yaml: YAMLLimits = .default
        public var expressions: ExpressionLimits = .default
        public init() {}
    }

    static let topLevelKeys = ["keel", "name", "description", "symbols", "timeframe", "profile", "params", "let",
                               "entry", "exit", "stop_loss", "take_profit", "time_stop", "allocation", "execution", "risk", "gates"]

    let file: SourceFile
    let options: Options
    var strategy: ParsedStrategy
    var diagnostics = DiagnosticBag()
    var ids = ExprIDGenerator()

    public static func read(_ file: SourceFile, options: Options = Options()) -> (ParsedStrategy?, [Diagnostic]) {
        var yamlDiagnostics = DiagnosticBag()
        guard let root = YAMLLoader.load(file, limits: options.yaml, diagnostics: &yamlDiagnostics) else {
            if !yamlDiagnostics.hasErrors {
                yamlDiagnostics.add(.emptyFile, at: .at(0))
            }
            return (nil, yamlDiagnostics.items)
        }
        var reader = StrategyReader(file: file, options: options, strategy: ParsedStrategy(file: file))
        reader.diagnostics.add(contentsOf: yamlDiagnostics.items)
        reader.readRoot(root)
        reader.strategy.nodeCount = reader.ids.count
        return (reader.strategy, reader.diagnostics.items)
    }

    mutating func readRoot(_ root: YAMLNode) {
        guard let pairs = root.pairs else {
            if !root.isInvalid {
                diagnostics.add(.strategyNotMapping(found: root.kindDescription), at: root.range)
            }
            return
        }
        for pair in knownPairs(pairs, allowed: Self.topLevelKeys, in: "a strategy") {
            strategy.keys[pair.name] = pair.key.range
            readTopLevel(pair)
        }
        if strategy.keys["keel"] == nil {
            diagnostics.add(.missingVersion, at: .at(0),
                              fixIts: [FixIt(range: .at(0), replacement: "keel: 1\n")])
        }
        if strategy.keys["entry"] == nil {
            diagnostics.add(.missingEntry, at: .at(0))
        }
    }

    private mutating func readTopLevel(_ pair: YAMLPair) {
        let value = pair.value
        switch pair.name {
        case "keel": readFormatVersion(value)
        case "name": strategy.name = text(value, for: "name")
        case "description": strategy.description = text(value, for: "description")
        case "symbols": readSymbols(value)
        case "timeframe": readTimeframe(value)
        case "profile": strategy.profile = choice(value, for: "profile")
        case "params": readParams(value)
        case "let": readLets(value)
        case "entry": strategy.entry = sideRules(value, for: "entry")
        case "exit": strategy.exit = sideRules(value, for: "exit")
        case "stop_loss": readStopLoss(value)
        case "take_profit": readTakeProfit(value)
        case "time_stop": strategy.timeStop = expression(value, for: "time_stop")
        case "allocation": readAllocation(value)
        case "execution": readExecution(value)
        case "risk": readRisk(value)
        case "gates": readGates(value)
        default: break
        }
    }

    private mutating func readFormatVersion(_ node: YAMLNode) {
        guard let scalar = scalar(node, for: "keel") else { return }
        guard scalar.value == "1" else {
            diagnostics.add(.unsupportedVersion(scalar.value), at: node.range)
            return
        }
        strategy.formatVersion = Located(1, node.range)
    }

    private mutating func readSymbols(_ node: YAMLNode) {
        strategy.symbolsRange = node.range
        guard let items = node.items else {
            if let single = text(node, for: "symbols") { strategy.symbols = [single] }
            return
        }
        var seen: [String: SourceRange] = [:]
        for item in items {
            guard let symbol = text(item, for: "a symbol") else { continue }
            if let first = seen[symbol.value] {
                diagnostics.add(.duplicateSymbol(symbol.value), at: item.range,
                                    notes: [DiagnosticNote("first listed here", at: first)])
                continue
            }
            seen[symbol.value] = item.range
            strategy.symbols.append(symbol)
        }
    }

    private mutating func readTimeframe(_ node: YAMLNode) {
        guard let expr = expression(node, for: "timeframe") else { return }
        guard case .duration(let duration) = expr.kind, duration.unit != .bars, duration.count > 0 else {
            if !expr.containsError {
                diagnostics.add(.invalidTimeframe, at: node.range)
            }
            return
        }
        strategy.timeframe = Located(duration, node.range)
    }
}
