import Foundation

/// The fixtures several test targets read, owned here: real market data (`Fixtures/bars`, one CSV
/// per symbol) and the conformance cases (`Fixtures/conformance`: the reference strategies, the
/// several-symbol cases, and the trades peer engines produced). A target's own fixtures stay in
/// its own `Fixtures/` folder.
package enum SharedFixtures {
    package static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The folder of the bar files.
    package static let bars = root.appendingPathComponent("bars")

    /// The conformance cases.
    package static let conformance = root.appendingPathComponent("conformance")

    /// The reference strategies (`S1`, `S2E`, `S3`, `S4`).
    package static let strategies = conformance.appendingPathComponent("strategies")

    /// One symbol's bars (`ORCL`, `NVDA`, `IDX5M`, `UNITBTC1M`, `SYNTH20K`).
    package static func bars(_ symbol: String) -> URL { bars.appendingPathComponent("\(symbol).csv") }

    /// A reference strategy's file.
    package static func strategy(_ name: String) -> URL { strategies.appendingPathComponent("\(name).yaml") }

    /// The same paths relative to the package root, as a command line run there names them.
    package static func relative(_ url: URL) -> String {
        String(url.path.dropFirst(KeelBinary.root.path.count + 1))
    }
}
