import KeelData
import KeelLanguage

/// `keel fmt`: a strategy file in its canonical layout. Top-level keys (and the keys of `entry`,
/// `exit`, `allocation`, `execution` and `risk`) in the reference's order; block mappings indented
/// two spaces a level, lists two under their key; every expression as the canonical printer
/// prints it, in the quotes it had; comments kept with the key below them, blank-line groups kept
/// (runs of blank lines made one), trailing spaces gone. Block scalars (`|`, `>`) keep their text.
/// A file with errors is not formatted, and a result that would not mean what the file meant is
/// refused (never written).
public enum StrategyFormatter {
    public enum Outcome: Sendable, Equatable {
        case formatted(String)
        /// Why the file was left as it is.
        case refused(String)
    }

    /// The reference's key order, per mapping (Grammar/keel-strategy.schema.json).
    static let order: [[String]: [String]] = [
        []: ["keel", "name", "description", "symbols", "timeframe", "profile", "params", "let", "entry", "exit", "stop_loss", "take_profit", "time_stop",
             "allocation", "execution", "risk", "gates"],
        ["entry"]: ["long", "short"], ["exit"]: ["long", "short"],
        ["allocation"]: ["size", "lot", "max_positions", "rank", "top"],
        ["execution"]: ["fill", "fees", "slippage", "intrabar"],
        ["risk"]: RiskLimit.allCases.map(\.rawValue),
    ]

    public static func format(_ file: SourceFile) -> Outcome {
        let before = Frontend.check(file)
        let errors = before.diagnostics.filter { $0.severity == .error }
        if let first = errors.first {
            return .refused("\(errors.count) error\(errors.count == 1 ? "" : "s") (keel lint says them all); the first, at "
                + "\(file.location(ofOffset: first.range.start)): \(first.message)")
        }
        let printed = SourceFile(path: file.path, text: canonicalExpressions(file))
        let laidOut = layout(printed)
        let after = Frontend.check(SourceFile(path: file.path, text: laidOut))
        guard !after.hasErrors, let was = before.parsed, let now = after.parsed, meaning(was) == meaning(now) else {
            return .refused("the canonical layout would not mean what the file means, so it is left as it is (a defect of keel fmt: please report it)")
        }
        return .formatted(laidOut)
    }

    // MARK: - Expressions

    /// The text with each expression scalar's source replaced by its canonical print, and each
    /// flow collection on one line written `{key: value, key: value}` / `[a, b]`.
    static func canonicalExpressions(_ file: SourceFile) -> String {
        var bag = DiagnosticBag()
        guard let root = YAMLLoader.load(file, diagnostics: &bag) else { return file.text }
        var replacements: [(SourceRange, String)] = []
        func source(_ range: SourceRange) -> String { String(decoding: file.bytes[range.start..<range.end], as: UTF8.self) }
        func oneLine(_ range: SourceRange) -> Bool { file.lineIndex(ofOffset: range.start) == file.lineIndex(ofOffset: max(range.start, range.end - 1)) }
        func isFlow(_ node: YAMLNode) -> Bool {
            node.range.start < file.bytes.count && (file.bytes[node.range.start] == UInt8(ascii: "{") || file.bytes[node.range.start] == UInt8(ascii: "["))
        }
        /// A node's canonical text inside a flow collection; `expressions`: its scalars are expressions.
        func flowText(_ node: YAMLNode, expressions: Bool) -> String {
            switch node.kind {
            case .scalar(let scalar): return (expressions ? canonical(scalar, at: node.range, in: file) : nil) ?? source(node.range)
            case .mapping(let pairs):
                return "{" + pairs.map { pair in
                    source(pair.key.range) + ": " + flowText(pair.value, expressions: expressions && !DocumentAnalysis.wordKeys.contains(pair.name))
                }.joined(separator: ", ") + "}"
            case .sequence(let items): return "[" + items.map { flowText($0, expressions: expressions) }.joined(separator: ", ") + "]"
            case .invalid: return source(node.range)
            }
        }
        func visit(_ node: YAMLNode, expressions: Bool) {
            if isFlow(node), oneLine(node.range), !node.isInvalid {
                let text = flowText(node, expressions: expressions)
                if text != source(node.range) { replacements.append((node.range, text)) }
                return
            }
            switch node.kind {
            case .scalar(let scalar):
                if expressions, let text = canonical(scalar, at: node.range, in: file) { replacements.append((node.range, text)) }
            case .mapping(let pairs):
                for pair in pairs { visit(pair.value, expressions: expressions && !DocumentAnalysis.wordKeys.contains(pair.name)) }
            case .sequence(let items): for item in items { visit(item, expressions: expressions) }
            case .invalid: break
            }
        }
        for pair in root.pairs ?? [] {
            let expressions = !DocumentAnalysis.textKeys.contains(pair.name)
            if pair.name == "params" || pair.name == "let", !isFlow(pair.value) {
                for declared in pair.value.pairs ?? [] { visit(declared.value, expressions: expressions) }
            } else {
                visit(pair.value, expressions: expressions)
            }
        }
        var bytes = file.bytes
        for (range, text) in replacements.sorted(by: { $0.0.start > $1.0.start }) { bytes.replaceSubrange(range.start..<range.end, with: Array(text.utf8)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A scalar's canonical source, when it is an expression on one line that prints otherwise.
    static func canonical(_ scalar: YAMLScalar, at range: SourceRange, in file: SourceFile) -> String? {
        guard !scalar.isNull, scalar.style != .literal, scalar.style != .folded,
              file.lineIndex(ofOffset: range.start) == file.lineIndex(ofOffset: max(range.start, range.end - 1)) else { return nil }
        var ids = ExprIDGenerator()
        let (expr, problems) = ExpressionParser.parse(ExpressionText(standalone: scalar.value), ids: &ids)
        guard problems.isEmpty else { return nil }
        let printed = ExpressionPrinter.print(expr)
        guard printed != scalar.value else { return nil }
        switch scalar.style {
        case .plain: return plainSafe(printed) ? printed : JSON.quote(printed)
        case .doubleQuoted: return JSON.quote(printed)
        case .singleQuoted: return "'" + printed.replacingOccurrences(of: "'", with: "''") + "'"
        case .literal, .folded: return nil
        }
    }

    /// Whether YAML reads the text, written plain, as that same text.
    static func plainSafe(_ text: String) -> Bool {
        guard let first = text.first, !text.contains(": "), !text.contains(" #"), !text.hasSuffix(":") else { return false }
        if first == "-" { return text.dropFirst().first.map { $0 != " " } ?? false }
        return !"?:,[]{}#&*!|>'\"%@`".contains(first)
    }

    // MARK: - Layout

    /// One line of the file and whether it is inside a block scalar (its text is content).
    struct Line {
        var text: String
        var content: Bool
    }

    static func layout(_ file: SourceFile) -> String {
        var bag = DiagnosticBag()
        guard let root = YAMLLoader.load(file, diagnostics: &bag), let pairs = root.pairs, !pairs.isEmpty else { return file.text }
        var lines = (1...file.lineCount).map { Line(text: file.lineText($0), content: false) }
        markBlockScalars(root, in: file, lines: &lines)
        let firstKey = file.lineIndex(ofOffset: pairs[0].key.range.start)
        let start = attachedStart(firstKey, floor: 0, lines: lines)
        var out = Array(lines[0..<start])
        out += mapping(pairs, lines: lines, in: file, span: start..<lines.count, indent: 0, path: [])
        return finish(out)
    }

    static func markBlockScalars(_ node: YAMLNode, in file: SourceFile, lines: inout [Line]) {
        switch node.kind {
        case .scalar(let scalar) where scalar.style == .literal || scalar.style == .folded:
            let header = file.lineIndex(ofOffset: node.range.start)
            let last = file.lineIndex(ofOffset: max(node.range.start, node.range.end - 1))
            if last > header { for k in (header + 1)...last where k < lines.count { lines[k].content = true } }
        case .mapping(let pairs): for pair in pairs { markBlockScalars(pair.value, in: file, lines: &lines) }
        case .sequence(let items): for item in items { markBlockScalars(item, in: file, lines: &lines) }
        default: break
        }
    }

    static func isBlank(_ line: Line) -> Bool { !line.content && line.text.allSatisfy { $0 == " " || $0 == "\t" } }
    static func isComment(_ line: Line) -> Bool { !line.content && line.text.drop { $0 == " " }.first == "#" }
    static func indentation(_ text: String) -> Int { text.prefix { $0 == " " }.count }

    /// The first line of a key's chunk: the comment lines right above it are its.
    static func attachedStart(_ keyLine: Int, floor: Int, lines: [Line]) -> Int {
        var start = keyLine
        while start - 1 >= floor, isComment(lines[start - 1]) { start -= 1 }
        return start
    }

    static func shifted(_ line: Line, by delta: Int) -> Line {
        guard delta != 0, !isBlank(line) else { return line }
        if delta > 0 { return Line(text: String(repeating: " ", count: delta) + line.text, content: line.content) }
        return Line(text: String(line.text.dropFirst(min(-delta, indentation(line.text)))), content: line.content)
    }

    /// A block mapping's entries over `span`, in the reference's order for `path`, each at `indent`.
    static func mapping(_ pairs: [YAMLPair], lines: [Line], in file: SourceFile, span: Range<Int>, indent: Int, path: [String]) -> [Line] {
        struct Chunk {
            var name: String
            var blankBefore: Bool
            var lines: [Line]
        }
        let keyLines = pairs.map { file.lineIndex(ofOffset: $0.key.range.start) }
        // A mapping not laid out one key a line (flow, or two keys on a line) stays as it is.
        guard Set(keyLines).count == keyLines.count, keyLines == keyLines.sorted() else { return Array(lines[span]) }
        let starts = keyLines.enumerated().map { k, line in k == 0 ? span.lowerBound : attachedStart(line, floor: keyLines[k - 1] + 1, lines: lines) }
        var chunks: [Chunk] = []
        for (k, pair) in pairs.enumerated() {
            var end = k + 1 < pairs.count ? starts[k + 1] : span.upperBound
            let trailingBlank = end > keyLines[k] + 1 && isBlank(lines[end - 1])
            while end > keyLines[k] + 1, isBlank(lines[end - 1]) { end -= 1 }
            let keyIndent = indentation(lines[keyLines[k]].text)
            var body: [Line] = lines[starts[k]..<keyLines[k]].map { Line(text: String(repeating: " ", count: indent) + $0.text.drop { $0 == " " }, content: false) }
            body.append(Line(text: String(repeating: " ", count: indent) + keyLine(lines[keyLines[k]].text), content: false))
            let value = pair.value
            let valueLines = (keyLines[k] + 1)..<max(keyLines[k] + 1, end)
            if let children = value.pairs, !children.isEmpty, file.lineIndex(ofOffset: children[0].key.range.start) > keyLines[k] {
                body += mapping(children, lines: lines, in: file, span: valueLines, indent: indent + 2, path: path + [pair.name])
            } else if let items = value.items, let first = items.first, file.lineIndex(ofOffset: first.range.start) > keyLines[k] {
                // A block list: its dashes two under the key.
                let dashLine = file.lineIndex(ofOffset: first.range.start)
                let delta = indent + 2 - indentation(lines[dashLine].text)
                body += lines[valueLines].map { shifted($0, by: delta) }
            } else {
                body += lines[valueLines].map { shifted($0, by: indent - keyIndent) }
            }
            chunks.append(Chunk(name: pair.name, blankBefore: false, lines: body))
            if trailingBlank, k + 1 < pairs.count { chunks[chunks.count - 1].lines.append(Line(text: "", content: false)) }
        }
        // Blank lines go with the gap they were in: before the chunk that followed them.
        for k in chunks.indices where chunks[k].lines.last.map(isBlank) == true {
            chunks[k].lines.removeLast()
            if k + 1 < chunks.count { chunks[k + 1].blankBefore = true }
        }
        if let order = order[path] {
            let rank = { (name: String) in order.firstIndex(of: name) ?? order.count }
            chunks = chunks.enumerated().sorted { (rank($0.element.name), $0.offset) < (rank($1.element.name), $1.offset) }.map(\.element)
        }
        var out: [Line] = []
        for (k, chunk) in chunks.enumerated() {
            if k > 0, chunk.blankBefore { out.append(Line(text: "", content: false)) }
            out += chunk.lines
        }
        return out
    }

    /// A key's line with one space after its colon (none when the value is below), no trailing spaces.
    static func keyLine(_ text: String) -> String {
        let content = String(text.drop { $0 == " " })
        guard let colon = CursorContext.keyColon(content) else { return content }
        let key = content[content.startIndex..<colon]
        let rest = content[content.index(after: colon)...].drop { $0 == " " }
        return key + ":" + (rest.isEmpty ? "" : " " + rest)
    }

    /// Trailing spaces gone, runs of blank lines one, no blank lines at the ends, one final newline.
    static func finish(_ lines: [Line]) -> String {
        var out: [String] = []
        for line in lines {
            let text = line.content ? line.text : String(line.text.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            if !line.content, text.isEmpty, out.last?.isEmpty ?? true { continue }
            out.append(text)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Meaning

    /// What a strategy means, without where it is written: every setting and every expression in
    /// canonical print, by role. Equal before and after, or the layout is refused.
    static func meaning(_ parsed: ParsedStrategy) -> [String] {
        var lines = [
            "keel \(parsed.formatVersion?.value ?? 0)", "name \(parsed.name?.value ?? "")", "description \(parsed.description?.value ?? "")",
            "symbols \(parsed.symbols.map(\.value))", "timeframe \(parsed.timeframe.map { $0.value.description } ?? "")",
            "profile \(parsed.profile?.value.rawValue ?? "")", "trailing \(parsed.stopLoss?.trailing ?? false)",
            "fill \(parsed.execution.fill?.value.rawValue ?? "")", "intrabar \(parsed.execution.intrabar?.value.rawValue ?? "")",
            "gates \(parsed.gates.map { String(describing: $0.value) })",
            "params \(parsed.params.map(\.name))", "lets \(parsed.lets.map(\.name))", "take_profit \(parsed.takeProfit.count)",
        ]
        for (role, expr) in parsed.expressions { lines.append("\(role) \(ExpressionPrinter.print(expr))") }
        for param in parsed.params {
            switch param.space?.kind {
            case .range(let low, let high, let step)?:
                lines.append("space \(param.name) \(ExpressionPrinter.print(low))..\(ExpressionPrinter.print(high)) \(step.map(ExpressionPrinter.print) ?? "")")
            case .choices(let values)?: lines.append("space \(param.name) \(values.map(ExpressionPrinter.print))")
            case nil: break
            }
        }
        for override in parsed.risk {
            switch override.setting {
            case .off: lines.append("risk \(override.limit) off")
            case .value(let expr): lines.append("risk \(override.limit) \(ExpressionPrinter.print(expr))")
            case .flag(let flag): lines.append("risk \(override.limit) \(flag)")
            case .text(let text): lines.append("risk \(override.limit) \(text)")
            }
        }
        return lines.sorted()
    }
}
