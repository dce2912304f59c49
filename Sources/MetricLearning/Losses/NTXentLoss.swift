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
    private var unit = _UnitRows()
    private var similarities = Matrix(rows: 0, cols: 0)
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var mask = _PairMask()
    /// The per-anchor pass's terms −log(r + tiny) of the anchors outside the first part (row a
    /// holds anchor a's, in column order), summed in (anchor, positive) order after the pass; per
    /// anchor its positive and active pairs; the workers' scratch.
    private let work = _ContrastiveWorkspace()

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
        // Each anchor costs about b exponentials and logarithms: worth both workers from b ≈ 64 on.
        let parts = context.parts(forWork: b * b * 16)
        let rows = work.reserve(b: b, parts: parts, perAnchorReals: 0, terms: true, scratchCount: mb_ntxent_scratch_count(b))
        let (total, active) = _withPairRowPointers(similarities, &coefficients, mask) { s, c, m in
            // The part holding anchor 0 sums its terms as the serial pass would (into `prefix`); the
            // others keep theirs for the sum after the pass.
            let problem = mb_ntxent_problem(
                s: s, mask: m, c: c, terms: rows.terms, positives: rows.positives, active: rows.active, b: b,
                inv_t: invT, weight: weight, tiny: _Stable.tiny, wide: WideISA.selected,
                exp_isa: VectorExp.isa, log_isa: VectorLog.isa, expm1_isa: VectorExpm1.isa)
            var prefix = 0.0, prefixEnd = 0
            withUnsafePointer(to: problem) { problem in
                Parallel.forEachPart(b, parts: parts) { part, anchors in
                    let (from, to) = (anchors.lowerBound, anchors.upperBound)
                    if from == 0 {
                        mb_ntxent_rows(problem, from, to, rows.scratch(part: part), &prefix)
                        prefixEnd = to
                    } else {
                        mb_ntxent_rows(problem, from, to, rows.scratch(part: part), nil)
                    }
                }
            }
            // The loss in the order of a serial pass over the anchors and their positives:
            // the first part's running sum, then the other parts' terms.
            var total = prefix, active = 0
            for a in prefixEnd..<b {
                let terms = rows.terms + a * b
                for p in 0..<Int(rows.positives[a]) { total += terms[p] }
            }
            for a in 0..<b { active += Int(rows.active[a]) }
            return (total, active)
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
