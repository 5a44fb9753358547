import Foundation
import KeelBroker
import KeelBrokerClient
import KeelTestSupport

/// A real `keel broker serve` on a free loopback port, and a raw HTTP line to it for the routes
/// the client does not speak (the simulation's bars and faults, the auth checks).
package final class PaperBrokerProcess {
    package static let token = "test-token-\(UUID().uuidString)"
    package let server: ServerProcess
    package let folder: URL
    package var url: String { server.url }

    /// `extra`: more of `keel broker serve`'s options (`--symbols X,Y`).
    package init(faultDelay: Double = 1, extra: [String] = []) throws {
        folder = try KeelBinary.temporaryFolder(["token": Self.token + "\n"])
        server = try ServerProcess(["broker", "serve", "--port", "0", "--token-file", folder.appendingPathComponent("token").path,
                                    "--fault-delay", String(faultDelay)] + extra)
    }

    package struct Failure: Error {
        package var message: String
        package init(message: String) { self.message = message }
    }

    package func stop() { server.stop() }

    package func client(timeout: Duration = .milliseconds(500)) -> BrokerClient { BrokerClient(baseURL: url, token: Self.token, timeout: timeout) }

    /// One request: (status, body).
    package func request(_ method: String, _ path: String, body: String? = nil, token: String? = PaperBrokerProcess.token) throws -> (Int, String) {
        let answer = try server.send(method, path, body: body, token: token)
        return (answer.status, answer.body)
    }

    package func bars(_ lines: [String]) throws {
        let (status, body) = try request("POST", "/sim/bars", body: lines.joined(separator: "\n") + "\n")
        guard status == 200 else { throw Failure(message: "bars: \(status) \(body)") }
    }

    package func inject(_ faults: String) throws {
        let (status, body) = try request("POST", "/sim/faults", body: faults)
        guard status == 200 else { throw Failure(message: "faults: \(status) \(body)") }
    }

    package func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let (_, body) = try request("GET", path)
        return try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
