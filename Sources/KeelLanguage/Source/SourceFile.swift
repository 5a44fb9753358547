/// A strategy file's text and the tables that turn byte offsets into lines and columns.
///
/// Internally every position is a UTF-8 byte offset into `text`. Lines and columns are computed only
/// at the edges (reporters, JSON): 1-based, columns counted in characters (grapheme clusters), so a
/// caret lands under the right glyph after multi-byte text.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    public let bytes: [UInt8]
    /// Byte offset at which each line starts; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    public var lineCount: Int { lineStarts.count }

    /// The 0-based line holding `offset`.
    public func lineIndex(ofOffset offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// 1-based line and column (in characters) of a byte offset.
    public func location(ofOffset offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, bytes.count))
        let line = lineIndex(ofOffset: clamped)
        let start = lineStarts[line]
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return SourceLocation(line: line + 1, column: prefix.count + 1)
    }

    /// 1-based column of a byte offset counted in Unicode scalars (code points), as SARIF counts them.
    public func scalarColumn(ofOffset offset: Int) -> Int {
        let clamped = max(0, min(offset, bytes.count))
        let start = lineStarts[lineIndex(ofOffset: clamped)]
        return String(decoding: bytes[start..<clamped], as: UTF8.self).unicodeScalars.count + 1
    }

    /// The text of a 1-based line, without its line break.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// Byte offset of a 0-based line and a 0-based column counted in Unicode scalars, as libyaml
    /// reports marks.
    public func offset(line: Int, scalarColumn: Int) -> Int {
        guard line < lineStarts.count else { return bytes.count }
        var offset = lineStarts[line]
        var remaining = scalarColumn
        while remaining > 0, offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") {
            offset += Self.scalarWidth(leadByte: bytes[offset])
            remaining -= 1
        }
        return min(offset, bytes.count)
    }

    package static func scalarWidth(leadByte: UInt8) -> Int {
        switch leadByte {
        case 0..<0x80: 1
        case 0xC0..<0xE0: 2
        case 0xE0..<0xF0: 3
        case 0xF0...: 4
        default: 1
        }
    }
}

/// A 1-based line and column, columns counted in characters.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of UTF-8 byte offsets in one source file.
public struct SourceRange: Sendable, Hashable {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    public static func at(_ offset: Int) -> SourceRange { SourceRange(offset, offset) }
}
