import NumericCore

/// Per-anchor ranking of negatives among an anchor's sorted positives: the
/// shared core of the semi-hard miner and the fused hinge over all triplets.
///
/// Per batch, `_groupByLabel` lists every label's members once, so an anchor
/// visits its K − 1 positives instead of scanning all B labels. Per anchor,
/// `_compactNegatives` keeps, eight columns at a time and without branches,
/// the negatives whose distance lies in a range that can matter; then
/// `_RankTable.ranks` ranks them, eight bucket computations at a time, into
/// a separate array. The callers fold the ranks into per-rank sums or minima
/// in a last pass, so no rank computation waits on a read-modify-write of
/// a per-rank slot that an earlier negative may still be updating.

/// Groups `0..<b` by label: `members` lists the indices label by label
/// (labels ascending, indices ascending within a label), and
/// `runs[2i] ..< runs[2i + 1]` is the slice of `members` holding i's label.
/// `keys` holds 2B keys and `histogram` `RadixSort.histogramSize` counters.
/// - Complexity: O(B).
func _groupByLabel(
    _ y: UnsafePointer<Int32>, _ b: Int, members: UnsafeMutablePointer<Int32>, runs: UnsafeMutablePointer<Int32>,
    keys: UnsafeMutablePointer<UInt64>, histogram: UnsafeMutablePointer<Int>
) {
    for i in 0..<b {
        // The label's bits with the sign flipped order like the signed label.
        let label = UInt64(UInt32(bitPattern: y[i]) ^ 0x8000_0000)
        keys[i] = label << 32 | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: i))
    }
    RadixSort.sort(keys, keys + b, b, histogram)  // stable: indices stay ascending within a label
    var start = 0
    while start < b {
        let label = keys[start] &>> 32
        var end = start
        while end < b && keys[end] &>> 32 == label {
            members[end] = Int32(truncatingIfNeeded: keys[end] & 0xFFFF_FFFF)
            end += 1
        }
        for t in start..<end {
            let i = Int(members[t])
            runs[2 * i] = Int32(truncatingIfNeeded: start)
            runs[2 * i + 1] = Int32(truncatingIfNeeded: end)
        }
        start = end
    }
}

/// Writes, in index order, every column `n` of `row` with `y[n] ≠ label` and
/// `lowest ≤ row[n] < limit` (never a NaN) to `indices` and its value to
/// `values`; returns how many. Both outputs need room for `b` entries.
/// - Complexity: O(B), eight columns per step, no data-dependent branch.
@inline(__always)
func _compactNegatives(
    _ row: UnsafePointer<Float>, _ y: UnsafePointer<Int32>, _ b: Int, label: Int32, lowest: Float, limit: Float,
    indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>
) -> Int {
    let low = SIMD8<Float>(repeating: lowest), high = SIMD8<Float>(repeating: limit)
    let own = SIMD8<Int32>(repeating: label)
    var c = 0, n = 0
    while n + 8 <= b {
        let v = SIMDMath.load(row + n)
        let labels = SIMDMath.load(y + n)
        let bits = SIMDMath.laneBits((labels .!= own) .& (v .>= low) .& (v .< high))
        for t in 0..<8 {
            indices[c] = Int32(truncatingIfNeeded: n + t)
            values[c] = v[t]
            c &+= Int((bits &>> UInt32(t)) & 1)
        }
        n += 8
    }
    while n < b {
        let v = row[n]
        indices[c] = Int32(truncatingIfNeeded: n)
        values[c] = v
        c &+= (y[n] != label) && v >= lowest && v < limit ? 1 : 0
        n += 1
    }
    return c
}

/// Ranks of values among `k ≥ 1` ascending, non-NaN floats `sorted[0..<k]`
/// through a table over `k` equal-width buckets of `[sorted[0], sorted[k − 1]]`:
/// `starts[q]` = #{values in buckets < q}, so a query is one bucket
/// computation, two table reads and one eight-lane comparison with the
/// (typically zero to four) values of its own bucket; a binary search, which
/// mispredicts half its steps, runs only when more than eight values share
/// a bucket. The table is built while its values are sorted
/// (`init(sorting:)`). `sorted` must have room for 8 values after the k,
/// which the table sets to NaN (never counted). The bucket of a value is a
/// monotone function of it, computed the same way for the table and for
/// queries, so counts are exact.
///
/// - Complexity: O(k) to build (`starts` holds `k + 1` counters); a query is
///   O(1) for spread values and O(log k) when many share a bucket.
struct _RankTable {
    let sorted: UnsafePointer<Float>
    let starts: UnsafeMutablePointer<Int32>
    let k: Int
    let origin: Float
    let scale: Float
    let last: Float

    /// Sorts `keys[0..<k]` (`SortKey`s of non-NaN values, written in index
    /// order) and builds the table of their values in the same pass: the
    /// table's buckets are a counting sort's, so each key is scattered to
    /// its bucket (stably) and an insertion sort puts the few keys that
    /// share a bucket in order. When values crowd into a few buckets (the
    /// insertion sort would cost more than O(k)) or the histogram is too
    /// small, `RadixSort.sort` sorts instead; the table is the same either way.
    /// `temp` holds k keys, `histogram` `RadixSort.histogramSize` counters,
    /// `sorted` k + 8 values and `starts` k + 1 counters.
    @inline(__always)
    init(
        sorting keys: UnsafeMutablePointer<UInt64>, _ k: Int, temp: UnsafeMutablePointer<UInt64>,
        histogram: UnsafeMutablePointer<Int>, sorted: UnsafeMutablePointer<Float>, starts: UnsafeMutablePointer<Int32>
    ) {
        // The smallest and largest value through the keys: their order is the values' (a key's
        // value is never −0, so the extremes are the floats a running Float min and max would
        // keep), and integer extremes in four lanes do not wait on one chain of float
        // selections per key.
        var low = SIMD4<UInt64>(repeating: .max), high = SIMD4<UInt64>(repeating: 0)
        var t = 0
        while t + 4 <= k {
            let v = SIMD4<UInt64>(keys[t], keys[t + 1], keys[t + 2], keys[t + 3])
            low = pointwiseMin(low, v)
            high = pointwiseMax(high, v)
            t += 4
        }
        while t < k {
            low[0] = Swift.min(low[0], keys[t])
            high[0] = Swift.max(high[0], keys[t])
            t += 1
        }
        let lowest = k > 0 ? SortKey.value(low.min()) : Float.infinity
        let highest = k > 0 ? SortKey.value(high.max()) : -Float.infinity
        self.sorted = UnsafePointer(sorted)
        self.starts = starts
        self.k = k
        origin = lowest
        last = Float(k - 1)
        let s = Float(k) / (highest - lowest)
        scale = s.isFinite ? s : 0
        for q in 0...k { starts[q] = 0 }
        // Each key's bucket once, eight at a time (`buckets`, the same arithmetic as `bucket`),
        // kept for the scatter as Int32s in `sorted`, which is free until the end.
        let bucketOf = UnsafeMutableRawPointer(sorted)
        t = 0
        while t + 8 <= k {
            let v = SIMD8<Float>(
                SortKey.value(keys[t]), SortKey.value(keys[t + 1]), SortKey.value(keys[t + 2]), SortKey.value(keys[t + 3]),
                SortKey.value(keys[t + 4]), SortKey.value(keys[t + 5]), SortKey.value(keys[t + 6]), SortKey.value(keys[t + 7]))
            bucketOf.storeBytes(of: buckets(v), toByteOffset: 4 * t, as: SIMD8<Int32>.self)
            t += 8
        }
        while t < k {
            bucketOf.storeBytes(of: Int32(truncatingIfNeeded: bucket(SortKey.value(keys[t]))), toByteOffset: 4 * t, as: Int32.self)
            t += 1
        }
        func bucketOfKey(_ t: Int) -> Int { Int(bucketOf.loadUnaligned(fromByteOffset: 4 * t, as: Int32.self)) }
        for t in 0..<k { starts[bucketOfKey(t) + 1] &+= 1 }
        var crowding = 0
        for q in 0..<k {
            crowding &+= Int(starts[q + 1]) &* Int(starts[q + 1])
            starts[q + 1] &+= starts[q]
        }
        if crowding <= 8 * k && k < RadixSort.histogramSize {
            for q in 0..<k { histogram[q] = Int(starts[q]) }
            for t in 0..<k {
                let q = bucketOfKey(t)
                temp[histogram[q]] = keys[t]
                histogram[q] &+= 1
            }
            keys.update(from: temp, count: k)
            _nearlySortedInsertion(keys, k)  // only keys that share a bucket move
        } else {
            RadixSort.sort(keys, temp, k, histogram)
        }
        for t in 0..<k { sorted[t] = SortKey.value(keys[t]) }
        for t in k..<(k + 8) { sorted[t] = .nan }
    }

    /// The bucket of `v` (not NaN), clamped to `0..<k`; 0 when `v − origin`
    /// times the scale is NaN.
    @inline(__always)
    func bucket(_ v: Float) -> Int {
        let x = (v - origin) * scale  // NaN for an infinite v when all values are equal (scale 0)
        return Int(min(x > 0 ? x : 0, last))
    }

    /// `bucket` of eight values at once (the same arithmetic, lane by lane).
    @inline(__always)
    func buckets(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        let x = (v - SIMD8(repeating: origin)) * SIMD8(repeating: scale)
        let clamped = SIMD8<Float>.zero.replacing(with: x, where: x .> 0)
        return SIMDMath.truncatedInt32(clamped.replacing(with: last, where: clamped .> last))
    }

    /// `#{t : sorted[t] < v}` (`strict`) or `#{t : sorted[t] ≤ v}`, for `v`
    /// not NaN whose bucket `q = bucket(v)` is known.
    @inline(__always)
    func count(_ v: Float, bucket q: Int, strict: Bool) -> Int {
        var low = Int(starts[q]), high = Int(starts[q + 1])
        if high - low <= 8 {
            // The eight values from `low` on: the rest of v's bucket, then larger values or the NaN padding.
            let x = SIMDMath.load(sorted + low), y = SIMD8(repeating: v)
            return low + (strict ? SIMDMath.laneBits(x .< y) : SIMDMath.laneBits(x .<= y)).nonzeroBitCount
        }
        while low < high {
            let mid = (low + high) >> 1
            if strict ? sorted[mid] < v : sorted[mid] <= v { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// `count` of `values[0..<c]` (none NaN) into `ranks[0..<c]`, eight
    /// bucket computations at a time. Both arrays need room for `c + 7`
    /// entries (the last step reads and writes whole groups of eight).
    @inline(__always)
    func ranks(_ values: UnsafeMutablePointer<Float>, _ c: Int, into ranks: UnsafeMutablePointer<Int32>, strict: Bool) {
        for t in c..<((c + 7) & ~7) { values[t] = origin }  // padding with a harmless value
        var j = 0
        while j < c {
            let v = SIMDMath.load(values + j)
            let q = buckets(v)
            for t in 0..<8 {
                ranks[j + t] = Int32(truncatingIfNeeded: count(v[t], bucket: Int(q[t]), strict: strict))
            }
            j += 8
        }
    }
}

/// Sorts `keys[0..<n]` ascending, as `RadixSort.insertionSort`, for keys
/// that each belong at most a few places further left (the keys of a bucket
/// scatter): the number of places a key moves, up to two, is counted from
/// its left neighbours and the three slots are rewritten with selections, so
/// the usual 0 / 1 / 2 moves take no data-dependent branch (the insertion
/// loop's exit mispredicted on about every other key); a key that moves
/// further takes the loop. Keys are distinct (value, index) pairs, so every
/// correct sort gives the same order.
@inline(__always)
func _nearlySortedInsertion(_ keys: UnsafeMutablePointer<UInt64>, _ n: Int) {
    var i = 1
    while i < min(n, 3) {  // too few left neighbours for the three-slot step
        let key = keys[i]
        var j = i
        while j > 0 && keys[j - 1] > key { keys[j] = keys[j - 1]; j -= 1 }
        keys[j] = key
        i += 1
    }
    guard i < n else { return }
    // The three slots left of i stay in registers: reading them back from the stores of the
    // previous step chained every step through store-to-load forwarding.
    var a1 = keys[i - 1], a2 = keys[i - 2], a3 = keys[i - 3]
    while i < n {
        let key = keys[i]
        if a3 > key {  // a move of three or more places: rare
            var j = i
            while j > 0 && keys[j - 1] > key { keys[j] = keys[j - 1]; j -= 1 }
            keys[j] = key
            a1 = keys[i]
            a2 = keys[i - 1]
            a3 = keys[i - 2]
        } else {
            // keys[0..<i] are sorted, so a2 > key implies a1 > key.
            let one = a1 > key, two = a2 > key
            let s0 = one ? a1 : key, s1 = two ? a2 : (one ? key : a1), s2 = two ? key : a2
            keys[i] = s0
            keys[i - 1] = s1
            keys[i - 2] = s2
            a1 = s0
            a2 = s1
            a3 = s2
        }
        i += 1
    }
}

/// The workspaces of the ranking passes of `TripletLoss` and `TripletMiner`,
/// each a typed buffer (none is described by offsets into another):
/// * per anchor: its term sum (`totals`) and its (count, active) pair, or
///   for mined triplets (first triplet, active) plus one end slot (`counts`);
/// * the batch grouped by label: `members` (B) and each index's run (2B);
/// * per worker, a `_RankingScratch` (what each path reserves of it).
struct _RankingWorkspace {
    let totals = ScratchBuffer<Double>()
    let counts = ScratchBuffer<Int>()
    let labelMembers = ScratchBuffer<Int32>()
    let labelRuns = ScratchBuffer<Int32>()
    let keys = ScratchBuffer<UInt64>()
    let histograms = ScratchBuffer<Int>()
    let sortedValues = ScratchBuffer<Float>()
    let starts = ScratchBuffer<Int32>()
    let rankCounts = ScratchBuffer<Int>()
    let rankSums = ScratchBuffer<Double>()
    let best = ScratchBuffer<UInt64>()
    let order = ScratchBuffer<Int32>()
    let candidates = ScratchBuffer<Int32>()
    let candidateValues = ScratchBuffer<Float>()

    var members: UnsafeMutablePointer<Int32> { labelMembers.base }
    var runs: UnsafeMutablePointer<Int32> { labelRuns.base }

    /// Room for the per-anchor sums of a batch of `b`.
    func reserveAnchors(b: Int) {
        totals.reserve(b)
        counts.reserve(2 * b + 1)
    }

    /// Room for the label groups and `parts` workers' sort, rank table and candidates.
    func reserveRanking(b: Int, parts: Int) {
        labelMembers.reserve(b)
        labelRuns.reserve(2 * b)
        keys.reserve(parts * 2 * b)
        histograms.reserve(parts * RadixSort.histogramSize)
        sortedValues.reserve(parts * (b + 8))
        starts.reserve(parts * (b + 1))
        candidates.reserve(parts * 2 * (b + 32))
        candidateValues.reserve(parts * (b + 32))
    }

    /// Room for the fused hinge's count and sum of `D_an` per rank.
    func reserveRankSums(b: Int, parts: Int) {
        rankCounts.reserve(parts * (b + 1))
        rankSums.reserve(parts * (b + 1))
    }

    /// Room for the semi-hard miner's best keys per rank (four tables, `mb_semihard_choose`)
    /// and its positives and choices.
    func reserveChoices(b: Int, parts: Int) {
        best.reserve(parts * 4 * (b + 1))
        order.reserve(parts * 2 * b)
    }

    /// Worker `part`'s slices for a batch of `b`.
    func worker(_ part: Int, b: Int) -> _RankingScratch {
        let keys = keys.part(part, stride: 2 * b), candidates = candidates.part(part, stride: 2 * (b + 32))
        let order = order.part(part, stride: 2 * b)
        return _RankingScratch(
            keys: keys, temp: keys + b, histogram: histograms.part(part, stride: RadixSort.histogramSize),
            sorted: sortedValues.part(part, stride: b + 8), starts: starts.part(part, stride: b + 1),
            rankCounts: rankCounts.part(part, stride: b + 1), rankSums: rankSums.part(part, stride: b + 1),
            best: best.part(part, stride: 4 * (b + 1)), positivesInOrder: order, chosen: order + b,
            candidates: candidates, candidateRanks: candidates + (b + 32),
            candidateValues: candidateValues.part(part, stride: b + 32))
    }
}

/// One worker's scratch of the ranking passes: the positives' sort keys (B)
/// and the sort's second buffer (B), its histogram, the sorted values
/// (B + 8) and their `_RankTable` starts (B + 1); for the fused hinge the
/// count and sum of `D_an` per rank (B + 1 each); for the semi-hard miner the
/// best keys per rank (4 (B + 1)), the positives in index order (B) and the
/// negative chosen per positive (B); and the negatives that can matter, their
/// ranks and distances (B + 32 each: the padding of `mb_semihard_direct` and
/// `mb_rank_direct`).
struct _RankingScratch {
    let keys: UnsafeMutablePointer<UInt64>
    let temp: UnsafeMutablePointer<UInt64>
    let histogram: UnsafeMutablePointer<Int>
    let sorted: UnsafeMutablePointer<Float>
    let starts: UnsafeMutablePointer<Int32>
    let rankCounts: UnsafeMutablePointer<Int>
    let rankSums: UnsafeMutablePointer<Double>
    let best: UnsafeMutablePointer<UInt64>
    let positivesInOrder: UnsafeMutablePointer<Int32>
    let chosen: UnsafeMutablePointer<Int32>
    let candidates: UnsafeMutablePointer<Int32>
    let candidateRanks: UnsafeMutablePointer<Int32>
    let candidateValues: UnsafeMutablePointer<Float>
}
