import AsyncHTTPClient
import Foundation

/// Where the server may call out to: webhooks, brokers' trading APIs and event streams. A URL a client gives could
/// name the server's own loopback ports, the private network behind it or a cloud's metadata
/// address (169.254.169.254); those are refused unless the operator lists the host with
/// `keel serve --allow-outbound HOST[:PORT]`. Public addresses are allowed.
///
/// A name is resolved first and every address it resolves to is checked, at registration and again
/// before every request and every redirect hop, so a name that later resolves elsewhere is caught
/// at the next call (docs/security.md says what is left: a resolver that answers differently
/// between the check and the connection made right after it).
package struct OutboundPolicy: Sendable {
    /// A host the operator allows, on one port or on every port.
    package struct Allowance: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int?

        package init(host: String, port: Int? = nil) { (self.host, self.port) = (Self.normalized(host), port) }

        /// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`; nil for anything else.
        package init?(_ text: String) {
            var host = Substring(text), port: Int?
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { return nil }
                let rest = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
                    port = p
                }
            } else if let colon = host.lastIndex(of: ":") {
                guard host.firstIndex(of: ":") == colon, let p = Int(host[host.index(after: colon)...]) else { return nil }
                port = p
                host = host[..<colon]
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }), port.map({ (1...65_535).contains($0) }) ?? true
            else { return nil }
            self.init(host: String(host), port: port)
        }

        package var description: String {
            let shown = host.contains(":") ? "[\(host)]" : host
            return port.map { "\(shown):\($0)" } ?? shown
        }

        static func normalized(_ host: String) -> String {
            var host = host.lowercased()
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return host.hasSuffix(".") ? String(host.dropLast()) : host
        }

        func admits(_ host: String, _ port: Int) -> Bool { self.host == host && (self.port == nil || self.port == port) }
    }

    /// Why a URL is refused: the rule it broke, as a sentence a client can act on.
    package struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        package var rule: String
        package var description: String { rule }
    }

    package var allowed: [Allowance]
    /// Resolves a host to its addresses (textual, as `inet_ntop` writes them); the system's resolver by default.
    package var resolve: @Sendable (String) -> [String]

    package init(allowed: [Allowance] = [], resolve: @escaping @Sendable (String) -> [String] = OutboundPolicy.systemResolve) {
        (self.allowed, self.resolve) = (allowed, resolve)
    }

    /// Loopback and private ranges refused, public addresses allowed, nothing listed.
    package static let `default` = OutboundPolicy()

    /// Everything allowed: the CLI's own `keel run --broker URL`, where the operator typed the URL.
    package static let anywhere = OutboundPolicy(allowed: [Allowance(host: "*")])

    /// Checks `url` (what it names, then every address its host resolves to); `what` names it in
    /// the refusal ("webhook", "the broker's url"). Returns the first address of a name it
    /// resolved, nil when it resolved none (an address, or a host the operator listed by name).
    @discardableResult
    package func check(_ url: String, what: String) throws(Refusal) -> String? {
        let ports = ["http": 80, "https": 443, "ws": 80, "wss": 443]
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ports[scheme] != nil || scheme == "tcp",
              let rawHost = parsed.host, !rawHost.isEmpty, let port = parsed.port ?? ports[scheme] else {
            throw Refusal(rule: "\(what) is an http:// or https:// URL with a host")
        }
        let host = Allowance.normalized(rawHost)
        if allowed.contains(where: { $0.host == "*" || $0.admits(host, port) }) { return nil }
        let literal = Self.literal(host)
        let addresses = literal.map { [$0] } ?? resolve(host)
        guard !addresses.isEmpty else { throw Refusal(rule: "\(what)'s host \(host.prefix(200)) does not resolve to an address") }
        for address in addresses {
            guard let range = Self.specialRange(address) else { continue }
            if allowed.contains(where: { $0.admits(address, port) }) { continue }
            let resolved = address == host ? "" : " resolves to \(address), which"
            let listed = Allowance(host: host, port: port)
            throw Refusal(rule: """
                \(what) \(url.prefix(200))\(resolved) is \(range.article) \(range.name) address (\(range.block)): the server calls no loopback, \
                private, link-local or reserved address unless it is started with --allow-outbound \(listed)
                """)
        }
        return literal == nil ? addresses.first : nil
    }

    /// The rule `url` breaks, or nil when it may be called.
    package func refusal(_ url: String, what: String) -> String? {
        do throws(Refusal) { _ = try check(url, what: what) } catch { return error.rule }
        return nil
    }

    /// `url` checked and, for plain `http://` to a name, pinned: the address it was judged at in
    /// place of the name, and the name for the `Host` header. The client then connects where the
    /// check looked, so a resolver that answers otherwise a moment later is not asked again.
    /// (`https://` keeps its name: the certificate check needs it, and binds the connection to it.)
    package func pinned(_ url: String, what: String) throws(Refusal) -> (url: String, host: String?) {
        guard let address = try check(url, what: what), var parts = URLComponents(string: url), parts.scheme?.lowercased() == "http",
              let name = parts.host else { return (url, nil) }
        let host = parts.port.map { "\(name):\($0)" } ?? name
        parts.host = address.contains(":") ? "[\(address)]" : address
        return (parts.string ?? url, host)
    }

    /// A request for `url`, pinned as `pinned` says (the name in its `Host` header), or the rule it breaks.
    package func request(_ url: String, what: String) -> Result<HTTPClientRequest, Refusal> {
        do throws(Refusal) {
            let target = try pinned(url, what: what)
            var request = HTTPClientRequest(url: target.url)
            if let host = target.host { request.headers.add(name: "Host", value: host) }
            return .success(request)
        } catch { return .failure(error) }
    }

    /// `host` when it is an IP address already (the text `URL` gives for `[::1]` is `::1`).
    static func literal(_ host: String) -> String? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return host }
        return nil
    }

    package static let systemResolve: @Sendable (String) -> [String] = { host in
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ai_next }) {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch entry.pointee.ai_family {
            case AF_INET:
                var a = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            case AF_INET6:
                var a = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            default: continue
            }
            addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return addresses
    }

    package struct Range {
        package var name: String
        package var block: String
        var article: String { "aeiou".contains(name.first ?? "x") ? "an" : "a" }
    }

    /// The reserved block an address falls in, or nil for a public one. IPv4 inside IPv6
    /// (`::ffff:127.0.0.1`, NAT64's `64:ff9b::/96`) is judged by its IPv4 address.
    package static func specialRange(_ address: String) -> Range? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return v4Range(UInt32(bigEndian: v4.s_addr)) }
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return Range(name: "unparsable", block: address) }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        let zeros10 = b[0..<10].allSatisfy { $0 == 0 }
        let tail = UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15])
        if zeros10, b[10] == 0xff, b[11] == 0xff { return v4Range(tail) }
        if b[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return v4Range(tail) }
        if b[0..<15].allSatisfy({ $0 == 0 }) {
            return b[15] == 1 ? Range(name: "loopback", block: "::1/128") : b[15] == 0 ? Range(name: "unspecified", block: "::/128")
                : Range(name: "IPv4-compatible", block: "::/96")
        }
        if b[0] & 0xfe == 0xfc { return Range(name: "unique local (private)", block: "fc00::/7") }
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return Range(name: "link-local", block: "fe80::/10") }
        if b[0] == 0xff { return Range(name: "multicast", block: "ff00::/8") }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return Range(name: "documentation", block: "2001:db8::/32") }
        return nil
    }

    /// IPv4's special-purpose blocks (RFC 6890) that a server must not be sent to by a client.
    static let v4Blocks: [(base: UInt32, bits: UInt32, name: String, block: String)] = [
        (0x0000_0000, 8, "this-network", "0.0.0.0/8"), (0x0A00_0000, 8, "private", "10.0.0.0/8"),
        (0x6440_0000, 10, "shared (carrier-grade NAT)", "100.64.0.0/10"), (0x7F00_0000, 8, "loopback", "127.0.0.0/8"),
        (0xA9FE_0000, 16, "link-local (cloud metadata)", "169.254.0.0/16"), (0xAC10_0000, 12, "private", "172.16.0.0/12"),
        (0xC000_0000, 24, "IETF protocol", "192.0.0.0/24"), (0xC000_0200, 24, "documentation", "192.0.2.0/24"),
        (0xC0A8_0000, 16, "private", "192.168.0.0/16"), (0xC612_0000, 15, "benchmarking", "198.18.0.0/15"),
        (0xC633_6400, 24, "documentation", "198.51.100.0/24"), (0xCB00_7100, 24, "documentation", "203.0.113.0/24"),
        (0xE000_0000, 4, "multicast", "224.0.0.0/4"), (0xF000_0000, 4, "reserved", "240.0.0.0/4"),
    ]

    static func v4Range(_ address: UInt32) -> Range? {
        for block in v4Blocks where address >> (32 - block.bits) == block.base >> (32 - block.bits) {
            return Range(name: block.name, block: block.block)
        }
        return nil
    }
}
