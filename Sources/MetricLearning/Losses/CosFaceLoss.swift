import NumericCore

/// CosFace / large margin cosine loss (Wang et al., CVPR 2018), as
/// pytorch-metric-learning 2.9's `CosFaceLoss(num_classes, embedding_size)`.
///
/// With x̂_i and ŵ_c the L2-normalised embeddings and class weights
/// (PML's `CosineSimilarity`; gradients flow through both normalisations),
/// additive cosine margin m and scale s:
///
///     z_ic = s · (x̂_i · ŵ_c − m [c = y_i])
///     ℓ_i  = −log softmax_c(z_i)[y_i],   L = 1/B · Σ_i ℓ_i      (MeanReducer)
///
/// The log-sum-exp is stable, so a large s cannot overflow. The class
/// weights are C × d here (PML stores d × C); rows follow the sorted
/// distinct training labels. Same formula as the paper.
///
/// - Complexity: O(B · C · d) in three GEMMs plus O(B · C).
public struct CosFaceLoss {
    /// Parameters with PML 2.9 defaults; spec keys `margin`, `scale`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The additive cosine margin m.
        public var margin: Double = 0.35
        /// The logit scale s.
        public var scale: Double = 64

        public init(margin: Double = 0.35, scale: Double = 64) {
            self.margin = margin
            self.scale = scale
        }

        enum CodingKeys: String, CodingKey { case margin, scale }

        /// Throws unless m is finite and s > 0.
        public func validate() throws {
            guard margin.isFinite else {
                throw LossError.invalidParameter("cosface: margin must be a finite number (PML default 0.35), got \(margin)")
            }
            guard scale > 0, scale.isFinite else {
                throw LossError.invalidParameter("cosface: scale must be a positive number (PML default 64), got \(scale)")
            }
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs; the results do not depend on them (the
    /// products are tiled by shape, the other passes are serial).
    public let context: ComputeContext
    private var cosine = _ProxyCosine()

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
        cosine.context = context
    }

    /// PML's initialisation: every entry N(0, 1) (`torch.nn.init.normal_`,
    /// the default of its `WeightMixin`), drawn from `generator`.
    public static func initialWeights(classes: Int, dimension: Int, generator: inout SplitMix64) -> Matrix {
        _normalMatrix(rows: classes, cols: dimension, standardDeviation: 1, generator: &generator)
    }

    /// The loss, dLoss/dEmbeddings (B × d) and dLoss/dWeights (C × d), both
    /// overwritten. `weights` is C × d, `classIndex[i]` the row of sample i's class.
    public mutating func evaluate(
        embeddings: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix,
        gradient: inout Matrix, weightGradient: inout Matrix
    ) throws -> LossResult {
        try _validateProxyBatch(embeddings: embeddings, labels: labels, classIndex: classIndex, weights: weights)
        let b = embeddings.rows
        guard b > 0 else {
            gradient.reshape(rows: 0, cols: embeddings.cols)
            weightGradient.reshape(rows: weights.rows, cols: weights.cols)
            weightGradient.fill(0)
            return LossResult(loss: 0, tuples: 0, activeFraction: 0)
        }
        cosine.forward(embeddings: embeddings, weights: weights)
        let s = parameters.scale, m = parameters.margin
        let (loss, active) = cosine.meanCrossEntropy(classIndex: classIndex) { cos, target in
            (s * (target ? cos - m : cos), s)
        }
        cosine.backward(gradient: &gradient, weightGradient: &weightGradient)
        return LossResult(loss: loss, tuples: b, activeFraction: Double(active) / Double(b))
    }
}

extension CosFaceLoss: _UnminedLoss, _ClassWeightLossKernel {
    public static let name = "cosface"
}

extension CosFaceLoss.Parameters: LossParameterSet {
    public init() {}
}
