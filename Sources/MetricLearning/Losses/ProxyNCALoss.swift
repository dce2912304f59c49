import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ProxyNCA loss (Movshovitz-Attias et al., ICCV 2017), as
/// pytorch-metric-learning 2.9's `ProxyNCALoss(num_classes, embedding_size)`.
///
/// With x̂_i and p̂_c the L2-normalised embeddings and proxies (PML's NCA
/// distance `LpDistance(power=2)` normalises both; gradients flow through
/// both normalisations), squared distances `D²_ic = ‖x̂_i − p̂_c‖² = 2 − 2 x̂_i·p̂_c`
/// and softmax scale s:
///
///     P_i = softmax_c( −s · D²_ic )[y_i]
///     L   = 1/B · Σ_i −log P_i                                  (MeanReducer)
///
/// computed as a log-softmax, so −log P_i stays finite at any scale. PML
/// drops a sample whose float32 probability underflows to 0 (−log P_i above
/// ≈ 103), and its float32 gradient is then NaN; this type keeps every
/// sample, which is PML's formula evaluated exactly (its float64 result).
/// Differences from the paper: the paper's softmax excludes the own proxy
/// from the denominator (NCA's neighbourhood); PML, and this type, include
/// it (a plain softmax cross-entropy over proxies). The proxies are
/// parameters of the model, trained in the paper (and in Proxy-Anchor's and
/// ProxyNCA++'s code) with a much larger learning rate than the network.
///
/// - Complexity: O(B · C · d) in three GEMMs plus O(B · C).
public struct ProxyNCALoss {
    /// Parameters with PML 2.9 defaults; spec key `softmax_scale`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The scale s of the negative squared distances.
        public var softmaxScale: Double = 1

        enum CodingKeys: String, CodingKey { case softmaxScale = "softmax_scale" }

        public init(softmaxScale: Double = 1) { self.softmaxScale = softmaxScale }

        /// Throws unless s > 0.
        public func validate() throws {
            guard softmaxScale > 0, softmaxScale.isFinite else {
                throw LossError.invalidParameter("proxy-nca: softmax_scale must be a positive number (PML default 1), got \(softmaxScale)")
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

    /// The loss, dLoss/dEmbeddings (B × d) and dLoss/dProxies (C × d), both
    /// overwritten. `weights` (the proxies) is C × d, `classIndex[i]` the row
    /// of sample i's class.
    public mutating func evaluate(
        embeddings: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix,
        gradient: inout Matrix, weightGradient: inout Matrix
    ) throws -> LossResult {
        try _validateProxyBatch(embeddings: embeddings, labels: labels, classIndex: classIndex, weights: weights)
        let b = embeddings.rows, c = weights.rows
        cosine.forward(embeddings: embeddings, weights: weights)
        let s = parameters.softmaxScale
        // Logits −s·D² = 2s·S − 2s; the constant cancels in the softmax.
        var total = 0.0
        let similarities = cosine.similarities
        similarities.storage.withUnsafeBufferPointer { sim in
            for i in 0..<b {
                let row = i * c, y = Int(classIndex[i])
                var top = -Double.infinity
                for k in 0..<c { top = max(top, 2 * s * Double(sim[row + k])) }
                var sum = 0.0
                for k in 0..<c { sum += exp(2 * s * Double(sim[row + k]) - top) }
                let logP = 2 * s * Double(sim[row + y]) - top - log(sum)
                total -= logP
            }
        }
        let scale = b > 0 ? 1 / Double(b) : 0
        cosine.coefficients.storage.withUnsafeMutableBufferPointer { g in
            similarities.storage.withUnsafeBufferPointer { sim in
                for i in 0..<b {
                    let row = i * c, y = Int(classIndex[i])
                    var top = -Double.infinity
                    for k in 0..<c { top = max(top, 2 * s * Double(sim[row + k])) }
                    var sum = 0.0
                    for k in 0..<c { sum += exp(2 * s * Double(sim[row + k]) - top) }
                    let lse = top + log(sum)
                    // dL/dS = dL/dlogit · 2s; the ‖x̂‖², ‖p̂‖² terms of D² are 1 after
                    // normalisation, so their gradient vanishes in its backward.
                    for k in 0..<c {
                        let p = exp(2 * s * Double(sim[row + k]) - lse)
                        g[row + k] = Float((p - (k == y ? 1 : 0)) * 2 * s * scale)
                    }
                }
            }
        }
        cosine.backward(gradient: &gradient, weightGradient: &weightGradient)
        return LossResult(loss: total * scale, tuples: b, activeFraction: b > 0 ? 1 : 0)
    }
}

extension ProxyNCALoss: _UnminedLoss, _ClassWeightLossKernel {
    public static let name = "proxy-nca"
}

extension ProxyNCALoss.Parameters: LossParameterSet {
    public init() {}
}
