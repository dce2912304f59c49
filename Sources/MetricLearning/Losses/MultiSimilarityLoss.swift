import CKernels
import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Multi-similarity loss (Wang et al., CVPR 2019), as pytorch-metric-learning
/// 2.9's `MultiSimilarityLoss()`.
///
/// On cosine similarities `S_ij = x̂_i · x̂_j` of the L2-normalised
/// embeddings (PML's `CosineSimilarity`; the gradient flows through the
/// normalisation), with `P_i` / `N_i` the positive / negative pairs of anchor i
/// among the selected pairs (all ordered pairs i ≠ j when `pairs` is nil):
///
///     L_i = 1/α · log(1 + Σ_{j∈P_i} exp(−α (S_ij − λ)))
///         + 1/β · log(1 + Σ_{k∈N_i} exp( β (S_ik − λ)))
///     L   = 1/B · Σ_i L_i                      (MeanReducer over all B rows)
///
/// with λ = `base`; a row without positives (negatives) contributes 0 for
/// that term. Log-sum-exps are evaluated stably, so large α, β cannot overflow.
///
/// Differences from the paper: the paper mines pairs with its own rule
/// (`MultiSimilarityMiner`, ε = 0.1) before this loss and averages over the
/// anchors; PML, and this type, average over all B rows, including rows the
/// miner left empty. As in PML's `GenericPairLoss`, a selection with at most
/// one positive and one negative pair gives a loss of 0.
///
/// Shapes: embeddings B × d, similarities and coefficients B × B.
/// - Complexity: O(B² · d) in three GEMMs plus O(B²) exponentials.
public struct MultiSimilarityLoss {
    /// Parameters with PML 2.9 defaults; spec keys `alpha`, `beta`, `base`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// Weight α of the positive pairs' exponent.
        public var alpha: Double = 2
        /// Weight β of the negative pairs' exponent.
        public var beta: Double = 50
        /// The similarity margin λ both exponents are shifted by.
        public var base: Double = 0.5
        /// ε of the multi-similarity miner (`mining: multi-similarity`); the loss itself does not read it.
        public var epsilon: Double = 0.1

        public init(alpha: Double = 2, beta: Double = 50, base: Double = 0.5, epsilon: Double = 0.1) {
            self.alpha = alpha
            self.beta = beta
            self.base = base
            self.epsilon = epsilon
        }

        enum CodingKeys: String, CodingKey { case alpha, beta, base, epsilon }

        /// Throws unless α, β > 0 and λ is finite.
        public func validate() throws {
            guard alpha > 0, alpha.isFinite else {
                throw LossError.invalidParameter("multi-similarity: alpha must be a positive number (PML default 2), got \(alpha)")
            }
            guard beta > 0, beta.isFinite else {
                throw LossError.invalidParameter("multi-similarity: beta must be a positive number (PML default 50), got \(beta)")
            }
            guard base.isFinite else {
                throw LossError.invalidParameter("multi-similarity: base must be a finite number (PML default 0.5), got \(base)")
            }
            try MultiSimilarityMiner.Parameters(epsilon: epsilon).validate()
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs and of the per-row pass; the results do not
    /// depend on them (the products are tiled by shape, each row is computed
    /// whole by one worker, and the loss is summed afterwards in row order).
    public let context: ComputeContext
    private var unit = _UnitRows()
    private var similarities = Matrix(rows: 0, cols: 0)
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var mask = _PairMask()
    /// Per row, its term, summed in row order after the parallel pass.
    private var rowTerms: [Double] = []
    /// Per worker, one row's exponents and then their exponentials (``VectorExp``).
    private var expScratch: [Double] = []

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
    }

    /// The loss and dLoss/dEmbeddings (B × d, overwritten); `pairs` nil means
    /// every ordered pair (PML's default when no miner ran).
    ///
    /// `LossResult.tuples` counts the selected pairs and `activeFraction`
    /// the share of rows with a non-zero term.
    public mutating func evaluate(embeddings: Matrix, labels: [Int32], pairs: PairIndices?, gradient: inout Matrix) throws -> LossResult {
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        mask.assign(labels: labels, pairs: pairs, context: context)
        gradient.reshape(rows: b, cols: embeddings.cols)
        guard !mask.isTrivial, b > 0 else {
            gradient.fill(0)
            return LossResult(loss: 0, tuples: mask.positivePairs + mask.negativePairs, activeFraction: 0)
        }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &similarities, context: context)
        coefficients.reshape(rows: b, cols: b)
        let alpha = parameters.alpha, beta = parameters.beta, base = parameters.base
        var total = 0.0
        var activeRows = 0
        // Rows on the context's workers (each row's exponentials and coefficients belong to
        // it alone); the loss is summed afterwards in row order, as one serial pass would.
        let parts = context.parts(forWork: b * b * 16)
        Workspace.reserve(&rowTerms, b)
        Workspace.reserve(&expScratch, parts * b)
        var rowTerms = self.rowTerms
        self.rowTerms = []
        similarities.storage.withUnsafeBufferPointer { s in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                mask.values.withUnsafeBufferPointer { m in
                rowTerms.withUnsafeMutableBufferPointer { rowTerms in
                expScratch.withUnsafeMutableBufferPointer { expScratch in
                    let s = s.baseAddress!, c = c.baseAddress!, m = m.baseAddress!, isa = VectorExp.isa
                    Parallel.forEachPart(b, parts: parts) { part, rows in
                    let e = expScratch.baseAddress! + part * b
                    for i in rows {
                        let row = i * b
                        // Three C passes over the row (CKernelsPairLoss.h), the former Swift loops'
                        // arithmetic per element: the exponents and their maxima (both log-sum-exps
                        // include the "1", exponent 0, so the maxima start at 0), ...
                        var r = mb_ms_row_max(isa, s + row, m + row, b, alpha, beta, base, e)
                        let maxP = r.top_p, maxN = r.top_n
                        // ... each exponential once, summed in column order after exp(0 − max), ...
                        r.sum_p = exp(-maxP)
                        r.sum_n = exp(-maxN)
                        r = mb_ms_row_exp(isa, m + row, b, r, e)
                        let lseP = maxP + log(r.sum_p), lseN = maxN + log(r.sum_n)
                        rowTerms[i] = (r.positives > 0 ? lseP / alpha : 0) + (r.negatives > 0 ? lseN / beta : 0)
                        // ... and dL/dS_ij = −softmax⁺_ij / B for a positive, +softmax⁻_ij / B for a negative
                        // (each exponential rounded to Float first, as when c held it).
                        let scaleP = -exp(maxP - lseP) / Double(b), scaleN = exp(maxN - lseN) / Double(b)
                        mb_ms_row_coefficients(isa, m + row, b, e, scaleP, scaleN, c + row)
                    }
                    }
                    for i in 0..<b {
                        total += rowTerms[i]
                        if rowTerms[i] > 0 { activeRows += 1 }
                    }
                }
                }
                }
            }
        }
        self.rowTerms = rowTerms
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        unit.backward(&gradient, context: context)
        return LossResult(loss: total / Double(b), tuples: mask.positivePairs + mask.negativePairs,
                          activeFraction: Double(activeRows) / Double(b))
    }
}

extension MultiSimilarityLoss: LossDefinition, _PairLossKernel {
    public static let name = "multi-similarity"

    /// The pairs of the multi-similarity miner, or all pairs.
    public enum Mining: Sendable { case all, multiSimilarity }

    public static func mining(_ kind: MiningKind) -> Mining? {
        switch kind {
        case .all: return .all
        case .multiSimilarity: return .multiSimilarity
        case .semihard, .hard, .batchHard, .random, .distanceWeighted: return nil
        }
    }

    public static func make(_ p: Parameters, mining: Mining, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        let miner: MultiSimilarityMiner?
        switch mining {
        case .all: miner = nil
        case .multiSimilarity: miner = MultiSimilarityMiner(.init(epsilon: p.epsilon), context: context)
        }
        return _PairLoss(MultiSimilarityLoss(p, context: context), miner: miner)
    }
}

extension MultiSimilarityLoss.Parameters: LossParameterSet {
    public init() {}
}
