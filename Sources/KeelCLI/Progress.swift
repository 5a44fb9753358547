import Foundation

/// A progress bar on a terminal (standard error); silent when standard error is not a terminal.
final class Progress: @unchecked Sendable {
    private let total: Int
    private var done = 0
    private let lock = NSLock()
    private let enabled: Bool
    private let percent: Bool

    /// `percent`: show done/total as a percentage rather than a count.
    init(total: Int, percent: Bool = false) {
        self.total = total
        self.percent = percent
        enabled = isatty(STDERR_FILENO) != 0 && total > 1
        draw()
    }

    func advance() {
        lock.lock()
        done += 1
        draw()
        lock.unlock()
    }

    /// Sets the count done; redraws only when the bar would change.
    func set(_ value: Int) {
        lock.lock()
        defer { lock.unlock() }
        let before = total == 0 ? 0 : 30 * done / total
        done = min(total, value)
        if before != (total == 0 ? 0 : 30 * done / total) { draw() }
    }

    func finish() {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K")
    }

    private func draw() {
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let label = percent ? "\(total == 0 ? 100 : 100 * done / total)%" : "\(done)/\(total)"
        StandardError.write("\r[\(bar)] \(label)")
    }
}
