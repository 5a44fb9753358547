import Crypto
import Foundation
import KeelLanguage

/// What anyone needs to make a report's result again: the command, the strategy's hash, every
/// data file's checksum, Keel's version.
public struct ReportManifest: Sendable {
    public struct DataFile: Sendable, Equatable {
        public var symbol: String
        public var path: String
        public var bytes: Int
        public var sha256: String
    }

    public var command: [String]
    public var strategyPath: String?
    public var strategySHA256: String?
    public var data: [DataFile]
    public var keelVersion = KeelVersion.current
    /// The command as a results file recorded it (one line), when the manifest is read back.
    public var recordedCommand: String?
    /// Seeds and the rest a results file records about how it was made (method, objective, ...).
    public var extra: [(String, String)] = []

    public init(command: [String], strategyPath: String? = nil, strategyText: String? = nil, data: [DataFile] = []) {
        (self.command, self.strategyPath, self.data) = (command, strategyPath, data)
        strategySHA256 = strategyText.map { Self.hex(SHA256.hash(data: Data($0.utf8))) }
    }

    /// The files' checksums, read in 1 MiB pieces; a file that cannot be read has none.
    public static func checksums(_ files: [(symbol: String, path: String)]) -> [DataFile] {
        files.map { symbol, path in
            var hasher = SHA256()
            var bytes = 0
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                while let piece = try? handle.read(upToCount: 1 << 20), !piece.isEmpty {
                    hasher.update(data: piece)
                    bytes += piece.count
                }
                return DataFile(symbol: symbol, path: path, bytes: bytes, sha256: hex(hasher.finalize()))
            }
            return DataFile(symbol: symbol, path: path, bytes: 0, sha256: "unreadable")
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The command as a shell would take it back: words with spaces or quotes single-quoted.
    public var commandLine: String {
        if let recordedCommand { return recordedCommand }
        return command.map(Self.shellWord).joined(separator: " ")
    }

    /// `word` as one word for a POSIX shell: single-quoted unless it is plain.
    public static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,%+@".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
