import NumericCore

/// A loss over pairs of a batch (multi-similarity, NT-Xent, SupCon,
/// circle): `pairs` nil means every pair.
public protocol _PairLossKernel {
    mutating func evaluate(embeddings: Matrix, labels: [Int32], pairs: PairIndices?, gradient: inout Matrix) throws -> LossResult
}

/// A loss against one trainable row per class (proxies or class weights).
public protocol _ClassWeightLossKernel {
    static func initialWeights(classes: Int, dimension: Int, generator: inout SplitMix64) -> Matrix
    mutating func evaluate(
        embeddings: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix,
        gradient: inout Matrix, weightGradient: inout Matrix
    ) throws -> LossResult
}

/// A loss that takes no miner (`mining: all` only), built from its
/// parameters and a compute context: its registration is the name alone.
public protocol _UnminedLoss: LossDefinition where Mining == Void {
    init(_ parameters: Parameters, context: ComputeContext)
}

extension _UnminedLoss {
    /// `all` only; a new miner is answered here once for every unmined loss.
    public static func mining(_ kind: MiningKind) -> Void? {
        switch kind {
        case .all: return ()
        case .semihard, .hard, .batchHard, .random, .distanceWeighted, .multiSimilarity: return nil
        }
    }
}

extension _UnminedLoss where Self: _PairLossKernel {
    /// Every pair from the labels.
    public static func make(_ p: Parameters, mining: Void, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        _PairLoss(Self(p, context: context), miner: nil)
    }
}

extension _UnminedLoss where Self: _ClassWeightLossKernel {
    /// Every sample against every class row, the rows owned by the adapter.
    public static func make(_ p: Parameters, mining: Void, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        _ClassWeightLoss(Self(p, context: context))
    }
}

/// A pair loss behind the ``BatchLoss`` contract, with its pair miner (or all pairs).
struct _PairLoss<Kernel: _PairLossKernel>: BatchLoss {
    var kernel: Kernel
    var miner: MultiSimilarityMiner?
    private var pairs = PairIndices()

    init(_ kernel: Kernel, miner: MultiSimilarityMiner?) {
        self.kernel = kernel
        self.miner = miner
    }

    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        guard miner != nil else { return try kernel.evaluate(embeddings: embeddings, labels: labels, pairs: nil, gradient: &gradient) }
        // Checked before mining: the miner assumes finite rows and one label each.
        try _validateModernBatch(embeddings: embeddings, labels: labels)
        miner!.mine(embeddings: embeddings, labels: labels, into: &pairs)
        return try kernel.evaluate(embeddings: embeddings, labels: labels, pairs: pairs, gradient: &gradient)
    }
}

/// A class-weight loss behind the ``BatchLoss`` contract: it owns the C × d
/// weights (rows in the order of the sorted training labels), sized and
/// drawn by `prepare`, and hands them to the trainer's optimizer.
struct _ClassWeightLoss<Kernel: _ClassWeightLossKernel>: BatchLoss {
    var kernel: Kernel
    /// The sorted distinct training labels: row r of `weights` is class `classes[r]`.
    private(set) var classes: [Int32] = []
    var weights = Matrix(rows: 0, cols: 0)
    private var weightGradient = Matrix(rows: 0, cols: 0)
    private var classIndex: [Int32] = []

    init(_ kernel: Kernel) { self.kernel = kernel }

    mutating func prepare(classes: [Int32], dimension: Int, seed: UInt64) throws {
        self.classes = classes
        var generator = SplitMix64(seed: seed)
        weights = Kernel.initialWeights(classes: classes.count, dimension: dimension, generator: &generator)
        weightGradient = Matrix(rows: classes.count, cols: dimension)
    }

    mutating func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        body(&weights.storage, &weightGradient.storage)
    }

    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        guard !classes.isEmpty else {
            throw LossError.invalidParameter("this loss trains one row per class: it needs prepare(classes:dimension:seed:) first")
        }
        // The kernels read one row per label: sized once per batch size, then reused.
        if classIndex.count != labels.count { classIndex = [Int32](repeating: 0, count: labels.count) }
        for (i, label) in labels.enumerated() {
            var lo = 0, hi = classes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if classes[mid] < label { lo = mid + 1 } else { hi = mid }
            }
            guard lo < classes.count, classes[lo] == label else {
                throw LossError.invalidParameter("label \(label) is not one of the \(classes.count) training classes this loss has weights for")
            }
            classIndex[i] = Int32(lo)
        }
        return try kernel.evaluate(embeddings: embeddings, labels: labels, classIndex: classIndex, weights: weights,
                                   gradient: &gradient, weightGradient: &weightGradient)
    }
}
