import MetricLearning
import NumericCore
import Training

/// Timing of the evaluation metrics on a synthetic clustered set (for `metricbench bench`).
public enum EvaluationBenchmark {
    /// Timing of ``run(n:dim:classes:recallK:seed:blockSize:)``.
    public struct Result: Sendable {
        public var n: Int, dim: Int, classes: Int
        /// Neighbours kept per query: `max(max K, largest class − 1)`.
        public var k: Int
        /// The blocked kNN sweep (GEMM + top-k selection).
        public var knnSeconds: Double
        /// recall@K, precision@1, r-precision, map@r from the neighbour lists.
        public var metricsSeconds: Double
        public var seconds: Double
        /// `N²·d` (the symmetric half's multiply-adds × 2 flops) per second of the sweep, in GFLOP/s.
        public var effectiveGFLOPs: Double
        /// Peak resident memory of the whole process so far (data generation included).
        public var peakBytes: Int
        /// Bytes the search itself allocates: neighbour lists, thresholds, one tile.
        public var workingBytes: Int
        public var recallAtK: [(k: Int, value: Double)]
        public var mapAtR: Double
    }

    /// Timing of ``runKMeans(n:dim:clusters:iterations:seed:)``.
    public struct KMeansTiming: Sendable {
        public var n: Int, dim: Int, clusters: Int, iterations: Int
        public var seedingSeconds: Double
        public var iterationSeconds: Double
        public var secondsPerIteration: Double { iterationSeconds / Double(max(iterations, 1)) }
        public var peakBytes: Int
    }

    /// `n` unit vectors in `dim` dimensions, item `i` of class `i mod classes`:
    /// class centre (standard normal) plus noise of standard deviation 0.5, then L2-normalised.
    ///
    /// - Complexity: O(n·dim + classes·dim).
    public static func syntheticClusteredSet(n: Int, dim: Int, classes: Int, seed: UInt64) -> (Matrix, [Int32]) {
        precondition(n > 0 && dim > 0 && classes > 0 && classes <= n, "bad synthetic set shape")
        var rng = SplitMix64.derived(seed: seed, stream: 0x6576_616C)
        var centres = [Float](repeating: 0, count: classes * dim)
        for i in centres.indices { centres[i] = Float(rng.nextNormal()) }
        var x = Matrix(rows: n, cols: dim)
        let labels = (0..<n).map { Int32($0 % classes) }
        x.storage.withUnsafeMutableBufferPointer { out in
            for i in 0..<n {
                let c = i % classes
                var norm: Float = 0
                for t in 0..<dim {
                    let v = centres[c * dim + t] + Float(0.5 * rng.nextNormal())
                    out[i * dim + t] = v
                    norm += v * v
                }
                let inv = 1 / norm.squareRoot()
                for t in 0..<dim { out[i * dim + t] *= inv }
            }
        }
        return (x, labels)
    }

    /// Times the exact blocked kNN and the retrieval metrics on a synthetic set.
    public static func run(
        n: Int, dim: Int, classes: Int, recallK: [Int], seed: UInt64, blockSize: Int = 1024, context: ComputeContext
    ) -> Result {
        let (x, labels) = syntheticClusteredSet(n: n, dim: dim, classes: classes, seed: seed)
        let largest = Dictionary(grouping: labels, by: { $0 }).values.map(\.count).max() ?? 1
        let k = max(recallK.max() ?? 1, largest - 1, 1)
        let start = MonotonicClock.now()
        let neighbors = NearestNeighbors.search(x, k: k, blockSize: blockSize, context: context)
        let knnSeconds = MonotonicClock.seconds(since: start)
        let metricsStart = MonotonicClock.now()
        let metrics = RetrievalMetrics(neighbors: neighbors, labels: labels, recallK: recallK)
        let metricsSeconds = MonotonicClock.seconds(since: metricsStart)
        let b = min(blockSize, n)
        return Result(
            n: n, dim: dim, classes: classes, k: k, knnSeconds: knnSeconds, metricsSeconds: metricsSeconds,
            seconds: knnSeconds + metricsSeconds,
            effectiveGFLOPs: Double(n) * Double(n) * Double(dim) / knnSeconds / 1e9,
            peakBytes: MonotonicClock.peakResidentBytes(),
            workingBytes: n * (k + max(k / 8, 32)) * 8 + n * 8 + context.workers * b * b * 4,
            recallAtK: metrics.recallAtK, mapAtR: metrics.mapAtR)
    }

    /// Times k-means++ seeding and up to `iterations` Lloyd iterations with as many clusters as classes.
    ///
    /// `tolerance` as in ``KMeans``: 0 stops once an iteration changes no
    /// assignment or no longer lowers the inertia (as faiss stops when the
    /// objective is unchanged: later iterations would repeat the same
    /// assignment); a negative value always runs `iterations`.
    public static func runKMeans(n: Int, dim: Int, clusters: Int, iterations: Int, tolerance: Double = 0, seed: UInt64, context: ComputeContext) -> KMeansTiming {
        let (x, _) = syntheticClusteredSet(n: n, dim: dim, classes: clusters, seed: seed)
        let result = KMeans(clusters: clusters, maxIterations: iterations, tolerance: tolerance, seed: seed, context: context).fit(x)
        return KMeansTiming(
            n: n, dim: dim, clusters: clusters, iterations: result.iterations,
            seedingSeconds: result.seedingSeconds, iterationSeconds: result.iterationSeconds,
            peakBytes: MonotonicClock.peakResidentBytes())
    }
}
