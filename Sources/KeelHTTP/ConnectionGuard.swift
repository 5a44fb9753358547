import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// What a connection may cost the server before it has earned a response. Hummingbird's idle
/// timeout starts only after a first complete request, and before it a malformed request is never
/// answered; so a connection that sends nothing, half a request line or endless headers could hold
/// a descriptor for minutes. The guard bounds the time to a complete request head, answers a
/// malformed request with 400 (431 for oversized headers) and closes, and caps the connections
/// one address holds.
package struct ConnectionPolicy: Sendable {
    /// From connect to a complete first request head (then 408 and closed).
    package var headTimeout: Duration
    /// From a response's end to the next request head on a kept-alive connection (then closed).
    package var idleTimeout: Duration
    /// Connections one remote address may hold; nil is no cap (a reverse proxy in front).
    package var perPeer: Int?

    package init(headTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), perPeer: Int? = 64) {
        (self.headTimeout, self.idleTimeout, self.perPeer) = (headTimeout, idleTimeout, perPeer)
    }
}

/// A server child channel with a `RequestGuard` placed right after its HTTP decoder, where it sees
/// request heads, decoding errors and the response parts on their way out.
package struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    package typealias Value = Inner.Value
    let inner: Inner
    let policy: ConnectionPolicy
    let peers: PeerTable

    package init(_ inner: Inner, policy: ConnectionPolicy) {
        (self.inner, self.policy) = (inner, policy)
        peers = PeerTable(cap: policy.perPeer)
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { [policy, peers] value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(RequestGuard(policy: policy, peers: peers), position: .after(decoder))
            return value
        }
    }

    package func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// The connections each remote address holds. Over the cap, the address's oldest connection that
/// is waiting for a request head makes way (a client's next request always gets in, a slow
/// attacker's connections do not pile up); when every one is inside a request, the newcomer is
/// closed.
package final class PeerTable: Sendable {
    private struct Entry {
        let id: ObjectIdentifier
        let channel: any Channel
        var awaitingHead: Bool
        let order: UInt64
    }

    enum Admission { case admitted, evicting(any Channel), refused }

    private let cap: Int?
    private let table = Mutex<(peers: [String: [Entry]], next: UInt64)>(([:], 0))

    init(cap: Int?) { self.cap = cap }

    func admit(_ peer: String, _ id: ObjectIdentifier, _ channel: any Channel) -> Admission {
        table.withLock { state in
            state.next += 1
            let entry = Entry(id: id, channel: channel, awaitingHead: true, order: state.next)
            var entries = state.peers[peer, default: []]
            defer { state.peers[peer] = entries }
            guard let cap, entries.count >= cap else {
                entries.append(entry)
                return .admitted
            }
            let waiting = entries.indices.filter { entries[$0].awaitingHead }
            guard let oldest = waiting.min(by: { entries[$0].order < entries[$1].order }) else { return .refused }
            let evicted = entries.remove(at: oldest)
            entries.append(entry)
            return .evicting(evicted.channel)
        }
    }

    func mark(_ peer: String, _ id: ObjectIdentifier, awaitingHead: Bool) {
        table.withLock { state in
            guard let index = state.peers[peer]?.firstIndex(where: { $0.id == id }) else { return }
            state.peers[peer]![index].awaitingHead = awaitingHead
        }
    }

    func remove(_ peer: String, _ id: ObjectIdentifier) {
        table.withLock { state in
            state.peers[peer]?.removeAll { $0.id == id }
            if state.peers[peer]?.isEmpty == true { state.peers[peer] = nil }
        }
    }
}

/// One connection's guard (see `ConnectionPolicy`). Heads in and response ends out are counted,
/// so a deadline runs exactly while the connection owes the server a request head.
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: ConnectionPolicy
    private let peers: PeerTable
    private var peer: String?
    private var started = false
    private var heads = 0
    private var answered = 0
    private var responding = false
    /// Set once the guard answered or closed: later writes (a handler's 500 after a broken body) are dropped.
    private var closing = false
    private var deadline: Scheduled<Void>?

    init(policy: ConnectionPolicy, peers: PeerTable) {
        (self.policy, self.peers) = (policy, peers)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        forget()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        forget()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            heads += 1
            disarm()
            if let peer { peers.mark(peer, ObjectIdentifier(self), awaitingHead: false) }
            if head.headers.contains(name: "upgrade") {
                // A WebSocket from here on: its frames are not HTTP parts, and a listener may stay for days.
                forget()
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
        }
        guard !closing else { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responding = true
        case .end:
            responding = false
            answered += 1
            if answered >= heads {
                if let peer { peers.mark(peer, ObjectIdentifier(self), awaitingHead: true) }
                arm(context, after: policy.idleTimeout)
            }
        default: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closing else { return }
        if responding {
            closing = true
            context.close(promise: nil)
        } else if let parser = error as? HTTPParserError, parser == .headerOverflow {
            answer(context, .requestHeaderFieldsTooLarge, "headers_too_large", "the request's headers are too large")
        } else {
            answer(context, .badRequest, "bad_request", "malformed HTTP request: \(error)")
        }
        // A request in hand sees it too: a body that broke halfway must fail, not end early.
        if heads > answered { context.fireErrorCaught(error) }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if policy.perPeer != nil, let address = context.channel.remoteAddress?.ipAddress {
            switch peers.admit(address, ObjectIdentifier(self), context.channel) {
            case .admitted: peer = address
            case .evicting(let other):
                peer = address
                other.close(promise: nil)
            case .refused:
                closing = true
                context.close(promise: nil)
                return
            }
        }
        arm(context, after: policy.headTimeout)
    }

    private func arm(_ context: ChannelHandlerContext, after duration: Duration) {
        disarm()
        let first = heads == 0
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(duration.nanoseconds)) { [self] in
            deadline = nil
            guard !closing, answered >= heads, !responding else { return }
            if first {
                answer(context, .requestTimeout, "request_timeout", "no complete request head within \(duration)")
            } else {
                closing = true
                context.close(promise: nil)
            }
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    private func forget() {
        disarm()
        if let peer { peers.remove(peer, ObjectIdentifier(self)) }
        peer = nil
    }

    /// The guard's own answer, then the connection is closed once it is written.
    private func answer(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ code: String, _ message: String) {
        closing = true
        disarm()
        let body = ByteBuffer(string: encode(ErrorBody(code: code, message: message)))
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.readableBytes)"), ("Connection", "close")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
