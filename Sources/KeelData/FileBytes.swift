import CZlib
import Foundation

/// A data file's bytes, a block at a time: as they are on disk, or inflated when the file is
/// gzip-compressed (told by its first two bytes, not its name). Several gzip members one after
/// another (`cat a.gz b.gz`) read as one file, as `gunzip` reads them.
final class FileBytes {
    let path: String
    let compressed: Bool
    /// Bytes taken from the disk so far (compressed ones, for a gzip file), and the file's size.
    private(set) var bytesRead = 0
    let fileSize: Int
    private let handle: FileHandle
    private var stream: UnsafeMutablePointer<z_stream>?
    private var input: [UInt8] = []
    private var inputEnded = false
    /// A gzip member begun and not yet ended (input ending now is a truncated file), or just ended.
    private var memberOpen = false
    private var memberEnded = false

    struct Failure: Error { let message: String }

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(message: "cannot read the file") }
        self.handle = handle
        self.path = path
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
        let magic = [UInt8](handle.readData(ofLength: 2))
        try handle.seek(toOffset: 0)
        compressed = magic == [0x1F, 0x8B]
        if compressed {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard keel_inflate_init(stream) == Z_OK else {
                stream.deallocate()
                throw Failure(message: "cannot start zlib's inflate")
            }
            self.stream = stream
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        try? handle.close()
    }

    /// Appends up to `count` bytes to `buffer`; 0 at the end of the file.
    func read(into buffer: inout [UInt8], count: Int) throws -> Int {
        guard let stream else {
            let data = handle.readData(ofLength: count)
            bytesRead += data.count
            buffer.append(contentsOf: data)
            return data.count
        }
        let before = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        var produced = 0
        while produced == 0 {
            if stream.pointee.avail_in == 0 {
                if inputEnded { break }
                try refill()
                if input.isEmpty {
                    inputEnded = true
                    if memberOpen {
                        buffer.removeSubrange(before...)
                        throw Failure(message: "the gzip file ends in the middle of its data (truncated?) after \(stream.pointee.total_out) bytes")
                    }
                    break
                }
            }
            // A finished member followed by more bytes: the next member.
            if memberEnded { inflateReset(stream); memberEnded = false }
            memberOpen = true
            let status: Int32 = input.withUnsafeMutableBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_in = source.baseAddress! + (source.count - Int(stream.pointee.avail_in))
                    stream.pointee.next_out = target.baseAddress! + before + produced
                    stream.pointee.avail_out = UInt32(count - produced)
                    let status = inflate(stream, Z_NO_FLUSH)
                    produced = count - Int(stream.pointee.avail_out)
                    return status
                }
            }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                (memberOpen, memberEnded) = (false, true)
            default:
                buffer.removeSubrange(before...)
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw Failure(message: "the gzip data is damaged (\(detail)) after \(stream.pointee.total_out) bytes")
            }
        }
        buffer.removeSubrange((before + produced)...)
        return produced
    }

    /// Reads the next compressed block into `input`.
    private func refill() throws {
        let data = handle.readData(ofLength: 1 << 18)
        bytesRead += data.count
        input = [UInt8](data)
        stream!.pointee.avail_in = UInt32(input.count)
    }
}
