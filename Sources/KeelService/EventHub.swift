import Foundation
import KeelData
import KeelEngine
import KeelHTTP
import KeelStore
import Synchronization

/// Fans a run's commits out to the WebSocket listeners of `/v1/ws`. Publishing never waits: each
/// listener has a bounded queue, and one that falls `capacity` messages behind is dropped (its
/// socket is closed) rather than allowed to stall the runner that publishes.
final class EventHub: Sendable {
    struct Listener {
        /// nil listens to every run.
        let run: String?
        let queue: AsyncStream<String>.Continuation
    }

    private struct State {
        var listeners: [Int: Listener] = [:]
        var nextId = 0
    }

    let capacity: Int
    private let state = Mutex(State())
    private let published = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)

    init(capacity: Int = 1_024) { self.capacity = capacity }

    /// A new listener's messages; `stop` ends them when the socket closes.
    func listen(run: String?) -> (messages: AsyncStream<String>, stop: @Sendable () -> Void) {
        let (stream, queue) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        let id = state.withLock { state in
            defer { state.nextId += 1 }
            state.listeners[state.nextId] = Listener(run: run, queue: queue)
            return state.nextId
        }
        return (stream, { [weak self] in self?.remove(id) })
    }

    private func remove(_ id: Int) {
        let listener = state.withLock { $0.listeners.removeValue(forKey: id) }
        listener?.queue.finish()
    }

    var listenerCount: Int { state.withLock { $0.listeners.count } }
    var publishedCount: Int { published.load(ordering: .relaxed) }
    var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Called on the runner's thread after each commit.
    func publish(run: String, _ batch: Batch) {
        // Nobody listening: nothing to encode (a run commits often, and most of the time no one watches).
        guard state.withLock({ $0.listeners.values.contains { $0.run == nil || $0.run == run } }) else { return }
        let messages = Self.messages(run: run, batch)
        guard !messages.isEmpty else { return }
        published.add(messages.count, ordering: .relaxed)
        var slow: [Int] = []
        state.withLock { state in
            for (id, listener) in state.listeners where listener.run == nil || listener.run == run {
                for message in messages {
                    if case .dropped = listener.queue.yield(message) {
                        slow.append(id)
                        break
                    }
                }
            }
        }
        for id in slow {
            dropped.add(1, ordering: .relaxed)
            remove(id)
        }
    }

    struct Message<Payload: Encodable>: Encodable {
        var type: String
        var runId: String
        var data: Payload

        enum CodingKeys: String, CodingKey {
            case type, data
            case runId = "run_id"
        }
    }

    /// One message per order change, fill, signal and risk event, in that order, then the portfolio
    /// after the batch.
    static func messages(run: String, _ batch: Batch) -> [String] {
        func message(_ type: String, _ payload: some Encodable) -> String { encode(Message(type: type, runId: run, data: payload)) }
        var out: [String] = []
        for change in batch.orders {
            switch change {
            case .placed(let order): out.append(message("order", order))
            case .status(let id, let status, let quantity, let time, let reason):
                out.append(message("order", OrderUpdate(clientOrderId: id, status: status, quantity: quantity, updatedTime: time, reason: reason)))
            }
        }
        out += batch.fills.map { message("fill", $0) }
        out += batch.decisions.map { message("signal", $0) }
        out += batch.riskEvents.map { message("risk_event", $0) }
        if let summary = batch.summary, let positions = batch.positions {
            out.append(message("portfolio_update", Portfolio(summary: summary, positions: positions, status: batch.status)))
        }
        return out
    }

    struct OrderUpdate: Encodable {
        var clientOrderId: String
        var status: String
        var quantity: Double?
        var updatedTime: Int64
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case status, quantity, reason
            case clientOrderId = "client_order_id", updatedTime = "updated_time"
        }
    }
}

/// A run's portfolio: its summary figures (equity, return, metrics) and open positions.
struct Portfolio: Encodable {
    /// The run's summary as stored: a flat JSON object of numbers.
    var summary: String
    var positions: [BacktestResult.OpenPosition]
    var status: String?

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        let figures = (try? JSONDecoder().decode([String: Figure].self, from: Data(summary.utf8))) ?? [:]
        for (name, figure) in figures { try c.encode(figure, forKey: JSONKey(name)) }
        try c.encode(positions, forKey: JSONKey("positions"))
        if let status { try c.encode(status, forKey: JSONKey("status")) }
    }

    /// A summary value: a number, or text for the infinities JSON has no number for.
    enum Figure: Codable {
        case number(Double), text(String), none

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .none } else if let x = try? c.decode(Double.self) { self = .number(x) } else { self = .text(try c.decode(String.self)) }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let x): try c.encode(x)
            case .text(let t): try c.encode(t)
            case .none: try c.encodeNil()
            }
        }
    }
}
