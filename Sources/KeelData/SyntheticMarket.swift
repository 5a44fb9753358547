/// Deterministic synthetic bars for tests and benchmarks: the log price follows a random walk
/// with volatility scaled to the bar size (1% a day, about 0.026% a minute), gaps of three times
/// that about every 50 bars, and a very weak pull toward its starting level, so even a series of
/// 100 million bars neither collapses nor explodes. Prices sit on a 0.0001 grid so the CSV text
/// round-trips exactly.
public struct SyntheticMarket: Sendable {
    public var seed: UInt64
    /// Bar length in milliseconds.
    public var barMilliseconds: Int64
    /// Open time of the first bar, epoch milliseconds.
    public var start: Int64

    public init(seed: UInt64, barMilliseconds: Int64 = 60_000, start: Int64 = 1_577_836_800_000) {
        self.seed = seed
        self.barMilliseconds = barMilliseconds
        self.start = start
    }

    public static let tick = 10_000.0
    /// Strength of the pull toward the starting log price, per bar.
    static let reversion = 2e-6

    /// `symbols` series named SYM001, SYM002, ... of `bars` bars each.
    public func generate(symbols: Int, bars: Int) -> [BarSeries] {
        (0..<symbols).map { index in
            // Each symbol's seed goes through the finalizer: consecutive raw seeds would give SplitMix
            // sequences shifted by one draw, that is, correlated series.
            series(named: Self.name(ofSymbolAt: index), bars: bars, seed: seed(forSymbolAt: index))
        }
    }

    public static func name(ofSymbolAt index: Int) -> String { "SYM" + String(String(index + 1 + 1_000).dropFirst()) }

    /// Volatility of one bar's log return: 1% a day, scaled by the square root of the bar's length.
    var volatility: Double {
        max(0.0002, 0.01 * (min(1, Double(barMilliseconds) / 86_400_000)).squareRoot())
    }

    public func series(named symbol: String, bars: Int, seed: UInt64) -> BarSeries {
        var stream = stream(named: symbol, seed: seed)
        return stream.next(bars)
    }

    /// The seed of the symbol at `index`, as `generate` uses it.
    public func seed(forSymbolAt index: Int) -> UInt64 {
        SplitMix64.mix(seed &+ SplitMix64.mix(UInt64(index) &+ 1))
    }

    /// A series made a chunk at a time: the same bars as `series`, for files too large to hold.
    public func stream(named symbol: String, seed: UInt64) -> Stream {
        Stream(market: self, symbol: symbol, seed: seed)
    }

    public struct Stream {
        let market: SyntheticMarket
        let symbol: String
        private var random: SplitMix64
        private let anchor: Double
        private var level: Double
        private var bar = 0

        init(market: SyntheticMarket, symbol: String, seed: UInt64) {
            self.market = market
            self.symbol = symbol
            random = SplitMix64(seed: seed)
            anchor = SplitMix64.log(50.0 + Double(random.next() % 200))
            level = anchor
        }

        /// The next `count` bars.
        public mutating func next(_ count: Int) -> BarSeries {
            var series = BarSeries(symbol: symbol)
            series.reserve(count)
            let sigma = market.volatility
            for _ in 0..<count {
                let gap = random.unit() < 0.02 ? (random.unit() < 0.5 ? -3 * sigma : 3 * sigma) : 0
                let openLevel = level + gap + 0.2 * sigma * random.normal()
                level = openLevel + sigma * random.normal() - SyntheticMarket.reversion * (level - anchor)
                let open = market.onGrid(SplitMix64.exp(openLevel))
                let close = market.onGrid(SplitMix64.exp(level))
                let high = market.onGrid(max(open, close) * SplitMix64.exp(0.4 * sigma * abs(random.normal())))
                let low = market.onGrid(min(open, close) * SplitMix64.exp(-0.4 * sigma * abs(random.normal())))
                let volume = Double(1_000 + random.next() % 9_000)
                series.append(time: market.start + Int64(bar) * market.barMilliseconds, open: open, high: high,
                              low: min(low, open, close), close: close, volume: volume)
                bar += 1
            }
            return series
        }
    }

    /// Rounds to the 0.0001 grid, computed as the CSV reader computes `ticks / 10^4`.
    func onGrid(_ price: Double) -> Double {
        max(1, (price * Self.tick).rounded()) / Self.tick
    }
}

/// SplitMix64 with uniform and normal draws (Box-Muller), deterministic across platforms.
struct SplitMix64 {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// SplitMix64's finalizer: a bijection that scatters nearby inputs.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func normal() -> Double {
        if let spare { self.spare = nil; return spare }
        let u = max(unit(), 1e-300), v = unit()
        let radius = (-2 * Self.log(u)).squareRoot()
        spare = radius * Self.sin(2 * .pi * v + .pi / 2)
        return radius * Self.sin(2 * .pi * v)
    }

    // Deterministic everywhere: series, not the platform's libm.
    static func log(_ x: Double) -> Double {
        // ln(x) = 2 atanh((x - 1) / (x + 1)), after scaling x into [0.5, 1).
        var exponent = 0
        var m = x
        while m >= 1 { m /= 2; exponent += 1 }
        while m < 0.5 { m *= 2; exponent -= 1 }
        let y = (m - 1) / (m + 1), y2 = y * y
        var term = y, sum = 0.0, n = 1.0
        while abs(term / n) > 1e-17 { sum += term / n; term *= y2; n += 2 }
        return 2 * sum + Double(exponent) * 0.693_147_180_559_945_3
    }

    /// e^x by range reduction (x = k ln 2 + r) and a Taylor series: the same bits on every platform.
    static func exp(_ x: Double) -> Double {
        let ln2 = 0.693_147_180_559_945_3
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        var term = 1.0, sum = 1.0, n = 1.0
        while abs(term) > 1e-17 { term *= r / n; sum += term; n += 1 }
        return Double(sign: .plus, exponent: Int(k), significand: sum)
    }

    static func sin(_ x: Double) -> Double {
        var a = x.truncatingRemainder(dividingBy: 2 * .pi)
        if a > .pi { a -= 2 * .pi } else if a < -.pi { a += 2 * .pi }
        var term = a, sum = 0.0, n = 1.0
        while abs(term) > 1e-17 { sum += term; term *= -a * a / ((n + 1) * (n + 2)); n += 2 }
        return sum
    }
}

/// Writes a `BarSeries` as CSV: ISO-8601 UTC times and prices on the 0.0001 grid.
public enum CSVBarWriter {
    public static func csv(_ series: BarSeries) -> String {
        header(series) + rows(series)
    }

    public static func header(_ series: BarSeries) -> String {
        "timestamp,open,high,low,close,volume" + series.signalNames.map { "," + $0 }.joined() + "\n"
    }

    /// The rows alone, for writing a large series a chunk at a time.
    public static func rows(_ series: BarSeries) -> String {
        var out = ""
        out.reserveCapacity(series.count * 64)
        for i in 0..<series.count {
            out += TimestampParser.format(series.time[i])
            for value in [series.open[i], series.high[i], series.low[i], series.close[i]] { out += "," + grid(value) }
            out += "," + (series.volume[i] == series.volume[i].rounded() ? String(Int64(series.volume[i])) : "\(series.volume[i])")
            for column in series.signals { out += "," + (column[i].isNaN ? "" : "\(column[i])") }
            out += "\n"
        }
        return out
    }

    /// A price on the 0.0001 grid as text with four decimals.
    static func grid(_ value: Double) -> String {
        let ticks = Int64((value * SyntheticMarket.tick).rounded())
        let fraction = String(String(ticks % 10_000 + 10_000).dropFirst())
        return "\(ticks / 10_000).\(fraction)"
    }
}
