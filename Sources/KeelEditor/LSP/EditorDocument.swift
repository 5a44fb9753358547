import Foundation
import KeelLanguage

/// One open strategy file: its text as the editor has it, changed edit by edit.
struct EditorDocument {
    let uri: String
    var version: Int
    private(set) var file: SourceFile

    init(uri: String, version: Int, text: String) {
        (self.uri, self.version) = (uri, version)
        file = SourceFile(path: Self.path(of: uri), text: text)
    }

    var text: String { file.text }

    /// A `TextDocumentContentChangeEvent`: a range replaced, or (no range) the whole text.
    mutating func apply(_ change: [String: Any], encoding: PositionEncoding) {
        guard let replacement = change["text"] as? String else { return }
        guard let range = change["range"] as? [String: Any],
              let start = encoding.offset(range["start"], in: file), let end = encoding.offset(range["end"], in: file) else {
            file = SourceFile(path: file.path, text: replacement)
            return
        }
        var bytes = file.bytes
        let (low, high) = (min(start, end), max(start, end))
        bytes.replaceSubrange(low..<high, with: Array(replacement.utf8))
        file = SourceFile(path: file.path, text: String(decoding: bytes, as: UTF8.self))
    }

    /// The file path of a `file://` URI (what messages and `.keel-lint.yaml` discovery use); other
    /// URIs stand as they are.
    static func path(of uri: String) -> String {
        guard let url = URL(string: uri), url.isFileURL else { return uri }
        return url.path
    }
}
