/// Splits expression text into tokens. Never fails: unreadable text becomes an `.invalid` token
/// whose message the parser reports.
package struct Lexer {
    private let bytes: [UInt8]
    private var position = 0

    package init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    package static func tokenize(_ text: String) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    package mutating func next() -> Token {
        skipWhitespace()
        let start = position
        guard position < bytes.count else { return Token(kind: .end, start: start, end: start) }
        let byte = bytes[position]
        if isDigit(byte) || (byte == UInt8(ascii: ".") && isDigit(peek(1))) { return number() }
        if isNameStart(byte) { return name() }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return string(quote: byte) }
        return symbol()
    }

    // MARK: - Numbers and units

    private mutating func number() -> Token {
        let start = position
        while isDigit(current) { position += 1 }
        if current == UInt8(ascii: "."), isDigit(peek(1)) {
            position += 1
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 1 : 0
            if isDigit(peek(1 + sign)) {
                position += 1 + sign
                while isDigit(current) { position += 1 }
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            return Token(kind: .invalid(message: .unrepresentableNumber(text)), start: start, end: position)
        }
        return unit(after: value, text: text, start: start)
    }

    private mutating func unit(after value: Double, text: String, start: Int) -> Token {
        if current == UInt8(ascii: "%") {
            position += 1
            return Token(kind: .percent(value), start: start, end: position)
        }
        let numberEnd = position
        var unitStart = position
        // `10 bars` may have a space before the unit; other units are written against the number.
        while current == UInt8(ascii: " ") { unitStart += 1; position += 1 }
        let wordStart = position
        while isNameContinue(current) { position += 1 }
        let word = String(decoding: bytes[wordStart..<position], as: UTF8.self)
        if word == "bars" || word == "bar" {
            return duration(value, .bars, text: text, start: start)
        }
        guard unitStart == numberEnd, !word.isEmpty else {
            position = numberEnd
            return Token(kind: .number(value), start: start, end: numberEnd)
        }
        if word == "bps" { return Token(kind: .bps(value), start: start, end: position) }
        if let unit = DurationLiteral.Unit(rawValue: word), unit != .bars {
            return duration(value, unit, text: text, start: start)
        }
        return Token(kind: .invalid(message: .unknownUnit(word, after: text)),
                     start: start, end: position)
    }

    private func duration(_ value: Double, _ unit: DurationLiteral.Unit, text: String, start: Int) -> Token {
        guard value == value.rounded(), value >= 0, value <= 1e9 else {
            return Token(kind: .invalid(message: .fractionalDuration(text)),
                         start: start, end: position)
        }
        return Token(kind: .duration(DurationLiteral(count: Int(value), unit: unit)), start: start, end: position)
    }

    // MARK: - Names, strings, symbols

    private mutating func name() -> Token {
        let start = position
        while isNameContinue(current) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if let keyword = Token.Keyword(rawValue: text) {
            return Token(kind: .keyword(keyword), start: start, end: position)
        }
        return Token(kind: .name(text), start: start, end: position)
    }

    private mutating func string(quote: UInt8) -> Token {
        let start = position
        position += 1
        var value: [UInt8] = []
        while position < bytes.count, bytes[position] != quote {
            if bytes[position] == UInt8(ascii: "\\"), position + 1 < bytes.count {
                position += 1
            }
            value.append(bytes[position])
            position += 1
        }
        guard position < bytes.count else {
            return Token(kind: .invalid(message: .unterminatedString(quote: Character(Unicode.Scalar(quote)))),
                         start: start, end: position)
        }
        position += 1
        return Token(kind: .string(String(decoding: value, as: UTF8.self)), start: start, end: position)
    }

    private mutating func symbol() -> Token {
        let start = position
        let byte = bytes[position]
        let twoByte: [UInt8: (UInt8, Token.Symbol)] = [
            UInt8(ascii: "<"): (UInt8(ascii: "="), .lessEqual), UInt8(ascii: ">"): (UInt8(ascii: "="), .greaterEqual),
            UInt8(ascii: "="): (UInt8(ascii: "="), .equal), UInt8(ascii: "!"): (UInt8(ascii: "="), .notEqual),
        ]
        if let (second, symbol) = twoByte[byte], peek(1) == second {
            position += 2
            return Token(kind: .symbol(symbol), start: start, end: position)
        }
        position += 1
        if let symbol = Token.Symbol(rawValue: String(UnicodeScalar(byte))) {
            return Token(kind: .symbol(symbol), start: start, end: position)
        }
        return misused(byte, start: start)
    }

    /// Operators from other languages get a pointed hint.
    private mutating func misused(_ byte: UInt8, start: Int) -> Token {
        let hints: [UInt8: DiagnosticMessage] = [
            UInt8(ascii: "="): .singleEquals, UInt8(ascii: "!"): .bang, UInt8(ascii: "&"): .ampersands, UInt8(ascii: "|"): .bars,
        ]
        if let hint = hints[byte] {
            if (byte == UInt8(ascii: "&") || byte == UInt8(ascii: "|")), current == byte { position += 1 }
            return Token(kind: .invalid(message: hint), start: start, end: position)
        }
        // Consume the whole multi-byte character so the message names it.
        while position < bytes.count, bytes[position] & 0xC0 == 0x80 { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return Token(kind: .invalid(message: .unexpectedCharacter(text)), start: start, end: position)
    }

    // MARK: - Bytes

    private var current: UInt8 { position < bytes.count ? bytes[position] : 0 }
    private func peek(_ ahead: Int) -> UInt8 { position + ahead < bytes.count ? bytes[position + ahead] : 0 }

    private mutating func skipWhitespace() {
        while position < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[position]) {
            position += 1
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }
    private func isNameContinue(_ byte: UInt8) -> Bool { isNameStart(byte) || isDigit(byte) }
}
