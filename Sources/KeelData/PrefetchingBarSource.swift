import Dispatch
import Foundation

/// Reads another source's next chunks on a background queue while the engine works on the current
/// one: on two cores, parsing a CSV and running the strategy overlap. The chunks, their order and
/// any error are the wrapped source's own; only the time they are read changes.
///
/// Sources that share one serial queue share one reading thread, which keeps a run to two cores.
/// At most `depth` chunks wait per source, so memory stays bounded however long the file.
package final class PrefetchingBarSource: BarSource, @unchecked Sendable {
    package let symbol: String
    package let signalNames: [String]
    /// The wrapped source: touched only on `queue` while the run goes, and by the caller after it.
    package let source: BarSource
    private let queue: DispatchQueue
    private let lock = NSLock()
    private let arrived = DispatchSemaphore(value: 0)
    // Guarded by `lock`.
    private var ready: [Result<BarSeries?, Error>] = []
    /// Chunks the caller has finished with, reused so that reading allocates nothing per chunk.
    private var spare: [BarSeries] = []
    private var fraction = 0.0
    // The caller's side only.
    private var finished = false

    package init(_ source: BarSource, queue: DispatchQueue, depth: Int = 2) {
        self.source = source
        self.queue = queue
        symbol = source.symbol
        signalNames = source.signalNames
        for _ in 0..<max(1, depth) { readAhead() }
    }

    package var fractionRead: Double { lock.withLock { fraction } }

    private func readAhead() {
        queue.async { [self] in
            var chunk = lock.withLock { spare.popLast() } ?? BarSeries(symbol: symbol, signalNames: signalNames)
            let result: Result<BarSeries?, Error>
            do { result = .success(try source.next(into: &chunk) ? chunk : nil) } catch { result = .failure(error) }
            let read = source.fractionRead
            lock.withLock {
                ready.append(result)
                fraction = read
            }
            arrived.signal()
        }
    }

    package func next(into chunk: inout BarSeries) throws -> Bool {
        guard !finished else { return false }
        arrived.wait()
        switch lock.withLock({ ready.removeFirst() }) {
        case .success(var series?):
            swap(&chunk, &series)
            lock.withLock { spare.append(series) }
            readAhead()
            return true
        case .success(nil):
            finished = true
            return false
        case .failure(let error):
            finished = true
            throw error
        }
    }

    /// Waits until every read already asked for is done, so the wrapped source can be read (its
    /// skipped rows, say) without racing the queue.
    package func settle() { queue.sync {} }
}

extension PrefetchingBarSource {
    package var origin: DataOrigin? {
        settle()
        return source.origin
    }
}
