import AsyncHTTPClient
import Foundation
import KeelBroker
import KeelBrokerClient
import KeelTestSupport
import NIOCore
import NIOHTTP1

/// A real `keel broker serve` on a free loopback port, and a raw HTTP line to it for the routes
/// the client does not speak (the simulation's bars and faults, the auth checks).
final class PaperBrokerProcess {
    static let token = "test-token-\(UUID().uuidString)"
    let process: Process
    let url: String
    let folder: URL

    init(faultDelay: Double = 1) throws {
        folder = try KeelBinary.temporaryFolder(["token": Self.token + "\n"])
        process = KeelBinary.start(["broker", "serve", "--port", "0", "--token-file", folder.appendingPathComponent("token").path,
                                    "--fault-delay", String(faultDelay)])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = out.fileHandleForReading
        while !text.contains("\n") {
            let data = handle.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on ") else {
            process.terminate()
            throw Failure(message: "the broker did not start: \(text)")
        }
        url = String(line.dropFirst("listening on ".count))
    }

    struct Failure: Error { var message: String }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    func client(timeout: Duration = .milliseconds(500)) -> BrokerClient { BrokerClient(baseURL: url, token: Self.token, timeout: timeout) }

    /// One request: (status, body). Blocking on NIO's future, not on a task: a test thread
    /// waiting on the cooperative pool could starve the very task it waits for.
    func request(_ method: String, _ path: String, body: String? = nil, token: String? = PaperBrokerProcess.token) throws -> (Int, String) {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let request = try HTTPClient.Request(url: url + path, method: HTTPMethod(rawValue: method), headers: headers,
                                             body: body.map { .string($0) })
        let response = try HTTPClient.shared.execute(request: request, deadline: .now() + .seconds(10)).wait()
        return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "")
    }

    func bars(_ lines: [String]) throws {
        let (status, body) = try request("POST", "/v2/sim/bars", body: lines.joined(separator: "\n") + "\n")
        guard status == 200 else { throw Failure(message: "bars: \(status) \(body)") }
    }

    func inject(_ faults: String) throws {
        let (status, body) = try request("POST", "/v2/sim/faults", body: faults)
        guard status == 200 else { throw Failure(message: "faults: \(status) \(body)") }
    }

    func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let (_, body) = try request("GET", path)
        return try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
