import MetricLearning
import NumericCore
import Training

/// The measured cost of one loss configuration at one batch shape.
public struct LossTiming: Equatable, Sendable {
    public var loss: LossKind
    public var mining: MiningKind
    public var batchSize: Int
    public var dimension: Int
    /// Median wall time of one `evaluate` call (distances, mining, loss and gradient), in seconds.
    public var medianSeconds: Double
    /// The operation count of the two B × B × d GEMMs (forward `X Xᵀ` and backward `S X`),
    /// `4 B² d`, so a caller can relate the time to the machine's GEMM peak.
    public var gemmFlops: Double { 4 * Double(batchSize) * Double(batchSize) * Double(dimension) }
}

/// Times loss + gradient evaluations on seeded synthetic batches.
public enum LossBenchmark {
    /// Measures every supported loss × mining pair at each batch size.
    ///
    /// Batches are `B / samplesPerClass` classes × `samplesPerClass` unit
    /// vectors in `dim` dimensions, drawn from `seed`; each configuration is
    /// evaluated once to size its workspaces, then `repeats` times.
    ///
    /// - Parameters:
    ///   - losses, minings: restrict the grid (default: all of them, skipping unsupported pairs).
    /// - Returns: one timing per (batch size, loss, mining), in that order.
    public static func run(
        batchSizes: [Int] = [128, 512, 2048], dim: Int = 128, samplesPerClass: Int = 8,
        repeats: Int = 5, losses: [LossKind] = LossKind.allCases, minings: [MiningKind] = MiningKind.allCases,
        seed: UInt64 = 0, context: ComputeContext
    ) throws -> [LossTiming] {
        precondition(repeats > 0 && dim > 0 && samplesPerClass >= 2, "bad benchmark parameters")
        var timings: [LossTiming] = []
        for b in batchSizes {
            let (x, labels) = batch(size: b, dim: dim, samplesPerClass: samplesPerClass, seed: seed)
            var gradient = Matrix(rows: b, cols: dim)
            for loss in losses {
                for mining in minings where supports(loss, mining) {
                    var evaluator = try LossRegistry.loss(loss)!.make(mining: mining, seed: seed, context: context)
                    try evaluator.prepare(classes: Array(Set(labels)).sorted(), dimension: dim, seed: seed)
                    _ = try evaluator.evaluate(embeddings: x, labels: labels, gradient: &gradient)
                    var seconds: [Double] = []
                    for _ in 0..<repeats {
                        let start = MonotonicClock.now()
                        _ = try evaluator.evaluate(embeddings: x, labels: labels, gradient: &gradient)
                        seconds.append(MonotonicClock.seconds(since: start))
                    }
                    seconds.sort()
                    timings.append(LossTiming(
                        loss: loss, mining: mining, batchSize: b, dimension: dim, medianSeconds: seconds[seconds.count / 2]))
                }
            }
        }
        return timings
    }

    /// A P × K batch of unit vectors around random class centres.
    static func batch(size b: Int, dim: Int, samplesPerClass k: Int, seed: UInt64) -> (Matrix, [Int32]) {
        var rng = SplitMix64.derived(seed: seed, stream: UInt64(b))
        let classes = max(2, (b + k - 1) / k)
        let centres = (0..<(classes * dim)).map { _ in Float(rng.nextNormal()) }
        var x = Matrix(rows: b, cols: dim)
        var labels = [Int32](repeating: 0, count: b)
        for i in 0..<b {
            let c = i / k % classes
            labels[i] = Int32(c)
            var norm: Float = 0
            for j in 0..<dim {
                let v = centres[c * dim + j] + Float(rng.nextNormal())
                x[i, j] = v
                norm += v * v
            }
            let scale = 1 / norm.squareRoot()
            for j in 0..<dim { x[i, j] *= scale }
        }
        return (x, labels)
    }
}
