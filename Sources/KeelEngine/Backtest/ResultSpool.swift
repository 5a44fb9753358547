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

        /// One item, as `write` puts it at the result's list indent (2).
        func add(_ write: (_ indent: Int, _ out: inout [UInt8]) -> Void) {
            buffer += (count > 0 ? ",\n    " : "    ").utf8
            write(2, &buffer)
            count += 1
            if buffer.count >= 1 << 16 { flush() }
        }

        /// The first write that failed (a full disk): reported when the items are copied out.
        private var failure: ResultSpool.WriteFailure?

        func flush() {
            if failure == nil {
                do { try buffer.withUnsafeBytes { try ResultSpool.write($0, to: handle.fileDescriptor, what: url.path) } } catch { failure = error as? ResultSpool.WriteFailure ?? ResultSpool.WriteFailure(message: "\(error)") }
            }
            buffer.removeAll(keepingCapacity: true)
        }

        /// Copies the items to `output` a chunk at a time, through one buffer.
        func copy(to output: FileHandle) throws {
            flush()
            if let failure { throw failure }
            let reader = try FileHandle(forReadingFrom: url)
            defer { try? reader.close() }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(reader.fileDescriptor, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    if n < 0 { throw WriteFailure(message: "cannot read \(url.path): \(String(cString: strerror(errno)))") }
                    return
                }
                try chunk.withUnsafeBytes { try ResultSpool.write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), to: output.fileDescriptor, what: "the output") }
            }
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

    /// A write that failed (a full disk, a closed pipe): the document would have a hole, so the run fails.
    public struct WriteFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Writes all of `bytes`, or throws.
    static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, what: String) throws(WriteFailure) {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw WriteFailure(message: "cannot write \(what): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    func add(_ trade: Trade) { trades.add { ResultFormat.writeTrade(trade, indent: $0, pretty: true, into: &$1) } }
    func add(_ event: Engine.RiskEvent) { riskEvents.add { ResultFormat.writeRiskEvent(event, indent: $0, pretty: true, into: &$1) } }
}

extension ResultFormat {
    /// Writes the JSON of `result` with the spooled trades and risk events in their places: the
    /// same bytes `json` gives when the lists are held in memory.
    public static func writeJSON(_ result: BacktestResult, includeEquity: Bool, spool: ResultSpool, to output: FileHandle) throws {
        // The lists are rendered empty, then the spooled items are put where they stand. A raw
        // newline cannot occur inside a JSON string, so "\n  \"trades\": []" is only ever the key.
        let text = json(result, includeEquity: includeEquity)
        func put(_ part: Substring) throws {
            var part = part
            try part.withUTF8 { try ResultSpool.write(UnsafeRawBufferPointer($0), to: output.fileDescriptor, what: "the output") }
        }
        var rest = Substring(text)
        for (key, items) in [("trades", spool.trades), ("risk_events", spool.riskEvents)] {
            let marker = "\n  \"\(key)\": []"
            guard let range = rest.range(of: marker) else { continue }
            try put(rest[..<range.lowerBound])
            if items.count == 0 {
                try put(marker[...])
            } else {
                try put("\n  \"\(key)\": [\n")
                try items.copy(to: output)
                try put("\n  ]")
            }
            rest = rest[range.upperBound...]
        }
        try put(rest)
    }
}
