import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lifted structured loss (Song et al., CVPR 2016; DESIGN §3).
///
/// For every unordered positive pair i < j,
/// smooth form, eq. (4), mining `all`:
/// `J̃_ij = log(Σ_{k∈N_i} exp(α − D_ik) + Σ_{l∈N_j} exp(α − D_jl)) + D_ij`;
/// exact form, eq. (3), mining `hard`: the log-sum-exp replaced by
/// `max(max_k (α − D_ik), max_l (α − D_jl))`, differentiated through the
/// arg-max. Then `J = 1/(2|P|) Σ_{i<j} relu(J̃_ij)²`, |P| the number of
/// unordered positive pairs (this matches the Caffe layer and the fixtures).
///
/// Each row's negative log-sum-exp `L_i` (or max) is computed once, stably,
/// so `J̃_ij = logaddexp(L_i, L_j) + D_ij` costs O(1) per pair. The gradient
/// of the negatives is `−(J̃_ij/|P|) · exp(α − D_ik − logaddexp(L_i, L_j))`,
/// summed per row as `w_i · softmax_ik` with `w_i = Σ_j (J̃_ij/|P|) e^{L_i − M_ij}`.
/// The reducer does not apply (the normalisation is part of the loss).
///
/// Rows are split over the workers: every row computes its own `L_i`, then
/// visits all its positive pairs (each pair is evaluated from both rows, so
/// that no two threads write the same coefficient), then its negatives'
/// gradient; per-row sums are added in row order, so the result does not
/// depend on the thread count. `exp(α − D_ik − max)` is evaluated once per
/// negative, in `Float`, and reused by the gradient.
///
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus O(B²).
public struct LiftedStructureLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var rowScores: [Double] = []
    private var rowWeights: [Double] = []
    private var rowArgmax: [Int] = []
    /// Per row: the sum of `relu(J̃_ij)²` over j > i, and the numbers of
    /// positive pairs j > i and of active ones (interleaved).
    private var rowTotals: [Double] = []
    private var rowCounts: [Int] = []

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients, zeroed: false)
        let b = embeddings.rows
        _reserve(&rowScores, b)
        _reserve(&rowWeights, b)
        _reserve(&rowTotals, b)
        _reserve(&rowCounts, 2 * b)
        if rowArgmax.count < b { rowArgmax = [Int](repeating: 0, count: b) }
        let alpha = configuration.resolvedMargin
        let exact = configuration.mining == .hard
        let parts = Parallel.parts(forWork: b * b)
        distance.values.storage.withUnsafeBufferPointer { dBuffer in
        coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
        labels.withUnsafeBufferPointer { y in
        rowScores.withUnsafeMutableBufferPointer { score in
        rowWeights.withUnsafeMutableBufferPointer { weight in
        rowArgmax.withUnsafeMutableBufferPointer { argmax in
        rowTotals.withUnsafeMutableBufferPointer { totals in
        rowCounts.withUnsafeMutableBufferPointer { counts in
            let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!
            // L_i: the log-sum-exp (or max) of α − D_ik over the negatives k of i. The smooth form
            // leaves e_ik = exp(α − D_ik − max_k(α − D_ik)) in the negatives' coefficients for the
            // gradient pass; every other coefficient starts at 0.
            Parallel.forEachRange(b, parts: parts) { rows in
                for i in rows {
                    let row = d + i * b, crow = c + i * b, yi = y[i]
                    var nearest = Float.infinity
                    var nearestIndex = -1, positives = 0
                    for k in 0..<b {
                        crow[k] = 0
                        if y[k] == yi {
                            if k > i { positives += 1 }
                        } else if nearestIndex < 0 || row[k] < nearest {
                            nearest = row[k]
                            nearestIndex = k
                        }
                    }
                    counts[2 * i] = positives
                    argmax[i] = nearestIndex
                    weight[i] = 0
                    let best = alpha - Double(nearest)
                    if nearestIndex < 0 {
                        score[i] = -.infinity
                    } else if exact {
                        score[i] = best
                    } else {
                        var sum = 0.0
                        for k in 0..<b where y[k] != yi {
                            let e = expf(nearest - row[k])
                            crow[k] = e
                            sum += Double(e)
                        }
                        score[i] = best + log(sum)
                    }
                }
            }
            var positivePairs = 0
            for i in 0..<b { positivePairs += counts[2 * i] }
            let perPair = 1 / Double(positivePairs)
            // Every positive pair from both rows: row i writes dL/dD_ij for j > i, its share of
            // the arg-max subgradient (exact) or its weight w_i (smooth), and the terms of j > i.
            Parallel.forEachRange(b, parts: parts) { rows in
                for i in rows {
                    let crow = c + i * b, yi = y[i], li = score[i]
                    var total = 0.0, active = 0, w = 0.0
                    for j in 0..<b where j != i && y[j] == yi {
                        let lj = score[j], larger = max(li, lj)
                        if larger == -.infinity { continue }
                        // logaddexp(L_i, L_j) = max + log(1 + e), e = exp(−|L_i − L_j|); log costs less than log1p.
                        let e = exact ? 0 : exp(-abs(li - lj))
                        let m = exact ? larger : larger + log(1 + e)
                        let jt = m + Double(d[i * b + j])
                        guard jt > 0 else { continue }
                        let g = jt * perPair
                        if j > i {
                            active += 1
                            total += jt * jt
                            crow[j] += Float(g)
                        }
                        if exact {
                            // The pair (min, max) belongs to its first row on ties, as eq. (3)'s arg-max.
                            let owns = i < j ? li >= lj : li > lj
                            if owns { crow[argmax[i]] -= Float(g) }
                        } else {
                            w += g * (li >= lj ? 1 : e) / (1 + e)  // g · exp(L_i − m)
                        }
                    }
                    totals[i] = total
                    counts[2 * i + 1] = active
                    weight[i] = w
                }
            }
            if !exact {
                // dL/dD_ik = −w_i · exp(α − D_ik − L_i) = −w_i e^{best_i − L_i} · e_ik over the negatives.
                Parallel.forEachRange(b, parts: parts) { rows in
                    for i in rows {
                        let crow = c + i * b, yi = y[i]
                        guard weight[i] != 0 else {
                            for k in 0..<b where y[k] != yi { crow[k] = 0 }
                            continue
                        }
                        let factor = weight[i] * exp(alpha - Double(d[i * b + argmax[i]]) - score[i])
                        for k in 0..<b where y[k] != yi { crow[k] = -Float(factor * Double(crow[k])) }
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        var total = 0.0, positivePairs = 0, active = 0
        for i in 0..<b {
            total += rowTotals[i]
            positivePairs += rowCounts[2 * i]
            active += rowCounts[2 * i + 1]
        }
        distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient)
        return LossResult(
            loss: total / Double(2 * positivePairs), tuples: positivePairs,
            activeFraction: Double(active) / Double(positivePairs))
    }
}
