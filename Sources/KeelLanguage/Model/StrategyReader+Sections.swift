extension StrategyReader {
    mutating func readParams(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "params") else { return }
        for pair in pairs where !pair.key.isInvalid {
            guard validName(pair, in: "params") else { continue }
            if let fields = pair.value.pairs {
                readParamSpace(pair, fields)
                continue
            }
            guard let value = expression(pair.value, for: "param '\(pair.name)'") else { continue }
            strategy.params.append(ParamDecl(name: pair.name, nameRange: pair.key.range, value: value))
        }
    }

    /// `fast: {default: 10, range: [5, 50], step: 5}` or `{default: 5%, choices: [2%, 5%]}`.
    private mutating func readParamSpace(_ pair: YAMLPair, _ fields: [YAMLPair]) {
        let what = "param '\(pair.name)'"
        var value: Expr?, low: Expr?, high: Expr?, step: Expr?, choices: [Expr]?, spaceRange: SourceRange?
        for field in knownPairs(fields, allowed: ["default", "range", "step", "choices"], in: "'\(pair.name):'") {
            switch field.name {
            case "default": value = expression(field.value, for: "\(what) default")
            case "step": step = expression(field.value, for: "\(what) step")
            case "range":
                spaceRange = field.value.range
                guard let items = field.value.items, items.count == 2 else {
                    diagnostics.add(.paramSpace(pair.name, "'range:' is two values, the lowest and the highest: 'range: [5, 50]'"), at: field.value.range)
                    continue
                }
                (low, high) = (expression(items[0], for: "\(what) range"), expression(items[1], for: "\(what) range"))
            default:
                spaceRange = field.value.range
                guard let items = field.value.items, !items.isEmpty else {
                    diagnostics.add(.paramSpace(pair.name, "'choices:' is a list of values: 'choices: [2%, 5%, 10%]'"), at: field.value.range)
                    continue
                }
                choices = items.compactMap { expression($0, for: "\(what) choice") }
            }
        }
        guard let value else {
            diagnostics.add(.paramSpace(pair.name, "a param with a search space needs 'default:', the value it runs with: '{default: 10, range: [5, 50]}'"),
                            at: pair.value.range)
            return
        }
        var decl = ParamDecl(name: pair.name, nameRange: pair.key.range, value: value)
        if let choices, low != nil || step != nil {
            diagnostics.add(.paramSpace(pair.name, "give 'range:' (with 'step:') or 'choices:', not both"), at: choices.first?.range ?? pair.value.range)
        } else if let choices, let spaceRange {
            decl.space = ParamSpace(kind: .choices(choices), range: spaceRange)
        } else if let low, let high, let spaceRange {
            decl.space = ParamSpace(kind: .range(low: low, high: high, step: step), range: spaceRange)
        } else if let step {
            diagnostics.add(.paramSpace(pair.name, "'step:' goes with 'range:'"), at: step.range)
        }
        strategy.params.append(decl)
    }

    mutating func readLets(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "let") else { return }
        for pair in pairs where !pair.key.isInvalid {
            guard validName(pair, in: "let") else { continue }
            guard let expr = expression(pair.value, for: "'\(pair.name)'") else { continue }
            strategy.lets.append(LetDecl(name: pair.name, nameRange: pair.key.range, expr: expr))
        }
    }

    mutating func sideRules(_ node: YAMLNode, for section: String) -> SideRules {
        var rules = SideRules(range: node.range)
        if node.scalar != nil {
            diagnostics.add(.sidesExpected(section), at: node.range)
            return rules
        }
        guard let pairs = mapping(node, for: section) else { return rules }
        for pair in knownPairs(pairs, allowed: Side.allCases.map(\.rawValue), in: "'\(section):'") {
            let expr = expression(pair.value, for: "'\(section).\(pair.name)'")
            if pair.name == "long" { rules.long = expr } else { rules.short = expr }
        }
        return rules
    }

    mutating func readStopLoss(_ node: YAMLNode) {
        if node.scalar != nil {
            guard let level = expression(node, for: "stop_loss") else { return }
            strategy.stopLoss = StopLossSpec(level: level, trailing: false, range: node.range)
            return
        }
        guard let pairs = mapping(node, for: "stop_loss") else { return }
        for pair in knownPairs(pairs, allowed: ["trailing"], in: "'stop_loss:'") {
            guard let level = expression(pair.value, for: "stop_loss.trailing") else { continue }
            strategy.stopLoss = StopLossSpec(level: level, trailing: true, range: node.range)
        }
    }

    mutating func readTakeProfit(_ node: YAMLNode) {
        strategy.takeProfitRange = node.range
        if node.scalar != nil {
            // `take_profit: 10%` is a one-step ladder that closes everything.
            guard let at = expression(node, for: "take_profit") else { return }
            strategy.takeProfit = [TakeProfitStep(at: at, close: nil, range: node.range)]
            return
        }
        guard let items = node.items else {
            diagnostics.add(.takeProfitList, at: node.range)
            return
        }
        for item in items {
            guard let pairs = mapping(item, for: "a take-profit step") else { continue }
            var at: Expr?, close: Expr?
            for pair in knownPairs(pairs, allowed: ["at", "close"], in: "a take-profit step") {
                let expr = expression(pair.value, for: "take_profit \(pair.name)")
                if pair.name == "at" { at = expr } else { close = expr }
            }
            guard let at else {
                if !pairs.contains(where: { $0.name == "at" }) {
                    diagnostics.add(.takeProfitNeedsAt, at: item.range)
                }
                continue
            }
            strategy.takeProfit.append(TakeProfitStep(at: at, close: close, range: item.range))
        }
    }

    mutating func readAllocation(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "allocation") else { return }
        strategy.allocation.range = node.range
        for pair in knownPairs(pairs, allowed: ["size", "lot", "max_positions", "rank", "top"], in: "'allocation:'") {
            let expr = expression(pair.value, for: "allocation.\(pair.name)")
            switch pair.name {
            case "size": strategy.allocation.size = expr
            case "lot": strategy.allocation.lot = expr
            case "max_positions": strategy.allocation.maxPositions = expr
            case "rank": strategy.allocation.rank = expr
            default: strategy.allocation.top = expr
            }
        }
    }

    mutating func readExecution(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "execution") else { return }
        strategy.execution.range = node.range
        for pair in knownPairs(pairs, allowed: ["fill", "fees", "slippage", "intrabar"], in: "'execution:'") {
            switch pair.name {
            case "fill": strategy.execution.fill = choice(pair.value, for: "fill")
            case "intrabar": strategy.execution.intrabar = choice(pair.value, for: "intrabar")
            case "fees": readFees(pair.value)
            default: readSlippage(pair.value)
            }
        }
    }

    private mutating func readFees(_ node: YAMLNode) {
        var fees = FeesSpec(range: node.range)
        if node.scalar != nil {
            fees.percent = expression(node, for: "fees")
        } else if let pairs = mapping(node, for: "fees") {
            for pair in knownPairs(pairs, allowed: ["percent", "per_unit", "per_order"], in: "'fees:'") {
                let expr = expression(pair.value, for: "fees.\(pair.name)")
                switch pair.name {
                case "percent": fees.percent = expr
                case "per_unit": fees.perUnit = expr
                default: fees.perOrder = expr
                }
            }
        }
        strategy.execution.fees = fees
    }

    private mutating func readSlippage(_ node: YAMLNode) {
        var slippage = SlippageSpec(range: node.range)
        if node.scalar != nil {
            slippage.fraction = expression(node, for: "slippage")
        } else if let pairs = mapping(node, for: "slippage") {
            for pair in knownPairs(pairs, allowed: ["ticks", "tick_size"], in: "'slippage:'") {
                let expr = expression(pair.value, for: "slippage.\(pair.name)")
                if pair.name == "ticks" { slippage.ticks = expr } else { slippage.tickSize = expr }
            }
            if (slippage.ticks == nil) != (slippage.tickSize == nil), !pairs.contains(where: { $0.value.isInvalid }) {
                diagnostics.add(.tickSlippageIncomplete, at: node.range)
            }
        }
        strategy.execution.slippage = slippage
    }

    mutating func readRisk(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "risk") else { return }
        for pair in knownPairs(pairs, allowed: RiskLimit.allCases.map(\.rawValue), in: "'risk:'") {
            guard let limit = RiskLimit(rawValue: pair.name), let scalar = scalar(pair.value, for: "risk.\(pair.name)") else { continue }
            var setting: RiskOverride.Setting
            if limit.valueKind == .flag {
                guard let flag = flag(scalar, at: pair.value.range, for: "risk.\(pair.name)") else { continue }
                setting = .flag(flag)
            } else if scalar.style == .plain, scalar.value == "off" {
                guard limit.canBeOff else {
                    diagnostics.add(.limitCannotBeOff(limit), at: pair.value.range)
                    continue
                }
                setting = .off
            } else if limit.valueKind == .timeOfDay {
                setting = .text(scalar.value)
            } else {
                guard let expr = expression(pair.value, for: "risk.\(pair.name)") else { continue }
                setting = .value(expr)
            }
            strategy.risk.append(RiskOverride(limit: limit, setting: setting, keyRange: pair.key.range, valueRange: pair.value.range))
        }
    }

    /// `gates:`: each figure of the research evidence with the bound it must meet before live trading.
    mutating func readGates(_ node: YAMLNode) {
        guard let pairs = mapping(node, for: "gates") else { return }
        for pair in knownPairs(pairs, allowed: Gate.Figure.allCases.map(\.rawValue), in: "'gates:'") {
            guard let figure = Gate.Figure(rawValue: pair.name), let scalar = scalar(pair.value, for: "gates.\(pair.name)") else { continue }
            switch Gate.parse(figure, scalar.value) {
            case .success(let gate): strategy.gates.append(Located(gate, pair.value.range))
            case .failure(let problem): diagnostics.add(.invalidGate(problem.message), at: pair.value.range)
            }
        }
    }

    private mutating func validName(_ pair: YAMLPair, in section: String) -> Bool {
        let name = pair.name
        let isIdentifier = name.first.map { $0.isLetter || $0 == "_" } == true
            && name.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }
        guard isIdentifier else {
            diagnostics.add(.invalidName(name), at: pair.key.range)
            return false
        }
        if Token.Keyword(rawValue: name) != nil {
            diagnostics.add(.keywordName(name), at: pair.key.range)
            return false
        }
        if BuiltinTable.named(name) != nil {
            // Reported, but kept: its uses then resolve to it and do not echo the error.
            diagnostics.add(.shadowedBuiltin(name, in: section), at: pair.key.range)
        }
        return true
    }
}
