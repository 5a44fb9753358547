import Foundation

/// JSON-RPC 2.0 over a byte stream with LSP's framing (`Content-Length: N\r\n\r\n` then N bytes of
/// JSON). A reader thread parses whole messages into a queue; the server takes everything queued at
/// once, so a burst of keystrokes is linted once, after the last.
final class JSONRPCConnection: @unchecked Sendable {
    /// A message read: an object, or why the bytes were not one.
    enum Incoming {
        case message([String: Any])
        case malformed(String)
        case closed
    }

    private let input: FileHandle
    private let output: FileHandle
    private let lock = NSCondition()
    private var queue: [Incoming] = []
    private let writeLock = NSLock()

    init(input: FileHandle, output: FileHandle) {
        (self.input, self.output) = (input, output)
    }

    /// Starts the reader thread.
    func start() {
        let thread = Thread { [self] in readLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits for at least one message, then returns every one queued.
    func takeAll() -> [Incoming] {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty { lock.wait() }
        let taken = queue
        queue.removeAll()
        return taken
    }

    private func push(_ item: Incoming) {
        lock.lock()
        queue.append(item)
        lock.signal()
        lock.unlock()
    }

    private func readLoop() {
        var buffer = Data()
        var closed = false
        func fill() -> Bool {
            guard !closed else { return false }
            let chunk = input.availableData
            if chunk.isEmpty { closed = true; return false }
            buffer.append(chunk)
            return true
        }
        while true {
            // The header: lines up to an empty one.
            var headerEnd: Range<Data.Index>?
            while true {
                headerEnd = buffer.range(of: Data("\r\n\r\n".utf8))
                if headerEnd != nil || !fill() { break }
            }
            guard let end = headerEnd else { return push(.closed) }
            let header = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex..<end.upperBound)
            var length: Int?
            for line in header.split(separator: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "content-length" { length = Int(parts[1].trimmingCharacters(in: .whitespaces)) }
            }
            guard let length, length >= 0, length <= 64 << 20 else {
                push(.malformed("a header without a valid Content-Length: \(header.prefix(200))"))
                continue
            }
            while buffer.count < length { if !fill() { return push(.closed) } }
            let body = buffer.prefix(length)
            buffer.removeFirst(length)
            if let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] {
                push(.message(object))
            } else {
                push(.malformed("a body that is not a JSON object"))
            }
        }
    }

    /// Writes one message.
    func send(_ message: [String: Any]) {
        var object = message
        object["jsonrpc"] = "2.0"
        guard let body = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return }
        var framed = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        framed.append(body)
        writeLock.lock()
        defer { writeLock.unlock() }
        try? output.write(contentsOf: framed)
    }
}
