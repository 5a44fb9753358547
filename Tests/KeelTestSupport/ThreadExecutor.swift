import Dispatch

/// A task executor on its own serial dispatch queue: tasks that prefer it never wait for the
/// cooperative pool, which a full test run keeps busy with synchronous work (two threads on a
/// two-core machine). WebSocket listeners run on it, so they connect however loaded the pool is.
package final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    package init(label: String) { queue = DispatchQueue(label: label) }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
