import NumericCore

/// The multi-similarity miner (Wang et al., CVPR 2019), as
/// pytorch-metric-learning 2.9's `MultiSimilarityMiner()`.
///
/// On cosine similarities `S` of the L2-normalised embeddings, keeps
///
/// * the positive pair (i, j) when `S_ij − ε < max_{k∈N_i} S_ik`
///   (a positive less similar than the hardest negative plus ε), and
/// * the negative pair (i, k) when `S_ik + ε > min_{j∈P_i} S_ij`
///   (a negative more similar than the hardest positive minus ε).
///
/// An anchor without negatives keeps no positive and one without positives
/// keeps no negative; a batch without any positive or any negative pair
/// gives an empty selection. Comparisons are made in float32, as PML does.
/// PML lists the pairs of a row in the order of their similarity; this
/// miner lists them by column, which is the same set (the pair losses use
/// the selection as a set).
///
/// - Complexity: O(B² · d) for the similarities (one GEMM) plus O(B²).
public struct MultiSimilarityMiner {
    /// Parameters with PML 2.9 defaults; spec key `epsilon`.
    public struct Parameters: Hashable, Codable, Sendable {
        /// The similarity margin ε of the selection rule.
        public var epsilon: Double = 0.1

        public init(epsilon: Double = 0.1) { self.epsilon = epsilon }

        enum CodingKeys: String, CodingKey { case epsilon }

        /// Throws unless ε is finite.
        public func validate() throws {
            guard epsilon.isFinite else {
                throw LossError.invalidParameter("multi-similarity miner: epsilon must be a finite number (PML default 0.1), got \(epsilon)")
            }
        }
    }

    public let parameters: Parameters
    /// The workers of the GEMMs; the results do not depend on them (the
    /// products are tiled by shape, the other passes are serial).
    public let context: ComputeContext
    private var unit = _UnitRows()
    private var similarities = Matrix(rows: 0, cols: 0)

    public init(_ parameters: Parameters, context: ComputeContext = .serial) {
        self.parameters = parameters
        self.context = context
    }

    /// Replaces `pairs` with the pairs selected in the batch.
    public mutating func mine(embeddings: Matrix, labels: [Int32], into pairs: inout PairIndices) {
        precondition(labels.count == embeddings.rows, "one label per embedding row")
        pairs.removeAll()
        let b = embeddings.rows
        var anyPositive = false, anyNegative = false
        for i in 0..<b {
            for j in 0..<b where i != j {
                if labels[i] == labels[j] { anyPositive = true } else { anyNegative = true }
            }
        }
        guard anyPositive && anyNegative else { return }
        unit.forward(embeddings, context: context)
        _Cosine.similarities(unit.unit, unit.unit, into: &similarities, context: context)
        let epsilon = Float(parameters.epsilon)
        similarities.storage.withUnsafeBufferPointer { s in
            for i in 0..<b {
                let row = i * b
                var hardestNegative = -Float.greatestFiniteMagnitude, hardestPositive = Float.greatestFiniteMagnitude
                for j in 0..<b where j != i {
                    if labels[j] == labels[i] { hardestPositive = min(hardestPositive, s[row + j]) }
                    else { hardestNegative = max(hardestNegative, s[row + j]) }
                }
                for j in 0..<b where j != i && labels[j] == labels[i] && s[row + j] - epsilon < hardestNegative {
                    pairs.positiveAnchors.append(Int32(i))
                    pairs.positives.append(Int32(j))
                }
                for j in 0..<b where labels[j] != labels[i] && s[row + j] + epsilon > hardestPositive {
                    pairs.negativeAnchors.append(Int32(i))
                    pairs.negatives.append(Int32(j))
                }
            }
        }
    }
}
