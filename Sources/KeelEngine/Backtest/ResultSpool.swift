import Foundation
import KeelData

/// The trades and risk events of a backtest, written to temporary files as they happen, in the
/// JSON they take in the result: `keel backtest --format json` prints a run of 317,643 trades
/// without holding them, and its output is byte for byte what `ResultFormat.json` builds in memory.
public final class ResultSpool {
    /// One list's items, each encoded as an element of a top-level array, joined by ",\n".
    final class Items {
        let url: URL
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        private(set) var count = 0

        init(_ name: String) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(name)-\(UUID().uuidString).json")
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            handle = try FileHandle(forWritingTo: url)
            buffer.reserveCapacity(1 << 16)
        }

        func add(_ value: JSON.Value) {
            if count > 0 { buffer += ",\n".utf8 }
            buffer += ("    " + JSON.encode(value, indent: 2)).utf8
            count += 1
            if buffer.count >= 1 << 16 { flush() }
        }

        func flush() {
            handle.write(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }

        /// Copies the items to `output` a chunk at a time.
        func copy(to output: FileHandle) throws {
            flush()
            let reader = try FileHandle(forReadingFrom: url)
            defer { try? reader.close() }
            while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty { output.write(chunk) }
        }

        deinit {
            try? handle.close()
            try? FileManager.default.removeItem(at: url)
        }
    }

    let trades: Items
    let riskEvents: Items

    public init() throws {
        trades = try Items("trades")
        riskEvents = try Items("risk-events")
    }

    func add(_ trade: Trade) { trades.add(ResultFormat.trade(trade)) }
    func add(_ event: Engine.RiskEvent) { riskEvents.add(ResultFormat.riskEvent(event)) }
}

extension ResultFormat {
    /// Writes the JSON of `result` with the spooled trades and risk events in their places: the
    /// same bytes `json` gives when the lists are held in memory.
    public static func writeJSON(_ result: BacktestResult, includeEquity: Bool, spool: ResultSpool, to output: FileHandle) throws {
        // The lists are rendered empty, then the spooled items are put where they stand. A raw
        // newline cannot occur inside a JSON string, so "\n  \"trades\": []" is only ever the key.
        let text = json(result, includeEquity: includeEquity)
        var rest = Substring(text)
        for (key, items) in [("trades", spool.trades), ("risk_events", spool.riskEvents)] {
            let marker = "\n  \"\(key)\": []"
            guard let range = rest.range(of: marker) else { continue }
            output.write(Data(rest[..<range.lowerBound].utf8))
            if items.count == 0 {
                output.write(Data(marker.utf8))
            } else {
                output.write(Data("\n  \"\(key)\": [\n".utf8))
                try items.copy(to: output)
                output.write(Data("\n  ]".utf8))
            }
            rest = rest[range.upperBound...]
        }
        output.write(Data(rest.utf8))
    }
}
