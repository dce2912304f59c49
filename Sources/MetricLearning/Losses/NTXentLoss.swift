import CKernels
import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// NT-Xent / InfoNCE loss (Chen et al. 2020; Oord et al. 2018), as
/// pytorch-metric-learning 2.9's `NTXentLoss()`.
///
/// On cosine similarities `S` of the L2-normalised embeddings (gradient
/// through the normalisation), temperature τ, for every selected positive
/// pair (a, p) with `N_a` the selected negatives of anchor a:
///
///     ℓ_ap = −log( e^{S_ap/τ} / (e^{S_ap/τ} + Σ_{n∈N_a} e^{S_an/τ}) + tiny )
///     L    = mean over the positive pairs          (MeanReducer, "pos_pair")
///
/// `tiny` = 1.18e-38 (float32's smallest normal, PML's `small_val`) caps a
/// pair's loss at ≈ 87.3 with a vanishing gradient when the ratio
/// underflows; the log-sum-exp is evaluated stably, so a small τ cannot
/// overflow. Labels define the positives (supervised form); the paper's
/// SimCLR form is the case of two views per label. Every ordered pair is
/// used when `pairs` is nil. The loss is 0 when there is no positive or no
/// negative pair (and, as in PML's `GenericPairLoss`, when there is at most
/// one of each).
///
/// - Complexity: O(B² · d) in three GEMMs plus O(B²): each anchor's negative
///   log-sum-exp is computed once and shared by its positive pairs.
public struct NTXentLoss {
    /// Parameters with PML 2.9 defaults; spec key `temperature`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The temperature τ dividing the similarities.
        public var temperature: Double = 0.07

        public init(temperature: Double = 0.07) { self.temperature = temperature }

        enum CodingKeys: String, CodingKey { case temperature }

        /// Throws unless τ > 0.
        public func validate() throws {
            guard temperature > 0, temperature.isFinite else {
                throw LossError.invalidParameter("ntxent: temperature must be a positive number (PML default 0.07), got \(temperature)")
            }
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs and of the per-anchor pass; the results do
    /// not depend on them (the products are tiled by shape, each anchor's row
    /// is computed whole by one worker, and the loss is summed afterwards in
    /// anchor order).
    public let context: ComputeContext
    /// Per positive pair of an anchor outside the first part, its term −log(r + tiny) (row a holds
    /// anchor a's terms in column order from its start), summed in (anchor, positive) order after the parallel pass.
    private var terms: [Double] = []
    /// Per anchor, its positive pairs with r < 1.
    private var activePerAnchor: [Int] = []
    /// Per anchor, its positive pairs (their terms sit at the start of the anchor's row of `terms`).
    private var positivesPerAnchor: [Int] = []
    private var unit = _UnitRows()
    private var similarities = Matrix(rows: 0, cols: 0)
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var mask = _PairMask()
    /// Per worker, four rows of exponents and then their exponentials (``VectorExp``):
    /// the negatives' and three for the positives' passes.
    private var expScratch: [Double] = []

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
    }

    /// The loss and dLoss/dEmbeddings (B × d, overwritten); `pairs` nil means
    /// every ordered pair. `tuples` counts the positive pairs.
    public mutating func evaluate(embeddings: Matrix, labels: [Int32], pairs: PairIndices?, gradient: inout Matrix) throws -> LossResult {
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        mask.assign(labels: labels, pairs: pairs, context: context)
        gradient.reshape(rows: b, cols: embeddings.cols)
        let positivePairs = mask.positivePairs
        guard !mask.isTrivial, positivePairs > 0, mask.negativePairs > 0 else {
            gradient.fill(0)
            return LossResult(loss: 0, tuples: positivePairs, activeFraction: 0)
        }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &similarities, context: context)
        coefficients.reshape(rows: b, cols: b)
        let invT = 1 / parameters.temperature, weight = 1 / Double(positivePairs)
        var total = 0.0
        var active = 0
        Workspace.reserve(&terms, b * b)
        Workspace.reserve(&activePerAnchor, b)
        Workspace.reserve(&positivesPerAnchor, b)
        // Each anchor costs about b exponentials and logarithms: worth both workers from b ≈ 64 on.
        let parts = context.parts(forWork: b * b * 16)
        Workspace.reserve(&expScratch, parts * 5 * b)
        similarities.storage.withUnsafeBufferPointer { s in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                mask.values.withUnsafeBufferPointer { m in
                terms.withUnsafeMutableBufferPointer { terms in
                activePerAnchor.withUnsafeMutableBufferPointer { activePerAnchor in
                positivesPerAnchor.withUnsafeMutableBufferPointer { positivesPerAnchor in
                expScratch.withUnsafeMutableBufferPointer { expScratch in
                    let s = s.baseAddress!, c = c.baseAddress!, m = m.baseAddress!
                    let terms = terms.baseAddress!, activePerAnchor = activePerAnchor.baseAddress!
                    let positivesPerAnchor = positivesPerAnchor.baseAddress!
                    var prefix = 0.0, prefixEnd = 0
                    Parallel.forEachPart(b, parts: parts) { part, anchors in
                    let e = expScratch.baseAddress! + part * 5 * b
                    let prefixPart = anchors.lowerBound == 0
                    for a in anchors {
                        let row = a * b
                        var active = 0
                        // The anchor's negatives: max and sum of exp(S/τ − max).
                        // (The C row passes compute the serial loops' values without their branches.)
                        let maxN = mb_masked_max_scaled(s + row, m + row, _PairMask.negative, b, invT)
                        // e^{S_an/τ − maxN} of the negatives in column order, all at once: the sum
                        // and the coefficients below use the same values.
                        let negatives = mb_masked_compact_scaled(s + row, m + row, _PairMask.negative, b, invT, maxN, e)
                        VectorExp.exp(e, into: e, count: negatives)
                        var sumN = 0.0
                        if maxN > -.infinity {
                            for k in 0..<negatives { sumN += e[k] }
                        }
                        // The positives in three passes, so that each of their four exponentials, two
                        // logarithms and one expm1 runs in one VectorExp / VectorLog / VectorExpm1 call:
                        // (1) e^{z − top} and e^{maxN − top}; (2) L, log r, e^{log r}, e^{maxN − L},
                        // log(r + tiny) and e^{log r} − 1; (3) the terms and coefficients in column order.
                        let q1 = e + b, q2 = e + 2 * b, q3 = e + 3 * b, q4 = e + 4 * b
                        // L = log(e^z + Σ e^n), stably around top = max(z, maxN): q1 = z − top, q2 = maxN − top.
                        let positives = mb_masked_top_scaled(s + row, m + row, _PairMask.positive, b, invT, maxN, q1, q2)
                        VectorExp.exp(q1, into: q1, count: positives)
                        VectorExp.exp(q2, into: q2, count: positives)
                        // log(e^{z − top} + Σ e^{n − top}), all positives in one call (q3 is free until below).
                        for p in 0..<positives { q3[p] = q1[p] + sumN * q2[p] }
                        VectorLog.log(q3, into: q3, count: positives)
                        var p = 0
                        for j in 0..<b where m[row + j] == _PairMask.positive {
                            let z = Double(s[row + j]) * invT
                            let top = max(z, maxN)
                            let l = top + q3[p]
                            let logRatio = z - l
                            q1[p] = logRatio
                            q3[p] = logRatio
                            q2[p] = maxN - l
                            p += 1
                        }
                        VectorExp.exp(q1, into: q1, count: positives)
                        VectorExp.exp(q2, into: q2, count: positives)
                        // log(r + tiny) of every positive in one call.
                        for p in 0..<positives { q4[p] = q1[p] + _Stable.tiny }
                        VectorLog.log(q4, into: q4, count: positives)
                        // e^{log r} − 1 of every positive in one call (q3 holds log r, read nowhere else).
                        VectorExpm1.expm1(q3, into: q3, count: positives)
                        // Σ_p κ_ap e^{maxN − L_ap}: the weight every negative of this anchor gets, over e^{S_an/τ − maxN}.
                        var negativeWeight = 0.0
                        p = 0
                        for j in 0..<b {
                            guard m[row + j] == _PairMask.positive else {
                                c[row + j] = 0
                                continue
                            }
                            let ratio = q1[p], ratioMinusOne = q3[p]
                            let term = -q4[p]
                            // The part holding anchor 0 sums its terms as the serial pass would;
                            // the others keep theirs, compacted, for the sum after the pass.
                            if prefixPart { prefix += term } else { terms[row + p] = term }
                            if ratio < 1 { active += 1 }
                            // d(−log(r + tiny))/dlogRatio = −κ with κ = r / (r + tiny).
                            let kappa = ratio / (ratio + _Stable.tiny)
                            c[row + j] = Float(kappa * ratioMinusOne * invT * weight)
                            if maxN > -.infinity { negativeWeight += kappa * q2[p] }
                            p += 1
                        }
                        var k = 0
                        for j in 0..<b where m[row + j] == _PairMask.negative {
                            c[row + j] = Float(negativeWeight * e[k] * invT * weight)
                            k += 1
                        }
                        activePerAnchor[a] = active
                        positivesPerAnchor[a] = positives
                    }
                    if prefixPart { prefixEnd = anchors.upperBound }
                    }
                    // The loss in the order of a serial pass over the anchors and their positives:
                    // the first part's running sum, then the other parts' terms.
                    total = prefix
                    for a in prefixEnd..<b {
                        let row = a * b
                        for p in 0..<positivesPerAnchor[a] { total += terms[row + p] }
                    }
                    for a in 0..<b { active += activePerAnchor[a] }
                }
                }
                }
                }
                }
            }
        }
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        unit.backward(&gradient, context: context)
        return LossResult(loss: total * weight, tuples: positivePairs, activeFraction: Double(active) / Double(positivePairs))
    }
}

extension NTXentLoss: _UnminedLoss, _PairLossKernel {
    public static let name = "ntxent"
}

extension NTXentLoss.Parameters: LossParameterSet {
    public init() {}
}
