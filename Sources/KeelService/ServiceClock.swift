import Foundation

/// The service's one clock, in milliseconds since the epoch: every time it stores (a strategy's
/// creation, a backtest's end, a webhook's attempt) is read here. Injected, so a test can set it.
package struct ServiceClock: Sendable {
    private let read: @Sendable () -> Int64

    package init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    package static let system = ServiceClock { Int64(Date().timeIntervalSince1970 * 1_000) }

    package func now() -> Int64 { read() }
}
