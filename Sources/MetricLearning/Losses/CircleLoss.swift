import CKernels
import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Circle loss (Sun et al., CVPR 2020), pair form, as
/// pytorch-metric-learning 2.9's `CircleLoss()`.
///
/// On cosine similarities `S` of the L2-normalised embeddings (gradient
/// through the normalisation), relaxation m and scale γ, with O_p = 1 + m,
/// O_n = −m, Δ_p = 1 − m, Δ_n = m, and the selected pairs of anchor i
/// (all ordered pairs i ≠ j when `pairs` is nil):
///
///     a_ij = [O_p − S_ij]₊ (j ∈ P_i),   a_ik = [S_ik − O_n]₊ (k ∈ N_i)
///     ℓ_i  = softplus( log Σ_{j∈P_i} e^{−γ a_ij (S_ij − Δ_p)} + log Σ_{k∈N_i} e^{γ a_ik (S_ik − Δ_n)} )
///     L    = mean of the ℓ_i > 0                 (AvgNonZeroReducer over rows)
///
/// A row without a positive or a negative has ℓ_i = 0. As in the paper's
/// code and PML, the weights a are treated as constants in the gradient
/// (`detach()`), so the gradient is not the derivative of L itself: it is
/// the derivative with the weights a held fixed. Both log-sum-exps are evaluated stably
/// (large γ cannot overflow); a softplus that float32 would round to 0
/// (argument below ≈ −104) is dropped by the reducer as in PML.
///
/// - Complexity: O(B² · d) in three GEMMs plus O(B²) exponentials.
public struct CircleLoss {
    /// Parameters with PML 2.9 defaults; spec keys `m`, `gamma`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The relaxation m (radius of the decision boundary).
        public var m: Double = 0.4
        /// The scale γ.
        public var gamma: Double = 80

        public init(m: Double = 0.4, gamma: Double = 80) {
            self.m = m
            self.gamma = gamma
        }

        enum CodingKeys: String, CodingKey { case m, gamma }

        /// Throws unless m is finite and γ > 0.
        public func validate() throws {
            guard m.isFinite else {
                throw LossError.invalidParameter("circle: m must be a finite number (PML default 0.4), got \(m)")
            }
            guard gamma > 0, gamma.isFinite else {
                throw LossError.invalidParameter("circle: gamma must be a positive number (PML default 80), got \(gamma)")
            }
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
    /// Per row: the positive and negative log-sum-exps and the sigmoid of the softplus argument (0 when inactive).
    private var rowP: [Double] = [], rowN: [Double] = [], rowSlope: [Double] = []
    /// Per row, its softplus term (−1 when the row is dropped), summed in row order.
    private var rowTerm: [Double] = []
    /// Per worker, one row's exponents and then their exponentials (``VectorExp``).
    private var expScratch: [Double] = []

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
    }

    /// The loss and dLoss/dEmbeddings (B × d, overwritten); `pairs` nil means
    /// every ordered pair. `tuples` counts the selected pairs, `activeFraction`
    /// the share of rows with ℓ_i > 0.
    public mutating func evaluate(embeddings: Matrix, labels: [Int32], pairs: PairIndices?, gradient: inout Matrix) throws -> LossResult {
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        mask.assign(labels: labels, pairs: pairs, context: context)
        gradient.reshape(rows: b, cols: embeddings.cols)
        let tuples = mask.positivePairs + mask.negativePairs
        guard !mask.isTrivial else {
            gradient.fill(0)
            return LossResult(loss: 0, tuples: tuples, activeFraction: 0)
        }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &similarities, context: context)
        coefficients.reshape(rows: b, cols: b)
        if rowP.count != b {
            rowP = [Double](repeating: 0, count: b)
            rowN = rowP
            rowSlope = rowP
        }
        let m = parameters.m, gamma = parameters.gamma
        var total = 0.0
        var activeRows = 0
        // Rows on the context's workers (each row's logits and exponentials belong to it
        // alone); the loss is summed afterwards in row order, as one serial pass would.
        let parts = context.parts(forWork: b * b * 16)
        var rowP = self.rowP, rowN = self.rowN, rowSlope = self.rowSlope
        self.rowP = []; self.rowN = []; self.rowSlope = []
        Workspace.reserve(&rowTerm, b)
        var rowTerm = self.rowTerm
        self.rowTerm = []
        // Per worker, one row's exponents, then their exponentials (mb_exp, as ``VectorExp``).
        Workspace.reserve(&expScratch, parts * b)
        var expScratch = self.expScratch
        self.expScratch = []
        similarities.storage.withUnsafeBufferPointer { s in
            mask.values.withUnsafeBufferPointer { selection in
            rowP.withUnsafeMutableBufferPointer { rowP in
            rowN.withUnsafeMutableBufferPointer { rowN in
            rowSlope.withUnsafeMutableBufferPointer { rowSlope in
            rowTerm.withUnsafeMutableBufferPointer { rowTerm in
            expScratch.withUnsafeMutableBufferPointer { expScratch in
                let s = s.baseAddress!, selection = selection.baseAddress!, isa = VectorExp.isa
                Parallel.forEachPart(b, parts: parts) { part, rows in
                let e = expScratch.baseAddress! + part * b
                for i in rows {
                    let row = i * b
                    rowTerm[i] = -1
                    rowSlope[i] = 0
                    // The row's logits, their maxima per kind, exponentials and sums in one C pass
                    // (CKernelsPairLoss.h), the Swift loop's arithmetic per element.
                    let r = mb_circle_row_sums(isa, s + row, selection + row, b, m, gamma, e)
                    guard r.top_p > -.infinity, r.top_n > -.infinity else { continue }
                    rowP[i] = r.top_p + log(r.sum_p)
                    rowN[i] = r.top_n + log(r.sum_n)
                    let z = rowP[i] + rowN[i]
                    // float32 softplus is exactly 0 once exp(z) underflows; PML's reducer then drops the row.
                    guard Float(exp(z)) > 0 else { continue }
                    rowTerm[i] = _Stable.softplus(z)
                    rowSlope[i] = _Stable.sigmoid(z)
                }
                }
                // −1 marks a dropped row (softplus is never negative).
                for i in 0..<b where rowTerm[i] >= 0 {
                    total += rowTerm[i]
                    activeRows += 1
                }
            }
            }
            }
            }
            }
            }
        }
        self.rowP = rowP; self.rowN = rowN; self.rowSlope = rowSlope; self.rowTerm = rowTerm
        let scale = activeRows > 0 ? 1 / Double(activeRows) : 0
        let positiveLSE = rowP, negativeLSE = rowN, slopes = rowSlope
        // Every coefficient depends on its own row only: rows on the workers too.
        similarities.storage.withUnsafeBufferPointer { s in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                mask.values.withUnsafeBufferPointer { selection in
                expScratch.withUnsafeMutableBufferPointer { expScratch in
                    let s = s.baseAddress!, c = c.baseAddress!, selection = selection.baseAddress!, isa = VectorExp.isa
                    Parallel.forEachPart(b, parts: parts) { part, rows in
                    let e = expScratch.baseAddress! + part * b
                    for i in rows {
                        let row = i * b, slope = slopes[i] * scale
                        guard slope > 0 else {
                            (c + row).update(repeating: 0, count: b)
                            continue
                        }
                        // The softmax exponentials and dL/dS in one C pass (CKernelsPairLoss.h).
                        mb_circle_row_coefficients(isa, s + row, selection + row, b, m, gamma, positiveLSE[i], negativeLSE[i],
                                                   slope, e, c + row)
                    }
                    }
                }
                }
            }
        }
        self.expScratch = expScratch
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        unit.backward(&gradient, context: context)
        return LossResult(loss: total * scale, tuples: tuples, activeFraction: Double(activeRows) / Double(b))
    }
}

extension CircleLoss: _UnminedLoss, _PairLossKernel {
    public static let name = "circle"
}

extension CircleLoss.Parameters: LossParameterSet {
    public init() {}
}
