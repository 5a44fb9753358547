import Foundation
import KeelData

/// The trades and risk events of a backtest, written to temporary files as they happen, in the
/// JSON they take in the result: `keel backtest --format json` prints a run of 317,643 trades
/// without holding them, and its output is byte for byte what `ResultFormat.json` builds in memory.
public final class ResultSpool {
    /// One list's items, each encoded as an element of a top-level array, joined by ",\n". The
    /// engine hands records over in batches; a writer queue formats and writes them on another core,
    /// so the JSON costs the engine's thread little more than an append per record.
    final class Items<Record: Sendable>: @unchecked Sendable {
        let url: URL
        private let handle: FileHandle
        private let format: @Sendable (Record, _ indent: Int, _ out: inout [UInt8]) -> Void
        private let queue: DispatchQueue
        /// Batches handed over and not yet written: at most `inFlight`, so memory stays bounded when
        /// the engine runs ahead of the disk.
        private let room = DispatchSemaphore(value: ResultSpool.inFlight)
        private var pending: [Record] = []
        private(set) var count = 0
        // Read and written on `queue` only.
        private var buffer: [UInt8] = []
        private var written = 0
        /// The first write that failed (a full disk): reported when the items are copied out.
        private var failure: ResultSpool.WriteFailure?

        init(_ name: String, queue: DispatchQueue, format: @escaping @Sendable (Record, _ indent: Int, _ out: inout [UInt8]) -> Void) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(name)-\(UUID().uuidString).json")
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            handle = try FileHandle(forWritingTo: url)
            (self.queue, self.format) = (queue, format)
            pending.reserveCapacity(ResultSpool.batch)
        }

        func add(_ record: Record) {
            pending.append(record)
            count += 1
            if pending.count == ResultSpool.batch { handOver() }
        }

        private func handOver() {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending = []
            pending.reserveCapacity(ResultSpool.batch)
            room.wait()
            queue.async { [self] in
                for record in batch {
                    buffer += (written > 0 ? ",\n    " : "    ").utf8
                    format(record, 2, &buffer)
                    written += 1
                    if buffer.count >= 1 << 16 { flush() }
                }
                room.signal()
            }
        }

        /// On `queue`: the buffer to the file, or the failure kept.
        private func flush() {
            if failure == nil {
                do { try buffer.withUnsafeBytes { try ResultSpool.write($0, to: handle.fileDescriptor, what: url.path) } } catch { failure = error as? ResultSpool.WriteFailure ?? ResultSpool.WriteFailure(message: "\(error)") }
            }
            buffer.removeAll(keepingCapacity: true)
        }

        /// Copies the items to `output` once every record is written, a chunk at a time.
        func copy(to output: FileHandle) throws {
            handOver()
            let failure = queue.sync { flush(); return self.failure }
            if let failure { throw failure }
            let reader = try FileHandle(forReadingFrom: url)
            defer { try? reader.close() }
            #if os(Linux)
            // The kernel copies page cache to the output without passing the bytes through here;
            // an output it cannot send to (EINVAL) takes the read and write below, from the start.
            var sent = 0
            while true {
                let n = sendfile(output.fileDescriptor, reader.fileDescriptor, nil, 1 << 30)
                if n > 0 { sent += n; continue }
                if n == 0 { return }
                if errno == EINTR || errno == EAGAIN { continue }
                guard sent == 0, errno == EINVAL || errno == ENOSYS else {
                    throw WriteFailure(message: "cannot write the output: \(String(cString: strerror(errno)))")
                }
                break
            }
            #endif
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

    /// Records per batch handed to the writer, and batches waiting at most.
    package static let batch = 2_048
    static let inFlight = 4

    let trades: Items<Trade>
    let riskEvents: Items<Engine.RiskEvent>

    public init() throws {
        let queue = DispatchQueue(label: "keel.result-spool")
        trades = try Items("trades", queue: queue) { ResultFormat.writeTrade($0, indent: $1, pretty: true, into: &$2) }
        riskEvents = try Items("risk-events", queue: queue) { ResultFormat.writeRiskEvent($0, indent: $1, pretty: true, into: &$2) }
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

    func add(_ trade: Trade) { trades.add(trade) }
    func add(_ event: Engine.RiskEvent) { riskEvents.add(event) }
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
        let lists: [(String, count: Int, copy: (FileHandle) throws -> Void)] = [
            ("trades", spool.trades.count, spool.trades.copy), ("risk_events", spool.riskEvents.count, spool.riskEvents.copy),
        ]
        for (key, count, copy) in lists {
            let marker = "\n  \"\(key)\": []"
            guard let range = rest.range(of: marker) else { continue }
            try put(rest[..<range.lowerBound])
            if count == 0 {
                try put(marker[...])
            } else {
                try put("\n  \"\(key)\": [\n")
                try copy(output)
                try put("\n  ]")
            }
            rest = rest[range.upperBound...]
        }
        try put(rest)
    }
}
