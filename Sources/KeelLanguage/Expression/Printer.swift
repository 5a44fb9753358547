/// Prints an expression in canonical form: single spaces, the fewest parentheses that keep the tree.
/// Parsing the printed text gives back the same tree (a property test holds it to that).
public enum ExpressionPrinter {
    public static func print(_ expr: Expr) -> String {
        var output = ""
        write(expr, minimum: 0, into: &output)
        return output
    }

    private static let conditionalLevel = 0, notLevel = 3, unaryLevel = 7, postfixLevel = 8

    private static func level(of expr: Expr) -> Int {
        switch expr.kind {
        case .conditional: conditionalLevel
        case .binary(let op, _, _): op.precedence
        case .unary(.not, _): notLevel
        case .unary(.negate, _): unaryLevel
        default: postfixLevel
        }
    }

    private static func write(_ expr: Expr, minimum: Int, into output: inout String) {
        let parenthesize = level(of: expr) < minimum
        if parenthesize { output += "(" }
        switch expr.kind {
        case .number(let value): output += format(value)
        case .percent(let value): output += format(value) + "%"
        case .bps(let value): output += format(value) + "bps"
        case .duration(let value): output += value.description
        case .string(let value): output += quoted(value)
        case .bool(let value): output += value ? "true" : "false"
        case .name(let name): output += name
        case .error: output += "<error>"
        case .unary(let op, let operand):
            output += op == .not ? "not " : "-"
            write(operand, minimum: op == .not ? notLevel : unaryLevel, into: &output)
        case .binary(let op, let lhs, let rhs):
            let p = op.precedence
            write(lhs, minimum: op.isComparison ? p + 1 : p, into: &output)
            output += " \(op.rawValue) "
            write(rhs, minimum: p + 1, into: &output)
        case .conditional(let condition, let then, let otherwise):
            output += "if "
            write(condition, minimum: 0, into: &output)
            output += " then "
            write(then, minimum: 0, into: &output)
            output += " else "
            write(otherwise, minimum: 0, into: &output)
        case .history(let base, let offset):
            write(base, minimum: postfixLevel, into: &output)
            output += "["
            write(offset, minimum: 0, into: &output)
            output += "]"
        case .member(let base, let name):
            write(base, minimum: postfixLevel, into: &output)
            output += "." + name
        case .call(let name, let arguments):
            output += name + "("
            for (i, argument) in arguments.enumerated() {
                if i > 0 { output += ", " }
                if let label = argument.label { output += label + ": " }
                write(argument.value, minimum: 0, into: &output)
            }
            output += ")"
        }
        if parenthesize { output += ")" }
    }

    /// "5%" from 0.05, rounded to `decimals` places of the percent so float noise never shows.
    public static func percent(_ fraction: Double, decimals: Int = 6) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return format((fraction * 100 * scale).rounded() / scale) + "%"
    }

    /// Integers without a fraction; everything else in Swift's shortest round-tripping form.
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// By scalar, not by character: a backslash followed by a combining mark is one character
    /// (a backslash and U+0616), and was printed unescaped (found by the expression fuzz target).
    private static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\\" || scalar == "\"" { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        return result + "\""
    }
}
