import CYaml

/// Builds `YAMLNode`s from libyaml's event stream (the copy that Yams carries).
///
/// Events, not Yams' composed `Node`: the loader refuses anchors, aliases and tags as they stream by,
/// so an alias bomb costs one pass over its few hundred bytes; it sees the duplicate key itself (Yams
/// reports the first occurrence); and every node gets an end mark as well as a start.
package enum YAMLLoader {
    package static func load(_ file: SourceFile, limits: YAMLLimits = .default,
                            diagnostics: inout DiagnosticBag) -> YAMLNode? {
        guard file.bytes.count <= limits.maxBytes else {
            diagnostics.add(.fileTooLarge(bytes: file.bytes.count, limit: limits.maxBytes), at: .at(0))
            return nil
        }
        var builder = TreeBuilder(file: file, limits: limits)
        file.bytes.withUnsafeBufferPointer { buffer in
            builder.run(buffer)
        }
        diagnostics.add(contentsOf: builder.diagnostics.items)
        return builder.root
    }
}

private struct TreeBuilder {
    let file: SourceFile
    let limits: YAMLLimits
    var diagnostics = DiagnosticBag()
    var root: YAMLNode?

    private enum Frame {
        case sequence(start: Int, items: [YAMLNode])
        case mapping(start: Int, pairs: [YAMLPair], pendingKey: YAMLNode?)
    }

    private var stack: [Frame] = []
    private var nodeCount = 0
    private var documents = 0
    private var reportedAliases: Set<String> = []
    /// One entry per open collection: whether it is written in flow style.
    private var flowStyles: [Bool] = []
    private var flowDepth: Int { flowStyles.lazy.filter { $0 }.count }

    init(file: SourceFile, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                reportSyntaxError(parser)
                return
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return }
            if !handle(event) { return }
        }
    }

    /// Returns false to stop reading (a limit was hit).
    private mutating func handle(_ event: yaml_event_t) -> Bool {
        let range = SourceRange(offset(event.start_mark), offset(event.end_mark))
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                diagnostics.add(.multipleDocuments, at: range)
                return false
            }
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            // One report per alias name: a bomb repeats the same few aliases many times.
            guard reportedAliases.insert(name).inserted else { return add(YAMLNode(.invalid, range: range)) }
            diagnostics.add(.alias(name), at: range)
            return add(YAMLNode(.invalid, range: range))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            checkAnchor(scalar.anchor, at: range)
            checkTag(scalar.tag, at: range)
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            var node = YAMLScalar(value: value, style: style(scalar.style))
            node.inFlowCollection = flowDepth > 0
            return add(YAMLNode(.scalar(node), range: range))
        case YAML_SEQUENCE_START_EVENT:
            checkAnchor(event.data.sequence_start.anchor, at: range)
            checkTag(event.data.sequence_start.tag, at: range)
            flowStyles.append(event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)
            return push(.sequence(start: range.start, items: []), at: range)
        case YAML_MAPPING_START_EVENT:
            checkAnchor(event.data.mapping_start.anchor, at: range)
            checkTag(event.data.mapping_start.tag, at: range)
            flowStyles.append(event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
            return push(.mapping(start: range.start, pairs: [], pendingKey: nil), at: range)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            return pop(end: range.end)
        default:
            break
        }
        return true
    }

    private mutating func push(_ frame: Frame, at range: SourceRange) -> Bool {
        guard stack.count < limits.maxDepth else {
            diagnostics.add(.tooDeep(limit: limits.maxDepth), at: range)
            return false
        }
        guard countNode(at: range) else { return false }
        stack.append(frame)
        return true
    }

    private mutating func pop(end: Int) -> Bool {
        guard let frame = stack.popLast() else { return true }
        let isFlow = flowStyles.popLast() ?? false
        switch frame {
        case .sequence(let start, let items):
            let repaired = isFlow ? FlowExpressionRepair.items(items, in: file) : items
            return attach(YAMLNode(.sequence(repaired), range: SourceRange(start, end)))
        case .mapping(let start, let pairs, _):
            let repaired = isFlow ? FlowExpressionRepair.pairs(pairs, in: file) : pairs
            return attach(YAMLNode(.mapping(checkDuplicates(repaired)), range: SourceRange(start, end)))
        }
    }

    /// A repeated key is reported at the repetition, with a note at the first.
    private mutating func checkDuplicates(_ pairs: [YAMLPair]) -> [YAMLPair] {
        var seen: [String: SourceRange] = [:]
        return pairs.map { pair in
            guard let name = pair.key.scalar?.value else { return pair }
            guard let first = seen[name] else {
                seen[name] = pair.key.range
                return pair
            }
            diagnostics.add(.duplicateKey(name), at: pair.key.range, notes: [DiagnosticNote("'\(name)' first appears here", at: first)])
            return YAMLPair(key: YAMLNode(.invalid, range: pair.key.range), value: pair.value)
        }
    }

    private mutating func add(_ node: YAMLNode) -> Bool {
        guard countNode(at: node.range) else { return false }
        return attach(node)
    }

    private mutating func countNode(at range: SourceRange) -> Bool {
        nodeCount += 1
        guard nodeCount <= limits.maxNodes else {
            diagnostics.add(.tooManyNodes(limit: limits.maxNodes), at: range)
            return false
        }
        return true
    }

    private mutating func attach(_ node: YAMLNode) -> Bool {
        guard let top = stack.popLast() else {
            root = node
            return true
        }
        switch top {
        case .sequence(let start, var items):
            items.append(node)
            stack.append(.sequence(start: start, items: items))
        case .mapping(let start, var pairs, let pendingKey):
            if let key = pendingKey {
                pairs.append(YAMLPair(key: key, value: node))
                stack.append(.mapping(start: start, pairs: pairs, pendingKey: nil))
            } else {
                stack.append(.mapping(start: start, pairs: pairs, pendingKey: checkedKey(node)))
            }
        }
        return true
    }

    /// Keys must be scalars.
    private mutating func checkedKey(_ node: YAMLNode) -> YAMLNode {
        guard node.scalar == nil else { return node }
        if !node.isInvalid {
            diagnostics.add(.complexKey(found: node.kindDescription), at: node.range)
        }
        return YAMLNode(.invalid, range: node.range)
    }

    private mutating func checkAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, at range: SourceRange) {
        guard let name = string(anchor) else { return }
        diagnostics.add(.anchor(name), at: range)
    }

    private mutating func checkTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at range: SourceRange) {
        guard let tag = string(tag) else { return }
        diagnostics.add(.tag(Self.shortTag(tag)), at: range)
    }

    static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    private mutating func reportSyntaxError(_ parser: yaml_parser_t) {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) }
        var markOffset = offset(parser.problem_mark)
        if parser.error == YAML_READER_ERROR { markOffset = min(Int(parser.problem_offset), file.bytes.count) }
        var described = problem
        if let context { described += " \(context)" }
        var notes: [DiagnosticNote] = []
        if context != nil, parser.context_mark.line != parser.problem_mark.line || parser.context_mark.column != parser.problem_mark.column {
            notes.append(DiagnosticNote("the construct starts here", at: .at(offset(parser.context_mark))))
        }
        let line = file.lineText(file.lineIndex(ofOffset: markOffset) + 1)
        let tabbed = line.prefix { $0 == " " || $0 == "\t" }.contains("\t")
        let hint = tabbed ? "; indent with spaces, not tabs" : Self.syntaxHint(problem)
        diagnostics.add(.syntax(described, hint: hint), at: .at(markOffset), notes: notes,
                        fixIts: problem.contains("mapping values are not allowed") ? Self.quotingFix(at: markOffset, in: file) : [])
        root = nil
    }

    /// `key: f(x, n: 14) < 30` read as a mapping inside a value: the fix quotes the value.
    static func quotingFix(at offset: Int, in file: SourceFile) -> [FixIt] {
        let lineIndex = file.lineIndex(ofOffset: offset)
        let start = file.lineStarts[lineIndex]
        let text = file.lineText(lineIndex + 1)
        let indent = text.prefix { $0 == " " || $0 == "-" }
        let content = text.dropFirst(indent.count)
        guard let colon = content.firstRange(of: ": "), content[..<colon.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return [] }
        var value = content[colon.upperBound...]
        if let comment = value.firstRange(of: " #") { value = value[..<comment.lowerBound] }
        value = value.drop { $0 == " " }
        while value.last == " " { value = value.dropLast() }
        guard value.contains(": "), let first = value.first, !"\"'{[|>".contains(first) else { return [] }
        let valueStart = start + text.utf8.distance(from: text.startIndex, to: value.startIndex)
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return [FixIt(range: SourceRange(valueStart, valueStart + value.utf8.count), replacement: quoted + "\"")]
    }

    static func syntaxHint(_ problem: String) -> String {
        if problem.contains("tab") { return "; indent with spaces" }
        if problem.contains("mapping values are not allowed") {
            return "; quote a value that contains ': ', or put the nested mapping on its own lines"
        }
        return ""
    }

    private func offset(_ mark: yaml_mark_t) -> Int {
        file.offset(line: Int(mark.line), scalarColumn: Int(mark.column))
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    private func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
