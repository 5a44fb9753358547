import Testing
import KeelTestSupport
@testable import KeelEngine

@Suite("Indicator properties")
struct IndicatorPropertyTests {
    @Test("highest and lowest equal a brute-force window scan, ties and tiny windows included", arguments: 1...12)
    func extremes(period: Int) {
        var rng = SeededGenerator(seed: UInt64(period))
        var high = RollingExtreme(period: period, highest: true)
        var low = RollingExtreme(period: period, highest: false)
        var values: [Double] = []
        for _ in 0..<5_000 {
            let x = Double(Int.random(in: 0...6, using: &rng))  // few distinct values: many ties
            values.append(x)
            let h = high.update(x), l = low.update(x)
            if values.count < period {
                #expect(h.isNaN && l.isNaN)
            } else {
                let window = values.suffix(period)
                #expect(h == window.max()! && l == window.min()!)
            }
        }
    }

    @Test("the ring buffer keeps the newest values in order")
    func ring() {
        var ring = RingBuffer(capacity: 3)
        #expect(ring.push(1) == nil && ring.push(2) == nil && ring.push(3) == nil)
        #expect(ring.push(4) == 1)
        #expect(ring[ago: 0] == 4 && ring[ago: 2] == 2 && ring.oldest == 2)
    }

    @Test("the rolling variance stays exact on a low-volatility series over a long run")
    func variance() {
        var stats = RollingVariance(period: 20)
        var values: [Double] = []
        var last = (mean: Double.nan, variance: Double.nan)
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<100_000 {
            let x = 0.0016 + Double(Int.random(in: 0...40, using: &rng)) * 1e-8
            values.append(x)
            last = stats.update(x)
        }
        let window = values.suffix(20)
        let mean = window.reduce(0, +) / 20
        let variance = window.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20
        #expect(variance > 0)
        #expect(abs(last.variance - variance) <= 1e-9 * variance)
        #expect(abs(last.mean - mean) <= 1e-15 * mean)
    }

    @Test("the SMA's own kernel equals the streaming SMA bit for bit, NaN gaps and any chunking", arguments: [1, 2, 10, 200])
    func smaKernel(period: Int) {
        var rng = SeededGenerator(seed: UInt64(period))
        let n = 20_000
        let capacity = 512
        let base = UnsafeMutablePointer<Double>.allocate(capacity: 2 * capacity)
        let times = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
        defer { base.deallocate(); times.deallocate() }
        let kernel = SMAKernel(period: period, input: 0, output: 1)
        var reference = SMA(period: period)
        var row = 0, mismatches = 0
        while row < n {
            let count = min(n - row, Int.random(in: 1...capacity, using: &rng))
            for r in 0..<count {
                // Prices with a drift, and now and then a missing value.
                base[r] = Int.random(in: 0..<50, using: &rng) == 0 ? .nan : 100 + Double(row + r) * 0.01 + Double.random(in: -1...1, using: &rng)
            }
            kernel.run(Columns(base: base, capacity: capacity, times: times, rows: 0..<count))
            for r in 0..<count where reference.update(base[r]).bitPattern != base[capacity + r].bitPattern { mismatches += 1 }
            row += count
        }
        #expect(mismatches == 0)
    }

    @Test("a NaN input is skipped, so nested indicators warm up as the checker says: ema(sma(x, 10), 5) at bar 13")
    func nested() {
        var inner = SMA(period: 10), outer = EMA(period: 5)
        let first = (0..<30).first { !outer.update(inner.update(Double($0))).isNaN }
        #expect(first == 13)
    }
}
