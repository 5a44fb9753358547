import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a run's events come from, as lines: a file (resumable at a byte offset), stdin, or a
/// TCP socket or a WebSocket, reconnected with backoff whenever it drops.
protocol LineSource: AnyObject {
    /// Up to `max` complete lines, waiting at most `wait` seconds for the first; an empty array
    /// when none came in time; nil when the stream has ended (a file or stdin at its end).
    func read(max: Int, wait: Double) throws -> [String]?
    /// Bytes consumed up to the end of the last line returned: where a file resumes.
    var offset: Int64 { get }
    func close()
}

enum StreamAddress: Equatable {
    case stdin
    case file(String)
    case tcp(host: String, port: UInt16)
    case webSocket(String)

    init(_ text: String) throws(RunnerError) {
        if text == "-" { self = .stdin; return }
        if text.hasPrefix("tcp://") {
            let rest = text.dropFirst(6)
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), !rest[..<colon].isEmpty else {
                throw RunnerError.usage("--stream tcp://HOST:PORT, such as tcp://127.0.0.1:9100, not '\(text)'")
            }
            self = .tcp(host: String(rest[..<colon]), port: port)
            return
        }
        if text.hasPrefix("ws://") || text.hasPrefix("wss://") {
            guard let url = URL(string: text), url.host != nil else {
                throw RunnerError.usage("--stream ws://HOST:PORT/PATH, such as ws://127.0.0.1:9100/events, not '\(text)'")
            }
            self = .webSocket(text)
            return
        }
        if text.contains("://") {
            throw RunnerError.usage("--stream takes a file, '-' for stdin, tcp://HOST:PORT or ws://HOST:PORT/PATH, not '\(text)'")
        }
        self = .file(text)
    }

    var resumesAtOffset: Bool { if case .file = self { true } else { false } }
}

/// The longest line a stream may send (1 MiB): a longer one is refused as `invalid`, with its offset,
/// and skipped to its newline without being held.
let maxStreamLine = 1 << 20

/// What a source hands on for a line past `maxStreamLine`; the session journals it as `invalid`.
enum OversizedLine {
    static let prefix = "\u{0}oversized-line@"
    static func marker(offset: Int64) -> String { prefix + String(offset) }
    static func offset(_ line: String) -> Int64? { line.hasPrefix(prefix) ? Int64(line.dropFirst(prefix.count)) : nil }
}

/// Lines from a file descriptor, split by hand; a final line without a newline counts at the end.
/// Each byte is scanned for a newline once, and consumed bytes are dropped as the buffer fills.
class DescriptorLineSource: LineSource {
    var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes before this index (from `start`) hold no newline: the next scan begins here.
    private var scanned = 0
    /// Skipping the rest of an oversized line up to its newline.
    private var skipping = false
    private(set) var offset: Int64
    private var ended = false

    init(fd: Int32, offset: Int64) {
        self.fd = fd
        self.offset = offset
    }

    func read(max: Int, wait: Double) throws -> [String]? {
        var lines: [String] = []
        var waited = false
        while lines.count < max {
            if let line = nextLine() {
                if !line.isEmpty { lines.append(line) }
                continue
            }
            if !skipping, buffer.count - start > maxStreamLine {
                lines.append(OversizedLine.marker(offset: offset))
                skipOversized()
                continue
            }
            if ended {
                if skipping { skipOversized(); return lines.isEmpty ? nil : lines }
                return lines.isEmpty ? (start < buffer.count ? [finalLine()] : nil) : lines
            }
            // Block for the first line only; after it, take what is already there.
            let timeout = lines.isEmpty && !waited ? Int32(wait * 1_000) : 0
            waited = true
            guard try fill(timeoutMilliseconds: timeout) else { break }
        }
        return lines
    }

    /// Reads what is available; false when nothing came within the timeout.
    func fill(timeoutMilliseconds: Int32) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready < 0 { if errno == EINTR { return false }; throw RunnerError.stream("poll failed: \(String(cString: strerror(errno)))") }
        if ready == 0 { return false }
        // Drop what was consumed: a stream that runs for days must not keep its history.
        if start > 0 && (start == buffer.count || start >= 1 << 16) {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65_536) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return false }
            return try disconnected(String(cString: strerror(errno)))
        }
        if count == 0 { return try disconnected(nil) }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    /// The descriptor reached its end; a socket source reconnects instead.
    func disconnected(_ error: String?) throws -> Bool {
        if let error { throw RunnerError.stream("reading the stream failed: \(error)") }
        ended = true
        return true
    }

    /// Drops a partial line (a socket that dropped mid-line).
    func discardPartialLine() {
        buffer.removeAll(keepingCapacity: true)
        (start, scanned, skipping) = (0, 0, false)
    }

    /// Drops the oversized line's bytes held so far; with `skipping` set, `nextLine` drops the rest
    /// through its newline.
    private func skipOversized() {
        offset += Int64(buffer.count - start)
        buffer.removeAll(keepingCapacity: true)
        (start, scanned, skipping) = (0, 0, true)
    }

    private func nextLine() -> String? {
        guard let newline = buffer[max(start, scanned)...].firstIndex(of: 0x0A) else {
            scanned = buffer.count
            if skipping { skipOversized() }
            return nil
        }
        scanned = newline + 1
        if skipping {
            offset += Int64(newline + 1 - start)
            start = newline + 1
            skipping = false
            return ""
        }
        var end = newline
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        let line = String(decoding: buffer[start..<end], as: UTF8.self)
        offset += Int64(newline + 1 - start)
        start = newline + 1
        return line
    }

    private func finalLine() -> String {
        let line = String(decoding: buffer[start...], as: UTF8.self)
        offset += Int64(buffer.count - start)
        start = buffer.count
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }

    func close() {
        if fd > 2 { Glibc.close(fd) }
        fd = -1
    }
}

/// A stream file, opened at the offset a run stopped reading it. The path is resolved first:
/// within `root` (keel serve's data folder) a link that leads out is refused, and the resolved
/// file is opened without following links, so what was checked is what is read. A resumed run
/// (offset > 0) reads on only from the file it read before: same device and inode, not shorter.
final class FileLineSource: DescriptorLineSource {
    /// `device:inode` of the file opened.
    let identity: String

    init(path: String, offset: Int64, root: String? = nil, identity expected: String? = nil) throws(RunnerError) {
        guard let resolved = realpath(path, nil) else {
            throw RunnerError.stream("cannot open the stream file '\(path)': \(String(cString: strerror(errno)))")
        }
        let real = String(cString: resolved)
        free(resolved)
        if let root {
            let base = realpath(root, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) } ?? root
            guard real.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
                throw RunnerError.stream("the stream file '\(path)' leads outside the data folder; refused")
            }
        }
        let fd = open(real, O_RDONLY | O_NOFOLLOW)
        guard fd >= 0 else { throw RunnerError.stream("cannot open the stream file '\(path)': \(String(cString: strerror(errno)))") }
        var info = stat()
        fstat(fd, &info)
        identity = "\(info.st_dev):\(info.st_ino)"
        if offset > 0, let expected, expected != identity {
            Glibc.close(fd)
            throw RunnerError.stream("""
                '\(path)' is not the file this run was reading (it was replaced: file \(expected), now \(identity)); a resumed run reads on \
                from byte \(offset) of the same file only. Restore it, or start a new run on the new file
                """)
        }
        guard Int64(info.st_size) >= offset else {
            Glibc.close(fd)
            throw RunnerError.stream("'\(path)' is shorter (\(info.st_size) bytes) than where the run stopped reading it (\(offset)); was it replaced?")
        }
        lseek(fd, off_t(offset), SEEK_SET)
        super.init(fd: fd, offset: offset)
    }
}

/// A TCP stream: connects, and on a drop or a refused connection tries again after 0.1 s, doubling
/// up to 5 s. Never ends by itself: a live run stops on a signal.
final class TCPLineSource: DescriptorLineSource {
    let host: String
    let port: UInt16
    private var backoff = 0.1
    private let log: (String) -> Void

    init(host: String, port: UInt16, log: @escaping (String) -> Void) {
        (self.host, self.port, self.log) = (host, port, log)
        super.init(fd: -1, offset: 0)
    }

    override func read(max: Int, wait: Double) throws -> [String]? {
        if fd < 0, !connect() { return [] }
        return try super.read(max: max, wait: wait)
    }

    override func disconnected(_ error: String?) throws -> Bool {
        log("stream \(host):\(port) dropped\(error.map { ": \($0)" } ?? ""); reconnecting")
        close()
        discardPartialLine()
        return false
    }

    private func connect() -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else { return retry("cannot resolve \(host)") }
        defer { freeaddrinfo(info) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let address = cursor {
            let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if socket >= 0 {
                if Glibc.connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                    fd = socket
                    backoff = 0.1
                    log("stream connected to \(host):\(port)")
                    return true
                }
                Glibc.close(socket)
            }
            cursor = address.pointee.ai_next
        }
        return retry("cannot connect to \(host):\(port)")
    }

    private func retry(_ message: String) -> Bool {
        log("\(message); retrying in \(backoff) s")
        Thread.sleep(forTimeInterval: backoff)
        backoff = min(5, backoff * 2)
        return false
    }
}
