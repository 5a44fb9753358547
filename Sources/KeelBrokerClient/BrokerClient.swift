import AsyncHTTPClient
import Foundation
import KeelBroker
import NIOCore
import NIOHTTP1

/// A blocking client for the trading API (`BrokerAPI`), for the runner's single thread.
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
        case refused(status: Int, BrokerErrorBody)

        package var description: String {
            switch self {
            case .unavailable(let why): "the broker is unavailable: \(why)"
            case .refused(let status, let body): "the broker refused (\(status) \(body.code)): \(body.message)"
            }
        }
    }

    package enum Submission: Sendable, Equatable {
        case accepted(BrokerOrder)
        /// Refused for good (422): the order does not exist, or exists as `rejected`.
        case rejected(BrokerErrorBody)
        /// An order with this client id exists already (409): query it.
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

    /// - Parameters:
    ///   - timeout: how long one request may take before it counts as unanswered.
    ///   - maxRetryAfter: the longest `Retry-After` honoured, in seconds.
    package init(baseURL: String, token: String, timeout: Duration = .seconds(5), maxRetryAfter: Double = 30, readAttempts: Int = 4) {
        base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        authorization = "Bearer \(token)"
        self.timeout = .nanoseconds(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.maxRetryAfter = maxRetryAfter
        self.readAttempts = readAttempts
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: self.timeout)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func shutdown() { try? http.syncShutdown() }

    // MARK: Orders

    package func submit(_ order: OrderRequest) -> Submission {
        let body: Data
        do { body = try JSONEncoder().encode(order) } catch { return .rejected(BrokerErrorBody(code: "invalid_order", message: "\(error)")) }
        var rateLimited = 0
        while true {
            let answer: Answer
            do { answer = try send(.POST, "/v2/orders", body: body) } catch { return .unknown(error.description) }
            switch answer.status {
            case 200, 201:
                do { return .accepted(try answer.decode(BrokerOrder.self)) } catch { return .unknown(error.description) }
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

    /// The order with this client id, or nil when the broker has none.
    package func order(clientOrderId: String) throws(Failure) -> BrokerOrder? {
        let found: [BrokerOrder] = try read("/v2/orders?status=all&client_order_id=\(escape(clientOrderId))")
        return found.first
    }

    package func orders(_ status: String = "open") throws(Failure) -> [BrokerOrder] { try read("/v2/orders?status=\(status)") }

    /// Cancels an order and its legs; nil when it was already filled or cancelled.
    package func cancel(orderId: String) throws(Failure) -> BrokerOrder? {
        let answer = try attempt { () throws(Failure) in try self.send(.DELETE, "/v2/orders/\(self.escape(orderId))") }
        switch answer.status {
        case 200: return try? answer.decode(BrokerOrder.self)
        case 422: return nil
        default: throw .refused(status: answer.status, answer.error)
        }
    }

    // MARK: Account

    package func positions() throws(Failure) -> [BrokerPosition] { try read("/v2/positions") }

    package func position(_ symbol: String) throws(Failure) -> BrokerPosition? {
        let answer = try attempt { () throws(Failure) in try self.send(.GET, "/v2/positions/\(self.escape(symbol))") }
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw .refused(status: answer.status, answer.error) }
        do { return try answer.decode(BrokerPosition.self) } catch { throw .unavailable(error.description) }
    }

    /// Fills after the one named, oldest first.
    package func fills(after cursor: String?) throws(Failure) -> [BrokerFill] {
        try read("/v2/fills" + (cursor.map { "?after=\(escape($0))" } ?? ""))
    }

    package func account() throws(Failure) -> BrokerAccount { try read("/v2/account") }

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

        var error: BrokerErrorBody {
            (try? JSONDecoder().decode(BrokerErrorBody.self, from: body))
                ?? BrokerErrorBody(code: "http_\(status)", message: String(decoding: body.prefix(200), as: UTF8.self))
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
        do {
            var headers = HTTPHeaders([("Authorization", authorization), ("Accept", "application/json")])
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            let request = try HTTPClient.Request(url: base + path, method: method, headers: headers, body: body.map { .data($0) })
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
