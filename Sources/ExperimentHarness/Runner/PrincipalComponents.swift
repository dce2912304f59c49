import NumericCore

/// A 2-D map of embeddings by principal component analysis, for the plots.
public enum PrincipalComponents {
    /// Projects a seeded sample of at most `points` rows onto the top two
    /// principal axes (power iteration with deflation on the d × d covariance).
    ///
    /// - Complexity: O(n·d² + iterations·d²) for the sample of n rows.
    public static func map2D(_ x: Matrix, labels: [Int32], points: Int, seed: UInt64) -> [CurvePoint] {
        guard x.rows >= 2, x.cols >= 2, points >= 2 else { return [] }
        var rng = SplitMix64.derived(seed: seed, stream: 0x9CA)
        var order = Array(0..<x.rows)
        rng.shuffle(&order)
        let rows = Array(order.prefix(points)).sorted()
        var sample = x.gatherRows(rows)
        let n = sample.rows, d = sample.cols
        // Centre the sample.
        var mean = [Float](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += sample[i, j] } }
        for j in 0..<d { mean[j] /= Float(n) }
        for i in 0..<n { for j in 0..<d { sample[i, j] -= mean[j] } }
        var cov = Matrix(rows: d, cols: d)
        BLAS.gemm(.transposed, sample, .none, sample, into: &cov, alpha: 1 / Float(n))
        var axes: [[Float]] = []
        for a in 0..<2 {
            var v = (0..<d).map { Float($0 == a ? 1 : 0) + 0.01 * Float(rng.nextUniform()) }
            for _ in 0..<200 {
                var w = [Float](repeating: 0, count: d)
                for i in 0..<d { var s: Float = 0; for j in 0..<d { s += cov[i, j] * v[j] }; w[i] = s }
                for u in axes { let p = zip(w, u).map(*).reduce(0, +); for i in 0..<d { w[i] -= p * u[i] } }
                let norm = w.map { $0 * $0 }.reduce(0, +).squareRoot()
                guard norm > 0 else { break }
                v = w.map { $0 / norm }
            }
            axes.append(v)
        }
        return (0..<n).map { i in
            let r = sample.row(i)
            let px = zip(r, axes[0]).map(*).reduce(0, +)
            let py = zip(r, axes[1]).map(*).reduce(0, +)
            return CurvePoint(x: Double(px), y: Double(py), label: labels[rows[i]])
        }
    }
}
