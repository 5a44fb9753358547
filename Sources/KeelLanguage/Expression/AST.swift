/// Identifies one expression node across a whole strategy; the checker's side tables are keyed by it.
public struct ExprID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let raw: Int32
    public init(_ raw: Int32) { self.raw = raw }
    public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    public var description: String { "#\(raw)" }
}

/// Hands out node ids; one per strategy so every expression in a file has distinct ids.
public struct ExprIDGenerator: Sendable {
    private var next: Int32 = 0
    public init() {}
    public mutating func make() -> ExprID {
        defer { next += 1 }
        return ExprID(next)
    }
    public var count: Int { Int(next) }
}

public enum UnaryOperator: String, Sendable {
    case negate = "-"
    case not = "not"
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or, and
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// Higher binds tighter; matches the grammar in Grammar/expression.ebnf.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: 4
        case .add, .subtract: 5
        case .multiply, .divide: 6
        }
    }

    public var isComparison: Bool { precedence == 4 }
    public var isLogical: Bool { self == .and || self == .or }
    public var isArithmetic: Bool { precedence >= 5 }
}

/// An expression tree. Ranges are byte ranges in the strategy file (see `ExpressionText`).
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case number(Double)
        /// As written: `5%` holds 5.
        case percent(Double)
        /// As written: `2bps` holds 2.
        case bps(Double)
        case duration(DurationLiteral)
        case string(String)
        case bool(Bool)
        case name(String)
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        case conditional(Expr, Expr, Expr)
        /// `base[offset]`: the value `offset` bars ago.
        case history(Expr, Expr)
        /// `base.name`: an output of a multi-output indicator, or a field of a namespace.
        case member(Expr, String)
        case call(String, [CallArgument])
        /// What the parser put where it could not read an expression; already reported.
        case error
    }

    public let id: ExprID
    public var kind: Kind
    public var range: SourceRange

    public init(id: ExprID, kind: Kind, range: SourceRange) {
        self.id = id
        self.kind = kind
        self.range = range
    }

    /// The direct children, in source order.
    public var children: [Expr] {
        switch kind {
        case .number, .percent, .bps, .duration, .string, .bool, .name, .error: []
        case .unary(_, let operand): [operand]
        case .binary(_, let lhs, let rhs): [lhs, rhs]
        case .conditional(let c, let t, let e): [c, t, e]
        case .history(let base, let offset): [base, offset]
        case .member(let base, _): [base]
        case .call(_, let arguments): arguments.map(\.value)
        }
    }

    /// Visits this node and every descendant, parents first.
    public func walk(_ visit: (Expr) -> Void) {
        visit(self)
        for child in children { child.walk(visit) }
    }

    public var containsError: Bool {
        var found = false
        walk { if case .error = $0.kind { found = true } }
        return found
    }
}

public struct CallArgument: Sendable {
    public var label: String?
    public var labelRange: SourceRange?
    public var value: Expr

    public init(label: String? = nil, labelRange: SourceRange? = nil, value: Expr) {
        self.label = label
        self.labelRange = labelRange
        self.value = value
    }
}
