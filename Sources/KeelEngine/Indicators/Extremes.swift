/// Highest or lowest of the last `period` values, amortised O(1): a monotonic deque of candidates.
package struct RollingExtreme: Sendable {
    package let period: Int
    private let highest: Bool
    /// Candidates as (bar number, value), best first; a ring of `period + 1` slots, since the new
    /// value joins before the expired front leaves.
    private var bars: [Int]
    private var values: [Double]
    private var front = 0
    private var size = 0
    private var bar = 0

    package init(period: Int, highest: Bool) {
        self.period = period
        self.highest = highest
        bars = [Int](repeating: 0, count: period + 1)
        values = [Double](repeating: 0, count: period + 1)
    }

    package mutating func update(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        // Drop candidates that the new value beats: they can never be the extreme again.
        while size > 0 {
            let back = slot(size - 1)
            guard highest ? values[back] <= x : values[back] >= x else { break }
            size -= 1
        }
        let tail = slot(size)
        bars[tail] = bar
        values[tail] = x
        size += 1
        if bars[slot(0)] <= bar - period {
            front = (front + 1) % bars.count
            size -= 1
        }
        bar += 1
        return bar >= period ? values[slot(0)] : .nan
    }

    private func slot(_ offset: Int) -> Int { (front + offset) % bars.count }
}

/// Population variance and standard deviation over a window.
///
/// Running sums of x and x² lose digits when the variance is tiny next to the mean (a coin at
/// 0.0016 moving by 1e-8). The sums here are of x - K, where K is re-centred on the window's mean
/// every `period` bars (an O(period) pass each `period` bars: amortised O(1)).
package struct RollingVariance: Sendable {
    package let period: Int
    private var window: RingBuffer
    private var shift = Double.nan
    private var sum = CompensatedSum()
    private var squares = CompensatedSum()
    private var sinceRecentre = 0

    package init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period)
    }

    /// (mean, variance), NaN until the window is full.
    package mutating func update(_ x: Double) -> (mean: Double, variance: Double) {
        guard !x.isNaN else { return (.nan, .nan) }
        if shift.isNaN { shift = x }
        if let old = window.push(x) {
            let d = old - shift
            sum.add(-d)
            squares.add(-d * d)
        }
        let d = x - shift
        sum.add(d)
        squares.add(d * d)
        guard window.isFull else { return (.nan, .nan) }
        sinceRecentre += 1
        if sinceRecentre >= period { recentre() }
        let n = Double(period)
        let meanShifted = sum.value / n
        return (shift + meanShifted, max(0, squares.value / n - meanShifted * meanShifted))
    }

    private mutating func recentre() {
        sinceRecentre = 0
        shift += sum.value / Double(period)
        sum = CompensatedSum()
        squares = CompensatedSum()
        for ago in 0..<window.count {
            let d = window[ago: ago] - shift
            sum.add(d)
            squares.add(d * d)
        }
    }
}
