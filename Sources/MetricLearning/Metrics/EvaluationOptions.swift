/// What ``evaluateEmbeddings(_:labels:options:)`` computes, with DESIGN §6 defaults.
public struct EvaluationOptions: Sendable {
    /// The `K`s of `recall@K`.
    public var recallK: [Int] = [1, 2, 4, 8]
    /// The FAR bounds of `val@far=F`.
    public var fars: [Double] = [1e-3]
    /// Seed of the k-means++ seeding.
    public var seed: UInt64 = 0
    /// A clustering to score with `nmi` and `f1` instead of running k-means (one id per row).
    public var assignments: [Int32]? = nil
    /// Whether to compute `nmi` and `f1` at all.
    public var clustering: Bool = true
    /// Rows per GEMM tile of the pairwise sweep (memory ≈ 4·blockSize² bytes per worker thread).
    public var blockSize: Int = 1024
    /// Up to this many items VAL@FAR is exact; above, a fine histogram (error ≪ 1e-3).
    public var exactVerificationLimit: Int = 8000
    /// Lloyd iterations of the k-means for `nmi` and `f1`.
    public var kMeansIterations: Int = 100
    /// The workers of the sweep and the k-means (the metrics do not depend on them).
    public var context: ComputeContext = .serial

    public init(
        recallK: [Int] = [1, 2, 4, 8], fars: [Double] = [1e-3], seed: UInt64 = 0,
        assignments: [Int32]? = nil, clustering: Bool = true, blockSize: Int = 1024,
        exactVerificationLimit: Int = 8000, kMeansIterations: Int = 100, context: ComputeContext = .serial
    ) {
        self.context = context
        self.recallK = recallK
        self.fars = fars
        self.seed = seed
        self.assignments = assignments
        self.clustering = clustering
        self.blockSize = blockSize
        self.exactVerificationLimit = exactVerificationLimit
        self.kMeansIterations = kMeansIterations
    }
}
