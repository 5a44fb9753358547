import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// `GET /v1/ws` (a WebSocket; the token as a bearer header or `?token=`): every run's messages, or
/// one run's with `?run_id=`. Each text message is one JSON object: `order`, `fill`, `signal`,
/// `risk_event` or `portfolio_update`, with the run's id. A listener that falls too far behind
/// is closed with code 1008 and must reconnect and read the run's state over HTTP.
enum EventRoute {
    /// Bytes of a listener's socket send buffer (the kernel doubles it for its own bookkeeping).
    static let sendBuffer: SocketOptionValue = 64 * 1024

    static func add(to router: Router<ServiceContext>, _ state: ServiceState) {
        router.ws("v1/ws", shouldUpgrade: { request, _ in
            if let run = request.uri.queryParameters["run_id"], !ServiceState.isId(String(run), prefix: "run") { return .dontUpgrade }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            // A fixed send buffer: Linux would otherwise grow it to 4 MB for a listener that stops
            // reading, hiding thousands of messages from the queue that decides when to drop it.
            // Should the option fail, the kernel's own sizing applies.
            try? await context.requestContext.channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: sendBuffer).get()
            let (messages, stop) = state.hub.listen(run: context.request.uri.queryParameters["run_id"].map(String.init))
            defer { stop() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The listener's own frames are read (and ignored) so its close is seen.
                group.addTask { for try await _ in inbound {} }
                group.addTask {
                    for await message in messages { try await outbound.write(.text(message)) }
                    // The hub ended the messages: this listener fell behind.
                    try await outbound.close(.policyViolation, reason: "fell behind; reconnect and read the run over HTTP")
                }
                try await group.next()
                group.cancelAll()
            }
        })
    }
}
