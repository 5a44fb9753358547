import KeelLanguage
import KeelLint

/// What the editor features read from one version of a file: the linter's report and, when the
/// YAML reads, every token of every expression with what it names, and the `let`s and `params`
/// declared. Made once per version; a file that does not read has tokens of none.
struct DocumentAnalysis {
    /// A `let` or a param: where it is declared and what it stands for.
    struct Declaration {
        enum Kind: String { case param, `let` }
        let name: String
        let kind: Kind
        let keyRange: SourceRange
        /// The value as written (an expression, or a param's mapping of default and space).
        let valueText: String
    }

    /// What an expression token is, for semantic tokens, hover and navigation.
    enum Role: Int, CaseIterable {
        case function, variable, namespace, parameter, property, label, number, string, keyword, `operator`, letName, unknown

        /// The LSP semantic token type each role is shown as (the legend, in `Role` order).
        var tokenType: String {
            switch self {
            case .function: "function"
            case .variable, .letName, .unknown: "variable"
            case .namespace: "namespace"
            case .parameter: "parameter"
            case .property: "property"
            case .label: "parameter"
            case .number: "number"
            case .string: "string"
            case .keyword: "keyword"
            case .operator: "operator"
            }
        }
    }

    struct Token {
        let range: SourceRange
        let role: Role
        /// The name, for names.
        let name: String?
    }

    let file: SourceFile
    let report: Linter.Report
    let root: YAMLNode?
    let tokens: [Token]
    let declarations: [String: Declaration]
    /// Plain expressions inside `{...}`: strict YAML tools split them at a ',' or ': '.
    let unquotedFlowExpressions: [SourceRange]

    /// Top-level keys whose values are not expressions.
    static let textKeys: Set<String> = ["keel", "name", "description", "symbols", "timeframe", "profile", "gates"]
    /// Keys anywhere whose values are words, not expressions.
    static let wordKeys: Set<String> = ["fill", "intrabar"]

    init(file: SourceFile, linter: Linter) {
        self.file = file
        report = linter.lint(file)
        var bag = DiagnosticBag()
        root = YAMLLoader.load(file, diagnostics: &bag)
        var declarations: [String: Declaration] = [:]
        var scalars: [(YAMLScalar, SourceRange)] = []
        var unquoted: [SourceRange] = []
        func text(_ range: SourceRange) -> String {
            String(decoding: file.bytes[max(0, range.start)..<min(range.end, file.bytes.count)], as: UTF8.self)
        }
        /// Every scalar of an expression value; keys that are pieces of a split expression too.
        func collect(_ node: YAMLNode) {
            switch node.kind {
            case .scalar(let scalar):
                guard !scalar.isNull else { return }
                scalars.append((scalar, node.range))
                if scalar.style == .plain, scalar.inFlowCollection, scalar.value.contains(",") || scalar.value.contains(": ") { unquoted.append(node.range) }
            case .mapping(let pairs):
                for pair in pairs where !Self.wordKeys.contains(pair.name) {
                    if let key = pair.key.scalar, key.value.contains("(") || key.value.contains(")") { scalars.append((key, pair.key.range)) }
                    collect(pair.value)
                }
            case .sequence(let items): items.forEach(collect)
            case .invalid: break
            }
        }
        for pair in root?.pairs ?? [] where !Self.textKeys.contains(pair.name) {
            if pair.name == "params" || pair.name == "let" {
                for declared in pair.value.pairs ?? [] where !declared.key.isInvalid && !declared.name.isEmpty {
                    let kind: Declaration.Kind = pair.name == "params" ? .param : .let
                    declarations[declared.name] = declarations[declared.name]
                        ?? Declaration(name: declared.name, kind: kind, keyRange: declared.key.range, valueText: text(declared.value.range))
                    collect(declared.value)
                }
            } else {
                collect(pair.value)
            }
        }
        self.declarations = declarations
        unquotedFlowExpressions = unquoted
        tokens = scalars.flatMap { Self.tokens(of: $0.0, at: $0.1, in: file, declarations: declarations) }.sorted { $0.range.start < $1.range.start }
    }

    /// The tokens of one expression scalar, each placed in the file and given its role.
    static func tokens(of scalar: YAMLScalar, at range: SourceRange, in file: SourceFile, declarations: [String: Declaration]) -> [Token] {
        let expression = ExpressionText(scalar: scalar, range: range, in: file)
        let lexed = Lexer.tokenize(expression.text)
        var result: [Token] = []
        for (index, token) in lexed.enumerated() {
            let place = expression.fileRange(token.start, token.end)
            let before = index > 0 ? lexed[index - 1] : nil
            let after = index + 1 < lexed.count ? lexed[index + 1] : nil
            switch token.kind {
            case .name(let name):
                let role: Role
                if before?.isSymbol(.dot) == true { role = .property }
                else if after?.isSymbol(.colon) == true { role = .label }
                else if after?.isSymbol(.leftParen) == true { role = .function }
                else if let declared = declarations[name] { role = declared.kind == .param ? .parameter : .letName }
                else if let builtin = BuiltinTable.named(name) { role = builtin.form == .namespace ? .namespace : .variable }
                else { role = .unknown }
                result.append(Token(range: place, role: role, name: name))
            case .number, .percent, .bps, .duration: result.append(Token(range: place, role: .number, name: nil))
            case .string: result.append(Token(range: place, role: .string, name: nil))
            case .keyword: result.append(Token(range: place, role: .keyword, name: nil))
            case .symbol(let symbol) where ![.leftParen, .rightParen, .leftBracket, .rightBracket, .comma, .dot, .colon].contains(symbol):
                result.append(Token(range: place, role: .operator, name: nil))
            default: break
            }
        }
        return result
    }

    /// The name token at a byte offset (its end included: the cursor just after a word is on it).
    func token(at offset: Int) -> Token? {
        tokens.first { $0.name != nil && $0.range.start <= offset && offset <= $0.range.end }
    }

    /// Every use of a `let` or param: the name tokens that read it.
    func uses(of name: String) -> [SourceRange] {
        tokens.filter { $0.name == name && ($0.role == .parameter || $0.role == .letName) }.map(\.range)
    }
}
