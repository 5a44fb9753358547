import Foundation
import Hummingbird
import HummingbirdWebSocket
import KeelStore
import KeelTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keel run --stream ws://...` against a real WebSocket server on loopback (hummingbird-websocket).
@Suite("keel run on a WebSocket stream", .serialized)
struct WebSocketStreamTests {
    actor Connections {
        var count = 0
        func next() -> Int { defer { count += 1 }; return count }
    }

    final class Port: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int?
        var port: Int? { lock.withLock { value } }
        func set(_ port: Int?) { lock.withLock { value = port } }
    }

    @Test("a WebSocket stream that drops is reconnected; repeated events are refused as late; SIGTERM stops with everything committed")
    func webSocketStream() async throws {
        let paper = RunnerProcessTests()
        let folder = try KeelBinary.temporaryFolder()
        let lines = try String(contentsOf: try paper.stream("ORCL", in: folder), encoding: .utf8).split(separator: "\n").map(String.init)
        let connections = Connections()
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("events") { inbound, outbound, _ in
            // First connection: 3,000 bars, then it closes. Later ones: the last 100 again, then the rest, then it stays open.
            let first = await connections.next() == 0
            let slice = first ? lines[..<3_000] : lines[2_900...]
            var start = slice.startIndex
            while start < slice.endIndex {
                let end = min(start + 50, slice.endIndex)
                try await outbound.write(.text(slice[start..<end].joined(separator: "\n")))
                start = end
            }
            if !first { for try await _ in inbound {} }
        }
        let port = Port()
        let app = Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { port.set($0.localAddress?.port) })
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        while port.port == nil { try await Task.sleep(for: .milliseconds(10)) }

        let state = folder.appendingPathComponent("ws.db")
        let process = KeelBinary.start(paper.runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: "ws://127.0.0.1:\(port.port!)/events",
                                                          state: state))
        let log = folder.appendingPathComponent("ws.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try Launch.run(process)
        let store = try KeelStore(path: state.path)
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? store.run("run")?.lastSeq ?? 0) ?? 0 < Int64(lines.count + 100), ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(text)")
        #expect(text.contains("stream connected to ws://"))
        #expect(text.contains("reconnecting"))
        #expect(try store.run("run")?.status == "stopped")
        let refused = try store.events(run: "run").filter { $0.status != "accepted" }
        #expect(refused.count == 100 && refused.allSatisfy { $0.status == "late" })
        // The same fills as a file of everything but the last bar (a live stream's last step waits for the next bar).
        let file = try KeelBinary.temporaryFolder(["last.jsonl": lines[..<(lines.count - 1)].joined(separator: "\n") + "\n"])
        let fileState = file.appendingPathComponent("file.db")
        #expect(try KeelBinary.run(paper.runArguments("S2E", symbol: "ORCL", timeframe: "1d", stream: file.appendingPathComponent("last.jsonl").path,
                                                      state: fileState)).status == 0)
        let fills = try store.fills(run: "run")
        #expect(fills.count > 100)
        #expect(fills == (try KeelStore(path: fileState.path).fills(run: "run")))
    }
}
