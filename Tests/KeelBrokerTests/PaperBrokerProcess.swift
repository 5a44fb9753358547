import AsyncHTTPClient
import Foundation
import KeelBroker
import KeelBrokerClient
import KeelTestSupport
import NIOCore

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

    /// One request: (status, body).
    func request(_ method: String, _ path: String, body: String? = nil, token: String? = PaperBrokerProcess.token) throws -> (Int, String) {
        var request = HTTPClientRequest(url: url + path)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let sent = request
        Task {
            do {
                let response = try await HTTPClient.shared.execute(sent, timeout: .seconds(10))
                let bytes = try await response.body.collect(upTo: 1 << 24)
                box.value = .success((Int(response.status.code), String(buffer: bytes)))
            } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
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

final class ResultBox: @unchecked Sendable {
    var value: Result<(Int, String), Error>?
}
