import Dispatch
import KeelStore
import Synchronization

/// A process that hosts runs on its own threads (keel serve) rather than one run per process: it
/// shares its store, stops a run without a signal, rings when an operator's request is waiting,
/// hears every commit, and sees the runner's loop turn.
package final class RunHost: Sendable {
    package let store: KeelStore
    private let stopping = Atomic<Bool>(false)
    private let controlsWaiting = Atomic<Bool>(false)
    private let lastTurn = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    private let onCommit: @Sendable (Batch) -> Void

    /// `onCommit` runs on the runner's thread after each batch is durable: it must hand the batch
    /// on and return, never wait.
    package init(store: KeelStore, onCommit: @escaping @Sendable (Batch) -> Void) {
        self.store = store
        self.onCommit = onCommit
    }

    /// The run commits what it has and returns `.stopped(signal: 0)`.
    package func stop() { stopping.store(true, ordering: .relaxed) }

    /// Call after writing a control request: the runner reads it before its next event.
    package func controlsRequested() { controlsWaiting.store(true, ordering: .releasing) }

    var stopRequested: Bool { stopping.load(ordering: .relaxed) }

    /// Read before every event: a plain load, and an exchange (which clears it) only when it is set.
    func takeControlsRequested() -> Bool {
        controlsWaiting.load(ordering: .acquiring) && controlsWaiting.exchange(false, ordering: .acquiringAndReleasing)
    }

    func committed(_ batch: Batch) { onCommit(batch) }

    /// Called at each turn of the runner's loop, which turns at least every 0.2 s on a quiet stream
    /// (its read waits no longer) and at most 5 s apart while a dropped stream is reconnected.
    func turned() { lastTurn.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    /// Seconds since the runner's loop last turned (since the host was made, before its first
    /// turn): a run stuck in a call that does not return shows here, a quiet one does not.
    package var secondsSinceTurn: Double {
        Double(DispatchTime.now().uptimeNanoseconds &- lastTurn.load(ordering: .relaxed)) / 1e9
    }
}
