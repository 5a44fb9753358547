import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// What Keel's two HTTP servers (the paper broker and `keel serve`) share: bearer auth compared
/// in constant time, JSON answers, and errors as `{"code", "message", "details"?}`.

/// Every route but the open ones needs `Authorization: Bearer TOKEN`. A nil token is open access
/// (`keel serve --insecure-dev`), which the caller announces.
package struct BearerAuth<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let token: [UInt8]?
    let open: Set<String>
    /// Paths that also take `?token=`: a browser's WebSocket cannot send headers.
    let queryTokenPaths: Set<String>
    /// Wrong tokens counted per address; nil is no limit.
    let failures: AuthFailures?
    /// Paths the right token always opens, even from an address locked out (the kill switch).
    let neverLocked: @Sendable (String) -> Bool

    package init(token: String?, openPaths: Set<String> = ["/health"], queryTokenPaths: Set<String> = [], failures: AuthFailures? = nil,
                neverLocked: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.token = token.map { Array($0.utf8) }
        open = openPaths
        self.queryTokenPaths = queryTokenPaths
        (self.failures, self.neverLocked) = (failures, neverLocked)
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !open.contains(request.uri.path) else { return try await next(request, context) }
        let right = Self.equal(presented(request), token)
        let peer = context.remoteAddress?.ipAddress ?? ""
        if let failures, let wait = failures.lockout(peer), !(right && neverLocked(request.uri.path)) {
            var response = failure(.tooManyRequests, "too_many_failed_tokens", """
                more than \(failures.limit) requests with a wrong token from this address in \(failures.window.components.seconds) s; \
                try again in \(wait) s
                """)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard right else {
            failures?.record(peer)
            return failure(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN")
        }
        return try await next(request, context)
    }

    func presented(_ request: Request) -> [UInt8] {
        if request.headers[.authorization] == nil, queryTokenPaths.contains(request.uri.path), let query = request.uri.queryParameters["token"] {
            return Array(query.utf8)
        }
        return Self.bearer(request)
    }

    static func bearer(_ request: Request) -> [UInt8] {
        let header = request.headers[.authorization] ?? ""
        // The scheme is case-insensitive (RFC 9110 section 11.1): "bearer TOKEN" is the same as "Bearer TOKEN".
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return [] }
        return Array(header.utf8.dropFirst(7))
    }

    /// Compares every byte whatever the lengths, so the time taken says nothing about the token.
    package static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0 && !b.isEmpty
    }
}

/// Requests with a wrong token, counted per address in fixed windows: past `limit` in `window`,
/// the address gets 429 for every request that needs a token until the window ends. A token
/// cannot be guessed at that pace, and a flood of wrong ones costs the server little.
package final class AuthFailures: Sendable {
    package let limit: Int
    package let window: Duration
    private let windows = Mutex<[String: (start: ContinuousClock.Instant, count: Int)]>([:])

    package init(limit: Int, window: Duration = .seconds(60)) { (self.limit, self.window) = (limit, window) }

    /// Seconds until the address may try again, or nil when it is not locked out.
    func lockout(_ peer: String, now: ContinuousClock.Instant = .now) -> Int? {
        windows.withLock { windows in
            guard let w = windows[peer], now - w.start < window, w.count >= limit else { return nil }
            return max(1, Int(((w.start + window) - now) / .seconds(1)) + 1)
        }
    }

    func record(_ peer: String, now: ContinuousClock.Instant = .now) {
        windows.withLock { windows in
            var w = windows[peer] ?? (now, 0)
            if now - w.start >= window { w = (now, 0) }
            w.count += 1
            windows[peer] = w
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
        }
    }
}

package func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
    raw(Data(encode(value).utf8), status: status)
}

/// An HTML page (a report), UTF-8.
package func htmlResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A body already encoded as JSON.
package func raw(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

package struct ErrorBody: Codable, Sendable {
    package var code: String
    package var message: String
}

package func failure(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
    json(ErrorBody(code: code, message: message), status: status)
}

/// An error whose `details` is JSON already (diagnostics, a list of problems).
package func failure(_ status: HTTPResponse.Status, _ code: String, _ message: String, detailsJSON: String) -> Response {
    raw(Data((encode(ErrorBody(code: code, message: message)).dropLast() + ",\"details\":" + detailsJSON + "}").utf8), status: status)
}

/// JSON text with sorted keys and plain slashes, as every answer has.
package func encode<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
}

package struct ResponseError: Error {
    package let response: Response
    /// What the answer says, for callers that are not HTTP clients (MCP).
    package let message: String
    package init(_ response: Response, message: String = "") { (self.response, self.message) = (response, message) }

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.init(failure(status, code, message), message: message)
    }
}

/// A JSON body, or the answer that refuses it: 413 over the context's limit, 400 with what is wrong.
package func decode<T: Decodable, Context: RequestContext>(_ type: T.Type, _ request: Request, _ context: Context) async throws -> Result<T, ResponseError> {
    let body: ByteBuffer
    do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
        return .failure(ResponseError(tooLarge(context.maxUploadSize)))
    }
    do { return .success(try JSONDecoder().decode(type, from: Data(buffer: body))) } catch {
        return .failure(ResponseError(failure(.badRequest, "invalid_body", "the body is not a valid \(type): \(describe(error))")))
    }
}

/// A decoding error as a user reads it: which field, what was wrong.
package func describe(_ error: Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, _)?: "'\(key.stringValue)' is missing"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
        "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    default: "\(error)"
    }
}

package func tooLarge(_ limit: Int) -> Response {
    failure(.contentTooLarge, "payload_too_large", "the body is over \(limit) bytes")
}

extension Duration {
    package var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
