import Foundation

/// Statistics that know how many trials were run (Bailey and López de Prado, "The Deflated Sharpe
/// Ratio", 2014): all on per-period returns, never annualised (annualising a short record inflates
/// the noise these measure). Conventions as skfolio's: the sample standard deviation, and the
/// population skew and (non-excess) kurtosis. Checked against skfolio's values (ResearchStatisticsTests).
public enum SharpeStatistics {
    /// The standard normal distribution function.
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// Its inverse: Acklam's rational approximation, then one Halley step on erfc (about 1e-15).
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return p <= 0 ? -.infinity : .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // The step's error from the nearer tail: near 1, Φ(x) - p cancels to nothing.
        let e = p > 0.5 ? (1 - p) - 0.5 * erfc(x / 2.0.squareRoot()) : normalCDF(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// The moments the ratios read from a return series.
    public struct Moments: Sendable, Equatable {
        public var count: Int
        public var mean: Double
        /// The sample standard deviation (n - 1).
        public var standardDeviation: Double
        /// The third and fourth standardised moments (population; kurtosis 3 for a normal).
        public var skew: Double
        public var kurtosis: Double
        /// Per-period Sharpe ratio: mean over standard deviation, no risk-free rate.
        public var sharpe: Double { standardDeviation > 0 ? mean / standardDeviation : .nan }

        /// Moments read back (a results file's `trial_returns`).
        public init(count: Int, mean: Double, standardDeviation: Double, skew: Double, kurtosis: Double) {
            (self.count, self.mean, self.standardDeviation, self.skew, self.kurtosis) = (count, mean, standardDeviation, skew, kurtosis)
        }

        public init(_ returns: [Double]) {
            let n = returns.count
            let average = returns.reduce(0, +) / Double(max(1, n))
            (count, mean) = (n, average)
            let deviations = returns.map { $0 - average }
            let second = deviations.reduce(0) { $0 + $1 * $1 } / Double(max(1, n))
            standardDeviation = n > 1 ? (second * Double(n) / Double(n - 1)).squareRoot() : .nan
            let third = deviations.reduce(0) { $0 + $1 * $1 * $1 } / Double(max(1, n))
            let fourth = deviations.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(max(1, n))
            skew = second > 0 ? third / pow(second, 1.5) : .nan
            kurtosis = second > 0 ? fourth / (second * second) : .nan
        }
    }

    /// The probability that the true per-period Sharpe ratio is above `benchmark`, given the
    /// record's length, skew and kurtosis; NaN for fewer than 3 returns or no variance.
    public static func probabilisticSharpe(_ m: Moments, benchmark: Double = 0) -> Double {
        let sr = m.sharpe
        let variance = 1 - m.skew * sr + (m.kurtosis - 1) / 4 * sr * sr
        guard m.count >= 3, sr.isFinite, variance > 0 else { return .nan }
        return normalCDF((sr - benchmark) * Double(m.count - 1).squareRoot() / variance.squareRoot())
    }

    /// The Sharpe ratio the best of `trials` independent trials reaches by luck alone, when the
    /// trials' ratios have this standard deviation (and mean).
    public static func expectedMaxSharpe(trials: Int, standardDeviation: Double, mean: Double = 0) -> Double {
        guard trials > 1, standardDeviation > 0 else { return mean }
        let gamma = 0.577_215_664_901_532_9
        let n = Double(trials)
        return mean + standardDeviation * ((1 - gamma) * normalQuantile(1 - 1 / n) + gamma * normalQuantile(1 - 1 / (n * M_E)))
    }

    /// The probability that the chosen trial's true Sharpe ratio is above zero once the search is
    /// accounted for: its probabilistic Sharpe ratio against the expected best of the trials'
    /// (their count and spread; non-finite ratios left out).
    public static func deflatedSharpe(_ chosen: Moments, trialSharpes: [Double]) -> Double {
        let finite = trialSharpes.filter(\.isFinite)
        guard !finite.isEmpty else { return .nan }
        let spread = finite.count > 1 ? Moments(finite).standardDeviation : 0
        return probabilisticSharpe(chosen, benchmark: expectedMaxSharpe(trials: finite.count, standardDeviation: spread))
    }
}
