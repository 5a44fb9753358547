import Foundation
import HTTPTypes
import Hummingbird
import Keel
import KeelEngine
import KeelHTTP
import KeelLanguage
import KeelStore
import NIOCore

/// A Model Context Protocol endpoint at `/mcp` (streamable HTTP transport, JSON-RPC 2.0), behind
/// the same token as every route.
///
/// - **Sessions**: `initialize` opens one and answers its id in `Mcp-Session-Id`; every later
///   message names it (400 without, 404 once it ended or idled out); `DELETE /mcp` ends it. The
///   server holds a bounded number (`keel serve --mcp-sessions`, idle ones evicted after
///   `--mcp-idle`), and answers 429 when all are in use.
/// - **Streams**: a `tools/call` that carries a `progressToken` is answered as an event stream:
///   `notifications/progress` while a backtest reads its bars, then the result. `GET /mcp`
///   opens the session's stream for messages outside a request (Keel sends none yet: it holds
///   the stream with comments and ends it with the session).
/// - **Tools**: strategies, lint, backtests of a stored strategy or of a text, runs, halt and
///   resume, reports.
///
/// Messages are read with Keel's JSON reader, not `JSONSerialization`, which reads many doubles
/// one ulp off: a capital of 100000.1 reaches the backtest as written.
///
/// A small implementation of the spec rather than modelcontextprotocol/swift-sdk (docs/service.md
/// says why): the SDK's server brings its own HTTP transport, where Keel's must sit behind the
/// service's router, token, limits and connection guard.
enum MCP {
    static let protocolVersions = ["2025-06-18", "2025-03-26", "2024-11-05"]
    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!

    /// Sends a progress notification: the share done (0 to 1) and what is being done.
    typealias Progress = @Sendable (Double, String) -> Void

    static func add(to router: Router<ServiceContext>, _ state: ServiceState) {
        router.post("mcp") { request, context in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
                return tooLarge(context.maxUploadSize)
            }
            guard let message = try? JSONReader.foundationObject(body.readableBytesView) else {
                return answer(error(nil, -32700, "parse error: the body is not JSON"), status: .badRequest)
            }
            guard let call = message as? [String: Any], call["jsonrpc"] as? String == "2.0", let method = call["method"] as? String else {
                return answer(error(nil, -32600, "invalid request: a JSON-RPC 2.0 object with a method (batches are not taken)"), status: .badRequest)
            }
            let id = call["id"].flatMap { $0 is String || $0 is NSNumber ? $0 : nil }
            let params = call["params"] as? [String: Any] ?? [:]
            if method == "initialize", let id { return initialize(id, params, state) }
            switch state.mcp.touch(request.headers[sessionHeader]) {
            case .missing:
                return answer(error(id, -32000, "no Mcp-Session-Id header: initialize a session first"), status: .badRequest)
            case .unknown:
                return answer(error(id, -32001, "the session ended or expired: initialize a new one"), status: .notFound)
            case .found: break
            }
            // A notification (no id) is acknowledged without a body.
            guard let id else { return Response(status: .accepted) }
            let token = (params["_meta"] as? [String: Any])?["progressToken"]
            if method == "tools/call", let token, token is String || token is NSNumber {
                return streamed(id: id, token: token, params: params, state)
            }
            return answer(try await handle(method, params, id: id, state, progress: nil))
        }
        router.get("mcp") { request, _ in
            guard request.headers[.accept]?.contains("text/event-stream") == true else {
                return failure(.methodNotAllowed, "method_not_allowed", "GET /mcp opens a session's event stream: send Accept: text/event-stream")
            }
            let session = request.headers[sessionHeader]
            switch state.mcp.touch(session) {
            case .missing: return answer(error(nil, -32000, "no Mcp-Session-Id header: initialize a session first"), status: .badRequest)
            case .unknown: return answer(error(nil, -32001, "the session ended or expired: initialize a new one"), status: .notFound)
            case .found: break
            }
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            let id = session ?? ""
            let holder = Task {
                continuation.yield(ByteBuffer(string: ": keel mcp stream\n\n"))
                var beats = 0
                while state.mcp.isOpen(id), !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    beats += 1
                    if beats % 60 == 0 { continuation.yield(ByteBuffer(string: ": keep-alive\n\n")) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in holder.cancel() }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody(asyncSequence: stream))
        }
        router.delete("mcp") { request, _ in
            guard let session = request.headers[sessionHeader] else {
                return answer(error(nil, -32000, "no Mcp-Session-Id header: name the session to end"), status: .badRequest)
            }
            return state.mcp.close(session) ? Response(status: .noContent)
                : answer(error(nil, -32001, "no such session: it ended or expired"), status: .notFound)
        }
    }

    static func initialize(_ id: Any, _ params: [String: Any], _ state: ServiceState) -> Response {
        let asked = params["protocolVersion"] as? String ?? protocolVersions[0]
        let version = protocolVersions.contains(asked) ? asked : protocolVersions[0]
        guard let session = state.mcp.open(protocolVersion: version) else {
            var response = answer(error(id, -32002, "the server holds \(state.mcp.capacity) MCP sessions, all in use: end one (DELETE /mcp) or try later"),
                                  status: .tooManyRequests)
            response.headers[.retryAfter] = "30"
            return response
        }
        var response = answer(result(id, [
            "protocolVersion": version,
            "capabilities": ["tools": ["listChanged": false]],
            "serverInfo": ["name": "keel", "version": KeelVersion.current],
            "instructions": "Keel runs declarative trading strategies. Lint a strategy's YAML, backtest it (stored or as text) on the server's data, read results and reports, list runs and halt or resume them.",
        ]))
        response.headers[sessionHeader] = session
        return response
    }

    /// A `tools/call` answered as an event stream: its progress notifications, then its result.
    static func streamed(id: Any, token: Any, params: [String: Any], _ state: ServiceState) -> Response {
        // What crosses into the task is JSON text: the request's values are not Sendable.
        let request = (try? JSONSerialization.data(withJSONObject: ["id": id, "token": token, "params": params])) ?? Data("{}".utf8)
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        @Sendable func event(_ message: [String: Any]) -> ByteBuffer {
            let data = (try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            return ByteBuffer(string: "event: message\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n")
        }
        let work = Task {
            let decoded = (try? JSONReader.foundationObject(request) as? [String: Any]) ?? [:]
            let (id, token, params) = (decoded["id"] ?? NSNull(), decoded["token"] ?? NSNull(), decoded["params"] as? [String: Any] ?? [:])
            let tokenData = (try? JSONSerialization.data(withJSONObject: ["t": token])) ?? Data()
            let progress: Progress = { fraction, message in
                let token = (try? JSONReader.foundationObject(tokenData) as? [String: Any])?["t"] ?? NSNull()
                continuation.yield(event(["jsonrpc": "2.0", "method": "notifications/progress",
                                          "params": ["progressToken": token, "progress": fraction, "total": 1.0, "message": message]]))
            }
            let outcome: [String: Any]
            do { outcome = try await handle("tools/call", params, id: id, state, progress: progress) } catch {
                outcome = self.error(id, -32603, "internal error: \(error)")
            }
            continuation.yield(event(outcome))
            continuation.finish()
        }
        continuation.onTermination = { _ in work.cancel() }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody(asyncSequence: stream))
    }

    static func handle(_ method: String, _ params: [String: Any], id: Any, _ state: ServiceState, progress: Progress?) async throws -> [String: Any] {
        switch method {
        case "ping": return result(id, [:])
        case "tools/list": return result(id, ["tools": tools])
        case "tools/call":
            guard let name = params["name"] as? String else { return error(id, -32602, "invalid params: name the tool") }
            let arguments = params["arguments"] as? [String: Any] ?? [:]
            guard let outcome = try await MCPTools.call(name, arguments, state, progress: progress) else {
                return error(id, -32602, "unknown tool '\(name.prefix(64))'")
            }
            switch outcome {
            case .success(let content): return result(id, ["content": [content], "isError": false])
            case .failure(let problem): return result(id, ["content": [["type": "text", "text": problem.message]], "isError": true])
            }
        default: return error(id, -32601, "method not found: \(method.prefix(64))")
        }
    }

    static var tools: [[String: Any]] { MCPTools.list }

    static func result(_ id: Any, _ value: [String: Any]) -> [String: Any] { ["jsonrpc": "2.0", "id": id, "result": value] }

    static func error(_ id: Any?, _ code: Int, _ message: String) -> [String: Any] {
        ["jsonrpc": "2.0", "id": id ?? NSNull(), "error": ["code": code, "message": message]]
    }

    static func answer(_ message: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var response = raw((try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
        response.status = status
        return response
    }
}
