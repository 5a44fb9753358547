import ArgumentParser
import Dispatch
import Foundation
import KeelBrokerServer

struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keel's paper broker: the trading API over its simulated exchange.",
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the trading API on loopback, so `keel run --live` can rehearse against it.",
            usage: "keel broker serve [<options>]",
            discussion: prose("""
            Serves the broker-neutral trading API (docs/trading-api.md): /orders (market, limit,
            stop, stop-limit, trailing stop; brackets, OCO, time in force, changes and cancels),
            /positions, /trades, /account, /quotes/SYMBOL, /bars/SYMBOL, /capabilities, /status
            and /ready, with prices and quantities as exact decimal strings. Market data arrives
            as bar and quote events (the stream's JSON lines) on POST /sim/bars; a market order
            fills at the open of its symbol's next bar. Faults for rehearsals and tests are
            injected with POST /sim/faults. The account lives in memory. The token comes from
            --token-file or KEEL_BROKER_TOKEN; every route but /health needs it.
            Prints `listening on http://HOST:PORT` once ready; SIGINT or SIGTERM stop it.
            """)
        )

        @Option(help: "Port (0: any free one, printed when listening).")
        var port: Int = 9200

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "A file holding the bearer token (default: the KEEL_BROKER_TOKEN environment variable).")
        var tokenFile: String?

        @Option(help: "The account's starting cash.")
        var cash: Double = 100_000

        @Option(help: "The largest leverage an order may ask for, and an order's without one: margin is notional over it.")
        var leverage: Double = 2

        @Option(help: "Commission per fill as a fraction of its notional (0.001: 10 bps).")
        var commissionRate: Double = 0

        @Option(help: "Seconds a `timeout` fault holds its answer.")
        var faultDelay: Double = 3

        @Option(help: "The symbols it lists, comma-separated (default: those it has had a bar of); orders for others get 422 UNKNOWN_SYMBOL.")
        var symbols: String?

        @OptionGroup var connections: ConnectionOptions

        func run() async throws {
            let token = try readToken(file: tokenFile, variable: "KEEL_BROKER_TOKEN", option: "--token-file FILE")
            var configuration = PaperBrokerServer.Configuration(host: host, port: port, token: token, cash: cash, leverage: leverage,
                                                                faultDelay: .milliseconds(Int64(faultDelay * 1_000)),
                                                                connections: try connections.policy())
            guard commissionRate >= 0, commissionRate < 1 else { throw ValidationError("--commission-rate is a fraction from 0 to below 1, such as 0.001") }
            guard leverage > 0, leverage <= 1_000 else { throw ValidationError("--leverage is above 0 and at most 1000") }
            configuration.commissionRate = commissionRate
            if let symbols {
                let listed = Set(symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                guard !listed.isEmpty else { throw ValidationError("--symbols names at least one symbol: --symbols AAPL,MSFT") }
                configuration.symbols = listed
            }
            configuration.authFailureLimit = try connections.failureLimit()
            let settled = configuration
            try await serve({ onRunning in try await PaperBrokerServer.run(settled, onRunning: onRunning) }, host: host)
        }
    }
}

/// A bearer token from a file (trimmed) or from an environment variable; never printed.
func readToken(file: String?, variable: String = "KEEL_BROKER_TOKEN", option: String = "--broker-token-file FILE") throws -> String {
    let token: String
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            StandardError.say("cannot read the token file '\(file)'")
            throw Exit.unreadable
        }
        token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    } else {
        token = ProcessInfo.processInfo.environment[variable] ?? ""
    }
    guard !token.isEmpty else { throw ValidationError("give the token: \(option) or \(variable)") }
    return token
}
