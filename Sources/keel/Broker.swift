import ArgumentParser
import Dispatch
import Foundation
import KeelBrokerServer

struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keel's paper broker: the trading API over its simulated exchange.",
        subcommands: [Serve.self]
    )

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the trading API on loopback, so `keel run --live` can rehearse against it.",
            discussion: """
            Market data arrives as bar events (the stream's JSON lines) on POST /v2/sim/bars; a
            market order fills at the open of its symbol's next bar. Faults for rehearsals and
            tests are injected with POST /v2/sim/faults. The account lives in memory. The token
            comes from --token-file or KEEL_BROKER_TOKEN; every route but /health needs it.
            Prints `listening on http://HOST:PORT` once ready; SIGINT or SIGTERM stop it.
            """
        )

        @Option(help: "Port (0: any free one, printed when listening).")
        var port: Int = 9200

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "A file holding the bearer token (default: the KEEL_BROKER_TOKEN environment variable).")
        var tokenFile: String?

        @Option(help: "The account's starting cash.")
        var cash: Double = 100_000

        @Option(help: "Buying power as a multiple of equity.")
        var leverage: Double = 2

        @Option(help: "Seconds a `timeout` fault holds its answer.")
        var faultDelay: Double = 3

        func run() throws {
            let token = try readToken(file: tokenFile)
            let configuration = PaperBrokerServer.Configuration(host: host, port: port, token: token, cash: cash, leverage: leverage,
                                                                faultDelay: .milliseconds(Int64(faultDelay * 1_000)))
            let host = host
            let done = DispatchSemaphore(value: 0)
            let failure = ErrorBox()
            Task {
                do {
                    try await PaperBrokerServer.run(configuration) { port in
                        FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                    }
                } catch { failure.error = error }
                done.signal()
            }
            done.wait()
            if let error = failure.error {
                FileHandle.standardError.write(Data("keel: the broker stopped: \(error)\n".utf8))
                throw Exit.findings
            }
        }
    }
}

/// A bearer token from a file (trimmed) or from KEEL_BROKER_TOKEN; never printed.
func readToken(file: String?) throws -> String {
    let token: String
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            FileHandle.standardError.write(Data("keel: cannot read the token file '\(file)'\n".utf8))
            throw Exit.unreadable
        }
        token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    } else {
        token = ProcessInfo.processInfo.environment["KEEL_BROKER_TOKEN"] ?? ""
    }
    guard !token.isEmpty else { throw ValidationError("give the broker's token: --token-file FILE or KEEL_BROKER_TOKEN") }
    return token
}

final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
