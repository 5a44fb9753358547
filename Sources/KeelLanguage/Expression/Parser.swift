/// Bounds on one expression; settings with tested defaults.
public struct ExpressionLimits: Sendable {
    /// Bytes of expression text.
    public var maxLength: Int
    /// Nesting of parentheses, calls, unary operators and conditionals.
    public var maxDepth: Int

    public init(maxLength: Int = 4_096, maxDepth: Int = 64) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
    }

    public static let `default` = ExpressionLimits()
}

/// A recursive-descent parser for the grammar in Grammar/expression.ebnf.
///
/// It always returns a tree: where it cannot read an expression it puts an `.error` node, reports
/// the first syntax error of the expression (later ones are usually echoes of it) and goes on, so
/// the well-formed parts of a broken rule are still checked.
public struct ExpressionParser {
    private let source: ExpressionText
    private let tokens: [Token]
    private let limits: ExpressionLimits
    private var index = 0
    private var depth = 0
    private var ids: ExprIDGenerator
    private var diagnostics: [Diagnostic] = []
    private var abandoned = false

    public static func parse(_ source: ExpressionText, ids: inout ExprIDGenerator,
                             limits: ExpressionLimits = .default) -> (Expr, [Diagnostic]) {
        let length = source.text.utf8.count
        guard length <= limits.maxLength else {
            let range = source.fileRange(0, length)
            let node = Expr(id: ids.make(), kind: .error, range: range)
            return (node, [.report(.expressionTooLong(bytes: length, limit: limits.maxLength), at: source.fileRange(0, 0))])
        }
        var parser = ExpressionParser(source: source, tokens: Lexer.tokenize(source.text), limits: limits, ids: ids)
        let tree = parser.parseWhole()
        ids = parser.ids
        return (tree, parser.diagnostics)
    }

    private init(source: ExpressionText, tokens: [Token], limits: ExpressionLimits, ids: ExprIDGenerator) {
        self.source = source
        self.tokens = tokens
        self.limits = limits
        self.ids = ids
    }

    private mutating func parseWhole() -> Expr {
        if current.kind == .end {
            report(.expressionExpected, at: current)
            return node(.error, from: current.start, to: current.end)
        }
        let tree = expression()
        if case .invalid(let message) = current.kind, !abandoned {
            report(message, at: current)
        } else if case .name(let word) = current.kind, let unit = Self.durationWords[word], !abandoned,
                  case .number(let count) = tokens[max(0, index - 1)].kind {
            let n = ExpressionPrinter.format(count)
            report(.durationWord(count: n, unit: unit), at: current)
        } else if current.kind != .end, !abandoned {
            let hint = startsExpression(current)
                ? "; join conditions with 'and' or 'or'" : ""
            report(.trailingToken(describe(current), hint: hint), at: current)
        }
        return tree
    }

    // MARK: - Grammar

    private mutating func expression() -> Expr {
        guard enter() else { return abandonNode() }
        defer { depth -= 1 }
        guard current.isKeyword(.if) else { return logicalOr() }
        let start = advance().start
        let condition = expression()
        expect(.then, after: "the condition of 'if'")
        let then = expression()
        expect(.else, after: "the 'then' branch")
        let otherwise = expression()
        return node(.conditional(condition, then, otherwise), from: start, to: otherwise)
    }

    private mutating func logicalOr() -> Expr {
        var lhs = logicalAnd()
        while current.isKeyword(.or) {
            advance()
            let rhs = logicalAnd()
            lhs = node(.binary(.or, lhs, rhs), from: lhs, to: rhs)
        }
        return lhs
    }

    private mutating func logicalAnd() -> Expr {
        var lhs = logicalNot()
        while current.isKeyword(.and) {
            advance()
            let rhs = logicalNot()
            lhs = node(.binary(.and, lhs, rhs), from: lhs, to: rhs)
        }
        return lhs
    }

    private mutating func logicalNot() -> Expr {
        guard current.isKeyword(.not) else { return comparison() }
        guard enter() else { return abandonNode() }
        defer { depth -= 1 }
        let start = advance().start
        let operand = logicalNot()
        return node(.unary(.not, operand), from: start, to: operand)
    }

    private mutating func comparison() -> Expr {
        let lhs = sum()
        guard let op = comparisonOperator(current) else { return lhs }
        advance()
        let rhs = sum()
        let result = node(.binary(op, lhs, rhs), from: lhs, to: rhs)
        if comparisonOperator(current) != nil {
            report(.chainedComparison, at: current)
            advance()
            _ = sum()
        }
        return result
    }

    private mutating func sum() -> Expr {
        var lhs = product()
        while let op = current.isSymbol(.plus) ? BinaryOperator.add : current.isSymbol(.minus) ? .subtract : nil {
            advance()
            let rhs = product()
            lhs = node(.binary(op, lhs, rhs), from: lhs, to: rhs)
        }
        return lhs
    }

    private mutating func product() -> Expr {
        var lhs = unary()
        while let op = current.isSymbol(.star) ? BinaryOperator.multiply : current.isSymbol(.slash) ? .divide : nil {
            advance()
            let rhs = unary()
            lhs = node(.binary(op, lhs, rhs), from: lhs, to: rhs)
        }
        return lhs
    }

    private mutating func unary() -> Expr {
        guard current.isSymbol(.minus) else { return postfix() }
        guard enter() else { return abandonNode() }
        defer { depth -= 1 }
        let start = advance().start
        let operand = unary()
        return node(.unary(.negate, operand), from: start, to: operand)
    }

    private mutating func postfix() -> Expr {
        var base = primary()
        while !abandoned {
            if current.isSymbol(.leftBracket) {
                let open = advance()
                let offset = expression()
                let close = expectClosing(.rightBracket, opener: open)
                base = node(.history(base, offset), from: base.range.start, toOffset: close)
            } else if current.isSymbol(.dot) {
                advance()
                guard case .name(let member) = current.kind else {
                    report(.memberNameExpected(found: describe(current)), at: current)
                    return node(.error, from: base, to: base)
                }
                let end = advance().end
                base = node(.member(base, member), from: base.range.start, toOffset: source.fileRange(end, end).start)
            } else if current.isSymbol(.leftParen) {
                base = call(callee: base)
            } else {
                return base
            }
        }
        return base
    }

    private mutating func call(callee: Expr) -> Expr {
        let open = advance()
        guard case .name(let name) = callee.kind else {
            report(.notCallable, at: open)
            _ = arguments()
            return node(.error, from: callee, to: callee)
        }
        guard enter() else { return abandonNode() }
        defer { depth -= 1 }
        let arguments = arguments()
        let closed = current.isSymbol(.rightParen)
        let close = expectClosing(.rightParen, opener: open)
        // Without its ')' the call's arguments are a guess; checking them would only echo the error.
        return node(closed ? .call(name, arguments) : .error, from: callee.range.start, toOffset: close)
    }

    private mutating func arguments() -> [CallArgument] {
        var arguments: [CallArgument] = []
        guard !current.isSymbol(.rightParen) else { return arguments }
        repeat {
            if case .name(let label) = current.kind, peek(1).isSymbol(.colon) {
                let labelToken = advance()
                advance()
                let labelRange = source.fileRange(labelToken.start, labelToken.end)
                arguments.append(CallArgument(label: label, labelRange: labelRange, value: expression()))
            } else {
                arguments.append(CallArgument(value: expression()))
            }
        } while !abandoned && current.isSymbol(.comma) && advance().end >= 0
        return arguments
    }

    private mutating func primary() -> Expr {
        let token = current
        let kind: Expr.Kind
        switch token.kind {
        case .number(let value): kind = .number(value)
        case .percent(let value): kind = .percent(value)
        case .bps(let value): kind = .bps(value)
        case .duration(let value): kind = .duration(value)
        case .string(let value): kind = .string(value)
        case .name(let value): kind = .name(value)
        case .keyword(.true): kind = .bool(true)
        case .keyword(.false): kind = .bool(false)
        case .symbol(.leftParen):
            return parenthesized()
        case .invalid(let message):
            report(message, at: token)
            advance()
            return node(.error, from: token.start, to: token.end)
        default:
            report(.expressionExpected(found: describe(token)), at: token)
            if !isCloser(token) { advance() }
            return node(.error, from: token.start, to: token.end)
        }
        advance()
        return node(kind, from: token.start, to: token.end)
    }

    private mutating func parenthesized() -> Expr {
        let open = advance()
        guard enter() else { return abandonNode() }
        defer { depth -= 1 }
        var inner = expression()
        let close = expectClosing(.rightParen, opener: open)
        // The parentheses belong to the inner node's range so carets cover them.
        inner.range = SourceRange(source.fileRange(open.start, open.end).start, close)
        return inner
    }

    /// Words authors write for time units, and Keel's unit.
    static let durationWords: [String: String] = [
        "sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "day": "d", "days": "d", "week": "w", "weeks": "w",
    ]

    // MARK: - Helpers

    private var current: Token { tokens[min(index, tokens.count - 1)] }
    private func peek(_ ahead: Int) -> Token { tokens[min(index + ahead, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func enter() -> Bool {
        depth += 1
        guard depth <= limits.maxDepth, !abandoned else {
            if !abandoned {
                diagnostics.append(.report(.expressionTooDeep(limit: limits.maxDepth), at: source.fileRange(current.start, current.end)))
            }
            abandoned = true
            index = tokens.count - 1
            return false
        }
        return true
    }

    private mutating func abandonNode() -> Expr {
        depth -= 1
        return node(.error, from: current.start, to: current.end)
    }

    private mutating func expect(_ keyword: Token.Keyword, after what: String) {
        if current.isKeyword(keyword) {
            advance()
        } else {
            report(.keywordExpected(keyword.rawValue, after: what, found: describe(current)), at: current)
        }
    }

    /// Consumes the closing bracket and returns the file offset just past it.
    private mutating func expectClosing(_ symbol: Token.Symbol, opener: Token) -> Int {
        if current.isSymbol(symbol) {
            let token = advance()
            return source.fileRange(token.start, token.end).end
        }
        let openerRange = source.fileRange(opener.start, opener.end)
        report(.closerExpected(symbol.rawValue, opener: Self.text(of: opener), found: describe(current)), at: current,
               notes: [DiagnosticNote("opened here", at: openerRange)])
        return source.fileRange(current.start, current.start).start
    }

    private mutating func report(_ message: DiagnosticMessage, at token: Token, notes: [DiagnosticNote] = []) {
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return }
        diagnostics.append(.report(message, at: source.fileRange(token.start, token.end), notes: notes))
    }

    private mutating func node(_ kind: Expr.Kind, from start: Int, to end: Int) -> Expr {
        Expr(id: ids.make(), kind: kind, range: source.fileRange(start, end))
    }

    private mutating func node(_ kind: Expr.Kind, from first: Expr, to last: Expr) -> Expr {
        Expr(id: ids.make(), kind: kind, range: SourceRange(first.range.start, last.range.end))
    }

    private mutating func node(_ kind: Expr.Kind, from fileStart: Int, to last: Expr) -> Expr {
        let start = source.fileRange(fileStart, fileStart).start
        return Expr(id: ids.make(), kind: kind, range: SourceRange(start, last.range.end))
    }

    private mutating func node(_ kind: Expr.Kind, from fileStart: Int, toOffset fileEnd: Int) -> Expr {
        Expr(id: ids.make(), kind: kind, range: SourceRange(fileStart, fileEnd))
    }

    private func comparisonOperator(_ token: Token) -> BinaryOperator? {
        guard case .symbol(let symbol) = token.kind else { return nil }
        return BinaryOperator(rawValue: symbol.rawValue).flatMap { $0.isComparison ? $0 : nil }
    }

    private func isCloser(_ token: Token) -> Bool {
        token.kind == .end || token.isSymbol(.rightParen) || token.isSymbol(.rightBracket) || token.isSymbol(.comma)
    }

    private func startsExpression(_ token: Token) -> Bool {
        switch token.kind {
        case .number, .percent, .bps, .duration, .string, .name: true
        case .keyword(let keyword): [.true, .false, .not, .if].contains(keyword)
        case .symbol(let symbol): symbol == .leftParen || symbol == .minus
        default: false
        }
    }

    private func describe(_ token: Token) -> String {
        token.kind == .end ? "the end of the expression" : "'\(Self.text(of: token, in: source.text))'"
    }

    private static func text(of token: Token, in text: String? = nil) -> String {
        if case .symbol(let symbol) = token.kind { return symbol.rawValue }
        guard let text else { return "" }
        let bytes = Array(text.utf8)
        return String(decoding: bytes[max(0, token.start)..<min(token.end, bytes.count)], as: UTF8.self)
    }
}
