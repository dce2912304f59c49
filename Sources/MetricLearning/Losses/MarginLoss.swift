import NumericCore

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
    /// The workers of the GEMMs; the results do not depend on them (the
    /// products are tiled by shape, the other passes are serial).
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
        // Triplet count and, for all triplets, each anchor's positives and negatives.
        if positiveCounts.count != b {
            positiveCounts = [Int](repeating: 0, count: b)
            negativeCounts = positiveCounts
        }
        var tripletCount = 0
        if let triplets {
            tripletCount = triplets.count
        } else {
            for a in 0..<b {
                var p = 0
                for j in 0..<b where j != a && labels[j] == labels[a] { p += 1 }
                positiveCounts[a] = p
                negativeCounts[a] = b - 1 - p
                tripletCount += p * (b - 1 - p)
            }
        }
        guard tripletCount > 0 else {
            gradient.fill(0)
            return LossResult(loss: 0, tuples: 0, activeFraction: 0)
        }
        unit.forward(embeddings)
        _Cosine.similarities(unit.unit, unit.unit, into: &gram, context: context)
        coefficients.reshape(rows: b, cols: b)
        coefficients.fill(0)
        if squaredNorms.count != b {
            squaredNorms = [Double](repeating: 0, count: b)
            rowSums = squaredNorms
        }
        for i in 0..<b { squaredNorms[i] = Double(gram[i, i]) }
        // float32 arithmetic for the hinge tests, as PML's float32 tensors.
        let beta32 = Float(beta), margin32 = Float(parameters.margin)
        var sum = 0.0
        var activePositive = 0, activeNegative = 0
        gram.storage.withUnsafeMutableBufferPointer { g in
            // Distances replace the Gram matrix in place: D_ij = sqrt(max(‖u_i‖² + ‖u_j‖² − 2 u_i·u_j, 0)).
            for i in 0..<b {
                for j in 0..<b {
                    let d2 = squaredNorms[i] + squaredNorms[j] - 2 * Double(g[i * b + j])
                    g[i * b + j] = i == j ? 0 : Float(max(d2, 0).squareRoot())
                }
            }
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                // c holds dΣ/dD (unit weights, with multiplicities) before the division by the divisor.
                func positivePair(_ a: Int, _ p: Int, count: Int) {
                    let h = g[a * b + p] - beta32 + margin32
                    guard h > 0 else { return }
                    sum += Double(h) * Double(count)
                    activePositive += count
                    c[a * b + p] += Float(count)
                }
                func negativePair(_ a: Int, _ n: Int, count: Int) {
                    let h = beta32 - g[a * b + n] + margin32
                    guard h > 0 else { return }
                    sum += Double(h) * Double(count)
                    activeNegative += count
                    c[a * b + n] -= Float(count)
                }
                if let triplets {
                    for t in 0..<triplets.count {
                        let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), n = Int(triplets.negatives[t])
                        precondition(a != p && labels[a] == labels[p] && labels[a] != labels[n], "(\(a), \(p), \(n)) is not a valid triplet")
                        positivePair(a, p, count: 1)
                        negativePair(a, n, count: 1)
                    }
                } else {
                    for a in 0..<b {
                        for j in 0..<b where j != a {
                            if labels[j] == labels[a] { positivePair(a, j, count: negativeCounts[a]) }
                            else { negativePair(a, j, count: positiveCounts[a]) }
                        }
                    }
                }
            }
        }
        let divisor = activePositive + activeNegative
        let regulariser = parameters.learnBeta ? parameters.nu * beta : 0
        if parameters.learnBeta { betaGradient = parameters.nu }
        guard divisor > 0 else {
            gradient.fill(0)
            return LossResult(loss: regulariser, tuples: tripletCount, activeFraction: 0)
        }
        let scale = 1 / Double(divisor)
        betaGradient += Double(activeNegative - activePositive) * scale
        // dL/dU = Σ_j (W_ij + W_ji)(u_i − u_j) with W = (dL/dD) / D: store −W, let the GEMMs
        // give −(W + Wᵀ) U, then add each row's (W + Wᵀ) sum times u_i.
        for i in 0..<b { rowSums[i] = 0 }
        gram.storage.withUnsafeBufferPointer { g in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                for i in 0..<b {
                    for j in 0..<b {
                        let dist = g[i * b + j]
                        let w = dist > 0 ? Double(c[i * b + j]) * scale / Double(dist) : 0
                        rowSums[i] += w
                        rowSums[j] += w
                        c[i * b + j] = Float(-w)
                    }
                }
            }
        }
        _Cosine.backwardSymmetric(coefficients: &coefficients, unit.unit, gradient: &gradient, context: context)
        unit.unit.storage.withUnsafeBufferPointer { u in
            gradient.storage.withUnsafeMutableBufferPointer { gp in
                for i in 0..<b {
                    let r = Float(rowSums[i])
                    for k in 0..<d { gp[i * d + k] += r * u[i * d + k] }
                }
            }
        }
        unit.backward(&gradient)
        return LossResult(loss: sum * scale + regulariser, tuples: tripletCount,
                          activeFraction: Double(divisor) / Double(2 * tripletCount))
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
