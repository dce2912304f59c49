import NumericCore

/// Contrastive loss (Hadsell, Chopra, LeCun 2006; DESIGN §3).
///
/// Over ordered pairs (i, j), i ≠ j: a positive pair (same label) costs
/// `relu(D_ij − pos_margin)^p`, a negative pair `relu(neg_margin − D_ij)^p`,
/// p ∈ {1, 2}. With mining `all` every ordered pair is used; otherwise the
/// pairs (a, p) and (a, n) of the mined triplets, de-duplicated; the
/// semi-hard window of that miner is `margin` (default 0.2) on this distance.
///
/// Reducers: `mean` divides the sum by the number of selected pairs;
/// `nonzero-mean` is the mean of the strictly positive positive-pair terms
/// plus the mean of the strictly positive negative-pair terms (each 0 if
/// none), which with p = 1, margins 0 and 1 equals pytorch-metric-learning's
/// `ContrastiveLoss()`.
///
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus the miner's cost.
public struct ContrastiveLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var miner: TripletMiner?
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var triplets = TripletIndices()
    private var pairs = PairIndices()
    private var pairMask: [UInt8] = []

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance)
        miner = TripletMiner._forLoss(configuration)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients)
        let b = embeddings.rows
        if miner != nil {
            // Mutated in place: a copy would duplicate the miner's scratch buffers on every call.
            miner!.mine(distances: distance.values, distanceKind: distance.kind, labels: labels,
                        dimension: embeddings.cols, into: &triplets)
            pairs.assignDeduplicated(triplets, batchSize: b, mask: &pairMask)
        }
        var sums = _PairSums()
        let posMargin = Float(configuration.resolvedPosMargin), negMargin = Float(configuration.resolvedNegMargin)
        let squared = configuration.resolvedPower == 2
        let selected = miner != nil
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                labels.withUnsafeBufferPointer { y in
                    @inline(__always) func visit(_ i: Int, _ j: Int, positive: Bool) {
                        let k = i * b + j
                        let h = positive ? d[k] - posMargin : negMargin - d[k]
                        if positive { sums.positivePairs += 1 } else { sums.negativePairs += 1 }
                        guard h > 0 else { return }
                        let term = squared ? Double(h) * Double(h) : Double(h)
                        let slope = squared ? 2 * h : 1
                        if positive {
                            sums.positive += term
                            sums.activePositive += 1
                            c[k] = slope
                        } else {
                            sums.negative += term
                            sums.activeNegative += 1
                            c[k] = -slope
                        }
                    }
                    if selected {
                        for t in 0..<pairs.positiveAnchors.count {
                            visit(Int(pairs.positiveAnchors[t]), Int(pairs.positives[t]), positive: true)
                        }
                        for t in 0..<pairs.negativeAnchors.count {
                            visit(Int(pairs.negativeAnchors[t]), Int(pairs.negatives[t]), positive: false)
                        }
                    } else {
                        for i in 0..<b {
                            for j in 0..<b where j != i { visit(i, j, positive: y[i] == y[j]) }
                        }
                    }
                }
            }
        }
        let result = reduce(sums, labels: labels)
        distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient)
        return result
    }

    /// Scales the unit-weight coefficients by the reducer's weights and returns the result.
    private mutating func reduce(_ s: _PairSums, labels: [Int32]) -> LossResult {
        let b = labels.count
        let pairs = s.positivePairs + s.negativePairs
        let active = s.activePositive + s.activeNegative
        guard pairs > 0 else { return LossResult(loss: 0, tuples: 0, activeFraction: 0) }
        let loss: Double
        let positiveWeight: Float, negativeWeight: Float
        switch configuration.resolvedReducer {
        case .mean:
            loss = (s.positive + s.negative) / Double(pairs)
            positiveWeight = Float(1 / Double(pairs))
            negativeWeight = positiveWeight
        case .nonzeroMean:
            let p = s.activePositive > 0 ? s.positive / Double(s.activePositive) : 0
            let n = s.activeNegative > 0 ? s.negative / Double(s.activeNegative) : 0
            loss = p + n
            positiveWeight = s.activePositive > 0 ? Float(1 / Double(s.activePositive)) : 0
            negativeWeight = s.activeNegative > 0 ? Float(1 / Double(s.activeNegative)) : 0
        }
        coefficients.storage.withUnsafeMutableBufferPointer { c in
            labels.withUnsafeBufferPointer { y in
                for i in 0..<b {
                    for j in 0..<b { c[i * b + j] *= y[i] == y[j] ? positiveWeight : negativeWeight }
                }
            }
        }
        return LossResult(loss: loss, tuples: pairs, activeFraction: Double(active) / Double(pairs))
    }
}

/// Running sums of a pair loss: term sums, pair counts and strictly positive term counts.
struct _PairSums {
    var positive = 0.0, negative = 0.0
    var positivePairs = 0, negativePairs = 0
    var activePositive = 0, activeNegative = 0
}
