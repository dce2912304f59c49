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
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus O(B²).
public struct LiftedStructureLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var rowScores: [Double] = []
    private var rowWeights: [Double] = []
    private var rowArgmax: [Int] = []

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients)
        let b = embeddings.rows
        if rowScores.count < b {
            rowScores = [Double](repeating: 0, count: b)
            rowWeights = [Double](repeating: 0, count: b)
            rowArgmax = [Int](repeating: 0, count: b)
        }
        let alpha = configuration.resolvedMargin
        let exact = configuration.mining == .hard
        var positivePairs = 0, active = 0
        var total = 0.0
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                labels.withUnsafeBufferPointer { y in
                    rowScores.withUnsafeMutableBufferPointer { score in
                        rowWeights.withUnsafeMutableBufferPointer { weight in
                            rowArgmax.withUnsafeMutableBufferPointer { argmax in
                                // L_i: the log-sum-exp (or max) of α − D_ik over the negatives k of i.
                                for i in 0..<b {
                                    let row = d.baseAddress! + i * b
                                    var best = -Double.infinity
                                    var bestIndex = -1
                                    for k in 0..<b where y[k] != y[i] {
                                        let v = alpha - Double(row[k])
                                        if v > best {
                                            best = v
                                            bestIndex = k
                                        }
                                    }
                                    argmax[i] = bestIndex
                                    weight[i] = 0
                                    if exact || bestIndex < 0 {
                                        score[i] = best
                                    } else {
                                        var sum = 0.0
                                        for k in 0..<b where y[k] != y[i] { sum += exp(alpha - Double(row[k]) - best) }
                                        score[i] = best + log(sum)
                                    }
                                }
                                for i in 0..<b {
                                    for j in (i + 1)..<b where y[j] == y[i] { positivePairs += 1 }
                                }
                                let perPair = 1 / Double(positivePairs)
                                for i in 0..<b {
                                    for j in (i + 1)..<b where y[j] == y[i] {
                                        let li = score[i], lj = score[j]
                                        let m = exact ? max(li, lj) : _logAddExp(li, lj)
                                        let jt = m + Double(d[i * b + j])
                                        guard jt > 0 else { continue }
                                        active += 1
                                        total += jt * jt
                                        let g = jt * perPair
                                        c[i * b + j] += Float(g)
                                        if exact {
                                            let owner = li >= lj ? i : j
                                            c[owner * b + argmax[owner]] -= Float(g)
                                        } else {
                                            weight[i] += g * exp(li - m)
                                            weight[j] += g * exp(lj - m)
                                        }
                                    }
                                }
                                if !exact {
                                    for i in 0..<b where weight[i] != 0 {
                                        let row = d.baseAddress! + i * b
                                        let crow = c.baseAddress! + i * b
                                        let wi = weight[i], li = score[i]
                                        for k in 0..<b where y[k] != y[i] {
                                            crow[k] -= Float(wi * exp(alpha - Double(row[k]) - li))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient)
        return LossResult(
            loss: total / Double(2 * positivePairs), tuples: positivePairs,
            activeFraction: Double(active) / Double(positivePairs))
    }
}

/// `log(eᵃ + eᵇ)` without overflow; −∞ when both are −∞.
@inline(__always)
func _logAddExp(_ a: Double, _ b: Double) -> Double {
    let m = max(a, b)
    if m == -.infinity { return m }
    return m + log(exp(a - m) + exp(b - m))
}
