import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real keel server (`keel serve`, `keel broker serve`) on a free loopback port, and plain HTTP
/// requests to it.
package final class ServerProcess {
    package let process: Process
    package let url: String

    /// Starts `keel ARGUMENTS` (which must include `--port 0`) and waits for `listening on URL`.
    /// `descriptorLimit`: the process may open at most this many files and sockets (prlimit).
    package init(_ arguments: [String], environment: [String: String] = [:], descriptorLimit: Int? = nil) throws {
        process = KeelBinary.start(arguments)
        if let descriptorLimit, let keel = process.executableURL {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(descriptorLimit):\(descriptorLimit)", "--", keel.path] + arguments
        }
        if !environment.isEmpty { process.environment = (process.environment ?? ProcessInfo.processInfo.environment).merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        var text = ""
        while !text.contains("\n") {
            let data = out.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on ") else {
            process.terminate()
            throw Failure(message: "the server did not start: \(text)")
        }
        url = String(line.dropFirst("listening on ".count))
    }

    package struct Failure: Error { public var message: String }

    package var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

    package func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// One request: (status, headers, body). Blocking on NIO's future, not on a task: a test thread
    /// waiting on the cooperative pool could starve the very task it waits for.
    /// `authorization`: the whole header, in place of `Bearer TOKEN`; `headers`: any others.
    package func send(_ method: String, _ path: String, body: String? = nil, token: String?,
                     authorization: String? = nil, headers extra: [String: String] = [:]) throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var headers = HTTPHeaders()
        if let header = authorization ?? token.map({ "Bearer \($0)" }) { headers.add(name: "Authorization", value: header) }
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let request = try HTTPClient.Request(url: url + path, method: HTTPMethod(rawValue: method), headers: headers, body: body.map { .string($0) })
        let response = try HTTPClient.shared.execute(request: request, deadline: .now() + .seconds(20)).wait()
        return (Int(response.status.code), response.headers, response.body.map { String(buffer: $0) } ?? "")
    }
}
