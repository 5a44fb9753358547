import CZlib
import Foundation
import KeelData

/// A numeric column of a report, packed small enough that a year of one-minute bars fits the file:
/// each value scaled to an integer (`scale` decimals), the differences from the value before it
/// zigzag-varint coded, the bytes gzipped (the browser's `DecompressionStream` unpacks them) and
/// base64'd. Prices keep their own decimals exactly; money is drawn to `scale` decimals.
struct PackedColumn {
    let count: Int
    let scale: Int
    let base64: String

    /// Whether each value is written as its difference from the one before (`false`: as itself).
    let delta: Bool

    var json: JSON.Value {
        .object([("n", .int(count)), ("scale", .int(scale)), ("delta", .bool(delta)), ("gz", .string(base64))])
    }

    /// Integers (times in milliseconds, codes), exactly; `scale` says how many decimals they stand for.
    init(integers: some Collection<Int64>, scale: Int = 0, delta: Bool = true) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(integers.count * 2)
        var previous: Int64 = 0
        for value in integers {
            Self.appendVarint(Self.zigzag(value &- previous), to: &bytes)
            if delta { previous = value }
        }
        (count, self.scale, self.delta, base64) = (integers.count, scale, delta, Self.gzip(bytes).base64EncodedString())
    }

    /// Doubles at `scale` decimals.
    init(_ values: some Collection<Double>, scale: Int) {
        self.init(integers: Self.scaled(values, scale), scale: scale)
    }

    /// Each value times 10^scale, rounded; NaN (no value) is written as the value before it.
    static func scaled(_ values: some Collection<Double>, _ scale: Int) -> [Int64] {
        let factor = power(scale)
        var last = 0.0
        return values.map { value -> Int64 in
            if value.isFinite { last = value }
            let scaled = (last * factor).rounded()
            return abs(scaled) < 9e18 ? Int64(scaled) : 0
        }
    }

    /// The fewest decimals (at most 8) that write every value exactly: 2 for most stock prices.
    static func decimals(of values: some Collection<Double>) -> Int {
        var needed = 0
        for value in values where value.isFinite {
            while needed < 8 {
                let scaled = value * power(needed)
                if abs(scaled - scaled.rounded()) <= 1e-9 * max(1, abs(scaled)) { break }
                needed += 1
            }
            if needed == 8 { break }
        }
        return needed
    }

    static func power(_ decimals: Int) -> Double {
        var factor = 1.0
        for _ in 0..<decimals { factor *= 10 }
        return factor
    }

    private static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// One gzip member, as `DecompressionStream("gzip")` reads it.
    static func gzip(_ input: [UInt8]) -> Data {
        var stream = z_stream()
        guard keel_deflate_init_gzip(&stream, 6) == Z_OK else { fatalError("zlib: deflateInit2 failed") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let written: Int = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib: deflate did not finish (\(status))")
                return target.count - Int(stream.avail_out)
            }
        }
        return Data(output[0..<written])
    }
}
