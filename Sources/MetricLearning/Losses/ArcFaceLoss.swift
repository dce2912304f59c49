import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ArcFace / additive angular margin loss (Deng et al., CVPR 2019), as
/// pytorch-metric-learning 2.9's `ArcFaceLoss(num_classes, embedding_size)`.
///
/// With x̂_i and ŵ_c the L2-normalised embeddings and class weights
/// (gradients flow through both normalisations), cos θ_ic = x̂_i · ŵ_c,
/// angular margin m given in DEGREES (28.6° ≈ 0.5 rad, the paper's 0.5) and
/// scale s:
///
///     f(θ)  = cos(θ + m)            if θ ≤ π − m
///           = cos θ − m · sin m     otherwise (PML's rule keeping f decreasing; m in radians here)
///     z_ic  = s · f(θ_ic) for c = y_i,   s · cos θ_ic otherwise
///     ℓ_i   = −log softmax_c(z_i)[y_i],  L = 1/B · Σ_i ℓ_i      (MeanReducer)
///
/// θ = acos(clamp(cos θ, −1, 1)). The target's slope in cos θ is
/// sin(θ + m) / sin θ on the first branch and 1 on the second. At
/// |cos θ| = 1 PyTorch's acos gradient is infinite (NaN gradients); this
/// type uses slope 0 there (a sample exactly on or opposite its class
/// weight). The log-sum-exp is stable for large s. Differences from the
/// paper: the paper writes only cos(θ + m); the fallback for θ > π − m is
/// the one of the authors' code and PML; the margin is in degrees, as in PML.
///
/// - Complexity: O(B · C · d) in three GEMMs plus O(B · C).
public struct ArcFaceLoss {
    /// Parameters with PML 2.9 defaults; spec keys `margin` (degrees), `scale`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The additive angular margin m, in degrees.
        public var margin: Double = 28.6
        /// The logit scale s.
        public var scale: Double = 64

        public init(margin: Double = 28.6, scale: Double = 64) {
            self.margin = margin
            self.scale = scale
        }

        enum CodingKeys: String, CodingKey { case margin, scale }

        /// Throws unless 0 ≤ m < 180 and s > 0.
        public func validate() throws {
            guard margin >= 0, margin < 180 else {
                throw LossError.invalidParameter("arcface: margin is an angle in degrees and must be in [0, 180) (PML default 28.6), got \(margin)")
            }
            guard scale > 0, scale.isFinite else {
                throw LossError.invalidParameter("arcface: scale must be a positive number (PML default 64), got \(scale)")
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

    /// The target logit before scaling, f(θ), and its slope in cos θ.
    static func marginCosine(_ c: Double, margin m: Double) -> (value: Double, slope: Double) {
        let clamped = min(max(c, -1), 1)
        let theta = acos(clamped)
        guard theta <= Double.pi - m else { return (clamped - m * sin(m), 1) }
        let sinTheta = sin(theta)
        return (cos(theta + m), sinTheta > 0 && abs(c) < 1 ? sin(theta + m) / sinTheta : 0)
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
        let s = parameters.scale, m = parameters.margin * Double.pi / 180
        let (loss, active) = cosine.meanCrossEntropy(classIndex: classIndex) { c, target in
            guard target else { return (s * c, s) }
            let (f, slope) = Self.marginCosine(c, margin: m)
            return (s * f, s * slope)
        }
        cosine.backward(gradient: &gradient, weightGradient: &weightGradient)
        return LossResult(loss: loss, tuples: b, activeFraction: Double(active) / Double(b))
    }
}

extension ArcFaceLoss: _UnminedLoss, _ClassWeightLossKernel {
    public static let name = "arcface"
}

extension ArcFaceLoss.Parameters: LossParameterSet {
    public init() {}
}
