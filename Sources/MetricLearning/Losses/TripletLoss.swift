import CKernels
import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Triplet loss (FaceNet, Schroff et al. 2015; DESIGN §3).
///
/// Per triplet (a, p, n): `relu(D_ap − D_an + margin)`, or with `soft`
/// `softplus(D_ap − D_an)` (Hermans et al. 2017). With mining `all` every
/// valid triplet (ordered anchor–positive pair × negative of the anchor) is
/// evaluated in a fused loop that accumulates dL/dD into a B × B matrix, so
/// no triplet list is stored; the hinge with `semihard` or `hard` is
/// evaluated while mining, anchor by anchor, without a triplet list either;
/// other miners select triplets first.
///
/// Reducers: `mean` over the selected triplets, `nonzero-mean` over those
/// with a strictly positive term (pytorch-metric-learning's
/// `TripletMarginLoss` with euclidean distance uses the latter).
///
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus O(B²) for hinge `all`
///   (positives sorted per anchor into a bucket table that ranks the
///   negatives among them; O(B² log K) at worst) and every miner (plus one step per selected
///   triplet); soft `all` stays
///   O(B² · K), K the largest class size, since no softplus term vanishes.
public struct TripletLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var miner: TripletMiner?
    private var coefficients = Matrix(rows: 0, cols: 0)
    private var triplets = TripletIndices()
    /// The workspaces of the fused and mined paths (see `_RankingWorkspace`).
    private var work = _RankingWorkspace()
    /// The evaluation path, chosen once from the miner and the hinge.
    private let path: _TripletPath

    /// The instruction set of the ranking passes (`WideISA`: the direct ranks of `all`, the
    /// semi-hard miner's choice): the tests run every set (the results do not depend on it).
    var _isa: Int32 = WideISA.selected {
        didSet { miner?._isa = _isa }
    }

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration, context: ComputeContext) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance, context: context)
        miner = TripletMiner._forLoss(configuration, context: context)
        path = _TripletPath(mining: configuration.mining, soft: configuration.resolvedSoft)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        // The hinge paths fused with `all`, `semihard` or `hard` write each anchor's row of the
        // coefficients on one worker and zero it there first (while it is in that core's cache).
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients,
                                 zeroed: !path.zeroesRowsPerAnchor)
        let b = embeddings.rows
        var sums = _TripletSums()
        switch path {
        case .allHinge: accumulateAllHinge(&sums, labels)
        case .allSoft: accumulateAllSoft(&sums, labels)
        case .semihardHinge: accumulateSemihardHinge(&sums, labels)
        case .hardHinge: accumulateHardHinge(&sums, labels)
        case .mined:
            // Mutated in place: a copy would duplicate the miner's scratch buffers on every call.
            miner!.mine(distances: distance.values, distanceKind: distance.kind, labels: labels,
                        dimension: embeddings.cols, into: &triplets)
            accumulateSelected(&sums, b)
        }
        let denominator = configuration.resolvedReducer == .mean ? sums.count : sums.active
        let loss = denominator > 0 ? sums.total / Double(denominator) : 0
        let scale = denominator > 0 ? Float(1 / Double(denominator)) : 0
        distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient, scale: scale)
        return LossResult(
            loss: loss, tuples: sums.count,
            activeFraction: sums.count > 0 ? Double(sums.active) / Double(sums.count) : 0)
    }

    /// The hinge over every valid triplet without visiting each one.
    ///
    /// For anchor a, positive p and `s_p = D_ap + margin` (in `Float`, as a
    /// per-triplet loop computes it), the term `relu(s_p − D_an)` is strictly
    /// positive iff `D_an < s_p`. Per anchor, the positives are sorted by
    /// `s_p` (`_RankTable(sorting:)` on (value, index) keys); the negatives
    /// below the largest `s_p` are compacted and ranked in passes of their
    /// own, and each one's rank
    /// `r_n = #{p : s_p ≤ D_an}` (`_RankTable`) gives `k − r_n` to subtract
    /// from dL/dD_an, and per-rank counts and sums of `D_an`, accumulated in
    /// rank order, give every positive the number `c_p` of negatives with
    /// `D_an < s_p` and their sum `S_p`: the pair contributes `c_p · s_p − S_p`
    /// to the loss, `c_p` active terms and `+c_p` to dL/dD_ap. Counts and
    /// coefficients are exactly those of the per-triplet loop; the loss sum
    /// differs only by rounding (it is accumulated in `Double`). NaN
    /// distances never make a term active.
    ///
    /// Anchors are taken in chunks by whichever worker is free (each writes
    /// only its own row of `coefficients`, zeroed first); per-anchor sums are
    /// added in anchor order, so the result does not depend on the thread
    /// count.
    ///
    /// - Complexity: O(B²) per batch for spread distances, O(B² log K) at
    ///   worst, instead of O(B² · K).
    private mutating func accumulateAllHinge(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        let margin = Float(configuration.resolvedMargin)
        let parts = distance.context.parts(forWork: b * b)
        work.reserveAnchors(b: b)
        work.reserveRanking(b: b, parts: parts)
        work.reserveRankSums(b: b, parts: parts)
        let totals = work.totals.base, counts = work.counts.base, members = work.members, runs = work.runs
        let grouping = work.worker(0, b: b)
        let isa = _isa, directLimit = Self._directRankLimit(isa: isa)
        distance.values.storage.withUnsafeBufferPointer { dBuffer in
        coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
        labels.withUnsafeBufferPointer { yBuffer in
            let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!, y = yBuffer.baseAddress!
            _groupByLabel(y, b, members: members, runs: runs, keys: grouping.keys, histogram: grouping.histogram)
            // Anchors in chunks taken dynamically: the cost of an anchor depends on its class.
            Parallel.forEachChunk(b, chunk: 32, workers: parts) { part, anchors in
                let scratch = work.worker(part, b: b)
                let keys = scratch.keys, temp = scratch.temp, h = scratch.histogram, sorted = scratch.sorted
                let starts = scratch.starts, rankCount = scratch.rankCounts, rankSum = scratch.rankSums
                let candidates = scratch.candidates, candidateRanks = scratch.candidateRanks
                let candidateValues = scratch.candidateValues
                for a in anchors {
                    let row = d + a * b, crow = c + a * b
                    crow.update(repeating: 0, count: b)
                    let run = Int(runs[2 * a])..<Int(runs[2 * a + 1])
                    let positives = run.count - 1, negatives = b - run.count
                    var k = 0
                    for t in run {
                        let p = Int(members[t])
                        if p == a { continue }
                        let shifted = row[p] + margin
                        if shifted.isNaN { continue }
                        keys[k] = SortKey.make(shifted, p)
                        k += 1
                    }
                    totals[a] = 0
                    counts[2 * a] = positives * negatives
                    counts[2 * a + 1] = 0
                    if k == 0 { continue }
                    let table = _RankTable(sorting: keys, k, temp: temp, histogram: h, sorted: sorted, starts: starts)
                    for r in 0...k {
                        rankCount[r] = 0
                        rankSum[r] = 0
                    }
                    // Only negatives below the largest s_p have a rank r_n < k (an active term).
                    let candidateCount = _compactNegatives(
                        row, y, b, label: y[a], lowest: -.infinity, limit: sorted[k - 1],
                        indices: candidates, values: candidateValues)
                    if k <= directLimit {
                        // Small classes on AVX2/AVX-512: k comparisons per 8 or 16 candidates (the same counts).
                        mb_rank_direct(isa, sorted, k, candidateValues, candidateCount, candidateRanks, 0)
                    } else {
                        table.ranks(candidateValues, candidateCount, into: candidateRanks, strict: false)
                    }
                    for j in 0..<candidateCount {
                        let r = Int(candidateRanks[j]), v = candidateValues[j]
                        rankCount[r] += 1
                        rankSum[r] += Double(v)
                        crow[Int(candidates[j])] -= Float(k - r)
                    }
                    // D_an < s_t iff r_n ≤ t: running sums over the ranks.
                    var below = 0, belowSum = 0.0, total = 0.0, active = 0
                    for t in 0..<k {
                        below += rankCount[t]
                        belowSum += rankSum[t]
                        if below == 0 { continue }
                        total += Double(below) * Double(sorted[t]) - belowSum
                        active += below
                        crow[Int(truncatingIfNeeded: keys[t] & 0xFFFF_FFFF)] += Float(below)
                    }
                    totals[a] = total
                    counts[2 * a + 1] = active
                }
            }
        }
        }
        }
        sums = anchorSums(b)
    }

    /// The largest number of positives for which `accumulateAllHinge` counts ranks with
    /// `mb_rank_direct` (−1: never, the portable path): k comparisons per 16 (AVX-512) or 8
    /// (AVX2) candidates against the rank table's bucket lookup per candidate.
    static func _directRankLimit(isa: Int32) -> Int {
        isa >= 2 ? 64 : isa == 1 ? 32 : -1
    }

    /// The per-anchor partial sums of the last fused pass, added in anchor
    /// order (so the total does not depend on how anchors were split over threads).
    private func anchorSums(_ b: Int) -> _TripletSums {
        var sums = _TripletSums()
        for a in 0..<b {
            sums.total += work.totals.base[a]
            sums.count += work.counts.base[2 * a]
            sums.active += work.counts.base[2 * a + 1]
        }
        return sums
    }

    /// Softplus over every valid triplet: no term is zero, so every one is
    /// visited. O(B² · K) per batch (K the largest class size), the one
    /// fused path that keeps that cost.
    private mutating func accumulateAllSoft(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        var total = 0.0, count = 0, active = 0
        distance.values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                labels.withUnsafeBufferPointer { y in
                    for a in 0..<b {
                        let row = d.baseAddress! + a * b
                        let crow = c.baseAddress! + a * b
                        let ya = y[a]
                        var negatives = 0
                        for n in 0..<b where y[n] != ya { negatives += 1 }
                        for p in 0..<b where p != a && y[p] == ya {
                            let dap = row[p]
                            count += negatives
                            var slopeSum: Float = 0
                            for n in 0..<b where y[n] != ya {
                                let x = dap - row[n]
                                let term = _softplus(Double(x))
                                total += term
                                if term > 0 { active += 1 }
                                let s = _sigmoid(x)
                                slopeSum += s
                                crow[n] -= s
                            }
                            crow[p] += slopeSum
                        }
                    }
                }
            }
        }
        sums.total = total
        sums.count = count
        sums.active = active
    }

    /// The hinge over the semi-hard triplets, fused with the mining: each
    /// anchor's selected (positive, negative) pairs are evaluated on the worker
    /// that selects them, in positive index order, with the arithmetic of
    /// `accumulateSelected` (same terms, counts, coefficients and per-anchor
    /// sums, added in anchor order), so no triplet list is written or read.
    ///
    /// - Complexity: the miner's (O(B²) for spread distances, O(B² log K) at
    ///   worst) plus O(K) per anchor.
    private mutating func accumulateSemihardHinge(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        let margin = Float(configuration.resolvedMargin)
        work.reserveAnchors(b: b)
        let totals = work.totals.base, counts = work.counts.base
        distance.values.storage.withUnsafeBufferPointer { dBuffer in
        coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
            let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!
            // Mutated in place: a copy would duplicate the miner's scratch buffers on every call.
            miner!._forEachSemihardAnchor(distance.values, labels) { a, positives, count, chosen in
                let row = d + a * b, crow = c + a * b
                crow.update(repeating: 0, count: b)
                var total = 0.0, selected = 0, active = 0
                for t in 0..<count {
                    let p = Int(positives[t]), n = Int(chosen[p])
                    if n < 0 { continue }
                    selected += 1
                    if _hinge(row[p], row[n], margin, total: &total, active: &active) {
                        crow[p] += 1
                        crow[n] -= 1
                    }
                }
                totals[a] = total
                counts[2 * a] = selected
                counts[2 * a + 1] = active
            }
        }
        }
        sums = anchorSums(b)
    }

    /// The hinge over the `hard` triplets (every positive with the anchor's
    /// nearest negative, first index on ties), fused with the mining: per
    /// anchor, its positives in index order, with the arithmetic of
    /// `accumulateSelected` (same terms, counts and coefficients: the
    /// nearest negative's −1 per active term is added once as an exact
    /// integer), anchors split over the workers and per-anchor sums added in
    /// anchor order. O(B²) per batch, no triplet list.
    private mutating func accumulateHardHinge(_ sums: inout _TripletSums, _ labels: [Int32]) {
        let b = labels.count
        let margin = Float(configuration.resolvedMargin)
        let parts = distance.context.parts(forWork: b * b)
        work.reserveAnchors(b: b)
        work.reserveRanking(b: b, parts: 1)
        let totals = work.totals.base, counts = work.counts.base, members = work.members, runs = work.runs
        let grouping = work.worker(0, b: b)
        distance.values.storage.withUnsafeBufferPointer { dBuffer in
        coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
        labels.withUnsafeBufferPointer { y in
            let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!
            _groupByLabel(y.baseAddress!, b, members: members, runs: runs, keys: grouping.keys, histogram: grouping.histogram)
            Parallel.forEachRange(b, parts: parts) { anchors in
                for a in anchors {
                    let row = d + a * b, crow = c + a * b
                    crow.update(repeating: 0, count: b)
                    totals[a] = 0
                    counts[2 * a] = 0
                    counts[2 * a + 1] = 0
                    guard let n = TripletMiner.nearestNegative(row, y, a) else { continue }
                    var total = 0.0, selected = 0, active = 0
                    for t in Int(runs[2 * a])..<Int(runs[2 * a + 1]) {
                        let p = Int(members[t])
                        if p == a { continue }
                        selected += 1
                        if _hinge(row[p], row[n], margin, total: &total, active: &active) { crow[p] += 1 }
                    }
                    crow[n] -= Float(active)
                    totals[a] = total
                    counts[2 * a] = selected
                    counts[2 * a + 1] = active
                }
            }
        }
        }
        }
        sums = anchorSums(b)
    }

    /// The mined triplets: unit-weight dL/dD into `coefficients`.
    ///
    /// Miners emit triplets grouped by ascending anchor, and a triplet writes
    /// only its anchor's row, so anchors are split over the workers; per-anchor
    /// sums are added in anchor order (the result does not depend on the
    /// thread count). O(B + number of triplets).
    private mutating func accumulateSelected(_ sums: inout _TripletSums, _ b: Int) {
        let margin = Float(configuration.resolvedMargin), soft = configuration.resolvedSoft
        let count = triplets.count
        work.reserveAnchors(b: b)
        let totals = work.totals.base, counts = work.counts.base
        distance.values.storage.withUnsafeBufferPointer { dBuffer in
        coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
        triplets.anchors.withUnsafeBufferPointer { anchors in
        triplets.positives.withUnsafeBufferPointer { positives in
        triplets.negatives.withUnsafeBufferPointer { negatives in
            let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!
            // counts[2a] = the first triplet of anchor a (counts[2b] = count); counts[2a + 1] = its active terms.
            var t = 0
            for a in 0..<b {
                counts[2 * a] = t
                while t < count && Int(anchors[t]) == a { t += 1 }
            }
            precondition(t == count, "miners emit triplets grouped by ascending anchor")
            counts[2 * b] = count
            let parts = distance.context.parts(forWork: count)
            Parallel.forEachRange(b, parts: parts, cost: { Double(counts[2 * $0 + 2] - counts[2 * $0] + 1) }) { rows in
                for a in rows {
                    let row = d + a * b, crow = c + a * b
                    var total = 0.0, active = 0
                    for t in counts[2 * a]..<counts[2 * a + 2] {
                        let p = Int(positives[t]), n = Int(negatives[t])
                        let x = row[p] - row[n]
                        if soft {
                            let term = _softplus(Double(x))
                            total += term
                            if term > 0 { active += 1 }
                            let s = _sigmoid(x)
                            crow[p] += s
                            crow[n] -= s
                        } else if _hinge(row[p], row[n], margin, total: &total, active: &active) {
                            crow[p] += 1
                            crow[n] -= 1
                        }
                    }
                    totals[a] = total
                    counts[2 * a + 1] = active
                }
            }
        }
        }
        }
        }
        }
        var total = 0.0, active = 0
        for a in 0..<b {
            total += work.totals.base[a]
            active += work.counts.base[2 * a + 1]
        }
        sums.total = total
        sums.count = count
        sums.active = active
    }
}

/// Running sums of a triplet loss: term sum, triplet count, strictly positive terms.
struct _TripletSums {
    var total = 0.0
    var count = 0
    var active = 0
}

/// One hinge triplet `relu((D_ap − D_an) + margin)`, in `Float` as a
/// per-triplet loop computes it: a positive term is added to `total` and
/// counted in `active`; returns whether it was positive. Shared by the
/// fused and the mined paths so that they agree bit for bit.
@inline(__always)
func _hinge(_ dap: Float, _ dan: Float, _ margin: Float, total: inout Double, active: inout Int) -> Bool {
    let h = (dap - dan) + margin
    guard h > 0 else { return false }
    total += Double(h)
    active += 1
    return true
}

/// `log(1 + eˣ)` without overflow.
@inline(__always)
func _softplus(_ x: Double) -> Double {
    x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}

/// `1 / (1 + e⁻ˣ)` without overflow.
@inline(__always)
func _sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// How `TripletLoss` evaluates a batch: a fused path where one exists for
/// its miner and term, else mined triplets first.
enum _TripletPath {
    case allHinge, allSoft, semihardHinge, hardHinge, mined

    init(mining: MiningKind, soft: Bool) {
        switch (mining, soft) {
        case (.all, false): self = .allHinge
        case (.all, true): self = .allSoft
        case (.semihard, false): self = .semihardHinge
        case (.hard, false): self = .hardHinge
        case (.semihard, true), (.hard, true), (.batchHard, _), (.random, _), (.distanceWeighted, _), (.multiSimilarity, _):
            self = .mined
        }
    }

    /// Whether the path zeroes each anchor's row of the coefficients itself.
    var zeroesRowsPerAnchor: Bool {
        switch self {
        case .allHinge, .semihardHinge, .hardHinge: return true
        case .allSoft, .mined: return false
        }
    }
}
