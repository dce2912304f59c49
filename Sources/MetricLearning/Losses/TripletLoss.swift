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
/// - Complexity: O(B² · d) (two GEMMs) plus O(B²) for hinge `all` (radix-sorted
///   distances and prefix sums per anchor) and every miner (plus one step
///   per selected triplet); soft `all` stays
///   O(B² · K), K the largest class size, since no softplus term vanishes.
public struct TripletLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var miner: TripletMiner?
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var triplets = TripletIndices()
    /// Per-anchor workspaces of the fused hinge (`all`): (value, index) sort
    /// keys of the negatives' `D_an` and the positives' `D_ap + margin` plus
    /// the radix sort's second buffer (2B), its digit histogram, and prefix
    /// sums of the sorted `D_an`.
    private var keyScratch: [UInt64] = []
    private var histogramScratch: [Int] = []
    private var prefixScratch: [Double] = []

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance)
        miner = TripletMiner._forLoss(configuration)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients)
        let b = embeddings.rows
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
        if configuration.resolvedSoft {
            accumulateAllSoft(&sums, labels)
        } else {
            accumulateAllHinge(&sums, labels)
        }
    }

    /// The hinge over every valid triplet without visiting each one.
    ///
    /// For anchor a, positive p and `s_p = D_ap + margin` (in `Float`, as a
    /// per-triplet loop computes it), the term `relu(s_p − D_an)` is strictly
    /// positive iff `D_an < s_p`. Per anchor, the negatives are sorted by
    /// `D_an` (with prefix sums) and the positives by `s_p` (radix sorts of
    /// (value, index) keys); two merge walks then give, for every positive,
    /// the number `c_p` of negatives with `D_an < s_p` and their sum `S_p` —
    /// the pair contributes `c_p · s_p − S_p` to the loss, `c_p` active terms
    /// and `+c_p` to dL/dD_ap — and, for every negative n, `#{p : s_p > D_an}`
    /// to subtract from dL/dD_an. Counts and coefficients are exactly those
    /// of the per-triplet loop; the loss sum differs only by rounding (it is
    /// accumulated in `Double`). NaN distances never make a term active.
    ///
    /// - Complexity: O(B²) per batch instead of O(B² · K).
    private mutating func accumulateAllHinge(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        let margin = Float(configuration.resolvedMargin)
        if prefixScratch.count < b + 1 { prefixScratch = [Double](repeating: 0, count: b + 1) }
        if keyScratch.count < 2 * b { keyScratch = [UInt64](repeating: 0, count: 2 * b) }
        if histogramScratch.count < _radixHistogramSize { histogramScratch = [Int](repeating: 0, count: _radixHistogramSize) }
        var total = 0.0, count = 0, active = 0
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                labels.withUnsafeBufferPointer { y in
                    prefixScratch.withUnsafeMutableBufferPointer { prefixBuffer in
                        keyScratch.withUnsafeMutableBufferPointer { keyBuffer in
                            histogramScratch.withUnsafeMutableBufferPointer { histogram in
                                let prefix = prefixBuffer.baseAddress!, h = histogram.baseAddress!
                                let neg = keyBuffer.baseAddress!, temp = neg + b
                                for a in 0..<b {
                                    let row = d.baseAddress! + a * b
                                    let crow = c.baseAddress! + a * b
                                    let ya = y[a]
                                    // Negatives' keys in neg[0..<m], positives' (of s_p) in pos[0..<k].
                                    var negatives = 0, positives = 0, m = 0
                                    for j in 0..<b where y[j] != ya {
                                        negatives += 1
                                        let v = row[j]
                                        if v.isNaN { continue }
                                        neg[m] = _sortKey(v, j)
                                        m += 1
                                    }
                                    let pos = neg + m
                                    var k = 0
                                    for j in 0..<b where j != a && y[j] == ya {
                                        positives += 1
                                        let shifted = row[j] + margin
                                        if shifted.isNaN { continue }
                                        pos[k] = _sortKey(shifted, j)
                                        k += 1
                                    }
                                    count += positives * negatives
                                    if m == 0 || k == 0 { continue }
                                    _radixSort(neg, temp, m, h)
                                    _radixSort(pos, temp, k, h)
                                    var running = 0.0
                                    prefix[0] = 0
                                    for i in 0..<m {
                                        running += Double(_keyValue(neg[i]))
                                        prefix[i + 1] = running
                                    }
                                    // c_p = #{D_an < s_p}: negatives whose key is below (s_p, 0).
                                    var i = 0
                                    for t in 0..<k {
                                        let key = pos[t]
                                        let bound = key & 0xFFFF_FFFF_0000_0000
                                        while i < m && neg[i] < bound { i += 1 }
                                        if i == 0 { continue }
                                        total += Double(i) * Double(_keyValue(key)) - prefix[i]
                                        active += i
                                        crow[Int(truncatingIfNeeded: key & 0xFFFF_FFFF)] += Float(i)
                                    }
                                    // #{s_p > D_an} = k − #{s_p ≤ D_an}.
                                    var j = 0
                                    for t in 0..<m {
                                        let key = neg[t]
                                        let bound = key | 0xFFFF_FFFF
                                        while j < k && pos[j] <= bound { j += 1 }
                                        if j == k { break }
                                        crow[Int(truncatingIfNeeded: key & 0xFFFF_FFFF)] -= Float(k - j)
                                    }
                                }
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

    /// Softplus over every valid triplet: no term is zero, so every one is
    /// visited. O(B² · K) per batch (K the largest class size), the one
    /// fused path that keeps that cost.
    private mutating func accumulateAllSoft(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
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
