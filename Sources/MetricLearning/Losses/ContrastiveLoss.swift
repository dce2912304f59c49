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
    /// Per-row sums of the fused `all` pass (B), added in row order.
    private let rowSums = ScratchBuffer<_PairSums>()

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration, context: ComputeContext) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance, context: context)
        miner = TripletMiner._forLoss(configuration, context: context)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        let selected = miner != nil
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients, zeroed: selected)
        let b = embeddings.rows
        let sums: _PairSums
        if selected {
            // Mutated in place: a copy would duplicate the miner's scratch buffers on every call.
            miner!.mine(distances: distance.values, distanceKind: distance.kind, labels: labels,
                        dimension: embeddings.cols, into: &triplets)
            pairs.assignDeduplicated(triplets, batchSize: b, mask: &pairMask)
            sums = accumulateSelected(labels)
        } else {
            sums = accumulateAll(labels)
        }
        let pairCount = sums.positivePairs + sums.negativePairs
        guard pairCount > 0 else {
            distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient, scale: 0)
            return LossResult(loss: 0, tuples: 0, activeFraction: 0)
        }
        let (loss, positiveWeight, negativeWeight) = reduce(sums)
        labels.withUnsafeBufferPointer { y in
            let weights = _PairReducerWeights(labels: y.baseAddress!, same: positiveWeight, different: negativeWeight)
            distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient, combining: weights)
        }
        let active = sums.activePositive + sums.activeNegative
        return LossResult(loss: loss, tuples: pairCount, activeFraction: Double(active) / Double(pairCount))
    }

    /// The term and unit-weight slope of one pair: `(term, slope)` with
    /// `slope = dterm/dD` (0 for an inactive pair).
    @inline(__always)
    private static func term(_ distance: Float, positive: Bool, _ posMargin: Float, _ negMargin: Float, squared: Bool)
        -> (h: Float, term: Double, slope: Float)
    {
        let h = positive ? distance - posMargin : negMargin - distance
        guard h > 0 else { return (h, 0, 0) }
        let slope: Float = squared ? 2 * h : 1
        return (h, squared ? Double(h) * Double(h) : Double(h), positive ? slope : -slope)
    }

    /// Every ordered pair: writes every entry of `coefficients` (unit-weight
    /// dL/dD, 0 when inactive), eight pairs at a time. Rows are split over the workers; each row's
    /// sums are kept and added in row order, so the result does not depend on
    /// the thread count.
    private mutating func accumulateAll(_ labels: [Int32]) -> _PairSums {
        let b = labels.count
        let posMargin = Float(configuration.resolvedPosMargin), negMargin = Float(configuration.resolvedNegMargin)
        let squared = configuration.resolvedPower == 2
        let out = rowSums.reserve(b)
        let parts = distance.context.parts(forWork: b * b)
        _withBatchPointers(distance.values, &coefficients, labels) { d, c, y in
            Parallel.forEachRange(b, parts: parts) { rows in
                for i in rows {
                    out[i] = Self.accumulateRow(i, d, c, y, b, posMargin, negMargin, squared: squared)
                }
            }
        }
        var total = _PairSums()
        for i in 0..<b { total.add(out[i]) }
        return total
    }

    /// Row i of the `all` pass, eight pairs at a time: writes `c[i, ·]` and
    /// returns the row's sums (terms accumulated in `Double` lanes).
    @inline(__always)
    private static func accumulateRow(
        _ i: Int, _ d: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Int32>, _ b: Int,
        _ posMargin: Float, _ negMargin: Float, squared: Bool
    ) -> _PairSums {
        typealias F = SIMD8<Float>
        typealias I = SIMD8<Int32>
        typealias D = SIMD4<Double>
        let drow = d + i * b, crow = c + i * b, yi = y[i]
        let lanes = I(0, 1, 2, 3, 4, 5, 6, 7), one = I(repeating: 1)
        let rowIndex = I(repeating: Int32(truncatingIfNeeded: i))
        var positiveTerms = (D.zero, D.zero), negativeTerms = (D.zero, D.zero)
        var positivePairs = I.zero, activePositive = I.zero, activeNegative = I.zero
        var j = 0
        while j + 8 <= b {
            let dv = SIMDMath.load(drow + j)
            let positive = UnsafeRawPointer(y + j).loadUnaligned(as: I.self) .== I(repeating: yi)
            let other = (lanes &+ I(repeating: Int32(truncatingIfNeeded: j))) .!= rowIndex
            let h = (negMargin - dv).replacing(with: dv - posMargin, where: positive)
            let active = (h .> F.zero) .& other
            let hp = F.zero.replacing(with: h, where: active .& positive)
            let hn = F.zero.replacing(with: h, where: active .& .!positive)
            let slope = squared
                ? 2 * (hp - hn)
                : F.zero.replacing(with: 1, where: active .& positive).replacing(with: -1, where: active .& .!positive)
            SIMDMath.store(slope, crow + j)
            let (pl, ph) = (D(hp.lowHalf), D(hp.highHalf)), (nl, nh) = (D(hn.lowHalf), D(hn.highHalf))
            positiveTerms.0 += squared ? pl * pl : pl
            positiveTerms.1 += squared ? ph * ph : ph
            negativeTerms.0 += squared ? nl * nl : nl
            negativeTerms.1 += squared ? nh * nh : nh
            positivePairs &+= I.zero.replacing(with: one, where: positive .& other)
            activePositive &+= I.zero.replacing(with: one, where: active .& positive)
            activeNegative &+= I.zero.replacing(with: one, where: active .& .!positive)
            j += 8
        }
        var s = _PairSums()
        s.positive = (positiveTerms.0 + positiveTerms.1).sum()
        s.negative = (negativeTerms.0 + negativeTerms.1).sum()
        s.positivePairs = Int(positivePairs.wrappedSum())
        s.activePositive = Int(activePositive.wrappedSum())
        s.activeNegative = Int(activeNegative.wrappedSum())
        s.negativePairs = j - s.positivePairs - (i < j ? 1 : 0)
        while j < b {
            if j != i {
                let positive = y[j] == yi
                let (h, term, slope) = term(drow[j], positive: positive, posMargin, negMargin, squared: squared)
                crow[j] = slope
                if positive {
                    s.positivePairs += 1
                    s.positive += term
                    s.activePositive += h > 0 ? 1 : 0
                } else {
                    s.negativePairs += 1
                    s.negative += term
                    s.activeNegative += h > 0 ? 1 : 0
                }
            } else {
                crow[j] = 0
            }
            j += 1
        }
        return s
    }

    /// The mined pairs: unit-weight dL/dD into the zeroed `coefficients`.
    private mutating func accumulateSelected(_ labels: [Int32]) -> _PairSums {
        let b = labels.count
        let posMargin = Float(configuration.resolvedPosMargin), negMargin = Float(configuration.resolvedNegMargin)
        let squared = configuration.resolvedPower == 2
        var s = _PairSums()
        _withBatchPointers(distance.values, &coefficients, labels) { d, c, _ in
            // Positive pairs first, then negative ones: the order the sums are taken in.
            func visit(_ anchors: [Int32], _ others: [Int32], positive: Bool) {
                for t in 0..<anchors.count {
                    let k = Int(anchors[t]) * b + Int(others[t])
                    let (h, term, slope) = Self.term(d[k], positive: positive, posMargin, negMargin, squared: squared)
                    s.count(positive: positive, active: h > 0, term: term)
                    if h > 0 { c[k] = slope }
                }
            }
            visit(pairs.positiveAnchors, pairs.positives, positive: true)
            visit(pairs.negativeAnchors, pairs.negatives, positive: false)
        }
        return s
    }

    /// The loss and the reducer's weights of positive and negative pairs.
    private func reduce(_ s: _PairSums) -> (loss: Double, positive: Float, negative: Float) {
        let pairs = s.positivePairs + s.negativePairs
        switch configuration.resolvedReducer {
        case .mean:
            let weight = Float(1 / Double(pairs))
            return ((s.positive + s.negative) / Double(pairs), weight, weight)
        case .nonzeroMean:
            let p = s.activePositive > 0 ? s.positive / Double(s.activePositive) : 0
            let n = s.activeNegative > 0 ? s.negative / Double(s.activeNegative) : 0
            return (p + n,
                    s.activePositive > 0 ? Float(1 / Double(s.activePositive)) : 0,
                    s.activeNegative > 0 ? Float(1 / Double(s.activeNegative)) : 0)
        }
    }
}

/// Running sums of a pair loss: term sums, pair counts and strictly positive term counts.
struct _PairSums {
    var positive = 0.0, negative = 0.0
    var positivePairs = 0, negativePairs = 0
    var activePositive = 0, activeNegative = 0

    /// One mined pair: counted, and its term added when it is active (h > 0).
    mutating func count(positive isPositive: Bool, active: Bool, term: Double) {
        if isPositive {
            positivePairs += 1
            if active { positive += term; activePositive += 1 }
        } else {
            negativePairs += 1
            if active { negative += term; activeNegative += 1 }
        }
    }

    mutating func add(_ other: _PairSums) {
        positive += other.positive
        negative += other.negative
        positivePairs += other.positivePairs
        negativePairs += other.negativePairs
        activePositive += other.activePositive
        activeNegative += other.activeNegative
    }
}
