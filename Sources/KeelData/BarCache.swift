import Foundation

/// Keel's binary bar cache: `FILE.csv.keelcache` next to the CSV, reused while the CSV is unchanged
/// (same size and modification time) and rebuilt when it changes.
///
/// Layout (native byte order, checked by a marker): magic `KEELBAR1`, UInt32 version, UInt32
/// byte-order marker, UInt64 CSV size, Int64 CSV modification time (ns), UInt32 signal count, each
/// signal name as UInt32 length + UTF-8; then blocks of up to `CSVBarStream.chunkSize` bars, each a
/// UInt32 count followed by the columns time (Int64), open, high, low, close, volume and every
/// signal (Double). Blocks are read one at a time: memory is one block, however long the file.
public enum BarCache {
    static let magic = Array("KEELBAR1".utf8)
    static let version: UInt32 = 1
    static let byteOrder: UInt32 = 0x0102_0304

    public static func path(for csv: String) -> String { csv + ".keelcache" }

    /// The CSV's size and modification time; nil when it cannot be read.
    static func stamp(_ csv: String) -> (size: UInt64, modified: Int64)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: csv),
              let size = (attributes[.size] as? NSNumber)?.uint64Value,
              let date = attributes[.modificationDate] as? Date else { return nil }
        return (size, Int64((date.timeIntervalSince1970 * 1e9).rounded()))
    }

    /// A reader over the cache of `csv` when it exists and matches the CSV as it is now.
    public static func validReader(for csv: String, symbol: String) -> BarCacheReader? {
        guard let stamp = stamp(csv) else { return nil }
        return try? BarCacheReader(path: path(for: csv), symbol: symbol, expecting: stamp)
    }

    /// Reads the CSV (refusing bad rows) and writes its cache; returns the number of bars.
    @discardableResult
    public static func build(csv: String, symbol: String) throws -> Int {
        let stream = try CSVBarStream(path: csv, symbol: symbol, policy: .error)
        let writer = try BarCacheWriter(csv: csv, signalNames: stream.signalNames)
        var chunk = BarSeries(symbol: symbol, signalNames: stream.signalNames)
        var count = 0
        do {
            while try stream.next(into: &chunk) {
                try writer.append(chunk)
                count += chunk.count
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        return count
    }
}

/// Writes a cache to a temporary file and moves it into place when complete, so a reader never
/// sees half a cache.
package final class BarCacheWriter {
    private let target: String
    private let temporary: String
    private let handle: FileHandle
    private var finished = false

    package init(csv: String, signalNames: [String]) throws {
        guard let stamp = BarCache.stamp(csv) else { throw CocoaError(.fileReadNoSuchFile) }
        target = BarCache.path(for: csv)
        temporary = target + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else { throw CocoaError(.fileWriteNoPermission) }
        self.handle = handle
        var header = Data(BarCache.magic)
        header.appendInteger(BarCache.version)
        header.appendInteger(BarCache.byteOrder)
        header.appendInteger(stamp.size)
        header.appendInteger(stamp.modified)
        header.appendInteger(UInt32(signalNames.count))
        for name in signalNames {
            let bytes = Array(name.utf8)
            header.appendInteger(UInt32(bytes.count))
            header.append(contentsOf: bytes)
        }
        try handle.write(contentsOf: header)
    }

    package func append(_ chunk: BarSeries) throws {
        guard chunk.count > 0 else { return }
        var block = Data()
        block.reserveCapacity(4 + chunk.count * 8 * (6 + chunk.signals.count))
        block.appendInteger(UInt32(chunk.count))
        chunk.time.withUnsafeBytes { block.append(contentsOf: $0) }
        for column in [chunk.open, chunk.high, chunk.low, chunk.close, chunk.volume] + chunk.signals {
            column.withUnsafeBytes { block.append(contentsOf: $0) }
        }
        try handle.write(contentsOf: block)
    }

    package func finish() throws {
        try handle.close()
        _ = try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.moveItem(atPath: temporary, toPath: target)
        finished = true
    }

    package func abandon() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }

    deinit { if !finished { abandon() } }
}

/// Reads a cache a block at a time.
public final class BarCacheReader: BarSource {
    public let symbol: String
    public private(set) var signalNames: [String] = []
    private let handle: FileHandle
    private var block: [UInt8] = []
    private let fileSize: UInt64

    public var fractionRead: Double { fileSize > 0 ? min(1, Double(handle.offsetInFile) / Double(fileSize)) : 1 }

    struct Invalid: Error {}

    init(path: String, symbol: String, expecting stamp: (size: UInt64, modified: Int64)) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Invalid() }
        self.handle = handle
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.uint64Value ?? 0
        self.symbol = symbol
        let fixed = handle.readData(ofLength: 8 + 4 + 4 + 8 + 8 + 4)
        guard fixed.count == 36, Array(fixed.prefix(8)) == BarCache.magic else { throw Invalid() }
        var offset = 8
        guard fixed.integer(at: &offset) as UInt32 == BarCache.version, fixed.integer(at: &offset) as UInt32 == BarCache.byteOrder,
              fixed.integer(at: &offset) as UInt64 == stamp.size, fixed.integer(at: &offset) as Int64 == stamp.modified else {
            throw Invalid()
        }
        let signalCount: UInt32 = fixed.integer(at: &offset)
        for _ in 0..<signalCount {
            var at = 0
            let length: UInt32 = handle.readData(ofLength: 4).integer(at: &at)
            signalNames.append(String(decoding: handle.readData(ofLength: Int(length)), as: UTF8.self))
        }
    }

    deinit { try? handle.close() }

    public func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        var countBytes: UInt32 = 0
        guard try withUnsafeMutableBytes(of: &countBytes, readFully) == 4 else { return false }
        let count = Int(countBytes)  // in the byte order the header checked
        let columns = 6 + signalNames.count
        // One block buffer for the whole file: a fresh one per chunk would be mapped and faulted in anew each time.
        if block.count < count * 8 * columns { block = [UInt8](repeating: 0, count: count * 8 * columns) }
        let size = count * 8 * columns
        guard try block.withUnsafeMutableBytes({ try readFully(UnsafeMutableRawBufferPointer(rebasing: $0[0..<size])) }) == size else {
            throw CocoaError(.fileReadCorruptFile)
        }
        block.withUnsafeBytes { raw in
            let stride = count * 8
            chunk.time.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<stride]).bindMemory(to: Int64.self))
            func doubles(_ column: Int) -> UnsafeBufferPointer<Double> {
                UnsafeRawBufferPointer(rebasing: raw[(column * stride)..<((column + 1) * stride)]).bindMemory(to: Double.self)
            }
            chunk.open.append(contentsOf: doubles(1))
            chunk.high.append(contentsOf: doubles(2))
            chunk.low.append(contentsOf: doubles(3))
            chunk.close.append(contentsOf: doubles(4))
            chunk.volume.append(contentsOf: doubles(5))
            for s in chunk.signals.indices { chunk.signals[s].append(contentsOf: doubles(6 + s)) }
        }
        return count > 0
    }

    /// Reads until `buffer` is full or the file ends; the bytes read.
    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = read(handle.fileDescriptor, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileReadUnknown)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

extension Data {
    mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    func integer<T: FixedWidthInteger>(at offset: inout Int) -> T {
        var value = T.zero
        Swift.withUnsafeMutableBytes(of: &value) { target in
            copyBytes(to: target.bindMemory(to: UInt8.self), from: (startIndex + offset)..<(startIndex + offset + MemoryLayout<T>.size))
        }
        offset += MemoryLayout<T>.size
        return value
    }
}
