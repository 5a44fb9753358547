/// An expression's text together with where each of its bytes sits in the strategy file.
///
/// YAML hands over a scalar's value, not its source: quotes are gone, escapes decoded, block and
/// multi-line scalars folded. The map is rebuilt by aligning the value with the scalar's source
/// bytes, so a caret lands on the right column for plain, quoted and block scalars alike.
public struct ExpressionText: Sendable {
    public let text: String
    /// File offset of each byte of `text`, plus one past the end.
    private let offsets: [Int]

    /// Text that is not in a file (tests, the REPL): offsets map to themselves.
    public init(standalone text: String) {
        self.text = text
        self.offsets = Array(0...text.utf8.count)
    }

    package init(scalar: YAMLScalar, range: SourceRange, in file: SourceFile) {
        self.text = scalar.value
        self.offsets = Self.align(value: Array(scalar.value.utf8), scalar: scalar, range: range, file: file)
    }

    /// File range of the text range `start..<end`.
    public func fileRange(_ start: Int, _ end: Int) -> SourceRange {
        let first = offsets[max(0, min(start, offsets.count - 1))]
        guard end > start else { return .at(first) }
        let last = offsets[max(0, min(end - 1, offsets.count - 1))]
        return SourceRange(first, last + 1)
    }

    private static func align(value: [UInt8], scalar: YAMLScalar, range: SourceRange, file: SourceFile) -> [Int] {
        let source = file.bytes
        let end = min(range.end, source.count)
        var cursor = contentStart(scalar: scalar, range: range, source: source)
        var offsets: [Int] = []
        offsets.reserveCapacity(value.count + 1)
        for byte in value {
            var probe = cursor
            while probe < end, !matches(byte, source[probe]) { probe += 1 }
            if probe < end {
                offsets.append(probe)
                cursor = probe + 1
            } else {
                offsets.append(min(cursor, max(range.start, end - 1)))
            }
        }
        offsets.append(min(cursor, source.count))
        return offsets
    }

    /// A value byte matches its own source byte, and a space matches a folded line break.
    private static func matches(_ valueByte: UInt8, _ sourceByte: UInt8) -> Bool {
        valueByte == sourceByte || (valueByte == UInt8(ascii: " ") && sourceByte == UInt8(ascii: "\n"))
    }

    private static func contentStart(scalar: YAMLScalar, range: SourceRange, source: [UInt8]) -> Int {
        switch scalar.style {
        case .plain: return range.start
        case .singleQuoted, .doubleQuoted: return min(range.start + 1, range.end)
        case .literal, .folded:
            // Skip the header line (`|`, `>-`, a comment) to the first content line.
            var offset = range.start
            while offset < range.end, source[offset] != UInt8(ascii: "\n") { offset += 1 }
            return min(offset + 1, range.end)
        }
    }
}
