import KeelLanguage

/// How LSP counts a position's character: UTF-16 code units (the protocol's default) or UTF-8
/// bytes, as negotiated at `initialize`. Keel's own positions are UTF-8 byte offsets.
enum PositionEncoding: String {
    case utf16 = "utf-16"
    case utf8 = "utf-8"

    /// The byte offset of a 0-based line and character; past the line's end clamps to it, past the
    /// file's end to the end.
    func offset(line: Int, character: Int, in file: SourceFile) -> Int {
        guard line >= 0 else { return 0 }
        guard line < file.lineStarts.count else { return file.bytes.count }
        let start = file.lineStarts[line]
        var end = line + 1 < file.lineStarts.count ? file.lineStarts[line + 1] - 1 : file.bytes.count
        if end > start, file.bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var offset = start
        var units = 0
        while offset < end, units < character {
            let width = Self.scalarWidth(file.bytes[offset])
            units += self == .utf8 ? width : (width == 4 ? 2 : 1)
            offset += width
        }
        return min(offset, end)
    }

    /// The 0-based line and character of a byte offset.
    func position(ofOffset offset: Int, in file: SourceFile) -> (line: Int, character: Int) {
        let clamped = max(0, min(offset, file.bytes.count))
        let line = file.lineIndex(ofOffset: clamped)
        var cursor = file.lineStarts[line]
        var units = 0
        while cursor < clamped {
            let width = Self.scalarWidth(file.bytes[cursor])
            units += self == .utf8 ? width : (width == 4 ? 2 : 1)
            cursor += width
        }
        return (line, units)
    }

    func lspPosition(_ offset: Int, in file: SourceFile) -> [String: Any] {
        let (line, character) = position(ofOffset: offset, in: file)
        return ["line": line, "character": character]
    }

    func lspRange(_ range: SourceRange, in file: SourceFile) -> [String: Any] {
        ["start": lspPosition(range.start, in: file), "end": lspPosition(range.end, in: file)]
    }

    /// A `Position` object's byte offset.
    func offset(_ position: Any?, in file: SourceFile) -> Int? {
        guard let position = position as? [String: Any], let line = position["line"] as? Int, let character = position["character"] as? Int else { return nil }
        return offset(line: line, character: character, in: file)
    }

    static func scalarWidth(_ lead: UInt8) -> Int { SourceFile.scalarWidth(leadByte: lead) }
}
