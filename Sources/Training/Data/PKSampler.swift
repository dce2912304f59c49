import NumericCore

/// The P×K batch sampler (DESIGN §5): each batch holds P distinct classes and
/// K samples of each, `batchSize = P × K`.
///
/// Classes are visited in a seeded random order, P at a time, reshuffled when
/// fewer than P remain, so every class appears about equally often. Within a
/// class, K samples are drawn without replacement (a partial Fisher–Yates on
/// the class's pool) when the class has at least K, with replacement
/// otherwise. An epoch is `ceil(N / batchSize)` batches. `nextBatch` allocates
/// nothing.
public struct PKSampler: Sendable {
    public let batchSize: Int
    public let samplesPerClass: Int
    public var classesPerBatch: Int { batchSize / samplesPerClass }
    public let classCount: Int
    public let batchesPerEpoch: Int

    private var pool: [Int]          // sample indices grouped by class
    private var poolStart: [Int]     // class c owns pool[poolStart[c]..<poolStart[c + 1]]
    private var classOrder: [Int]
    private var cursor: Int
    private var rng: SplitMix64

    /// - Throws: `SamplerError` when `batchSize` is not a multiple of
    ///   `samplesPerClass` or the labels have fewer than P classes.
    public init(labels: [Int32], batchSize: Int, samplesPerClass: Int, seed: UInt64) throws {
        guard samplesPerClass >= 1 else { throw SamplerError("samples_per_class must be at least 1, got \(samplesPerClass)") }
        guard batchSize >= samplesPerClass, batchSize % samplesPerClass == 0 else {
            throw SamplerError("batch_size \(batchSize) is not a multiple of samples_per_class \(samplesPerClass) (batch_size = P × K); try batch_size \(max(1, batchSize / samplesPerClass) * samplesPerClass)")
        }
        let classes = Array(Set(labels)).sorted()
        let p = batchSize / samplesPerClass
        guard classes.count >= p else {
            throw SamplerError("batch_size \(batchSize) with samples_per_class \(samplesPerClass) needs P = \(p) classes per batch, but the training split has only \(classes.count) classes; lower batch_size or raise samples_per_class")
        }
        var slot: [Int32: Int] = [:]
        for (i, c) in classes.enumerated() { slot[c] = i }
        var counts = [Int](repeating: 0, count: classes.count)
        for l in labels { counts[slot[l]!] += 1 }
        var start = [Int](repeating: 0, count: classes.count + 1)
        for c in 0..<classes.count { start[c + 1] = start[c] + counts[c] }
        var fill = start
        var pool = [Int](repeating: 0, count: labels.count)
        for (i, l) in labels.enumerated() {
            let c = slot[l]!
            pool[fill[c]] = i
            fill[c] += 1
        }
        self.batchSize = batchSize
        self.samplesPerClass = samplesPerClass
        self.classCount = classes.count
        self.batchesPerEpoch = (labels.count + batchSize - 1) / batchSize
        self.pool = pool
        self.poolStart = start
        self.classOrder = Array(0..<classes.count)
        self.cursor = classes.count  // forces a shuffle before the first batch
        self.rng = SplitMix64.derived(seed: seed, stream: 0x5A4D_504C)
    }

    /// Writes the next batch's sample indices into `indices` (resized to `batchSize` once).
    ///
    /// Samples of one class are consecutive: `indices[p*K..<(p+1)*K]` share a label.
    public mutating func nextBatch(into indices: inout [Int]) {
        if indices.count != batchSize { indices = [Int](repeating: 0, count: batchSize) }
        let p = classesPerBatch, k = samplesPerClass
        if cursor + p > classOrder.count {
            // Fisher–Yates in place (SplitMix64.shuffle is generic and, not
            // being specialisable across modules, allocates per swap).
            classOrder.withUnsafeMutableBufferPointer { order in
                var i = order.count - 1
                while i > 0 {
                    order.swapAt(i, rng.nextInt(below: i + 1))
                    i -= 1
                }
            }
            cursor = 0
        }
        indices.withUnsafeMutableBufferPointer { out in
            pool.withUnsafeMutableBufferPointer { pool in
                for slot in 0..<p {
                    let c = classOrder[cursor + slot]
                    let lo = poolStart[c], n = poolStart[c + 1] - lo
                    if n >= k {
                        for j in 0..<k {
                            let r = j + rng.nextInt(below: n - j)
                            pool.swapAt(lo + j, lo + r)
                            out[slot * k + j] = pool[lo + j]
                        }
                    } else {
                        for j in 0..<k { out[slot * k + j] = pool[lo + rng.nextInt(below: n)] }
                    }
                }
            }
        }
        cursor += p
    }
}


extension PKSampler {
    /// K for a batch: 4 when there are at least `batchSize / 4` classes, otherwise
    /// the smallest divisor K of `batchSize` with `batchSize / K ≤ classCount`
    /// (class-disjoint Fashion-MNIST, 5 training classes, batch 128: K = 32).
    public static func suggestedSamplesPerClass(batchSize: Int, classCount: Int) -> Int {
        if batchSize % 4 == 0 && batchSize / 4 <= classCount { return 4 }
        for k in 1...max(1, batchSize) where batchSize % k == 0 && batchSize / k <= max(classCount, 1) && k >= 2 {
            return k
        }
        return batchSize
    }
}
