import CKernels
import NumericCore

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Margin loss (Wu et al., ICCV 2017, "Sampling matters"), as
/// pytorch-metric-learning 2.9's `MarginLoss()`.
///
/// On euclidean distances `D_ij = ‖x̂_i − x̂_j‖` of the L2-normalised
/// embeddings (PML's default `LpDistance` normalises; gradient through the
/// normalisation, and 0 at D = 0), margin α, boundary β and the triplets
/// (a, p, n) (every valid triplet when `triplets` is nil):
///
///     pos_t = [D_ap − β + α]₊,   neg_t = [β − D_an + α]₊
///     L     = Σ_t (pos_t + neg_t) / (#{t: pos_t > 0} + #{t: neg_t > 0}) + ν β
///
/// (PML's `DivisorReducer`; 0 when no triplet or no active term). The ν β
/// term, PML's `beta_reg_loss`, is present only when β is learned
/// (`learn_beta`; ν defaults to 0 as in PML). Each pair term appears once
/// per triplet containing it, as in PML, so with all triplets a positive
/// pair of anchor a counts |N_a| times and a negative pair |P_a| times;
/// this type sums those multiplicities in O(B²) instead of listing O(B³)
/// triplets.
///
/// Differences from the paper: the paper trains on pairs drawn by
/// distance-weighted sampling and a per-class β; PML (and this type) uses
/// triplets from any triplet miner and one β for all classes (PML's
/// `num_classes` per-class β is not supported here).
///
/// When `learn_beta` is set, `beta` is a parameter of the model: the
/// trainer reads `betaGradient` (dL/dβ) after `evaluate` and updates `beta`;
/// it starts at `Parameters.beta`.
///
/// - Complexity: O(B² · d) in three GEMMs plus O(B²) (all triplets) or
///   O(B² + T) for T mined triplets.
public struct MarginLoss {
    /// Parameters with PML 2.9 defaults; spec keys `margin`, `beta`, `learn_beta`, `nu`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The margin α around the boundary.
        public var margin: Double = 0.2
        /// The initial boundary β between positive and negative distances.
        public var beta: Double = 1.2
        /// Whether β is trained with the model.
        public var learnBeta: Bool = false
        /// The weight ν of the β regulariser (used only when β is learned).
        public var nu: Double = 0

        enum CodingKeys: String, CodingKey {
            case margin, beta, nu
            case learnBeta = "learn_beta"
        }

        public init(margin: Double = 0.2, beta: Double = 1.2, learnBeta: Bool = false, nu: Double = 0) {
            self.margin = margin
            self.beta = beta
            self.learnBeta = learnBeta
            self.nu = nu
        }

        /// Throws unless α and β are finite and ν ≥ 0.
        public func validate() throws {
            guard margin.isFinite else {
                throw LossError.invalidParameter("margin: margin must be a finite number (PML default 0.2), got \(margin)")
            }
            guard beta.isFinite else {
                throw LossError.invalidParameter("margin: beta must be a finite number (PML default 1.2), got \(beta)")
            }
            guard nu >= 0, nu.isFinite else {
                throw LossError.invalidParameter("margin: nu must be a non-negative number (PML default 0), got \(nu)")
            }
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs and of the O(B²) passes; the results do not
    /// depend on them (the products are tiled by shape, each element of a
    /// pass is computed as a serial loop would, and the order-dependent sums
    /// are taken afterwards in that loop's order).
    public let context: ComputeContext
    /// The current boundary β (trained when `learnBeta`).
    public var beta: Double
    /// dL/dβ of the last `evaluate`.
    public private(set) var betaGradient: Double = 0
    private var unit = _UnitRows()
    private var gram = Matrix(rows: 0, cols: 0)
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var squaredNorms: [Double] = [], rowSums: [Double] = []
    private var positiveCounts: [Int] = [], negativeCounts: [Int] = []
    /// All triplets: each pair's share of the loss, summed in row-major order after the parallel pass.
    private var terms: [Double] = []
    /// dL/dD_ij / D_ij, kept in double for the rows' weight sums.
    private var weights: [Double] = []
    /// Per row, its active positive and negative pair terms (with multiplicities).
    private var rowActive: [Int] = []
    /// All triplets: per row, how many active pair shares it wrote to the front of its row of `terms`.
    private var termCounts: [Int] = []
    /// All triplets, C passes: where −W is written while `coefficients` still holds the multiplicities.
    private var spare = Matrix(rows: 0, cols: 0)
    /// All triplets, C passes: eight rows of W per worker.
    private var scratch: [Double] = []
    /// The instruction set of the all-triplet row passes: 0 the Swift loops of ``_MarginPasses``,
    /// 1 or 2 the C passes of `CKernelsMargin.h` (AVX2, AVX-512F; the same bits). Tests lower it.
    var kernelISA: Int32 = WideISA.selected

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
        beta = parameters.beta
    }

    /// The loss, dLoss/dEmbeddings (B × d, overwritten) and `betaGradient`;
    /// `triplets` nil means every valid triplet. `tuples` counts the
    /// triplets, `activeFraction` the share of the 2T pair terms that are > 0.
    public mutating func evaluate(embeddings: Matrix, labels: [Int32], triplets: TripletIndices?, gradient: inout Matrix) throws -> LossResult {
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows, d = embeddings.cols
        gradient.reshape(rows: b, cols: d)
        betaGradient = 0
        // Each O(B²) pass below runs over rows on the context's workers, every element computed
        // as the serial loop did; the sums whose order is the bits (the loss, each row's weight
        // sum) are taken afterwards in that loop's order.
        let parts = context.parts(forWork: b * b * 16)
        // Triplet count; for all triplets, each anchor's positives and negatives are counted in the
        // row pass below (its own row's labels), and the count is checked after it.
        if positiveCounts.count != b {
            positiveCounts = [Int](repeating: 0, count: b)
            negativeCounts = positiveCounts
        }
        var tripletCount = 0
        if let triplets {
            tripletCount = triplets.count
            guard tripletCount > 0 else {
                gradient.fill(0)
                return LossResult(loss: 0, tuples: 0, activeFraction: 0)
            }
        }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &gram, context: context)
        coefficients.reshape(rows: b, cols: b)
        if squaredNorms.count != b {
            squaredNorms = [Double](repeating: 0, count: b)
            rowSums = squaredNorms
        }
        for i in 0..<b { squaredNorms[i] = Double(gram[i, i]) }
        Workspace.reserve(&terms, b * b)
        Workspace.reserve(&weights, b * b)
        Workspace.reserve(&rowActive, 2 * b)
        Workspace.reserve(&termCounts, b)
        // float32 arithmetic for the hinge tests, as PML's float32 tensors.
        let beta32 = Float(beta), margin32 = Float(parameters.margin)
        var sum = 0.0
        var activePositive = 0, activeNegative = 0
        var terms = self.terms, rowActive = self.rowActive, termCounts = self.termCounts
        self.terms = []
        self.rowActive = []
        self.termCounts = []
        gram.storage.withUnsafeMutableBufferPointer { g in
        coefficients.storage.withUnsafeMutableBufferPointer { c in
        squaredNorms.withUnsafeBufferPointer { sq in
        labels.withUnsafeBufferPointer { l in
        terms.withUnsafeMutableBufferPointer { terms in
        rowActive.withUnsafeMutableBufferPointer { rowActive in
        termCounts.withUnsafeMutableBufferPointer { termCounts in
        positiveCounts.withUnsafeMutableBufferPointer { pc in
        negativeCounts.withUnsafeMutableBufferPointer { nc in
            let gp = g.baseAddress!, cp = c.baseAddress!, sqp = sq.baseAddress!, lp = l.baseAddress!
            let tp = terms.baseAddress!, isa = kernelISA
            Parallel.forEachRange(b, parts: parts) { rows in
                for i in rows {
                    let row = i * b
                    if triplets == nil && isa > 0 {
                        // The same pass in C (distances, the row's label count, hinges), wider vectors.
                        let r = mb_margin_all_row(isa, gp + row, sqp, lp, i, b, beta32, margin32, tp + row, cp + row)
                        pc[i] = Int(r.positives)
                        nc[i] = b - 1 - pc[i]
                        rowActive[2 * i] = Int(r.positive)
                        rowActive[2 * i + 1] = Int(r.negative)
                        termCounts[i] = Int(r.terms)
                        continue
                    }
                    _MarginPasses.distances(gp + row, squaredNorms: sqp, i: i, count: b)
                    guard triplets == nil else { continue }
                    let positives = _MarginPasses.sameLabelCount(lp, i: i, count: b) - 1  // i itself
                    pc[i] = positives
                    nc[i] = b - 1 - positives
                    // All triplets: c holds dΣ/dD (unit weights, with multiplicities: a positive
                    // pair of anchor i counts |N_i| times, a negative pair |P_i| times) before
                    // the division by the divisor; `terms` the row's active pair shares, in column
                    // order (the inactive ones are +0, which leaves the loss's sum unchanged),
                    // summed below in this row-major order.
                    let active = _MarginPasses.allTripletHinges(
                        distances: gp + row, labels: lp, i: i, count: b, positiveMultiplicity: nc[i], negativeMultiplicity: pc[i],
                        beta: beta32, margin: margin32, terms: tp + row, coefficients: cp + row)
                    rowActive[2 * i] = active.positive
                    rowActive[2 * i + 1] = active.negative
                    termCounts[i] = active.terms
                }
            }
            if triplets == nil {
                for a in 0..<b { tripletCount += pc[a] * nc[a] }
            }
            if let triplets {
                // Mined triplets: one serial pass in triplet order (pairs may repeat).
                for k in 0..<(b * b) { c[k] = 0 }
                func positivePair(_ a: Int, _ p: Int) {
                    let h = g[a * b + p] - beta32 + margin32
                    guard h > 0 else { return }
                    sum += Double(h)
                    activePositive += 1
                    c[a * b + p] += 1
                }
                func negativePair(_ a: Int, _ n: Int) {
                    let h = beta32 - g[a * b + n] + margin32
                    guard h > 0 else { return }
                    sum += Double(h)
                    activeNegative += 1
                    c[a * b + n] -= 1
                }
                for t in 0..<triplets.count {
                    let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), n = Int(triplets.negatives[t])
                    precondition(a != p && l[a] == l[p] && l[a] != l[n], "(\(a), \(p), \(n)) is not a valid triplet")
                    positivePair(a, p)
                    negativePair(a, n)
                }
            } else {
                for i in 0..<b {
                    activePositive += rowActive[2 * i]
                    activeNegative += rowActive[2 * i + 1]
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
        self.rowActive = rowActive
        self.termCounts = termCounts
        guard tripletCount > 0 else {
            self.terms = terms
            gradient.fill(0)
            return LossResult(loss: 0, tuples: 0, activeFraction: 0)
        }
        let divisor = activePositive + activeNegative
        let regulariser = parameters.learnBeta ? parameters.nu * beta : 0
        if parameters.learnBeta { betaGradient = parameters.nu }
        guard divisor > 0 else {
            self.terms = terms
            gradient.fill(0)
            return LossResult(loss: regulariser, tuples: tripletCount, activeFraction: 0)
        }
        let scale = 1 / Double(divisor)
        betaGradient += Double(activeNegative - activePositive) * scale
        // dL/dU = Σ_j (W_ij + W_ji)(u_i − u_j) with W = (dL/dD) / D: store −W, let the GEMMs
        // give −(W + Wᵀ) U, then add each row's (W + Wᵀ) sum times u_i. The loss's serial sum
        // of the terms (all triplets) runs on one worker while the others compute W.
        if triplets == nil && kernelISA > 0 {
            sum = weightsAndRowSums(scale: scale, terms: terms, termCounts: termCounts, parts: parts)
            self.terms = terms
            _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
            unit.backward(&gradient, addingRowMultiples: rowSums, context: context)
            return LossResult(loss: sum * scale + regulariser, tuples: tripletCount,
                              activeFraction: Double(divisor) / Double(2 * tripletCount))
        }
        var weights = self.weights
        self.weights = []
        let chunk = 16
        let rowChunks = (b + chunk - 1) / chunk
        let sumsTerms = triplets == nil, isa = kernelISA
        gram.storage.withUnsafeBufferPointer { g in
        coefficients.storage.withUnsafeMutableBufferPointer { c in
        weights.withUnsafeMutableBufferPointer { w in
        terms.withUnsafeBufferPointer { terms in
        termCounts.withUnsafeBufferPointer { termCounts in
            var termSum = 0.0
            // Chunk 0 is the loss's sum (when there is one), chunk 1 + m rows 16m..<16m + 16.
            let chunks = rowChunks + (sumsTerms ? 1 : 0)
            Parallel.forEachChunk(chunks, chunk: 1, workers: parts) { _, range in
                for index in range {
                    if sumsTerms && index == 0 {
                        termSum = _MarginPasses.termSum(terms.baseAddress!, counts: termCounts.baseAddress!, rows: b)
                        continue
                    }
                    let first = (index - (sumsTerms ? 1 : 0)) * chunk
                    for i in first..<min(b, first + chunk) {
                        if isa > 0 {
                            mb_margin_weights_row(isa, g.baseAddress! + i * b, c.baseAddress! + i * b, scale,
                                                  w.baseAddress! + i * b, b)
                            continue
                        }
                        _MarginPasses.weights(distances: g.baseAddress! + i * b, coefficients: c.baseAddress! + i * b,
                                              scale: scale, into: w.baseAddress! + i * b, count: b)
                    }
                }
            }
            if sumsTerms { sum = termSum }
        }
        }
        }
        }
        }
        // Each row's weight sum in the serial loop's order: row k receives W_ik for i < k, then
        // its own row (W_kk twice, as the loop added W_ij to rows i and j), then W_ik for i > k.
        weights.withUnsafeBufferPointer { w in
        rowSums.withUnsafeMutableBufferPointer { r in
            let wp = w.baseAddress!, rp = r.baseAddress!
            Parallel.forEachRange(b, parts: parts) { ks in
                if isa > 0 {
                    mb_margin_row_sums(isa, wp, rp, b, ks.lowerBound, ks.upperBound)
                } else {
                    _MarginPasses.rowSums(wp, into: rp, count: b, rows: ks)
                }
            }
        }
        }
        self.weights = weights
        self.terms = terms
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        // + each row's weight sum times u_i, then the normalisation's backward, row by row in one pass.
        unit.backward(&gradient, addingRowMultiples: rowSums, context: context)
        return LossResult(loss: sum * scale + regulariser, tuples: tripletCount,
                          activeFraction: Double(divisor) / Double(2 * tripletCount))
    }
}

extension MarginLoss {
    /// All triplets, C passes: the floats of −W into `coefficients` and the row weight sums into
    /// `rowSums` in one hand-off (`mb_margin_weights_and_sums` over blocks of rows, W never in
    /// memory), with the loss's serial term sum as one more chunk; returns that sum. The
    /// multiplicity coefficients of the row pass stay readable for every block (each recomputes
    /// the column part of its weight sums from them), so −W goes to `spare`, swapped in after.
    fileprivate mutating func weightsAndRowSums(scale: Double, terms: [Double], termCounts: [Int], parts: Int) -> Double {
        let b = gram.rows, isa = kernelISA
        spare.reshape(rows: b, cols: b)
        // Two blocks per worker, so that the chunk of the serial sum leaves no worker idle; a
        // block's rows recompute their columns' W of the other blocks (1 − 1/blocks of W again).
        let blocks = parts == 1 ? 1 : 2 * parts
        let block = ((b + blocks - 1) / blocks + 7) / 8 * 8  // whole groups of the eight-row chains
        let rowBlocks = (b + block - 1) / block
        Workspace.reserve(&scratch, parts * 8 * b)
        var termSum = 0.0
        gram.storage.withUnsafeBufferPointer { g in
        coefficients.storage.withUnsafeBufferPointer { m in
        spare.storage.withUnsafeMutableBufferPointer { c in
        scratch.withUnsafeMutableBufferPointer { s in
        rowSums.withUnsafeMutableBufferPointer { r in
            let gp = g.baseAddress!, mp = m.baseAddress!, cp = c.baseAddress!, sp = s.baseAddress!, rp = r.baseAddress!
            Parallel.forEachChunk(rowBlocks + 1, chunk: 1, workers: parts) { worker, range in
                for index in range {
                    if index == 0 {
                        termSum = _MarginPasses.termSum(terms, counts: termCounts, rows: b)
                        continue
                    }
                    let lo = (index - 1) * block, hi = min(b, lo + block)
                    mb_margin_weights_and_sums(isa, gp, mp, cp, scale, sp + worker * 8 * b, rp, b, lo, hi)
                }
            }
        }
        }
        }
        }
        }
        swap(&coefficients, &spare)
        return termSum
    }
}

extension MarginLoss: LossDefinition {
    public static let name = "margin"

    /// All triplets, or those of a triplet miner on the euclidean distance
    /// (distance-weighted is the paper's; the semi-hard window is `margin`).
    public static func mining(_ kind: MiningKind) -> MiningKind? {
        switch kind {
        case .all, .distanceWeighted, .semihard: return kind
        case .hard, .batchHard, .random, .multiSimilarity: return nil
        }
    }

    public static func make(_ p: Parameters, mining: MiningKind, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        _MarginTripletLoss(MarginLoss(p, context: context), mining: mining, seed: seed, context: context)
    }
}

extension MarginLoss.Parameters: LossParameterSet {
    public init() {}
}

/// The margin loss behind the ``BatchLoss`` contract: its triplets from a
/// ``TripletMiner`` on the euclidean distance (all triplets when `mining`
/// is `all`), and β as a trainable parameter when `learn_beta`.
struct _MarginTripletLoss: BatchLoss {
    var kernel: MarginLoss
    private var miner: TripletMiner?
    private var distance: PairwiseDistance
    private var triplets = TripletIndices()
    private var beta: [Float] = [0]
    private var betaGradient: [Float] = [0]

    init(_ kernel: MarginLoss, mining: MiningKind, seed: UInt64, context: ComputeContext) {
        self.kernel = kernel
        distance = PairwiseDistance(kind: .euclidean, context: context)
        miner = mining == .all ? nil : TripletMiner(kind: mining, margin: Float(kernel.parameters.margin), seed: seed, context: context)
    }

    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        guard miner != nil else { return try kernel.evaluate(embeddings: embeddings, labels: labels, triplets: nil, gradient: &gradient) }
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        distance.compute(embeddings)
        miner!.mine(distances: distance.values, distanceKind: .euclidean, labels: labels, dimension: embeddings.cols, into: &triplets)
        return try kernel.evaluate(embeddings: embeddings, labels: labels, triplets: triplets, gradient: &gradient)
    }

    mutating func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        guard kernel.parameters.learnBeta else { return }
        beta[0] = Float(kernel.beta)
        betaGradient[0] = Float(kernel.betaGradient)
        body(&beta, &betaGradient)
        kernel.beta = Double(beta[0])
    }
}

/// The vectorised per-row passes of ``MarginLoss`` (eight pairs at a time, the
/// serial loop's arithmetic per pair, then the tail one by one): the portable
/// path (`kernelISA` 0) and the reference whose bits the C passes of
/// `CKernelsMargin.h` reproduce (MarginRowPassTests).
enum _MarginPasses {
    /// Row `i` of the Gram matrix at `g` becomes its distances, in place:
    /// `D_ij = sqrt(max(‖u_i‖² + ‖u_j‖² − 2 u_i·u_j, 0))` in double, `D_ii = 0`.
    @inline(__always)
    static func distances(_ g: UnsafeMutablePointer<Float>, squaredNorms sq: UnsafePointer<Double>, i: Int, count b: Int) {
        let si = sq[i]
        var j = 0
        while j + 8 <= b {
            let gram = SIMD8<Double>(SIMDMath.load(g + j))
            let norms = SIMD8<Double>(sq[j], sq[j + 1], sq[j + 2], sq[j + 3], sq[j + 4], sq[j + 5], sq[j + 6], sq[j + 7])
            let d2 = (si + norms) - 2 * gram
            // max(d2, 0) as Swift's `max`: 0 when 0 ≥ d2 (also for −0), d2 otherwise (also NaN).
            let clamped = d2.replacing(with: SIMD8<Double>.zero, where: d2 .<= SIMD8<Double>.zero)
            SIMDMath.store(SIMD8<Float>(squareRoot(clamped)), g + j)
            j += 8
        }
        while j < b {
            let d2 = si + sq[j] - 2 * Double(g[j])
            g[j] = Float(max(d2, 0).squareRoot())
            j += 1
        }
        g[i] = 0
    }

    /// Lane-wise square root (`sqrtpd` on x86-64: correctly rounded, as the scalar one).
    @inline(__always)
    static func squareRoot(_ v: SIMD8<Double>) -> SIMD8<Double> {
        #if arch(x86_64)
        let a: SIMD2<Double> = _mm_sqrt_pd(v.lowHalf.lowHalf), b2: SIMD2<Double> = _mm_sqrt_pd(v.lowHalf.highHalf)
        let c: SIMD2<Double> = _mm_sqrt_pd(v.highHalf.lowHalf), d: SIMD2<Double> = _mm_sqrt_pd(v.highHalf.highHalf)
        return SIMD8(lowHalf: SIMD4(lowHalf: a, highHalf: b2), highHalf: SIMD4(lowHalf: c, highHalf: d))
        #else
        return v.squareRoot()
        #endif
    }

    /// The number of `j < count` with `l[j] == l[i]` (i itself included).
    @inline(__always)
    static func sameLabelCount(_ l: UnsafePointer<Int32>, i: Int, count b: Int) -> Int {
        let own = l[i], label = SIMD8<Int32>(repeating: own)
        var same = 0, j = 0
        // Eight labels per comparison (the scalar loop compiled to a branch per label).
        while j + 8 <= b {
            same &+= SIMDMath.laneBits(SIMDMath.load(l + j) .== label).nonzeroBitCount
            j += 8
        }
        while j < b {
            same &+= l[j] == own ? 1 : 0
            j += 1
        }
        return same
    }

    /// Anchor `i`'s pairs with every triplet (all triplets): for a positive
    /// `h = D − β + α`, for a negative `h = β − D + α` (float32), and where
    /// `h > 0` the term `h · multiplicity` (double) and the coefficient
    /// `+multiplicity` (positive) or `0 − multiplicity` (negative); the
    /// coefficient is 0 elsewhere and on the diagonal. The active terms are
    /// written to the front of `t`, in column order (`t` needs room for
    /// `count` values). Returns the active multiplicities and the number of
    /// terms written.
    @inline(__always)
    static func allTripletHinges(
        distances g: UnsafePointer<Float>, labels l: UnsafePointer<Int32>, i: Int, count b: Int,
        positiveMultiplicity pm: Int, negativeMultiplicity nm: Int, beta: Float, margin: Float,
        terms t: UnsafeMutablePointer<Double>, coefficients c: UnsafeMutablePointer<Float>
    ) -> (positive: Int, negative: Int, terms: Int) {
        let li = l[i]
        let positiveCoefficient = Float(pm), negativeCoefficient = 0 - Float(nm)
        let positiveWeight = Double(pm), negativeWeight = Double(nm)
        var positives = 0, negatives = 0, written = 0
        // Swift's lane-wise comparisons with a scalar lower to a loop over the lanes: compare with
        // vectors. The diagonal is taken out of the counts after the vector loop.
        let label = SIMD8<Int32>(repeating: li), betas = SIMD8<Float>(repeating: beta), margins = SIMD8<Float>(repeating: margin)
        var j = 0
        while j + 8 <= b {
            let d = SIMDMath.load(g + j)
            let same = SIMDMath.load(l + j) .== label
            let h = ((d - betas) + margins).replacing(with: (betas - d) + margins, where: .!same)
            let active = h .> SIMD8<Float>.zero
            // The multiplicities are below 2²⁴, exact in float.
            let weight = SIMD8<Double>(SIMD8<Float>(repeating: Float(nm)).replacing(with: Float(pm), where: same))
            let term = SIMD8<Double>(h) * weight
            let coefficient = SIMD8<Float>(repeating: negativeCoefficient).replacing(with: positiveCoefficient, where: same)
            SIMDMath.store(coefficient.replacing(with: 0, where: .!active), c + j)
            let bits = SIMDMath.laneBits(active), sameBits = SIMDMath.laneBits(same)
            positives += (bits & sameBits).nonzeroBitCount
            negatives += (bits & ~sameBits).nonzeroBitCount
            // The active terms, without a data-dependent branch; the diagonal's lane is no pair.
            let diagonal: UInt32 = UInt(bitPattern: i &- j) < 8 ? 1 &<< UInt32(truncatingIfNeeded: i &- j) : 0
            let kept = bits & ~diagonal
            for lane in 0..<8 {
                t[written] = term[lane]
                written &+= Int((kept &>> UInt32(lane)) & 1)
            }
            j += 8
        }
        var positive = positives * pm, negative = negatives * nm
        if i < j {
            // The diagonal (D_ii = 0, a "positive" of itself) is no pair.
            if g[i] - beta + margin > 0 { positive -= pm }
            c[i] = 0
        }
        while j < b {
            var coefficient: Float = 0
            if j == i {
                // The diagonal is no pair: no term, coefficient 0.
            } else if l[j] == li {
                let h = g[j] - beta + margin
                if h > 0 { t[written] = Double(h) * positiveWeight; written += 1; positive += pm; coefficient = positiveCoefficient }
            } else {
                let h = beta - g[j] + margin
                if h > 0 { t[written] = Double(h) * negativeWeight; written += 1; negative += nm; coefficient = negativeCoefficient }
            }
            c[j] = coefficient
            j += 1
        }
        return (positive, negative, written)
    }

    /// The loss's sum of the all-triplet terms, in the serial loop's row-major order. Its inactive
    /// pairs added +0 to a sum that is never −0 (it starts at +0 and every term is ≥ 0), which
    /// changes no bit: only each row's active terms (the first `counts[i]` of row i) are added.
    static func termSum(_ terms: UnsafePointer<Double>, counts: UnsafePointer<Int>, rows b: Int) -> Double {
        var s = 0.0
        for i in 0..<b {
            let row = terms + i * b
            for k in 0..<counts[i] { s += row[k] }
        }
        return s
    }

    /// One row of `W = C / D` in double (`C · scale / D`, 0 where `D = 0`)
    /// into `w`, and `−W` as float into `c`.
    @inline(__always)
    static func weights(distances g: UnsafePointer<Float>, coefficients c: UnsafeMutablePointer<Float>, scale: Double,
                        into w: UnsafeMutablePointer<Double>, count b: Int) {
        var j = 0
        while j + 8 <= b {
            let d = SIMDMath.load(g + j)
            // Where D = 0 (or NaN): (0 · scale) / 1 = +0, the serial loop's 0 (scale > 0).
            let positive = d .> SIMD8<Float>.zero
            let q = (SIMD8<Double>(SIMDMath.load(c + j).replacing(with: 0, where: .!positive)) * scale)
                / SIMD8<Double>(d.replacing(with: 1, where: .!positive))
            let wv = q
            SIMDMath.storeDouble(wv, w + j)
            SIMDMath.store(SIMD8<Float>(-wv), c + j)
            j += 8
        }
        while j < b {
            let dist = g[j]
            let wij = dist > 0 ? Double(c[j]) * scale / Double(dist) : 0
            w[j] = wij
            c[j] = Float(-wij)
            j += 1
        }
    }

    /// Rows `ks` of the weight sums of the B × B weights `w` (`count` = B), in
    /// the order of the serial loop `for i, j { r_i += W_ij; r_j += W_ij }`:
    /// r_k receives W_ik for i < k, then its own row in column order (W_kk
    /// twice), then W_ik for i > k. Four rows of `ks` at a time run their own
    /// rows' chains in four lanes (each lane the one-row chain, so the same
    /// bits), with the contributions among the four rows added before and
    /// after them as the serial loop does; a lane that gets no second W_kk
    /// adds +0 instead, which changes no sum (none is −0: every sum starts at
    /// +0 and no weight is −0).
    @inline(__always)
    static func rowSums(_ w: UnsafePointer<Double>, into r: UnsafeMutablePointer<Double>, count b: Int, rows ks: Range<Int>) {
        for k in ks { r[k] = 0 }
        var i = 0
        while i < b {
            let row = w + i * b
            if i >= ks.lowerBound && i + 4 <= ks.upperBound {
                // Columns of ks outside the four rows: rows i..<i + 4 in order.
                for l in 0..<4 {
                    add(row + l * b + ks.lowerBound, into: r + ks.lowerBound, count: i - ks.lowerBound)
                    add(row + l * b + i + 4, into: r + i + 4, count: ks.upperBound - i - 4)
                }
                // Among the four: W_{i+m, i+l} for m < l comes before row i + l's own chain.
                for l in 1..<4 { for m in 0..<l { r[i + l] += row[m * b + i + l] } }
                var own = SIMD4<Double>(r[i], r[i + 1], r[i + 2], r[i + 3])
                func lanes(_ j: Int) -> SIMD4<Double> { SIMD4(row[j], row[b + j], row[2 * b + j], row[3 * b + j]) }
                for j in 0..<i { own += lanes(j) }
                for l in 0..<4 {
                    let v = lanes(i + l)
                    own += v
                    var twice = SIMD4<Double>.zero
                    twice[l] = v[l]
                    own += twice
                }
                for j in (i + 4)..<b { own += lanes(j) }
                for l in 0..<4 { r[i + l] = own[l] }
                // ... and W_{i+m, i+l} for m > l after it.
                for l in 0..<3 { for m in (l + 1)..<4 { r[i + l] += row[m * b + i + l] } }
                i += 4
            } else if ks.contains(i) {
                add(row + ks.lowerBound, into: r + ks.lowerBound, count: i - ks.lowerBound)
                var own = r[i]
                for j in 0..<b {
                    own += row[j]
                    if j == i { own += row[j] }
                }
                r[i] = own
                add(row + i + 1, into: r + i + 1, count: ks.upperBound - i - 1)
                i += 1
            } else {
                add(row + ks.lowerBound, into: r + ks.lowerBound, count: ks.count)
                i += 1
            }
        }
    }

    /// `r[k] += w[k]` for `k < count`.
    @inline(__always)
    static func add(_ w: UnsafePointer<Double>, into r: UnsafeMutablePointer<Double>, count: Int) {
        var k = 0
        while k + 8 <= count {
            SIMDMath.storeDouble(SIMDMath.loadDouble(r + k) + SIMDMath.loadDouble(w + k), r + k)
            k += 8
        }
        while k < count {
            r[k] += w[k]
            k += 1
        }
    }
}

extension SIMDMath {
    /// Eight doubles from `p`, unaligned.
    @inline(__always)
    static func loadDouble(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
    }

    /// Stores the eight lanes of `v` at `p`, unaligned.
    @inline(__always)
    static func storeDouble(_ v: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Double>.self)
    }
}
