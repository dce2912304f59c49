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
/// - Complexity: O(B²) plus one step per selected triplet (`semihard`:
///   negatives and positives radix-sorted once per anchor, then merged) (`distance-weighted`: a binary
///   search on per-anchor cumulative weights); never O(B³) time or memory.
public struct TripletMiner: Sendable {
    public let kind: MiningKind
    /// The semi-hard window width, in units of the distance mined on.
    public let margin: Float
    public let seed: UInt64
    /// How many times `mine` has run (the random stream of the next call).
    public private(set) var calls: UInt64 = 0
    var negativeScratch: [Int32] = []
    var weightScratch: [Double] = []
    /// `semihard`: per-anchor (distance, index) sort keys of the negatives and
    /// positives plus the radix sort's second buffer, 2B keys; the digit
    /// histogram. `negativeScratch` then holds the negative chosen per positive.
    var keyScratch: [UInt64] = []
    var histogramScratch: [Int] = []

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

    /// Per anchor, its non-NaN negatives are sorted once by (distance, index)
    /// (packed into one `UInt64` key, stable radix sort), and so are its
    /// positives by (D_ap, index); one merge walk then finds, for every
    /// positive, the first negative with `D_an > D_ap`, kept if
    /// `D_an < D_ap + margin`. That is the smallest `D_an` in the window, the
    /// lowest index on ties, exactly as a linear scan in index order with a
    /// strict `<` picks it. Triplets are appended in (anchor, positive) order
    /// as before. O(B²) per batch (radix sorts) instead of O(B² · K).
    private mutating func mineSemihard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count, m = margin
        if keyScratch.count < 2 * b { keyScratch = [UInt64](repeating: 0, count: 2 * b) }
        if histogramScratch.count < _radixHistogramSize { histogramScratch = [Int](repeating: 0, count: _radixHistogramSize) }
        if negativeScratch.count < b { negativeScratch = [Int32](repeating: 0, count: b) }
        let pairs = Self.anchorPositivePairs(labels)
        triplets.appendUnsafe(maximum: pairs) { outA, outP, outN in
        var written = 0
        distances.storage.withUnsafeBufferPointer { d in
            labels.withUnsafeBufferPointer { y in
                keyScratch.withUnsafeMutableBufferPointer { keyBuffer in
                  histogramScratch.withUnsafeMutableBufferPointer { histogram in
                    negativeScratch.withUnsafeMutableBufferPointer { chosen in
                    let keys = keyBuffer.baseAddress!, temp = keys + b, h = histogram.baseAddress!
                    for a in 0..<b {
                        let row = d.baseAddress! + a * b
                        let ya = y[a]
                        // Negatives' keys in keys[0..<count], positives' in keys[count..<count + k]
                        // (each written in index order: the stable sort breaks ties by index).
                        var count = 0, positives = 0
                        for j in 0..<b where y[j] != ya {
                            let v = row[j]
                            if v.isNaN { continue }  // never inside a window
                            keys[count] = _sortKey(v, j)
                            count += 1
                        }
                        let positiveKeys = keys + count
                        var k = 0
                        for p in 0..<b where p != a && y[p] == ya {
                            positives += 1
                            chosen[p] = -1
                            let v = row[p]
                            if v.isNaN { continue }
                            positiveKeys[k] = _sortKey(v, p)
                            k += 1
                        }
                        guard positives > 0 else { continue }
                        if count > 0 && k > 0 {
                            _radixSort(keys, temp, count, h)
                            _radixSort(positiveKeys, temp, k, h)
                            var j = 0
                            for i in 0..<k {
                                let pk = positiveKeys[i]
                                // Past every negative with distance ≤ D_ap.
                                let bound = pk | 0xFFFF_FFFF
                                while j < count && keys[j] <= bound { j += 1 }
                                if j == count { break }
                                let p = Int(truncatingIfNeeded: pk & 0xFFFF_FFFF)
                                let n = Int(truncatingIfNeeded: keys[j] & 0xFFFF_FFFF)
                                if row[n] < row[p] + m { chosen[p] = Int32(truncatingIfNeeded: n) }
                            }
                        }
                        for p in 0..<b where p != a && y[p] == ya && chosen[p] >= 0 {
                            outA[written] = Int32(truncatingIfNeeded: a)
                            outP[written] = Int32(truncatingIfNeeded: p)
                            outN[written] = chosen[p]
                            written += 1
                        }
                    }
                    }
                  }
                }
            }
        }
        return written
        }
    }

    private func mineHard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count
        distances.storage.withUnsafeBufferPointer { d in
            labels.withUnsafeBufferPointer { y in
                for a in 0..<b {
                    let row = d.baseAddress! + a * b
                    guard let n = Self.nearestNegative(row, y, a) else { continue }
                    var k = 0
                    for p in 0..<b where p != a && y[p] == y[a] { k += 1 }
                    guard k > 0 else { continue }
                    triplets.appendUnsafe(maximum: k) { outA, outP, outN in
                        var written = 0
                        for p in 0..<b where p != a && y[p] == y[a] {
                            outA[written] = Int32(truncatingIfNeeded: a)
                            outP[written] = Int32(truncatingIfNeeded: p)
                            outN[written] = Int32(truncatingIfNeeded: n)
                            written += 1
                        }
                        return written
                    }
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

    /// The number of ordered anchor–positive pairs (same label, different rows).
    static func anchorPositivePairs(_ labels: [Int32]) -> Int {
        labels.withUnsafeBufferPointer { y in
            var pairs = 0
            for a in 0..<y.count {
                let ya = y[a]
                for p in 0..<y.count where y[p] == ya { pairs += 1 }
                pairs -= 1
            }
            return pairs
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

/// The bits of `v` as an unsigned integer whose order is the order of the
/// floats (−0 is mapped to +0 so that the two compare equal, as floats do).
/// Not meaningful for NaN.
@inline(__always)
func _orderedBits(_ v: Float) -> UInt32 {
    let bits = (v == 0 ? 0 : v).bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
}

/// The float whose `_orderedBits` are the high 32 bits of `key`.
@inline(__always)
func _keyValue(_ key: UInt64) -> Float {
    let k = UInt32(truncatingIfNeeded: key &>> 32)
    return Float(bitPattern: k & 0x8000_0000 != 0 ? k ^ 0x8000_0000 : ~k)
}

/// A key ordering by (distance, index): `_orderedBits(distance)` above `index`.
@inline(__always)
func _sortKey(_ distance: Float, _ index: Int) -> UInt64 {
    (UInt64(_orderedBits(distance)) << 32) | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: index))
}

/// Sorts `keys[0..<n]` ascending by their high 32 bits, stably, so keys
/// written in index order with the index in the low bits come out in
/// (distance, index) order. A least-significant-digit radix sort over the
/// range `max − min` of the high halves only, in at most 3 passes of
/// ≤ 11-bit digits (passes whose digit is the same for every key are
/// skipped); short inputs use insertion sort. `temp` holds at least `n`
/// keys and `histogram` at least `_radixHistogramSize` counters; nothing
/// is allocated.
///
/// - Complexity: O(n + 2^digit) per pass.
@inline(__always)
func _radixSort(
    _ keys: UnsafeMutablePointer<UInt64>, _ temp: UnsafeMutablePointer<UInt64>, _ n: Int,
    _ histogram: UnsafeMutablePointer<Int>
) {
    if n < 2 { return }
    if n <= 24 {
        for i in 1..<n {
            let k = keys[i]
            var j = i
            while j > 0 && keys[j - 1] > k {
                keys[j] = keys[j - 1]
                j -= 1
            }
            keys[j] = k
        }
        return
    }
    var low = UInt32.max, high = UInt32.min
    for i in 0..<n {
        let f = UInt32(truncatingIfNeeded: keys[i] &>> 32)
        low = min(low, f)
        high = max(high, f)
    }
    let range = high &- low
    if range == 0 { return }  // all equal: already in index order
    let bits = 32 - range.leadingZeroBitCount
    let widest = min(11, max(6, Int.bitWidth - n.leadingZeroBitCount))
    let passes = (bits + widest - 1) / widest
    let width = (bits + passes - 1) / passes
    let buckets = 1 << width
    let mask = UInt32(buckets - 1)
    for j in 0..<(passes * buckets) { histogram[j] = 0 }
    for i in 0..<n {
        let f = UInt32(truncatingIfNeeded: keys[i] &>> 32) &- low
        var shift: UInt32 = 0
        for pass in 0..<passes {
            histogram[pass * buckets + Int((f &>> shift) & mask)] += 1
            shift &+= UInt32(width)
        }
    }
    var source = keys, target = temp
    for pass in 0..<passes {
        let h = histogram + pass * buckets
        let shift = UInt32(pass * width)
        let first = (UInt32(truncatingIfNeeded: source[0] &>> 32) &- low) &>> shift & mask
        if h[Int(first)] == n { continue }
        var sum = 0
        for j in 0..<buckets {
            let c = h[j]
            h[j] = sum
            sum += c
        }
        for i in 0..<n {
            let k = source[i]
            let digit = Int(((UInt32(truncatingIfNeeded: k &>> 32) &- low) &>> shift) & mask)
            target[h[digit]] = k
            h[digit] += 1
        }
        swap(&source, &target)
    }
    if source != keys { keys.update(from: source, count: n) }
}

/// Counters `_radixSort` needs.
let _radixHistogramSize = 3 * 2048
