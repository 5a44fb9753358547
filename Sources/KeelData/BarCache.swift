import Foundation

/// Keel's binary bar cache: one file per data file (and symbol and reading), kept in the user's
/// cache directory (`$XDG_CACHE_HOME/keel`, else `~/.cache/keel`), never beside the user's data.
/// An entry is reused while its data file is unchanged: the same path, size and modification time,
/// and the same bytes in its first and last block; it is rebuilt when the file changes.
///
/// Layout (native byte order, checked by a marker): magic `KEELBAR3`, UInt32 version, UInt32
/// byte-order marker, UInt64 file size, Int64 modification time (ns), UInt64 content hash; then
/// six strings (UInt32 length + UTF-8): the data file's absolute path, the symbol, the reading
/// (`BarFileOptions.key`), the layout read, the time form and whether it has volume; UInt32 signal count and each signal
/// name as a string; then blocks of up to `CSVBarStream.chunkSize` bars, each a UInt32 count
/// followed by the columns time (Int64), open, high, low, close, volume and every signal (Double);
/// a block of count 0 ends them. Then the trailer: the bars' summary and their suspicious lines
/// (`BarStatistics`, gathered while the entry was built) as two strings, and last the UInt64 offset
/// of the trailer. Blocks are read one at a time: memory is one block, however long the file.
public enum BarCache {
    static let magic = Array("KEELBAR3".utf8)
    static let version: UInt32 = 3
    static let byteOrder: UInt32 = 0x0102_0304
    static let suffix = ".keelcache"

    /// Where entries live when no folder is given: `$XDG_CACHE_HOME/keel`, else `~/.cache/keel`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return (xdg as NSString).appendingPathComponent("keel") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".cache/keel")
    }

    /// What identifies one entry: the data file, the symbol read from it, and how it is read.
    public struct Key: Sendable {
        public var file: String
        public var symbol: String
        public var options: BarFileOptions

        public init(file: String, symbol: String, options: BarFileOptions = BarFileOptions()) {
            self.file = Self.absolute(file)
            (self.symbol, self.options) = (symbol, options)
        }

        static func absolute(_ path: String) -> String {
            let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
            return (full as NSString).standardizingPath
        }

        /// The entry's file name: the data file's name and a hash of the whole key, so two
        /// `AAPL.csv` in two folders never share an entry.
        var entryName: String {
            var hash = FNV1a()
            for part in [file, symbol, options.key] { hash.add(Array(part.utf8)); hash.add([0]) }
            let stem = (file as NSString).lastPathComponent.filter { $0.isLetter || $0.isNumber || ".-_".contains($0) }
            return "\(stem.prefix(64))-\(String(hash.value, radix: 16))\(BarCache.suffix)"
        }
    }

    /// The path of `key`'s entry in `directory`.
    public static func path(for key: Key, in directory: String) -> String {
        (directory as NSString).appendingPathComponent(key.entryName)
    }

    /// The data file as it is now: size, modification time, and a hash of its first and last 64 KiB.
    struct Stamp: Equatable {
        var size: UInt64
        var modified: Int64
        var content: UInt64
    }

    static func stamp(_ file: String) -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let size = (attributes[.size] as? NSNumber)?.uint64Value,
              let date = attributes[.modificationDate] as? Date,
              let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        let block: UInt64 = 1 << 16
        var hash = FNV1a()
        hash.add([UInt8](handle.readData(ofLength: Int(block))))
        if size > block {
            guard (try? handle.seek(toOffset: max(block, size - block))) != nil else { return nil }
            hash.add([UInt8](handle.readData(ofLength: Int(block))))
        }
        return Stamp(size: size, modified: Int64((date.timeIntervalSince1970 * 1e9).rounded()), content: hash.value)
    }

    /// A reader over `key`'s entry when it exists and matches the data file as it is now.
    public static func validReader(for key: Key, in directory: String) -> BarCacheReader? {
        guard let stamp = stamp(key.file) else { return nil }
        return try? BarCacheReader(path: path(for: key, in: directory), key: key, expecting: stamp)
    }

    /// Reads the data file (refusing bad rows) and writes its entry into `directory` (created when
    /// missing); returns the entry's path and its number of bars.
    @discardableResult
    public static func build(_ key: Key, in directory: String) throws -> (path: String, bars: Int) {
        let stream = try CSVBarStream(path: key.file, symbol: key.symbol, policy: .error, options: key.options)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var chunk = BarSeries(symbol: key.symbol, signalNames: stream.signalNames)
        // The first chunk before the header: the time form is known once rows are read.
        var count = try stream.next(into: &chunk) ? chunk.count : 0
        let writer = try BarCacheWriter(key: key, in: directory, layout: stream.layout, timeForm: stream.timeForm, hasVolume: stream.hasVolume,
                                        signalNames: stream.signalNames)
        var statistics = BarStatistics()
        statistics.hasVolume = stream.hasVolume
        do {
            try writer.append(chunk)
            statistics.add(chunk)
            while try stream.next(into: &chunk) {
                try writer.append(chunk)
                statistics.add(chunk)
                count += chunk.count
            }
            try writer.finish(statistics.finished)
        } catch {
            writer.abandon()
            throw error
        }
        return (writer.target, count)
    }

    /// Removes the entries of `directory` whose data file is gone, and half-written ones; returns
    /// the paths removed.
    public static func prune(_ directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names.sorted() where name.hasSuffix(suffix) || name.hasSuffix(".tmp") && name.contains(suffix) {
            let entry = (directory as NSString).appendingPathComponent(name)
            let source = name.hasSuffix(suffix) ? (try? BarCacheReader.header(of: entry))?.file : nil
            if let source, FileManager.default.fileExists(atPath: source) { continue }
            if (try? FileManager.default.removeItem(atPath: entry)) != nil { removed.append(entry) }
        }
        return removed
    }
}

/// The 64-bit FNV-1a hash: cache keys and content stamps (not a defence against tampering).
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }
}

/// Writes a cache entry to a temporary file and moves it into place when complete, so a reader
/// never sees half an entry.
package final class BarCacheWriter {
    package let target: String
    private let temporary: String
    private let handle: FileHandle
    private var finished = false

    package init(key: BarCache.Key, in directory: String, layout: BarFileLayout, timeForm: String, hasVolume: Bool, signalNames: [String]) throws {
        guard let stamp = BarCache.stamp(key.file) else { throw CocoaError(.fileReadNoSuchFile) }
        target = BarCache.path(for: key, in: directory)
        temporary = target + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else { throw CocoaError(.fileWriteNoPermission) }
        self.handle = handle
        var header = Data(BarCache.magic)
        header.appendInteger(BarCache.version)
        header.appendInteger(BarCache.byteOrder)
        header.appendInteger(stamp.size)
        header.appendInteger(stamp.modified)
        header.appendInteger(stamp.content)
        for text in [key.file, key.symbol, key.options.key, layout.rawValue, timeForm, hasVolume ? "volume" : "no volume"] { header.appendString(text) }
        header.appendInteger(UInt32(signalNames.count))
        for name in signalNames { header.appendString(name) }
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

    package func finish(_ statistics: BarStatistics) throws {
        var trailer = Data()
        trailer.appendInteger(UInt32(0))
        let offset = try handle.offset() + 4
        trailer.appendString(statistics.summary)
        trailer.appendString(statistics.suspicious.joined(separator: "\n"))
        trailer.appendInteger(offset)
        try handle.write(contentsOf: trailer)
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

/// Reads a cache entry a block at a time.
public final class BarCacheReader: BarSource {
    public let symbol: String
    public private(set) var signalNames: [String] = []
    /// What the entry says of its data file: its path, the layout it was read in, how its times were written.
    public let header: Header
    /// The data file as the user named it (the header holds its absolute path).
    public var displayPath: String?
    private let handle: FileHandle
    private var block: [UInt8] = []
    private let fileSize: UInt64

    public var fractionRead: Double { fileSize > 0 ? min(1, Double(handle.offsetInFile) / Double(fileSize)) : 1 }

    struct Invalid: Error {}

    public struct Header: Sendable {
        public var file: String
        public var symbol: String
        public var reading: String
        public var layout: BarFileLayout
        public var timeForm: String
        public var hasVolume: Bool
        var stamp: BarCache.Stamp
        var signalNames: [String]
    }

    init(path: String, key: BarCache.Key, expecting stamp: BarCache.Stamp) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Invalid() }
        self.handle = handle
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.uint64Value ?? 0
        header = try Self.readHeader(handle)
        guard header.stamp == stamp, header.file == key.file, header.symbol == key.symbol, header.reading == key.options.key else { throw Invalid() }
        symbol = key.symbol
        signalNames = header.signalNames
        // The trailer, then back to the first block.
        let blocks = handle.offsetInFile
        guard fileSize >= blocks + 8 else { throw Invalid() }
        try handle.seek(toOffset: fileSize - 8)
        var at = 0
        let end = handle.readData(ofLength: 8)
        guard end.count == 8 else { throw Invalid() }
        let trailer: UInt64 = end.integer(at: &at)
        guard trailer >= blocks, trailer < fileSize else { throw Invalid() }
        try handle.seek(toOffset: trailer)
        barsSummary = try Self.string(handle)
        let lines = try Self.string(handle)
        suspicious = lines.isEmpty ? [] : lines.components(separatedBy: "\n")
        try handle.seek(toOffset: blocks)
    }

    /// Whether the block that ends the bars has been read.
    private var ended = false

    /// The bars' summary and suspicious lines, from the trailer.
    let barsSummary: String
    let suspicious: [String]

    /// The header of the entry at `path` (`keel data cache --prune` reads which file it is of).
    static func header(of path: String) throws -> Header {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Invalid() }
        defer { try? handle.close() }
        return try readHeader(handle)
    }

    /// A UInt32 length and that many bytes of UTF-8.
    private static func string(_ handle: FileHandle) throws -> String {
        var at = 0
        let lengthBytes = handle.readData(ofLength: 4)
        guard lengthBytes.count == 4 else { throw Invalid() }
        let length: UInt32 = lengthBytes.integer(at: &at)
        guard length < 1 << 16 else { throw Invalid() }
        let text = handle.readData(ofLength: Int(length))
        guard text.count == Int(length) else { throw Invalid() }
        return String(decoding: text, as: UTF8.self)
    }

    private static func readHeader(_ handle: FileHandle) throws -> Header {
        let fixed = handle.readData(ofLength: 8 + 4 + 4 + 8 + 8 + 8)
        guard fixed.count == 40, Array(fixed.prefix(8)) == BarCache.magic else { throw Invalid() }
        var offset = 8
        guard fixed.integer(at: &offset) as UInt32 == BarCache.version, fixed.integer(at: &offset) as UInt32 == BarCache.byteOrder else {
            throw Invalid()
        }
        let stamp = BarCache.Stamp(size: fixed.integer(at: &offset), modified: fixed.integer(at: &offset), content: fixed.integer(at: &offset))
        func string() throws -> String { try Self.string(handle) }
        let (file, symbol, reading, layout, timeForm, volume) = (try string(), try string(), try string(), try string(), try string(), try string())
        var at = 0
        let countBytes = handle.readData(ofLength: 4)
        guard countBytes.count == 4, let layoutRead = BarFileLayout(rawValue: layout) else { throw Invalid() }
        let signalCount: UInt32 = countBytes.integer(at: &at)
        guard signalCount < 1 << 12 else { throw Invalid() }
        let signals = try (0..<signalCount).map { _ in try string() }
        return Header(file: file, symbol: symbol, reading: reading, layout: layoutRead, timeForm: timeForm, hasVolume: volume == "volume",
                      stamp: stamp, signalNames: signals)
    }

    deinit { try? handle.close() }

    public func next(into chunk: inout BarSeries) throws -> Bool {
        chunk.removeAll(keepingCapacity: true)
        // The block of count 0 ends the bars; the trailer after it is not a block.
        guard !ended else { return false }
        var countBytes: UInt32 = 0
        guard try withUnsafeMutableBytes(of: &countBytes, readFully) == 4 else { throw CocoaError(.fileReadCorruptFile) }
        let count = Int(countBytes)  // in the byte order the header checked
        if count == 0 { ended = true }
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

extension BarCacheReader {
    public var origin: DataOrigin? {
        let magic = FileHandle(forReadingAtPath: header.file).map { handle in
            defer { try? handle.close() }
            return [UInt8](handle.readData(ofLength: 2))
        }
        return DataOrigin(file: displayPath ?? header.file, layout: header.layout, timeForm: header.timeForm, compressed: magic == [0x1F, 0x8B],
                          adjusted: header.reading.hasSuffix("/adjusted"), fromCache: true, hasVolume: header.hasVolume,
                          barsSummary: barsSummary, suspicious: suspicious)
    }
}

extension Data {
    mutating func appendString(_ text: String) {
        let bytes = Array(text.utf8)
        appendInteger(UInt32(bytes.count))
        append(contentsOf: bytes)
    }

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
