import Crypto
import Foundation

/// Seals broker credentials at rest with AES-GCM. The key comes from the environment
/// (`KEEL_SECRET_KEY`: 32 random bytes in base64, e.g. `openssl rand -base64 32`), never from the
/// store, so a copy of the database alone reveals nothing. Each sealed box is bound to its broker's
/// id (authenticated data): moved onto another row, it does not open.
struct Secrets: Sendable {
    static let variable = "KEEL_SECRET_KEY"
    private let key: SymmetricKey

    enum Failure: Error, CustomStringConvertible {
        case badKey

        var description: String {
            "\(Secrets.variable) must be 32 bytes in base64 (make one with: openssl rand -base64 32)"
        }
    }

    init(base64: String) throws {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw Failure.badKey
        }
        key = SymmetricKey(data: bytes)
    }

    /// nil when the variable is unset: the service then refuses to store credentials.
    static func fromEnvironment() throws -> Secrets? {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
        return try Secrets(base64: text)
    }

    func seal(_ plaintext: String, boundTo id: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(id.utf8))
        return [UInt8](box.combined!)
    }

    func open(_ sealed: [UInt8], boundTo id: String) throws -> String {
        let box = try AES.GCM.SealedBox(combined: Data(sealed))
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: Data(id.utf8)), as: UTF8.self)
    }
}
