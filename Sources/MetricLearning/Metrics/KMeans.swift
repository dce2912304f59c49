import NumericCore

/// Lloyd's k-means with k-means++ seeding, deterministic for a given seed.
///
/// * Seeding (Arthur & Vassilvitskii 2007): the first centre is a uniform
///   random item; each next centre is item `i` with probability ∝ `D(i)²`, the
///   squared distance to its nearest chosen centre (drawn from a
///   ``SplitMix64``). With `seedingBatch` `b > 1`, `b` centres are drawn from
///   the same `D²` distribution before `D²` is updated by one GEMM — the
///   k-means‖ idea (Bahmani et al. 2012), needed when K is in the thousands,
///   where `K` sequential passes over the data would take minutes. See
///   ``seedPlusPlus(_:)`` and ``seedBatched(_:batch:)``.
/// * Lloyd iterations: assignment `argmin_j ‖c_j‖² − 2 x·c_j` (ties → lower `j`)
///   with the products by GEMM over row blocks; centroids are the means (summed
///   in `Double`). An empty cluster is re-seeded with the item farthest from its
///   centroid. Stops when no assignment changes, when the inertia improves by
///   less than `tolerance · inertia`, or after `maxIterations` (a negative
///   `tolerance` always runs `maxIterations`, for timing).
///
/// - Complexity: seeding O(N·K·d) (pruned on clustered data; by GEMM when batched);
///   each iteration N·K·d multiply-adds in OpenBLAS plus O(N·K) for the argmin;
///   memory O(N·d + K·d + blockSize·K).
public struct KMeans: Sendable {
    public var clusters: Int
    public var maxIterations: Int
    public var tolerance: Double
    public var seed: UInt64
    /// Rows per assignment GEMM.
    public var blockSize: Int
    /// Centres drawn per `D²` update; `nil` = 1 (textbook k-means++) up to 1024
    /// clusters, `⌈K/64⌉` above.
    public var seedingBatch: Int?
    /// The workers of the assignment and seeding passes (the result does not depend on them).
    public var context: ComputeContext

    public init(
        clusters: Int, maxIterations: Int = 100, tolerance: Double = 1e-4, seed: UInt64 = 0,
        blockSize: Int = 1024, seedingBatch: Int? = nil, context: ComputeContext = .serial
    ) {
        self.context = context
        precondition(clusters > 0, "k-means needs at least one cluster")
        self.clusters = clusters
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
        self.blockSize = blockSize
        self.seedingBatch = seedingBatch
    }

    /// The outcome of ``fit(_:)``.
    public struct Result: Sendable {
        public var centroids: Matrix
        public var assignments: [Int32]
        /// `Σ_i ‖x_i − c_{a(i)}‖²` at the last assignment.
        public var inertia: Double
        public var iterations: Int
        public var seedingSeconds: Double
        public var iterationSeconds: Double
    }

    /// Clusters the rows of `x`.
    ///
    /// - Precondition: `clusters ≤ x.rows`, all values finite.
    public func fit(_ x: Matrix) -> Result {
        precondition(clusters <= x.rows, "k-means with \(clusters) clusters needs at least as many items, have \(x.rows)")
        let start = MonotonicClock.now()
        let batch = max(1, seedingBatch ?? (clusters <= 1024 ? 1 : (clusters + 63) / 64))
        var (centroids, assignments) = batch == 1 ? seedPlusPlus(x) : seedBatched(x, batch: batch)
        let seedingSeconds = MonotonicClock.seconds(since: start)
        let iterStart = MonotonicClock.now()
        var distance = [Float](repeating: 0, count: x.rows)
        var inertia = Double.infinity
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let changed = assign(x, centroids, &assignments, &distance, force: iterations == 1)
            let newInertia = distance.reduce(0.0) { $0 + Double($1) }
            repairEmpty(x, &assignments, &distance)
            updateCentroids(x, assignments, &centroids)
            let converged = tolerance >= 0 && (changed == 0 || inertia - newInertia <= tolerance * newInertia)
            inertia = newInertia
            if converged { break }
        }
        return Result(
            centroids: centroids, assignments: assignments, inertia: inertia, iterations: iterations,
            seedingSeconds: seedingSeconds, iterationSeconds: MonotonicClock.seconds(since: iterStart))
    }

    /// Assigns every item to its nearest centroid; returns how many assignments changed.
    ///
    /// Row blocks of `blockSize` items are shared among the worker threads,
    /// each with its own single-threaded GEMMs against `centroidBlock`
    /// centroids at a time (a score tile that stays in cache) and a running
    /// minimum per item; blocks of centroids are visited in ascending order
    /// and only a strictly smaller score replaces the best, so ties go to the
    /// lower index whatever the thread count.
    func assign(_ x: Matrix, _ centroids: Matrix, _ assignments: inout [Int32], _ distance: inout [Float], force: Bool) -> Int {
        let n = x.rows, d = x.cols, k = clusters
        let rows = min(blockSize, n), centroidBlock = min(2048, k)
        var centroidNorm = [Float](repeating: 0, count: k)
        let workers = context.workers
        var changedPerWorker = [Int](repeating: 0, count: workers)
        // One score tile per worker, reused for every block it takes.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * rows * centroidBlock)
        defer { scratch.deallocate() }
        x.storage.withUnsafeBufferPointer { xs in
            centroids.storage.withUnsafeBufferPointer { cs in
                centroidNorm.withUnsafeMutableBufferPointer { cn in
                    for j in 0..<k { cn[j] = _squaredNorm(cs.baseAddress! + j * d, d) }
                }
                centroidNorm.withUnsafeBufferPointer { cn in
                    assignments.withUnsafeMutableBufferPointer { asg in
                        distance.withUnsafeMutableBufferPointer { dist in
                            changedPerWorker.withUnsafeMutableBufferPointer { cw in
                                _forEachRowBlock(n, blockRows: rows, workers: workers) { block, worker in
                                    let scores = scratch + worker * rows * centroidBlock
                                    var best = [Float](repeating: .infinity, count: rows)
                                    var bestIndex = [Int](repeating: 0, count: rows)
                                    let m = block.count
                                    var j0 = 0
                                    while j0 < k {
                                        let width = min(centroidBlock, k - j0)
                                        BLAS.gemm(
                                            .none, .transposed, m: m, n: width, k: d,
                                            a: xs.baseAddress! + block.lowerBound * d, lda: d,
                                            b: cs.baseAddress! + j0 * d, ldb: d, c: scores, ldc: width)
                                        for r in 0..<m {
                                            let (j, value) = _argminScore(UnsafePointer(scores + r * width), cn.baseAddress! + j0, width)
                                            if value < best[r] {
                                                best[r] = value
                                                bestIndex[r] = j0 + j
                                            }
                                        }
                                        j0 += width
                                    }
                                    var local = 0
                                    for r in 0..<m {
                                        let i = block.lowerBound + r
                                        if force || asg[i] != Int32(bestIndex[r]) { local += 1 }
                                        asg[i] = Int32(bestIndex[r])
                                        dist[i] = max(0, _squaredNorm(xs.baseAddress! + i * d, d) + best[r])
                                    }
                                    cw[worker] += local
                                }
                            }
                        }
                    }
                }
            }
        }
        return changedPerWorker.reduce(0, +)
    }

    /// Gives each empty cluster (ascending) the item farthest from its centroid among clusters with ≥ 2 items.
    func repairEmpty(_ x: Matrix, _ assignments: inout [Int32], _ distance: inout [Float]) {
        var size = [Int](repeating: 0, count: clusters)
        for a in assignments { size[Int(a)] += 1 }
        guard size.contains(0) else { return }
        var order = Array(0..<x.rows)
        order.sort { distance[$0] > distance[$1] || (distance[$0] == distance[$1] && $0 < $1) }
        var next = 0
        for c in 0..<clusters where size[c] == 0 {
            while next < order.count && size[Int(assignments[order[next]])] < 2 { next += 1 }
            guard next < order.count else { return }
            let i = order[next]
            size[Int(assignments[i])] -= 1
            assignments[i] = Int32(c)
            size[c] = 1
            distance[i] = 0
            next += 1
        }
    }

    /// Centroids = means of their items (clusters left empty keep their centroid).
    func updateCentroids(_ x: Matrix, _ assignments: [Int32], _ centroids: inout Matrix) {
        let n = x.rows, d = x.cols, k = clusters
        var sums = [Double](repeating: 0, count: k * d)
        var size = [Int](repeating: 0, count: k)
        x.storage.withUnsafeBufferPointer { xs in
            sums.withUnsafeMutableBufferPointer { s in
                for i in 0..<n {
                    let a = Int(assignments[i])
                    size[a] += 1
                    let src = xs.baseAddress! + i * d, dst = s.baseAddress! + a * d
                    for t in 0..<d { dst[t] += Double(src[t]) }
                }
            }
        }
        centroids.storage.withUnsafeMutableBufferPointer { cs in
            for a in 0..<k where size[a] > 0 {
                let inv = 1 / Double(size[a])
                for t in 0..<d { cs[a * d + t] = Float(sums[a * d + t] * inv) }
            }
        }
    }
}

/// `(argmin_j (‖c_j‖² − 2 s_j), min value)`, ties to the lower `j`.
///
/// One pass, eight lanes at a time: each lane keeps its smallest value and
/// where it was first seen (a strictly smaller value replaces it, so within a
/// lane the lower index wins ties); the lanes are then reduced to the
/// smallest value and, among equal ones, the lowest index.
@inline(__always)
func _argminScore(_ s: UnsafePointer<Float>, _ cn: UnsafePointer<Float>, _ k: Int) -> (Int, Float) {
    var bestValue = SIMD8<Float>(repeating: .infinity)
    var bestIndex = SIMD8<Int32>(repeating: 0)
    var index = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var j = 0
    while j + 8 <= k {
        let v = SIMDMath.load(cn + j) - 2 * SIMDMath.load(s + j)
        let better = v .< bestValue
        bestValue.replace(with: v, where: better)
        bestIndex.replace(with: index, where: better)
        index &+= 8
        j += 8
    }
    var value = bestValue.min()
    var best = Int.max
    for l in 0..<8 where bestValue[l] == value { best = min(best, Int(bestIndex[l])) }
    while j < k {
        let v = cn[j] - 2 * s[j]
        if v < value || best == Int.max {
            value = v
            best = j
        }
        j += 1
    }
    return (best == Int.max ? 0 : best, value)
}

@inline(__always)
func _squaredNorm(_ p: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var t = 0
    while t + 8 <= d {
        let v = SIMDMath.load(p + t)
        acc += v * v
        t += 8
    }
    var s = acc.sum()
    while t < d { s += p[t] * p[t]; t += 1 }
    return s
}

@inline(__always)
func _squaredDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var t = 0
    while t + 8 <= d {
        let v = SIMDMath.load(a + t) - SIMDMath.load(b + t)
        acc += v * v
        t += 8
    }
    var s = acc.sum()
    while t < d { let v = a[t] - b[t]; s += v * v; t += 1 }
    return s
}

@inline(__always)
func _squaredDifference(_ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ d: Int) -> Float {
    _squaredDifference(a, UnsafePointer(b), d)
}

@inline(__always)
func _squaredDifference(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ d: Int) -> Float {
    _squaredDifference(UnsafePointer(a), UnsafePointer(b), d)
}
