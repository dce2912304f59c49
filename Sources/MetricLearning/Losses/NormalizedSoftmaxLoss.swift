import NumericCore

/// Normalized softmax loss (Zhai & Wu, BMVC 2019, "Classification is a
/// strong baseline for deep metric learning"), as pytorch-metric-learning
/// 2.9's `NormalizedSoftmaxLoss(num_classes, embedding_size)`.
///
/// With x̂_i the L2-normalised embeddings and ŵ_c the L2-normalised class
/// weights (both normalised inside the loss; gradients flow through both
/// normalisations), temperature τ:
///
///     ℓ_i = −log softmax_c( x̂_i · ŵ_c / τ )[y_i]
///     L   = 1/B · Σ_i ℓ_i                       (MeanReducer)
///
/// The class weights are a C × d matrix here (PML stores their transpose,
/// d × C); rows follow the sorted distinct training labels. The paper's
/// layer-norm and class balancing are not part of PML's loss and not here.
///
/// - Complexity: O(B · C · d) in three GEMMs plus O(B · C).
public struct NormalizedSoftmaxLoss {
    /// Parameters with PML 2.9 defaults; spec key `temperature`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The temperature τ dividing the cosine logits.
        public var temperature: Double = 0.05

        public init(temperature: Double = 0.05) { self.temperature = temperature }

        enum CodingKeys: String, CodingKey { case temperature }

        /// Throws unless τ > 0.
        public func validate() throws {
            guard temperature > 0, temperature.isFinite else {
                throw LossError.invalidParameter("normalized-softmax: temperature must be a positive number (PML default 0.05), got \(temperature)")
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
        let invT = 1 / parameters.temperature
        let (loss, active) = cosine.meanCrossEntropy(classIndex: classIndex) { s, _ in (s * invT, invT) }
        cosine.backward(gradient: &gradient, weightGradient: &weightGradient)
        return LossResult(loss: loss, tuples: b, activeFraction: Double(active) / Double(b))
    }
}

extension NormalizedSoftmaxLoss: _UnminedLoss, _ClassWeightLossKernel {
    public static let name = "normalized-softmax"
}

extension NormalizedSoftmaxLoss.Parameters: LossParameterSet {
    public init() {}
}
