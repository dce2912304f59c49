import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Triplet loss (FaceNet, Schroff et al. 2015; DESIGN §3).
///
/// Per triplet (a, p, n): `relu(D_ap − D_an + margin)`, or with `soft`
/// `softplus(D_ap − D_an)` (Hermans et al. 2017). With mining `all` every
/// valid triplet (ordered anchor–positive pair × negative of the anchor) is
/// evaluated in a fused loop that accumulates dL/dD into a B × B matrix, so
/// no triplet list is stored; other miners select triplets first.
///
/// Reducers: `mean` over the selected triplets, `nonzero-mean` over those
/// with a strictly positive term (pytorch-metric-learning's
/// `TripletMarginLoss` with euclidean distance uses the latter).
///
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus O(B² · K) for `all`,
///   `semihard` and the sampling miners, K the largest class size.
public struct TripletLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var miner: TripletMiner?
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var triplets = TripletIndices()

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance)
        miner = configuration.mining == .all
            ? nil
            : TripletMiner(kind: configuration.mining, margin: Float(configuration.resolvedMargin), seed: configuration.seed)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try _validateBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        distance.compute(embeddings)
        coefficients.reshape(rows: b, cols: b)
        coefficients.fill(0)
        var sums = _TripletSums()
        if miner != nil {
            // Mutated in place: a copy would duplicate the miner's scratch buffers on every call.
            miner!.mine(distances: distance.values, distanceKind: distance.kind, labels: labels,
                        dimension: embeddings.cols, into: &triplets)
            accumulateSelected(&sums, b)
        } else {
            accumulateAll(&sums, labels)
        }
        let denominator = configuration.resolvedReducer == .mean ? sums.count : sums.active
        let loss = denominator > 0 ? sums.total / Double(denominator) : 0
        let scale = denominator > 0 ? Float(1 / Double(denominator)) : 0
        coefficients.storage.withUnsafeMutableBufferPointer { c in
            for k in c.indices { c[k] *= scale }
        }
        distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient)
        return LossResult(
            loss: loss, tuples: sums.count,
            activeFraction: sums.count > 0 ? Double(sums.active) / Double(sums.count) : 0)
    }

    /// Every valid triplet, fused: unit-weight dL/dD into `coefficients`.
    private mutating func accumulateAll(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        let margin = Float(configuration.resolvedMargin), soft = configuration.resolvedSoft
        var total = 0.0, count = 0, active = 0
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                labels.withUnsafeBufferPointer { y in
                    for a in 0..<b {
                        let row = d.baseAddress! + a * b
                        let crow = c.baseAddress! + a * b
                        let ya = y[a]
                        var negatives = 0
                        for n in 0..<b where y[n] != ya { negatives += 1 }
                        for p in 0..<b where p != a && y[p] == ya {
                            let dap = row[p]
                            count += negatives
                            if soft {
                                var slopeSum: Float = 0
                                for n in 0..<b where y[n] != ya {
                                    let x = dap - row[n]
                                    let term = _softplus(Double(x))
                                    total += term
                                    if term > 0 { active += 1 }
                                    let s = _sigmoid(x)
                                    slopeSum += s
                                    crow[n] -= s
                                }
                                crow[p] += slopeSum
                            } else {
                                let shifted = dap + margin
                                var hits = 0
                                var rowTotal: Float = 0
                                for n in 0..<b where y[n] != ya {
                                    let h = shifted - row[n]
                                    if h > 0 {
                                        hits += 1
                                        rowTotal += h
                                        crow[n] -= 1
                                    }
                                }
                                total += Double(rowTotal)
                                active += hits
                                crow[p] += Float(hits)
                            }
                        }
                    }
                }
            }
        }
        sums.total = total
        sums.count = count
        sums.active = active
    }

    /// The mined triplets: unit-weight dL/dD into `coefficients`.
    private mutating func accumulateSelected(_ sums: inout _TripletSums, _ b: Int) {
        let margin = Float(configuration.resolvedMargin), soft = configuration.resolvedSoft
        var total = 0.0, active = 0
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                for t in 0..<triplets.count {
                    let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), n = Int(triplets.negatives[t])
                    let x = d[a * b + p] - d[a * b + n]
                    if soft {
                        let term = _softplus(Double(x))
                        total += term
                        if term > 0 { active += 1 }
                        let s = _sigmoid(x)
                        c[a * b + p] += s
                        c[a * b + n] -= s
                    } else {
                        let h = x + margin
                        if h > 0 {
                            total += Double(h)
                            active += 1
                            c[a * b + p] += 1
                            c[a * b + n] -= 1
                        }
                    }
                }
            }
        }
        sums.total = total
        sums.count = triplets.count
        sums.active = active
    }
}

/// Running sums of a triplet loss: term sum, triplet count, strictly positive terms.
struct _TripletSums {
    var total = 0.0
    var count = 0
    var active = 0
}

/// `log(1 + eˣ)` without overflow.
@inline(__always)
func _softplus(_ x: Double) -> Double {
    x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}

/// `1 / (1 + e⁻ˣ)` without overflow.
@inline(__always)
func _sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}
