import Foundation
import KeelBrokerClient
import KeelStore
import KeelTestSupport
import Synchronization
import Testing
@testable import KeelService

/// Where webhooks and brokers may point: loopback, private, link-local and reserved addresses are
/// refused unless the operator lists them (`--allow-outbound`), after DNS and on every redirect hop.
@Suite("Outbound URLs", .serialized)
struct OutboundTests {
    typealias Server = ServiceTests.Server

    @Test("every special-purpose block is refused, IPv4 inside IPv6 too; public addresses pass")
    func ranges() {
        let refused = ["127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                       "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fd00:ec2::254",
                       "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2001:db8::1"]
        for address in refused { #expect(OutboundPolicy.specialRange(address) != nil, "\(address)") }
        for address in ["8.8.8.8", "93.184.216.34", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            #expect(OutboundPolicy.specialRange(address) == nil, "\(address)")
        }
        #expect(OutboundPolicy.specialRange("169.254.169.254")?.block == "169.254.0.0/16")
    }

    @Test("names, decimal and hex spellings of loopback are resolved before they are judged")
    func resolved() {
        let policy = OutboundPolicy.default
        for url in ["http://localhost:9/x", "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://[::1]:8080/", "https://[::ffff:7f00:1]/",
                    "http://169.254.169.254/latest/meta-data/", "http://LOCALHOST./"] {
            #expect(policy.refusal(url, what: "webhook") != nil, "\(url)")
        }
        #expect(policy.refusal("ftp://example.com/", what: "webhook") == "webhook is an http:// or https:// URL with a host")
        #expect(policy.refusal("http://93.184.216.34:8080/hook", what: "webhook") == nil)
    }

    @Test("--allow-outbound HOST[:PORT] lists a host by name or address, on one port or all; its text is checked")
    func allowances() throws {
        #expect(OutboundPolicy.Allowance("127.0.0.1") == .init(host: "127.0.0.1"))
        #expect(OutboundPolicy.Allowance("LocalHost:9000") == .init(host: "localhost", port: 9000))
        #expect(OutboundPolicy.Allowance("[::1]:8080") == .init(host: "::1", port: 8080))
        #expect(OutboundPolicy.Allowance("[::1]")?.description == "[::1]")
        for bad in ["", "a:b:c", "host:0", "host:99999", "http://x", "host:", "[::1", "two words"] {
            #expect(OutboundPolicy.Allowance(bad) == nil, "\(bad)")
        }
        let port = OutboundPolicy(allowed: [.init(host: "127.0.0.1", port: 9000)])
        #expect(port.refusal("http://127.0.0.1:9000/x", what: "webhook") == nil)
        #expect(port.refusal("http://127.0.0.1:9001/x", what: "webhook") != nil)
        let name = OutboundPolicy(allowed: [.init(host: "localhost")])
        #expect(name.refusal("http://localhost:5/", what: "webhook") == nil)
        // The refusal says which rule and what to start the server with.
        let rule = try #require(OutboundPolicy.default.refusal("http://localhost:9/x", what: "webhook"))
        #expect(rule.contains("resolves to") && rule.contains("loopback") && rule.contains("--allow-outbound localhost:9"), "\(rule)")
    }

    @Test("a name checked again at each call: one that resolved to a public address and now to a private one is refused")
    func rebinding() {
        let calls = Mutex(0)
        let policy = OutboundPolicy(resolve: { _ in calls.withLock { $0 += 1; return $0 == 1 ? ["93.184.216.34"] : ["10.0.0.7"] } })
        #expect(policy.refusal("http://hooks.example/x", what: "webhook") == nil)
        let later = policy.refusal("http://hooks.example/x", what: "webhook")
        #expect(later?.contains("resolves to 10.0.0.7") == true && later?.contains("10.0.0.0/8") == true, "\(later ?? "")")
        // A name that resolves to both is refused: the connection could take either.
        let both = OutboundPolicy(resolve: { _ in ["93.184.216.34", "127.0.0.1"] })
        #expect(both.refusal("http://mixed.example/", what: "webhook") != nil)
    }

    /// Delivers one webhook to `path` on the callbacks listener under the name `hooks.test`, which
    /// no DNS knows: only `resolve` says where it is. Returns the delivery as stored.
    func deliver(_ path: String, resolve: @escaping @Sendable (String) -> [String], _ callbacks: RunServiceTests.Callbacks) async throws -> WebhookDelivery {
        let port = callbacks.url.split(separator: ":").last!.split(separator: "/").first!
        let policy = OutboundPolicy(allowed: [.init(host: "127.0.0.1")], resolve: resolve)
        let store = try KeelStore(path: try KeelBinary.temporaryFolder().appendingPathComponent("w.db").path)
        let webhooks = Webhooks(store: store, clock: .system, attempts: 1, outbound: policy)
        let delivering = Task { await webhooks.run() }
        defer { delivering.cancel() }
        webhooks.send(to: "http://hooks.test:\(port)/\(path)", event: "backtest.completed", subject: "bt_1", data: ["ok": true])
        try await RunServiceTests.eventually("the delivery settled") { try store.deliveries().first?.status != "pending" }
        return try #require(try store.deliveries().first)
    }

    @Test("a plain-http webhook connects to the address its check judged (pinned, Host kept): a name no DNS knows is delivered")
    func pinned() async throws {
        let callbacks = RunServiceTests.Callbacks(failures: 0)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        let delivery = try await deliver("hook", resolve: { _ in ["127.0.0.1"] }, callbacks)
        #expect(delivery.status == "delivered", "\(delivery.lastError ?? "")")
        #expect(callbacks.received.map(\.event) == ["backtest.completed"])
        let (url, host) = try OutboundPolicy(resolve: { _ in ["93.184.216.34"] }).pinned("http://hooks.example:8080/x?y=1", what: "webhook")
        #expect(url == "http://93.184.216.34:8080/x?y=1" && host == "hooks.example:8080")
        // https keeps its name, for the certificate check.
        #expect(try OutboundPolicy(resolve: { _ in ["93.184.216.34"] }).pinned("https://hooks.example/x", what: "webhook").host == nil)
    }

    @Test("a webhook's redirect hop is checked again: a same-host 307 whose name now resolves to a private address is not followed")
    func redirectHop() async throws {
        let callbacks = RunServiceTests.Callbacks(failures: 0)
        let listener = try await callbacks.start()
        defer { listener.stop() }
        let calls = Mutex(0)
        // The first hop's name resolves to the listed loopback address; the redirect's, to 10.0.0.7.
        let delivery = try await deliver("temporary", resolve: { _ in calls.withLock { $0 += 1; return $0 == 1 ? ["127.0.0.1"] : ["10.0.0.7"] } }, callbacks)
        #expect(delivery.status == "failed")
        #expect(delivery.lastError?.contains("resolves to 10.0.0.7") == true, "\(delivery.lastError ?? "")")
        #expect(callbacks.received.isEmpty)
        #expect(calls.withLock { $0 } == 2)
    }

    @Test("keel serve answers 422 naming the rule for a broker at the metadata address and a webhook on loopback; --allow-outbound lists one port")
    func served() throws {
        let server = try Server(environment: ["KEEL_SECRET_KEY": LiveServiceTests.key], outbound: ["--allow-outbound", "127.0.0.1:9"])
        defer { server.process.stop() }
        let (status, refusal) = try server.object("POST", "/v1/brokers", ServiceTests.body(["name": "meta", "url": "http://169.254.169.254/latest",
                                                                                            "credentials": ["token": "t"]]))
        #expect(status == 422 && refusal["code"] as? String == "outbound_refused")
        let message = refusal["message"] as? String ?? ""
        #expect(message.contains("link-local") && message.contains("169.254.0.0/16") && message.contains("--allow-outbound 169.254.169.254:80"), "\(message)")
        let strategy = try server.create("S1")
        for (port, expected) in [(9, 202), (10, 422)] {
            let (answer, body) = try server.object("POST", "/v1/backtests", ServiceTests.body(["strategy_id": strategy, "data": ["ORCL": "ORCL.csv"],
                                                                                              "webhook": "http://127.0.0.1:\(port)/x"]))
            #expect(answer == expected, "port \(port): \(body)")
            if expected == 422 { #expect((body["message"] as? String)?.contains("127.0.0.0/8") == true) }
        }
        let (run, runBody) = try server.object("POST", "/v1/runs", ServiceTests.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:9",
                                                                                      "symbols": ["ORCL"], "bar_seconds": 86_400, "webhook": "http://10.0.0.1/x"]))
        #expect(run == 422 && runBody["code"] as? String == "outbound_refused", "\(runBody)")
        // A stream is a connection the server makes too: tcp:// and ws:// to an unlisted private port are refused.
        let (stream, streamBody) = try server.object("POST", "/v1/runs", ServiceTests.body(["strategy_id": strategy, "stream": "tcp://127.0.0.1:6379",
                                                                                            "symbols": ["ORCL"], "bar_seconds": 86_400]))
        #expect(stream == 422 && (streamBody["message"] as? String)?.contains("stream tcp://127.0.0.1:6379 is a loopback address") == true, "\(streamBody)")
        // A refused --allow-outbound value stops the server before it starts.
        let bad = try KeelBinary.run(["serve", "--db", "unused.db", "--allow-outbound", "http://x", "--insecure-dev"])
        #expect(bad.status == 64 && bad.stderr.contains("--allow-outbound is HOST or HOST:PORT"), "\(bad.stderr)")
    }
}
