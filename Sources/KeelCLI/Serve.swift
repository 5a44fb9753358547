import ArgumentParser
import Dispatch
import Foundation
import KeelBrokerClient
import KeelHTTP
import KeelService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve Keel over HTTP: strategies, backtests, paper and live runs, on one SQLite file.",
        discussion: prose("""
        Every route but /health needs `Authorization: Bearer TOKEN`, the token from --token-file or
        KEEL_API_TOKEN (never logged). --insecure-dev serves without one, with a warning. Backtests
        and runs read files inside --data-dir only. Broker credentials are sealed with the key in
        KEEL_SECRET_KEY (32 bytes in base64). Prints `listening on http://HOST:PORT` once ready;
        SIGINT or SIGTERM stop it after the requests in hand, and its runs after their next commit
        (they go on at the next start). The routes: GET /openapi.json.
        """)
    )

    @Option(help: "Port (0: any free one, printed when listening).")
    var port: Int = 8080

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The SQLite file (created when missing).")
    var db: String

    @Option(help: "A file holding the API token (default: the KEEL_API_TOKEN environment variable).")
    var tokenFile: String?

    @Flag(help: "Serve without a token: development only, on a machine of your own.")
    var insecureDev = false

    @Option(help: "The folder backtests read their bar files from.")
    var dataDir: String = "."

    @Option(help: "Largest request body, in bytes (larger ones get 413).")
    var bodyLimit: Int = 1 << 20

    @Option(help: "Requests per token per minute in every route group (0: no limit); halt and resume are never limited.")
    var rateLimit: Int?

    @Option(help: "Budgets per route group, e.g. reads=600,writes=120,close_all=10 (the defaults; 0: no limit).")
    var rateLimits: String?

    @Option(help: "Seconds a run's loop may go without turning (a hung broker or stream call) before /ready answers 503.")
    var stallLimit: Double = 10

    @Option(help: "Messages a WebSocket listener may fall behind before it is dropped (closed with 1008).")
    var listenerQueue: Int = 1_024

    @Option(help: "MCP sessions held at once; past it, initialize gets 429 until one ends or idles out.")
    var mcpSessions: Int = 64

    @Option(help: "Seconds an MCP session lives without a message.")
    var mcpIdle: Double = 1_800

    @Option(name: .customLong("allow-outbound"), help: ArgumentHelp(
        "A loopback or private host webhooks and brokers may point to, HOST or HOST:PORT (repeatable); public hosts need none.",
        valueName: "host[:port]"))
    var allowOutbound: [String] = []

    @OptionGroup var connections: ConnectionOptions

    func validate() throws {
        if let rateLimit, rateLimit < 0 { throw ValidationError("--rate-limit is at least 0 (0: no limit)") }
        _ = try limits()
        _ = try allowances()
    }

    /// `--allow-outbound` read: a host, an address or either with a port.
    func allowances() throws -> [OutboundPolicy.Allowance] {
        try allowOutbound.map { text in
            guard let allowance = OutboundPolicy.Allowance(text) else {
                throw ValidationError("--allow-outbound is HOST or HOST:PORT (an IPv6 address in brackets: [::1]:9000), not '\(text.prefix(100))'")
            }
            return allowance
        }
    }

    /// The defaults, every group set by --rate-limit, then the groups --rate-limits names.
    func limits() throws -> [RouteGroup: Int] {
        var limits = Dictionary(uniqueKeysWithValues: RouteGroup.allCases.map { ($0, rateLimit ?? $0.defaultLimit) })
        if let rateLimits {
            guard let parsed = RouteGroup.parse(rateLimits) else {
                let names = RouteGroup.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--rate-limits is GROUP=N,... with groups \(names) and N at least 0: reads=600,writes=120,close_all=10")
            }
            limits.merge(parsed) { $1 }
        }
        return limits
    }

    func run() async throws {
        let token: String?
        if insecureDev {
            StandardError.say("WARNING: --insecure-dev: every route is open to anyone who can reach \(host):\(port)")
            token = nil
        } else {
            token = try readToken(file: tokenFile, variable: "KEEL_API_TOKEN", option: "--token-file FILE (or --insecure-dev for development)")
        }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &directory), directory.boolValue else {
            throw ValidationError("--data-dir '\(dataDir)' is not a folder")
        }
        guard stallLimit > 0 else { throw ValidationError("--stall-limit must be more than 0 seconds") }
        guard listenerQueue > 0 else { throw ValidationError("--listener-queue must be at least 1 message") }
        var configuration = KeelService.Configuration(host: host, port: port, databasePath: db, token: token, dataDirectory: dataDir,
                                                      bodyLimit: bodyLimit, rateLimits: try limits(), stallLimit: stallLimit,
                                                      listenerQueue: listenerQueue, connections: try connections.policy())
        configuration.authFailureLimit = try connections.failureLimit()
        guard mcpSessions >= 1, mcpIdle > 0 else { throw ValidationError("--mcp-sessions is at least 1 and --mcp-idle more than 0 seconds") }
        (configuration.mcpSessions, configuration.mcpIdle) = (mcpSessions, .milliseconds(Int(mcpIdle * 1_000)))
        configuration.allowOutbound = try allowances()
        let settled = configuration
        try await serve({ onRunning in try await KeelService.run(settled, onRunning: onRunning) }, host: host)
    }
}

/// Runs a server until it stops; prints `listening on http://HOST:PORT` once it is up.
func serve(_ body: (@escaping @Sendable (Int) -> Void) async throws -> Void, host: String = "127.0.0.1") async throws {
    do {
        try await body { port in FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8)) }
    } catch {
        StandardError.say("the server stopped: \(error)")
        throw Exit.findings
    }
}

/// What one address may cost a server: how long a connection may take to send a request head, how
/// many connections it may hold, how many wrong tokens it may send. The same on both servers.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Seconds from connect to a complete request head (then 408 and closed).")
    var headTimeout: Double = 10

    @Option(help: "Requests with a wrong token one address may send per minute (0: no limit); past it, 429 until the minute ends.")
    var authFailureLimit: Int = 30

    @Option(help: "Connections one address may hold (0: no cap, for a reverse proxy in front); over it, its oldest connection still waiting for a request is closed.")
    var maxConnectionsPerPeer: Int = 64

    /// nil: no limit.
    func failureLimit() throws -> Int? {
        guard authFailureLimit >= 0 else { throw ValidationError("--auth-failure-limit must be 0 (no limit) or more") }
        return authFailureLimit > 0 ? authFailureLimit : nil
    }

    func policy() throws -> ConnectionPolicy {
        guard headTimeout > 0, headTimeout <= 3_600 else { throw ValidationError("--head-timeout must be more than 0 and at most 3600 seconds") }
        guard maxConnectionsPerPeer >= 0 else { throw ValidationError("--max-connections-per-peer must be 0 (no cap) or more") }
        return ConnectionPolicy(headTimeout: .milliseconds(Int64(headTimeout * 1_000)), perPeer: maxConnectionsPerPeer > 0 ? maxConnectionsPerPeer : nil)
    }
}
