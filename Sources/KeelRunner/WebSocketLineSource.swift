import Foundation
import HummingbirdWSClient
import Logging

/// Lines from a WebSocket (`ws://HOST:PORT/PATH` or `wss://`): each text message holds one or more
/// whole event lines. The connection lives on a background task that is reconnected with backoff
/// (0.1 s doubling to 5 s) whenever it drops; a producer that re-sends after a reconnect is
/// deduplicated by the event policy, as over TCP.
final class WebSocketLineSource: LineSource, @unchecked Sendable {
    let url: String
    private let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var pending: [String] = []
    private var received = 0
    private var task: Task<Void, Never>?

    init(url: String, log: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.log = log
        task = Task.detached { [weak self] in await self?.connectForever() }
    }

    private func connectForever() async {
        var backoff = 0.1
        let logger = Logger(label: "keel.stream")
        while !Task.isCancelled {
            let before = count
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, _, _ in
                    self.log("stream connected to \(self.url)")
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        if case .text(let text) = message { self.push(text) }
                    }
                }
                log("stream \(url) closed; reconnecting")
            } catch {
                if Task.isCancelled { return }
                log("stream \(url) dropped: \(error); reconnecting")
            }
            if count > before { backoff = 0.1 }
            try? await Task.sleep(for: .milliseconds(Int(backoff * 1_000)))
            backoff = min(5, backoff * 2)
        }
    }

    private var count: Int { condition.withLock { received } }

    private func push(_ text: String) {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else { return }
        condition.withLock {
            pending += lines
            received += lines.count
            condition.signal()
        }
    }

    func read(max: Int, wait: Double) throws -> [String]? {
        condition.lock()
        defer { condition.unlock() }
        if pending.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: wait)) }
        let taken = Array(pending.prefix(max))
        pending.removeFirst(taken.count)
        return taken
    }

    /// A WebSocket does not resume at an offset: the event policy deduplicates what is sent again.
    var offset: Int64 { 0 }

    func close() { task?.cancel() }
}
