import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP listener on a free loopback port: the producer of a `tcp://` event stream.
package final class LoopbackServer {
    let socket: Int32
    package let port: UInt16
    private var listening = true

    package init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        guard bound == 0, listen(socket, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        self.socket = socket
    }

    deinit { stopListening() }

    /// Closes the listener: connections the kernel took but nobody accepted are reset.
    package func stopListening() {
        guard listening else { return }
        listening = false
        close(socket)
    }

    /// Accepts one connection, sends `text` and closes it.
    package func serve(_ text: String) throws {
        let connection = try accept()
        defer { connection.close() }
        try connection.send(text)
    }

    /// Waits for the next connection.
    package func accept() throws -> Connection {
        let client = Glibc.accept(socket, nil, nil)
        guard client >= 0 else { throw POSIXError(.ECONNABORTED) }
        return Connection(fd: client)
    }

    package final class Connection {
        let fd: Int32

        init(fd: Int32) { self.fd = fd }

        package func send(_ text: String) throws {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { throw POSIXError(.EPIPE) }
                bytes = bytes.dropFirst(sent)
            }
        }

        package func close() { Glibc.close(fd) }
    }
}
