import NumericCore

/// Selects triplets from a batch's distance matrix (DESIGN §4).
///
/// * `semihard`: for every anchor–positive pair, the negative with the
///   smallest `D_an` such that `D_ap < D_an < D_ap + margin`; pairs without
///   one are dropped (FaceNet eq. 4).
/// * `hard`: for every anchor–positive pair, the negative with the smallest
///   `D_an` (the first one on ties).
/// * `batch-hard`: per anchor with a positive, the positive with the largest
///   `D_ap` and the negative with the smallest `D_an` (Hermans et al. 2017).
/// * `random`: for every anchor–positive pair, one negative drawn uniformly.
/// * `distance-weighted`: for every anchor–positive pair, one negative drawn
///   with weight ∝ q(d)⁻¹ (Wu et al. 2017); see `TripletMiner+Sampling.swift`.
///
/// `all` is not a selection: the losses evaluate every valid tuple in fused
/// loops instead, so memory stays O(B²).
///
/// The random miners draw from `SplitMix64.derived(seed:stream:)` with the
/// number of previous `mine` calls as the stream: repeated calls differ,
/// and a miner built with the same seed repeats the same sequence.
///
/// - Complexity: O(B² · K) for B rows with at most K − 1 positives each;
///   never O(B³) memory.
public struct TripletMiner: Sendable {
    public let kind: MiningKind
    /// The semi-hard window width, in units of the distance mined on.
    public let margin: Float
    public let seed: UInt64
    /// How many times `mine` has run (the random stream of the next call).
    public private(set) var calls: UInt64 = 0
    var negativeScratch: [Int32] = []
    var weightScratch: [Double] = []

    public init(kind: MiningKind, margin: Float, seed: UInt64 = 0) {
        precondition(kind != .all, "'all' is evaluated by the losses directly, not mined")
        self.kind = kind
        self.margin = margin
        self.seed = seed
    }

    /// Replaces `triplets` with the selection of this miner.
    ///
    /// - Parameters:
    ///   - distances: B × B distances of kind `distanceKind`.
    ///   - labels: B labels.
    ///   - dimension: the embedding dimension (used by `distance-weighted`).
    public mutating func mine(
        distances: Matrix, distanceKind: DistanceKind, labels: [Int32], dimension: Int,
        into triplets: inout TripletIndices
    ) {
        let b = labels.count
        precondition(distances.rows == b && distances.cols == b, "distances must be \(b)×\(b)")
        triplets.removeAll()
        var rng = SplitMix64.derived(seed: seed, stream: calls)
        calls &+= 1
        switch kind {
        case .all:
            preconditionFailure("'all' is not mined")
        case .semihard:
            mineSemihard(distances, labels, &triplets)
        case .hard:
            mineHard(distances, labels, &triplets)
        case .batchHard:
            mineBatchHard(distances, labels, &triplets)
        case .random:
            mineRandom(distances, labels, &triplets, &rng)
        case .distanceWeighted:
            mineDistanceWeighted(distances, distanceKind, labels, dimension, &triplets, &rng)
        }
    }

    private func mineSemihard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count, m = margin
        distances.storage.withUnsafeBufferPointer { d in
            labels.withUnsafeBufferPointer { y in
                for a in 0..<b {
                    let row = d.baseAddress! + a * b
                    for p in 0..<b where p != a && y[p] == y[a] {
                        let dap = row[p], upper = dap + m
                        var best = -1
                        var bestDistance = Float.infinity
                        for n in 0..<b where y[n] != y[a] {
                            let dan = row[n]
                            if dan > dap && dan < upper && dan < bestDistance {
                                best = n
                                bestDistance = dan
                            }
                        }
                        if best >= 0 { triplets.append(a, p, best) }
                    }
                }
            }
        }
    }

    private func mineHard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count
        distances.storage.withUnsafeBufferPointer { d in
            labels.withUnsafeBufferPointer { y in
                for a in 0..<b {
                    let row = d.baseAddress! + a * b
                    guard let n = Self.nearestNegative(row, y, a) else { continue }
                    for p in 0..<b where p != a && y[p] == y[a] { triplets.append(a, p, n) }
                }
            }
        }
    }

    private func mineBatchHard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count
        distances.storage.withUnsafeBufferPointer { d in
            labels.withUnsafeBufferPointer { y in
                for a in 0..<b {
                    let row = d.baseAddress! + a * b
                    guard let n = Self.nearestNegative(row, y, a) else { continue }
                    var hardest = -1
                    var hardestDistance = -Float.infinity
                    for p in 0..<b where p != a && y[p] == y[a] && row[p] > hardestDistance {
                        hardest = p
                        hardestDistance = row[p]
                    }
                    if hardest >= 0 { triplets.append(a, hardest, n) }
                }
            }
        }
    }

    private mutating func mineRandom(
        _ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices, _ rng: inout SplitMix64
    ) {
        let b = labels.count
        for a in 0..<b {
            negativeScratch.removeAll(keepingCapacity: true)
            for n in 0..<b where labels[n] != labels[a] { negativeScratch.append(Int32(n)) }
            if negativeScratch.isEmpty { continue }
            for p in 0..<b where p != a && labels[p] == labels[a] {
                triplets.append(a, p, Int(negativeScratch[rng.nextInt(below: negativeScratch.count)]))
            }
        }
    }

    /// The index of the negative of `anchor` with the smallest distance, if any.
    @inline(__always)
    static func nearestNegative(_ row: UnsafePointer<Float>, _ y: UnsafeBufferPointer<Int32>, _ anchor: Int) -> Int? {
        var best = -1
        var bestDistance = Float.infinity
        let ya = y[anchor]
        for n in 0..<y.count where y[n] != ya {
            if best < 0 || row[n] < bestDistance {
                best = n
                bestDistance = row[n]
            }
        }
        return best >= 0 ? best : nil
    }
}
