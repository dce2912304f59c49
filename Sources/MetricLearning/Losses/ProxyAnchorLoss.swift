import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Proxy-Anchor loss (Kim et al., CVPR 2020), as pytorch-metric-learning
/// 2.9's `ProxyAnchorLoss(num_classes, embedding_size)`.
///
/// With S_ic = x̂_i · p̂_c the cosine similarities of the L2-normalised
/// embeddings and proxies (gradients flow through both normalisations),
/// margin δ, scale α, `X_c⁺` the samples of class c and `X_c⁻` the others:
///
///     L = 1/|C⁺| Σ_{c∈C⁺} log(1 + Σ_{i∈X_c⁺} e^{−α (S_ic − δ)})
///       + 1/|C|  Σ_{c∈C}  log(1 + Σ_{i∈X_c⁻} e^{ α (S_ic + δ)})
///
/// with C⁺ the classes present in the batch (PML's `DivisorReducer` of its
/// two sub-losses, summed). Log-sum-exps are stable for large α. Same
/// formula as the paper. The proxies are parameters of the model; the
/// paper's code trains them with 100× the network's learning rate.
///
/// - Complexity: O(B · C · d) in three GEMMs plus O(B · C).
public struct ProxyAnchorLoss {
    /// Parameters with PML 2.9 defaults; spec keys `margin`, `alpha`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The margin δ.
        public var margin: Double = 0.1
        /// The scale α.
        public var alpha: Double = 32

        public init(margin: Double = 0.1, alpha: Double = 32) {
            self.margin = margin
            self.alpha = alpha
        }

        enum CodingKeys: String, CodingKey { case margin, alpha }

        /// Throws unless δ is finite and α > 0.
        public func validate() throws {
            guard margin.isFinite else {
                throw LossError.invalidParameter("proxy-anchor: margin must be a finite number (PML default 0.1), got \(margin)")
            }
            guard alpha > 0, alpha.isFinite else {
                throw LossError.invalidParameter("proxy-anchor: alpha must be a positive number (PML default 32), got \(alpha)")
            }
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs; the results do not depend on them (the
    /// products are tiled by shape, the other passes are serial).
    public let context: ComputeContext
    private var cosine = _ProxyCosine()
    /// Per class: running max and sum of the positive and negative exponents.
    private var topP: [Double] = [], topN: [Double] = [], sumP: [Double] = [], sumN: [Double] = []
    private var present: [Bool] = []

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
        cosine.context = context
    }

    /// PML's initialisation, `torch.nn.init.kaiming_normal_(mode="fan_out")`
    /// on the C × d proxy tensor: N(0, 2 / C) (gain √2, fan_out = C),
    /// drawn from `generator`.
    public static func initialWeights(classes: Int, dimension: Int, generator: inout SplitMix64) -> Matrix {
        _normalMatrix(rows: classes, cols: dimension, standardDeviation: (2 / Double(max(classes, 1))).squareRoot(),
                      generator: &generator)
    }

    /// The loss, dLoss/dEmbeddings (B × d) and dLoss/dProxies (C × d), both
    /// overwritten. `weights` (the proxies) is C × d, `classIndex[i]` the row
    /// of sample i's class. `tuples` counts the classes present.
    public mutating func evaluate(
        embeddings: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix,
        gradient: inout Matrix, weightGradient: inout Matrix
    ) throws -> LossResult {
        try _validateProxyBatch(embeddings: embeddings, labels: labels, classIndex: classIndex, weights: weights)
        let b = embeddings.rows, c = weights.rows
        cosine.forward(embeddings: embeddings, weights: weights)
        if topP.count != c {
            topP = [Double](repeating: 0, count: c)
            topN = topP
            sumP = topP
            sumN = topP
            present = [Bool](repeating: false, count: c)
        }
        let alpha = parameters.alpha, delta = parameters.margin
        // Both log-sum-exps include the "1" (exponent 0), so their maxima start at 0.
        for k in 0..<c {
            topP[k] = 0
            topN[k] = 0
            present[k] = false
        }
        let similarities = cosine.similarities
        similarities.storage.withUnsafeBufferPointer { sim in
            for i in 0..<b {
                let row = i * c, y = Int(classIndex[i])
                present[y] = true
                for k in 0..<c {
                    let v = Double(sim[row + k])
                    if k == y { topP[k] = max(topP[k], -alpha * (v - delta)) } else { topN[k] = max(topN[k], alpha * (v + delta)) }
                }
            }
            for k in 0..<c {
                sumP[k] = exp(-topP[k])
                sumN[k] = exp(-topN[k])
            }
            for i in 0..<b {
                let row = i * c, y = Int(classIndex[i])
                for k in 0..<c {
                    let v = Double(sim[row + k])
                    if k == y { sumP[k] += exp(-alpha * (v - delta) - topP[k]) } else { sumN[k] += exp(alpha * (v + delta) - topN[k]) }
                }
            }
        }
        var positiveClasses = 0
        var positiveTotal = 0.0, negativeTotal = 0.0
        for k in 0..<c {
            // log(1 + Σ) over an empty set is PML's 0 (masked), which the formula also gives.
            let lseP = topP[k] + log(sumP[k]), lseN = topN[k] + log(sumN[k])
            sumP[k] = lseP
            sumN[k] = lseN
            if present[k] {
                positiveClasses += 1
                positiveTotal += lseP
            }
            negativeTotal += lseN
        }
        let positiveScale = positiveClasses > 0 ? 1 / Double(positiveClasses) : 0, negativeScale = 1 / Double(c)
        let lseP = sumP, lseN = sumN
        cosine.coefficients.storage.withUnsafeMutableBufferPointer { g in
            similarities.storage.withUnsafeBufferPointer { sim in
                for i in 0..<b {
                    let row = i * c, y = Int(classIndex[i])
                    for k in 0..<c {
                        let v = Double(sim[row + k])
                        g[row + k] = k == y
                            ? Float(-alpha * exp(-alpha * (v - delta) - lseP[k]) * positiveScale)
                            : Float(alpha * exp(alpha * (v + delta) - lseN[k]) * negativeScale)
                    }
                }
            }
        }
        cosine.backward(gradient: &gradient, weightGradient: &weightGradient)
        return LossResult(loss: positiveTotal * positiveScale + negativeTotal * negativeScale, tuples: positiveClasses,
                          activeFraction: 1)
    }
}

extension ProxyAnchorLoss: _UnminedLoss, _ClassWeightLossKernel {
    public static let name = "proxy-anchor"
}

extension ProxyAnchorLoss.Parameters: LossParameterSet {
    public init() {}
}
