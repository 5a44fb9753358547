import Foundation

/// Standard error: every message to the user that is not the command's output (stdout stays the
/// result, so a pipe or a redirect gets only that).
enum StandardError {
    /// `keel: MESSAGE` and a newline.
    static func say(_ message: String) { write("keel: \(message)\n") }

    /// Text as it is: a rendered diagnostic, a data error with its file and row, a progress line.
    static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
