import Foundation
import NumericCore

/// Paired comparisons of two variants over shared seeds, and corrections for many comparisons.
///
/// Seeds pair runs: the same seed gives two variants the same sampler order
/// and, where the shapes agree, the same initial weights (`Trainer` derives
/// both from the run's seed), so the difference per seed removes the part
/// of the seed noise the variants share.
extension Statistics {
    /// Two-sided p-value of the paired t-test of `a` against `b` (same length, index = seed); nil when n < 2.
    /// When every difference is equal the test has no spread: 1 if they are all zero, else 0.
    public static func pairedTPValue(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count, "paired samples need one value per seed on both sides")
        let d = zip(a, b).map { $0 - $1 }
        guard let s = SampleSummary(d), s.n >= 2 else { return nil }
        if s.std == 0 { return s.mean == 0 ? 1 : 0 }
        let t = s.mean / (s.std / Double(s.n).squareRoot())
        return twoSidedTailProbability(t: t, df: Double(s.n - 1))
    }

    /// Holm–Bonferroni adjusted p-values, in the order given: with p sorted ascending,
    /// p̃₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎). Rejecting p̃ ≤ α keeps the family-wise error ≤ α.
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] != p[$1] ? p[$0] < p[$1] : $0 < $1 }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// The percentile bootstrap 95% interval of the mean of `values`: `resamples` resamples
    /// drawn with a generator seeded by `seed` (deterministic), the 2.5% and 97.5% quantiles of their means.
    public static func bootstrapCI(_ values: [Double], resamples: Int = 2000, seed: UInt64 = 0) -> ClosedRange<Double>? {
        guard !values.isEmpty, resamples >= 1 else { return nil }
        var rng = SplitMix64.derived(seed: seed, stream: 0x424F_4F54)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0.0
            for _ in values.indices { sum += values[rng.nextInt(below: values.count)] }
            means[r] = sum / Double(values.count)
        }
        means.sort()
        func quantile(_ q: Double) -> Double {
            // Linear interpolation between order statistics (type 7).
            let h = q * Double(resamples - 1)
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, resamples - 1)
            return means[lo] + (h - Double(lo)) * (means[hi] - means[lo])
        }
        return quantile(0.025)...quantile(0.975)
    }

    /// The paired effect size d_z: the mean difference over the standard deviation of the differences;
    /// nil when n < 2 or the differences have no spread.
    public static func pairedCohensD(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count)
        guard let s = SampleSummary(zip(a, b).map { $0 - $1 }), s.n >= 2, s.std > 0 else { return nil }
        return s.mean / s.std
    }

    /// The probability that `a` beats `b` on a seed: the fraction of paired seeds with a > b, ties counting half.
    public static func probabilityOfSuperiority(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count)
        guard !a.isEmpty else { return nil }
        let wins = zip(a, b).reduce(0.0) { $0 + ($1.0 > $1.1 ? 1 : $1.0 == $1.1 ? 0.5 : 0) }
        return wins / Double(a.count)
    }
}
