import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a loopback port that sends exactly the bytes it is given: for requests no
/// HTTP client would write (half a request line, a broken chunk, endless headers).
package final class RawConnection {
    let fd: Int32
    private var closed = false

    /// `receiveBuffer`: a small one makes the server's writes back up at once.
    package init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close() }

    package func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// An answer's head, read byte by byte so that nothing after it is taken from the socket.
    package func readHead() -> String {
        var head = [UInt8]()
        var byte: UInt8 = 0
        let end = Array("\r\n\r\n".utf8)
        while !(head.count >= 4 && Array(head.suffix(4)) == end), recv(fd, &byte, 1, 0) == 1 { head.append(byte) }
        return String(decoding: head, as: UTF8.self)
    }

    package func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    package func send(_ text: String) { send(Array(text.utf8)) }

    /// Everything until the server closes, or until `seconds` pass (then `closed` is false).
    package func readToEnd(seconds: Double) -> (text: String, closed: Bool) {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let end = Date().addingTimeInterval(seconds)
        while true {
            let left = end.timeIntervalSinceNow
            guard left > 0 else { return (String(decoding: received, as: UTF8.self), false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(left * 1_000) + 1) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[..<count]
        }
    }

    /// Whether the server still holds the connection: nothing to read and no end of stream.
    package var isOpen: Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }
}
