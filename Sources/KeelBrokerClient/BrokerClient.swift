import AsyncHTTPClient
import Foundation
import KeelBroker
import NIOCore
import NIOHTTP1

/// A blocking client for the broker-neutral trading API (`TradingAPI`, docs/trading-api.md), for the runner's single thread.
///
/// Its rules are what keep a live run from doubling an order:
/// - An order submission is never retried blindly. A timeout, a 5xx or a dropped connection
///   answers `.unknown`: the order may or may not exist, and only a query by its client order id
///   (`order(clientOrderId:)`) settles it.
/// - 429 is honoured: the client waits what `Retry-After` says (at most `maxRetryAfter`) and asks
///   again; a 429 means the request was not processed, so asking again is safe.
/// - Reads are idempotent and are retried on timeouts, 5xx and connection errors, with backoff.
package final class BrokerClient: Sendable {
    package enum Failure: Error, CustomStringConvertible, Sendable {
        /// The broker could not be reached or kept failing.
        case unavailable(String)
        /// The broker answered with an error.
        case refused(status: Int, APIError)

        package var description: String {
            switch self {
            case .unavailable(let why): "the broker is unavailable: \(why)"
            case .refused(let status, let body): "the broker refused (\(status) \(body.code)): \(body.message)"
            }
        }
    }

    package enum Submission: Sendable, Equatable {
        /// Placed (201), or placed before and answered again (200): its status may be `REJECTED`.
        case accepted(Order)
        /// Refused for good (400, 422): the order does not exist, or exists as `REJECTED`.
        case rejected(APIError)
        /// Another order under this client id exists (409): query it.
        case duplicate
        /// No answer we can trust: query by client order id before anything else.
        case unknown(String)
    }

    let base: String
    let authorization: String
    let timeout: TimeAmount
    let maxRetryAfter: Double
    let readAttempts: Int
    let http: HTTPClient
    let outbound: OutboundPolicy

    /// - Parameters:
    ///   - timeout: how long one request may take before it counts as unanswered.
    ///   - maxRetryAfter: the longest `Retry-After` honoured, in seconds.
    ///   - outbound: where the URL may lead, checked before every request (a hosted run's `--allow-outbound`).
    package init(baseURL: String, token: String, timeout: Duration = .seconds(5), maxRetryAfter: Double = 30, readAttempts: Int = 4,
                 outbound: OutboundPolicy = .anywhere) {
        self.outbound = outbound
        base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        authorization = "Bearer \(token)"
        self.timeout = .nanoseconds(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.maxRetryAfter = maxRetryAfter
        self.readAttempts = readAttempts
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: self.timeout)
        // A redirect is answered, not followed: an order is never re-sent to a place no check has seen.
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func shutdown() { try? http.syncShutdown() }

    // MARK: Orders

    package func submit(_ order: NewOrder) -> Submission {
        let body: Data
        do { body = try JSONEncoder().encode(order) } catch { return .rejected(APIError(code: "INVALID_BODY", message: "\(error)")) }
        var rateLimited = 0
        while true {
            let answer: Answer
            do { answer = try send(.POST, "/orders", body: body) } catch { return .unknown(error.description) }
            switch answer.status {
            case 200, 201:
                do { return .accepted(try answer.decode(Order.self)) } catch { return .unknown(error.description) }
            case 429 where rateLimited < 5:
                rateLimited += 1
                pause(answer.retryAfter ?? 1)
            case 409: return .duplicate
            case 400, 422: return .rejected(answer.error)
            case 429: return .unknown("still rate limited after \(rateLimited) waits")
            default: return .unknown("HTTP \(answer.status): \(answer.error.message)")
            }
        }
    }

    /// The order with this client id, working or final, or nil when the broker has none.
    package func order(clientOrderId: String) throws(Failure) -> Order? {
        let id = escape(clientOrderId)
        let open: [Order] = try read("/orders?client_order_id=\(id)")
        if let found = open.first { return found }
        let done: [Order] = try read("/orders/history?client_order_id=\(id)")
        return done.first
    }

    /// The working orders (pending, open, partially filled), newest first.
    package func openOrders() throws(Failure) -> [Order] { try read("/orders?limit=5000") }

    /// Cancels an order and its working legs; nil when nothing of it was working.
    package func cancel(orderId: String) throws(Failure) -> Order? {
        let answer = try attempt { () throws(Failure) in try self.send(.DELETE, "/orders/\(self.escape(orderId))") }
        switch answer.status {
        case 200: return try? answer.decode(Cancellation.self).order
        case 409: return nil
        default: throw .refused(status: answer.status, answer.error)
        }
    }

    // MARK: Account

    package func positions() throws(Failure) -> [Position] { try read("/positions") }

    package func position(_ symbol: String) throws(Failure) -> Position? {
        let held: [Position] = try read("/positions?symbol=\(escape(symbol))")
        return held.first
    }

    /// Trades after the one named, oldest first, up to 1,000.
    package func trades(after cursor: String?) throws(Failure) -> [Trade] {
        try read("/trades?order=asc&limit=1000" + (cursor.map { "&after=\(escape($0))" } ?? ""))
    }

    package func account() throws(Failure) -> Account { try read("/account") }

    // MARK: Transport

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        func decode<T: Decodable>(_ type: T.Type) throws(Failure) -> T {
            do { return try JSONDecoder().decode(type, from: body) } catch {
                throw .unavailable("an answer that is not a \(type): \(String(decoding: body.prefix(200), as: UTF8.self))")
            }
        }

        var error: APIError {
            (try? JSONDecoder().decode(APIError.self, from: body))
                ?? APIError(code: "HTTP_\(status)", message: String(decoding: body.prefix(200), as: UTF8.self))
        }

        var retryAfter: Double? { headers.first(name: "retry-after").flatMap(Double.init) }
    }

    private func read<T: Decodable>(_ path: String) throws(Failure) -> T {
        let answer = try attempt { () throws(Failure) in try self.send(.GET, path) }
        guard answer.status == 200 else { throw .refused(status: answer.status, answer.error) }
        return try answer.decode(T.self)
    }

    /// Retries an idempotent request on no answer, a 5xx or a 429, with backoff from 0.2 s.
    private func attempt(_ request: () throws(Failure) -> Answer) throws(Failure) -> Answer {
        var delay = 0.2
        var last = Failure.unavailable("no attempt")
        for _ in 0..<readAttempts {
            do {
                let answer = try request()
                if answer.status == 429 {
                    pause(answer.retryAfter ?? delay)
                    last = .refused(status: 429, answer.error)
                } else if answer.status >= 500 {
                    last = .refused(status: answer.status, answer.error)
                    pause(delay)
                } else {
                    return answer
                }
            } catch {
                last = error
                pause(delay)
            }
            delay = min(delay * 2, 5)
        }
        throw last
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) throws(Failure) -> Answer {
        let target: (url: String, host: String?)
        do throws(OutboundPolicy.Refusal) { target = try outbound.pinned(base + path, what: "the broker's url") } catch {
            throw .unavailable("\(method) \(path): \(error.rule)")
        }
        do {
            var headers = HTTPHeaders([("Authorization", authorization), ("Accept", "application/json")])
            if let host = target.host { headers.add(name: "Host", value: host) }
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            let request = try HTTPClient.Request(url: target.url, method: method, headers: headers, body: body.map { .data($0) })
            let response = try http.execute(request: request, deadline: .now() + timeout).wait()
            let bytes = response.body.map { Data($0.readableBytesView) } ?? Data()
            return Answer(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch {
            throw .unavailable("\(method) \(path): \(error)")
        }
    }

    private func pause(_ seconds: Double) {
        Thread.sleep(forTimeInterval: min(max(seconds, 0), maxRetryAfter))
    }

    private func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
