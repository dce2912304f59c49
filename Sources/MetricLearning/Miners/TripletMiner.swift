import CKernels
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
///   positives sorted once per anchor into a bucket table that ranks the
///   negatives among them, O(B² log K) at worst) (`distance-weighted`: a binary
///   search on per-anchor cumulative weights); never O(B³) time or memory.
public struct TripletMiner: Sendable {
    public let kind: MiningKind
    /// The semi-hard window width, in units of the distance mined on.
    public let margin: Float
    public let seed: UInt64
    /// The workers of the per-anchor passes (the selection does not depend on them).
    public let context: ComputeContext
    /// How many times `mine` has run (the random stream of the next call).
    public private(set) var calls: UInt64 = 0
    /// The instruction set of the semi-hard choice (`WideISA`; the choice does not depend on it).
    var _isa: Int32 = WideISA.selected
    /// Distance-weighted sampling: per anchor (a row of B), its negatives and
    /// their cumulative weights; `anchorNegatives` and `anchorTotals` their
    /// count and total.
    var negativeScratch: [Int32] = []
    var weightScratch: [Double] = []
    var anchorNegatives: [Int] = []
    var anchorTotals: [Double] = []
    /// `semihard`: the label groups and each worker's ranking scratch
    /// (`_RankingWorkspace`); per anchor the number of selected pairs
    /// (`selectedScratch`) and (`pairScratch`, 2B per anchor) the selected
    /// (positive, negative). `hard`: the nearest negative per anchor
    /// (`nearestScratch`) and the triplet offsets (`selectedScratch`).
    var work = _RankingWorkspace()
    var nearestScratch: [Int32] = []
    var selectedScratch: [Int] = []
    var pairScratch: [Int32] = []

    public init(kind: MiningKind, margin: Float, seed: UInt64 = 0, context: ComputeContext = .serial) {
        precondition(kind != .all, "'all' is evaluated by the losses directly, not mined")
        self.kind = kind
        self.margin = margin
        self.seed = seed
        self.context = context
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
        case .all, .multiSimilarity:
            preconditionFailure("'\(kind.rawValue)' is not a triplet miner")
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

    /// The semi-hard selection, anchors split over the workers: for every
    /// anchor the selected (positive, negative) pairs in positive index order
    /// go to its row of `pairScratch`, then triplets are appended in
    /// (anchor, positive) order whatever the thread count. See
    /// `_forEachSemihardAnchor`. O(B²) per batch for spread distances,
    /// O(B² log K) at worst, plus one step per selected triplet.
    private mutating func mineSemihard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count
        Workspace.reserve(&selectedScratch, b)
        Workspace.reserve(&pairScratch, 2 * b * b)
        // Moved out while the workspaces of `self` are in use; no copy is made.
        var selectedBuffer = selectedScratch, pairBuffer = pairScratch
        selectedScratch = []
        pairScratch = []
        selectedBuffer.withUnsafeMutableBufferPointer { selected in
        pairBuffer.withUnsafeMutableBufferPointer { pairs in
            let pairsOut = pairs.baseAddress!
            _forEachSemihardAnchor(distances, labels) { a, positivesInOrder, positives, chosen in
                // Row a of the pair workspace: the selected (p, n) in positive index order.
                let out = pairsOut + 2 * a * b
                var written = 0
                for t in 0..<positives {
                    let p = Int(positivesInOrder[t])
                    guard chosen[p] >= 0 else { continue }
                    out[2 * written] = Int32(truncatingIfNeeded: p)
                    out[2 * written + 1] = chosen[p]
                    written += 1
                }
                selected[a] = written
            }
            var total = 0
            for a in 0..<b { total += selected[a] }
            triplets.appendUnsafe(maximum: total) { outA, outP, outN in
                var written = 0
                for a in 0..<b {
                    let row = pairsOut + 2 * a * b
                    for t in 0..<selected[a] {
                        outA[written] = Int32(truncatingIfNeeded: a)
                        outP[written] = row[2 * t]
                        outN[written] = row[2 * t + 1]
                        written += 1
                    }
                }
                return written
            }
        }
        }
        selectedScratch = selectedBuffer
        pairScratch = pairBuffer
    }

    /// Runs the semi-hard selection and calls `body(a, positives, count,
    /// chosen)` once per anchor `a`, on the worker that owns it: `positives[0..<count]`
    /// are a's positives in index order and `chosen[p]` is the negative
    /// selected for positive `p` (−1 if none). Both pointers are valid only
    /// during the call. Anchors are split over the workers; `body` must write
    /// only what belongs to its anchor.
    ///
    /// The batch's labels are grouped once (`_groupByLabel`), so an anchor
    /// visits only its own label's columns for its positives. Per anchor,
    /// its non-NaN positives are sorted once by (D_ap, index) (packed into
    /// one `UInt64` key) while their `_RankTable` is built
    /// (`_RankTable(sorting:)`). The negatives that can matter are compacted
    /// and ranked in passes of their own (`_compactNegatives`,
    /// `_RankTable.ranks`), and anchors are taken in chunks by whichever
    /// worker is free (their cost depends on their class). Each non-NaN
    /// negative's rank `r` = #{positives with D_ap < D_an} (`_RankTable`)
    /// makes it a candidate for the `r` nearest positives; the smallest
    /// (D_an, index) key per rank, then a suffix minimum over the ranks,
    /// gives every positive the first negative with `D_an > D_ap`, kept if
    /// `D_an < D_ap + margin`. That is the smallest `D_an` in the window, the
    /// lowest index on ties, exactly as a linear scan in index order with a
    /// strict `<` picks it.
    ///
    /// On AVX2 or AVX-512 an anchor with at most `_directPositiveLimit`
    /// positives skips the sort and the ranks: `mb_semihard_direct` takes, per
    /// positive, the minimum key above `D_ap` directly over the compacted
    /// candidates (the same choices; `TripletRowPassTests`).
    ///
    /// - Complexity: O(B²) per batch for spread distances, O(B² log K) at
    ///   worst (K the largest class), instead of O(B² · K); plus `body`.
    mutating func _forEachSemihardAnchor(
        _ distances: Matrix, _ labels: [Int32],
        _ body: (_ anchor: Int, _ positives: UnsafePointer<Int32>, _ count: Int, _ chosen: UnsafePointer<Int32>) -> Void
    ) {
        let b = labels.count, m = margin
        precondition(distances.rows == b && distances.cols == b, "distances must be \(b)×\(b)")
        let parts = context.parts(forWork: b * b)
        work.reserveRanking(b: b, parts: parts)
        work.reserveChoices(b: b, parts: parts)
        let members = work.members, runs = work.runs, grouping = work.worker(0, b: b)
        let isa = _isa, directLimit = TripletMiner._directPositiveLimit(isa: isa)
        distances.storage.withUnsafeBufferPointer { dBuffer in
        labels.withUnsafeBufferPointer { yBuffer in
            let d = dBuffer.baseAddress!, y = yBuffer.baseAddress!
            _groupByLabel(y, b, members: members, runs: runs, keys: grouping.keys, histogram: grouping.histogram)
            // Anchors in chunks taken dynamically: the cost of an anchor depends on its class.
            Parallel.forEachChunk(b, chunk: 32, workers: parts) { part, anchors in
                let scratch = work.worker(part, b: b)
                let keys = scratch.keys, temp = scratch.temp, h = scratch.histogram, sorted = scratch.sorted
                let best = scratch.best, starts = scratch.starts
                let positivesInOrder = scratch.positivesInOrder, chosen = scratch.chosen
                let candidates = scratch.candidates, candidateRanks = scratch.candidateRanks
                let candidateValues = scratch.candidateValues
                for a in anchors {
                    let row = d + a * b
                    let run = Int(runs[2 * a])..<Int(runs[2 * a + 1])
                    if run.count - 1 <= directLimit {
                        // Small classes on AVX2/AVX-512: direct minima over the candidates (the same choices).
                        var positives = 0
                        for t in run where Int(members[t]) != a {
                            positivesInOrder[positives] = members[t]
                            positives += 1
                        }
                        mb_semihard_direct(isa, row, y, b, y[a], positivesInOrder, positives, m, candidateValues,
                                           candidates, chosen)
                        body(a, positivesInOrder, positives, chosen)
                        continue
                    }
                    // Positives in index order, and the keys of the non-NaN ones
                    // (the stable sort breaks ties by index).
                    var positives = 0, k = 0
                    for t in run {
                        let p = Int(members[t])
                        if p == a { continue }
                        positivesInOrder[positives] = Int32(truncatingIfNeeded: p)
                        positives += 1
                        chosen[p] = -1
                        let v = row[p]
                        if v.isNaN { continue }  // never inside a window
                        keys[k] = SortKey.make(v, p)
                        k += 1
                    }
                    if k > 0 {
                        let table = _RankTable(sorting: keys, k, temp: temp, histogram: h, sorted: sorted, starts: starts)
                        // Only negatives with sorted[0] < D_an < sorted[k − 1] + margin matter: one at or
                        // below every positive is a candidate for none, and one at or beyond the largest
                        // window is chosen by none and, as a nearest negative, hides only negatives
                        // outside the window too.
                        let c = _compactNegatives(
                            row, y, b, label: y[a], lowest: sorted[0].nextUp, limit: sorted[k - 1] + m,
                            indices: candidates, values: candidateValues)
                        table.ranks(candidateValues, c, into: candidateRanks, strict: true)
                        // The smallest key per rank, then a suffix minimum over the ranks and the window test.
                        mb_semihard_choose(row, keys, k, candidateValues, candidates, candidateRanks, c, m, best, chosen)
                    }
                    body(a, positivesInOrder, positives, chosen)
                }
            }
        }
        }
    }

    /// The largest number of positives for which an anchor takes `mb_semihard_direct` (−1:
    /// never, the portable path). Its cost grows with positives × candidates / lanes, the ranked
    /// path's with the candidates alone (plus a sort of the positives), so the direct minima pay
    /// for small classes only (`benchmarks/2026-12-01-semi`: faster at 31 and 63 positives,
    /// with 16 lanes also at 127).
    static func _directPositiveLimit(isa: Int32) -> Int {
        isa >= 2 ? 128 : isa == 1 ? 64 : -1
    }

    /// Per anchor, the nearest negative (first index on ties) and its
    /// positives, anchors split over the workers; each anchor's triplets are
    /// written at its offset, so the order is (anchor, positive) whatever the
    /// thread count. O(B²) per batch.
    private mutating func mineHard(_ distances: Matrix, _ labels: [Int32], _ triplets: inout TripletIndices) {
        let b = labels.count
        let parts = context.parts(forWork: b * b)
        Workspace.reserve(&nearestScratch, b)
        Workspace.reserve(&selectedScratch, b + 1)
        distances.storage.withUnsafeBufferPointer { dBuffer in
        labels.withUnsafeBufferPointer { y in
        nearestScratch.withUnsafeMutableBufferPointer { nearestBuffer in
        selectedScratch.withUnsafeMutableBufferPointer { offsets in
            let d = dBuffer.baseAddress!, nearest = nearestBuffer.baseAddress!
            Parallel.forEachRange(b, parts: parts) { anchors in
                for a in anchors {
                    let n = Self.nearestNegative(d + a * b, y, a) ?? -1
                    nearest[a] = Int32(truncatingIfNeeded: n)
                    var positives = 0
                    if n >= 0 { for p in 0..<b where p != a && y[p] == y[a] { positives += 1 } }
                    offsets[a + 1] = positives
                }
            }
            offsets[0] = 0
            for a in 0..<b { offsets[a + 1] += offsets[a] }
            triplets.appendUnsafe(maximum: offsets[b]) { outA, outP, outN in
                Parallel.forEachRange(b, parts: parts) { anchors in
                    for a in anchors where nearest[a] >= 0 {
                        var t = offsets[a]
                        for p in 0..<b where p != a && y[p] == y[a] {
                            outA[t] = Int32(truncatingIfNeeded: a)
                            outP[t] = Int32(truncatingIfNeeded: p)
                            outN[t] = nearest[a]
                            t += 1
                        }
                    }
                }
                return offsets[b]
            }
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

    /// The index of the negative of `anchor` with the smallest distance, if
    /// any: the first on ties; NaN distances are passed over, unless the
    /// first negative's is NaN (then it is kept, as a scan that starts from
    /// the first negative and replaces it only by a smaller distance does).
    ///
    /// Eight columns at a time: each lane keeps its smallest distance and
    /// its first index, and the lanes are merged at the end.
    @inline(__always)
    static func nearestNegative(_ row: UnsafePointer<Float>, _ y: UnsafeBufferPointer<Int32>, _ anchor: Int) -> Int? {
        let b = y.count, ya = y[anchor]
        var first = 0
        while first < b && y[first] == ya { first += 1 }
        if first == b { return nil }
        if row[first].isNaN { return first }
        let own = SIMD8<Int32>(repeating: ya), infinity = SIMD8<Float>(repeating: .infinity)
        var best = infinity, bestIndex = SIMD8<Int32>(repeating: Int32.max)
        var lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        var n = 0
        while n + 8 <= b {
            let v = SIMDMath.load(row + n)
            let labels = SIMDMath.load(y.baseAddress! + n)
            let smaller = (labels .!= own) .& (v .< best)  // false for NaN
            best.replace(with: v, where: smaller)
            bestIndex.replace(with: lane, where: smaller)
            lane &+= 8
            n += 8
        }
        var nearest = -1, nearestDistance = Float.infinity
        for t in 0..<8 where bestIndex[t] != Int32.max {
            let i = Int(bestIndex[t])
            if best[t] < nearestDistance || (best[t] == nearestDistance && i < nearest) {
                nearest = i
                nearestDistance = best[t]
            }
        }
        for m in n..<b where y[m] != ya && row[m] < nearestDistance {
            nearest = m
            nearestDistance = row[m]
        }
        // Every negative at +∞: the first one.
        return nearest >= 0 ? nearest : first
    }
}
