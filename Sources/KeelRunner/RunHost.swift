import KeelStore
import Synchronization

/// A process that hosts runs on its own threads (keel serve) rather than one run per process: it
/// shares its store, stops a run without a signal, rings when an operator's request is waiting,
/// and hears every commit.
public final class RunHost: Sendable {
    public let store: KeelStore
    private let stopping = Atomic<Bool>(false)
    private let controlsWaiting = Atomic<Bool>(false)
    private let onCommit: @Sendable (Batch) -> Void

    /// `onCommit` runs on the runner's thread after each batch is durable: it must hand the batch
    /// on and return, never wait.
    public init(store: KeelStore, onCommit: @escaping @Sendable (Batch) -> Void) {
        self.store = store
        self.onCommit = onCommit
    }

    /// The run commits what it has and returns `.stopped(signal: 0)`.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Call after writing a control request: the runner reads it before its next event.
    public func controlsRequested() { controlsWaiting.store(true, ordering: .releasing) }

    var stopRequested: Bool { stopping.load(ordering: .relaxed) }

    /// Read before every event: a plain load, and an exchange (which clears it) only when it is set.
    func takeControlsRequested() -> Bool {
        controlsWaiting.load(ordering: .acquiring) && controlsWaiting.exchange(false, ordering: .acquiringAndReleasing)
    }

    func committed(_ batch: Batch) { onCommit(batch) }
}
