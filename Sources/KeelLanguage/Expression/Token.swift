/// One token of the expression language. Offsets are UTF-8 byte offsets into the expression text.
package struct Token: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case number(Double)
        /// The number as written: `5%` is `percent(5)`.
        case percent(Double)
        /// The number as written: `2bps` is `bps(2)`.
        case bps(Double)
        case duration(DurationLiteral)
        case string(String)
        case name(String)
        case keyword(Keyword)
        case symbol(Symbol)
        /// Text the lexer could not read; `message` says why.
        case invalid(message: DiagnosticMessage)
        case end
    }

    package enum Keyword: String, Sendable, CaseIterable {
        case `if`, then, `else`, and, or, not, `true`, `false`
    }

    package enum Symbol: String, Sendable {
        case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
        case comma = ",", dot = ".", colon = ":"
        case plus = "+", minus = "-", star = "*", slash = "/"
        case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
    }

    package var kind: Kind
    package var start: Int
    package var end: Int

    package func isSymbol(_ symbol: Symbol) -> Bool { kind == .symbol(symbol) }
    package func isKeyword(_ keyword: Keyword) -> Bool { kind == .keyword(keyword) }
}

/// `30m`, `4h`, `2d`, `1w`, `45s`, or a count of bars (`10 bars`).
public struct DurationLiteral: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, CaseIterable {
        case seconds = "s", minutes = "m", hours = "h", days = "d", weeks = "w", bars = "bars"

        var seconds: Int? {
            switch self {
            case .seconds: 1
            case .minutes: 60
            case .hours: 3_600
            case .days: 86_400
            case .weeks: 604_800
            case .bars: nil
            }
        }
    }

    public var count: Int
    public var unit: Unit

    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    /// Length in seconds; nil for a count of bars.
    public var seconds: Int? { unit.seconds.map { $0 * count } }

    public var description: String { unit == .bars ? "\(count) bars" : "\(count)\(unit.rawValue)" }

    /// `90s`, `5m`, `1h`, `1d`, `1w` as seconds (a command-line option); nil for anything else.
    public static func parseSeconds(_ text: String) -> Int? {
        guard let unit = Unit.allCases.first(where: { $0 != .bars && text.hasSuffix($0.rawValue) }),
              let count = Int(text.dropLast(unit.rawValue.count)), count > 0 else { return nil }
        return DurationLiteral(count: count, unit: unit).seconds
    }
}
