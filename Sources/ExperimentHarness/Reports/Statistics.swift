import Foundation

/// Mean, spread and confidence of a metric over seeds.
public struct SampleSummary: Equatable, Sendable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n − 1); 0 when n = 1.
    public var std: Double
    /// Half-width of the 95% confidence interval of the mean (Student t, n − 1 degrees of freedom); nil when n < 2.
    public var ci95: Double?

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        let m = mean
        std = n > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot() : 0
        ci95 = n > 1 ? Statistics.studentQuantile975(df: Double(n - 1)) * std / Double(n).squareRoot() : nil
    }
}

/// Student t and Welch tests, from the regularised incomplete beta function.
public enum Statistics {
    /// Two-sided p-value of Welch's unequal-variance t-test; nil when either sample has < 2 values.
    public static func welchPValue(_ a: [Double], _ b: [Double]) -> Double? {
        guard let sa = SampleSummary(a), let sb = SampleSummary(b), sa.n >= 2, sb.n >= 2 else { return nil }
        let va = sa.std * sa.std / Double(sa.n), vb = sb.std * sb.std / Double(sb.n)
        if va + vb == 0 { return sa.mean == sb.mean ? 1 : 0 }
        let t = (sa.mean - sb.mean) / (va + vb).squareRoot()
        let df = (va + vb) * (va + vb) / (va * va / Double(sa.n - 1) + vb * vb / Double(sb.n - 1))
        return twoSidedTailProbability(t: t, df: df)
    }

    /// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom.
    public static func twoSidedTailProbability(t: Double, df: Double) -> Double {
        let x = df / (df + t * t)
        return regularizedIncompleteBeta(x, a: df / 2, b: 0.5)
    }

    /// The 0.975 quantile of Student's t (for 95% intervals), by bisection on the tail probability.
    public static func studentQuantile975(df: Double) -> Double {
        var lo = 0.0, hi = 1000.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if twoSidedTailProbability(t: mid, df: df) > 0.05 { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnFront: Double = lnBeta + a * log(x) + b * log(1 - x)
        if x > (a + 1) / (a + b + 2) {
            return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a)
        }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-14 { break }
        }
        return exp(lnFront) * f / a
    }
}
