import CKernels
import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Supervised contrastive loss (Khosla et al., NeurIPS 2020), as
/// pytorch-metric-learning 2.9's `SupConLoss()`.
///
/// On cosine similarities `S` of the L2-normalised embeddings (gradient
/// through the normalisation), temperature τ, with `P_i` / `N_i` the selected
/// positive / negative pairs of anchor i (all ordered pairs i ≠ j when
/// `pairs` is nil):
///
///     ℓ_i = −1/|P_i| · Σ_{p∈P_i} ( S_ip/τ − log Σ_{j∈P_i∪N_i} e^{S_ij/τ} )
///     L   = mean of the ℓ_i > 0                  (AvgNonZeroReducer over rows)
///
/// This is the paper's L^sup_out (the mean over positives outside the log).
/// A row without positives has ℓ_i = 0 and so does not count. The
/// log-sum-exp is evaluated stably (small τ cannot overflow). PML computes in
/// float32, where an ℓ_i below half an ulp of 1 (≈ 6e-8) rounds to exactly
/// 0 and is dropped by the reducer; this type applies the same rule, so a
/// row whose negatives all underflow counts as PML counts it. The loss is 0
/// when the selection has no positive or no negative pair (or, as in PML's
/// `GenericPairLoss`, at most one of each).
///
/// - Complexity: O(B² · d) in three GEMMs plus O(B²) exponentials.
public struct SupConLoss {
    /// Parameters with PML 2.9 defaults; spec key `temperature`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The temperature τ dividing the similarities.
        public var temperature: Double = 0.1

        public init(temperature: Double = 0.1) { self.temperature = temperature }

        enum CodingKeys: String, CodingKey { case temperature }

        /// Throws unless τ > 0.
        public func validate() throws {
            guard temperature > 0, temperature.isFinite else {
                throw LossError.invalidParameter("supcon: temperature must be a positive number (PML default 0.1), got \(temperature)")
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
    /// Per row: the largest scaled similarity, the sum of the exponentials, the sum of the
    /// positives' scaled similarities, the log-sum-exp, the loss ℓ_i and 1 / (number of positives),
    /// each positive's share of the target; per row its positives; the workers' scratch.
    private let work = _ContrastiveWorkspace()

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
    }

    /// The loss and dLoss/dEmbeddings (B × d, overwritten); `pairs` nil means
    /// every ordered pair. `tuples` counts the positive pairs, `activeFraction`
    /// the share of rows with ℓ_i > 0.
    public mutating func evaluate(embeddings: Matrix, labels: [Int32], pairs: PairIndices?, gradient: inout Matrix) throws -> LossResult {
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        mask.assign(labels: labels, pairs: pairs, context: context)
        gradient.reshape(rows: b, cols: embeddings.cols)
        guard !mask.isTrivial, mask.positivePairs > 0, mask.negativePairs > 0 else {
            gradient.fill(0)
            return LossResult(loss: 0, tuples: mask.positivePairs, activeFraction: 0)
        }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &similarities, context: context)
        coefficients.reshape(rows: b, cols: b)
        let invT = 1 / parameters.temperature
        // Rows on the context's workers (each row's exponentials and its results belong to
        // it alone); the loss is summed afterwards in row order, as one serial pass would.
        let parts = context.parts(forWork: b * b * 16)
        let rows = work.reserve(b: b, parts: parts, perAnchorReals: 6, terms: false, scratchCount: mb_supcon_scratch_count(b))
        let top = rows.values(0), sum = rows.values(1), positiveSum = rows.values(2)
        let lse = rows.values(3), loss = rows.values(4), share = rows.values(5)
        let (total, activeRows) = _withPairRowPointers(similarities, &coefficients, mask) { s, c, m in
            let problem = mb_supcon_problem(
                s: s, mask: m, c: c, top: top, sum: sum, positive_sum: positiveSum, positives: rows.positives, b: b,
                inv_t: invT, wide: WideISA.selected, exp_isa: VectorExp.isa)
            withUnsafePointer(to: problem) { problem in
                Parallel.forEachPart(b, parts: parts) { part, range in
                    // The per-row sums, maxima, exponentials and rows of c in C (CKernelsContrastive.h):
                    // c holds each selected pair's e^{z − top}, rescaled to dL/dS below.
                    mb_supcon_rows(problem, range.lowerBound, range.upperBound, rows.scratch(part: part))
                    for i in range {
                        let positives = Int(rows.positives[i])
                        guard positives > 0 else {
                            loss[i] = 0
                            continue
                        }
                        share[i] = 1 / Double(positives)
                        lse[i] = top[i] + log(sum[i])
                        // −mean_p(z_p − lse) = lse − mean_p z_p, written as a gap to the largest term
                        // so that a loss near 0 keeps its digits.
                        let l = (lse[i] - top[i]) - (positiveSum[i] / Double(positives) - top[i])
                        loss[i] = _Stable.roundsPositive(l) ? l : 0
                    }
                }
            }
            var total = 0.0, activeRows = 0
            for i in 0..<b where loss[i] > 0 {
                total += loss[i]
                activeRows += 1
            }
            let scale = activeRows > 0 ? 1 / Double(activeRows) : 0
            // dL/dS row by row on the same workers: each entry depends only on its row's results.
            Parallel.forEachPart(b, parts: parts) { _, range in
                for i in range {
                    let row = i * b
                    guard loss[i] > 0 else {
                        for j in 0..<b { c[row + j] = 0 }
                        continue
                    }
                    let softmaxScale = exp(top[i] - lse[i])
                    // Branch-free in C, the same expression per entry (CKernelsLoss.h).
                    mb_supcon_coefficients(WideISA.selected, c + row, m + row, b, softmaxScale, share[i], invT, scale)
                }
            }
            return (total, activeRows)
        }
        let scale = activeRows > 0 ? 1 / Double(activeRows) : 0
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        unit.backward(&gradient, context: context)
        return LossResult(loss: total * scale, tuples: mask.positivePairs, activeFraction: Double(activeRows) / Double(b))
    }
}

extension SupConLoss: _UnminedLoss, _PairLossKernel {
    public static let name = "supcon"
}

extension SupConLoss.Parameters: LossParameterSet {
    public init() {}
}
