import Foundation
import Hummingbird
import HummingbirdTesting
import KeelHTTP
import NIOCore
import Testing

/// A request context as both servers' have: the peer's address (nil in process) and a body limit.
struct TestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    var remoteAddress: SocketAddress? { nil }
    var maxUploadSize: Int { 64 }
}

@Suite("KeelHTTP: bearer auth, JSON answers and body decoding, in process (HummingbirdTesting)")
struct HTTPSupportTests {
    struct Item: Codable, Equatable { var name: String; var size: Int }

    static let token = "s3cret-token"

    func app(token: String? = Self.token, failures: AuthFailures? = nil) -> some ApplicationProtocol {
        let router = Router(context: TestContext.self)
        router.add(middleware: BearerAuth<TestContext>(token: token, queryTokenPaths: ["/ws"], failures: failures,
                                                       neverLocked: { $0 == "/halt" }))
        router.get("health") { _, _ in json(["status": "ok"]) }
        router.get("item") { _, _ in json(Item(name: "a/b", size: 1)) }
        router.get("ws") { _, _ in json(["status": "upgraded"]) }
        router.post("halt") { _, _ in json(["status": "halted"]) }
        router.post("item") { request, context in
            switch try await decode(Item.self, request, context) {
            case .success(let item): json(item, status: .created)
            case .failure(let refusal): refusal.response
            }
        }
        router.get("problems") { _, _ in failure(.unprocessableContent, "invalid", "two problems", detailsJSON: #"[{"line":1},{"line":2}]"#) }
        return Application(router: router)
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    static func error(_ response: TestResponse) throws -> ErrorBody {
        try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
    }

    @Test("a route needs the token; the open path does not; the scheme is case-insensitive; near misses are refused")
    func bearerToken() async throws {
        try await app().test(.router) { client async throws in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/item", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(try Self.error(missing).code == "unauthorized")
            #expect(try await client.execute(uri: "/item", method: .get, headers: Self.bearer(Self.token)).status == .ok)
            let lowercase: HTTPFields = [.authorization: "bearer \(Self.token)"]
            #expect(try await client.execute(uri: "/item", method: .get, headers: lowercase).status == .ok)
            for wrong in ["Bearer \(Self.token)x", "Bearer \(Self.token.dropLast())", "Bearer ", "Basic \(Self.token)", Self.token] {
                let response = try await client.execute(uri: "/item", method: .get, headers: [.authorization: wrong])
                #expect(response.status == .unauthorized, "\(wrong)")
            }
        }
    }

    @Test("?token= opens only the paths that take it (a browser's WebSocket)")
    func queryToken() async throws {
        try await app().test(.router) { client async throws in
            let (right, wrong, elsewhere) = ("/ws?token=\(Self.token)", "/ws?token=wrong", "/item?token=\(Self.token)")
            #expect(try await client.execute(uri: right, method: .get).status == .ok)
            #expect(try await client.execute(uri: wrong, method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: elsewhere, method: .get).status == .unauthorized)
        }
    }

    @Test("past the limit of wrong tokens an address gets 429 with Retry-After, even with the right token, but for the kill switch")
    func wrongTokenLockout() async throws {
        try await app(failures: AuthFailures(limit: 2)).test(.router) { client async throws in
            for _ in 0..<2 { #expect(try await client.execute(uri: "/item", method: .get, headers: Self.bearer("guess")).status == .unauthorized) }
            let locked = try await client.execute(uri: "/item", method: .get, headers: Self.bearer(Self.token))
            #expect(locked.status == .tooManyRequests)
            #expect(try Self.error(locked).code == "too_many_failed_tokens")
            let wait = try #require(locked.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...61).contains(wait))
            #expect(try await client.execute(uri: "/halt", method: .post, headers: Self.bearer(Self.token)).status == .ok)
            #expect(try await client.execute(uri: "/halt", method: .post, headers: Self.bearer("guess")).status == .tooManyRequests)
        }
    }

    @Test("no token configured is open access")
    func openAccess() async throws {
        try await app(token: nil).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/item", method: .get).status == .ok)
        }
    }

    @Test("a JSON body decodes; a missing field, a wrong type and an oversized body are refused with what is wrong")
    func bodies() async throws {
        try await app().test(.router) { client async throws in
            let headers = Self.bearer(Self.token)
            let created = try await client.execute(uri: "/item", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"x","size":2}"#))
            #expect(created.status == .created)
            #expect(try JSONDecoder().decode(Item.self, from: Data(buffer: created.body)) == Item(name: "x", size: 2))

            let missing = try await client.execute(uri: "/item", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"x"}"#))
            #expect(missing.status == .badRequest)
            #expect(try Self.error(missing).code == "invalid_body")
            #expect(try Self.error(missing).message == "the body is not a valid Item: 'size' is missing")

            let mistyped = try await client.execute(uri: "/item", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"x","size":"2"}"#))
            #expect(mistyped.status == .badRequest)
            #expect(try Self.error(mistyped).message.hasPrefix("the body is not a valid Item: size: "))

            let large = try await client.execute(uri: "/item", method: .post, headers: headers,
                                                 body: ByteBuffer(string: #"{"name":""# + String(repeating: "x", count: 100) + #"","size":1}"#))
            #expect(large.status == .contentTooLarge)
            #expect(try Self.error(large).code == "payload_too_large")
            #expect(try Self.error(large).message == "the body is over 64 bytes")
        }
    }

    @Test("answers are JSON with sorted keys and plain slashes; errors carry details as JSON")
    func answers() async throws {
        try await app().test(.router) { client async throws in
            let item = try await client.execute(uri: "/item", method: .get, headers: Self.bearer(Self.token))
            #expect(item.headers[.contentType] == "application/json")
            #expect(String(buffer: item.body) == #"{"name":"a/b","size":1}"#)
            let problems = try await client.execute(uri: "/problems", method: .get, headers: Self.bearer(Self.token))
            #expect(problems.status == .unprocessableContent)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: problems.body)) as? [String: Any])
            #expect(object["code"] as? String == "invalid")
            #expect((object["details"] as? [[String: Int]])?.map { $0["line"] } == [1, 2])
        }
    }

    @Test("the token comparison looks at every byte and never accepts an empty token")
    func constantTimeEquality() {
        let token = Array("abc".utf8)
        #expect(BearerAuth<TestContext>.equal(token, token))
        #expect(!BearerAuth<TestContext>.equal(Array("abd".utf8), token))
        #expect(!BearerAuth<TestContext>.equal(Array("abcd".utf8), token))
        #expect(!BearerAuth<TestContext>.equal([], []))
    }
}
