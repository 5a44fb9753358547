import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM ask the runner to stop: it finishes the events in hand, commits, and exits.
/// The signals are taken off their default action (which would kill the process mid-write) and
/// delivered on a dispatch queue instead.
final class StopSignal {
    private final class Received: Sendable {
        let number = Atomic<Int32>(0)
    }

    private let state = Received()
    private let sources: [DispatchSourceSignal]

    init() {
        let state = state
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { state.number.store(number, ordering: .relaxed) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// The signal received, if any.
    var received: Int32? {
        let value = state.number.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
