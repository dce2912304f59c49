import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lifted structured loss (Song et al., CVPR 2016; DESIGN §3).
///
/// For every unordered positive pair i < j,
/// smooth form, eq. (4), mining `all`:
/// `J̃_ij = log(Σ_{k∈N_i} exp(α − D_ik) + Σ_{l∈N_j} exp(α − D_jl)) + D_ij`;
/// exact form, eq. (3), mining `hard`: the log-sum-exp replaced by
/// `max(max_k (α − D_ik), max_l (α − D_jl))`, differentiated through the
/// arg-max. Then `J = 1/(2|P|) Σ_{i<j} relu(J̃_ij)²`, |P| the number of
/// unordered positive pairs (this matches the Caffe layer and the fixtures).
///
/// Each row's negative log-sum-exp `L_i` (or max) is computed once, stably,
/// so `J̃_ij = logaddexp(L_i, L_j) + D_ij` costs O(1) per pair. The gradient
/// of the negatives is `−(J̃_ij/|P|) · exp(α − D_ik − logaddexp(L_i, L_j))`,
/// summed per row as `w_i · softmax_ik` with `w_i = Σ_j (J̃_ij/|P|) e^{L_i − M_ij}`.
/// The reducer does not apply (the normalisation is part of the loss).
///
/// Smooth form, in three O(B²) steps:
/// 1. `e_ik = exp(−D_ik)` for every negative pair, once per unordered pair
///    (it is symmetric, and only the upper triangle is stored) in 8 × 8
///    tiles, eight lanes at a time (`SIMDMath.exp`); `L_i = α + log Σ_k e_ik`.
///    No shift by the nearest negative is needed while every
///    `D_ik ≤ 2 max ‖x‖ ≤ 64` (`e_ik` stays a normal float); beyond that, each
///    row evaluates `exp(D_min − D_ik)` over all its columns.
/// 2. Each pair once, from its first row: with `M_c = max L_i` over the
///    class and `S_i = exp(L_i − M_c)` (one `exp` per row),
///    `logaddexp(L_i, L_j) = M_c + log(S_i + S_j)` (eight pairs per vector
///    `log`), and the pair's weight shares are `g S_i / (S_i + S_j)` and
///    `g S_j / (S_i + S_j)`, `g = J̃_ij / |P|`. Row j's share goes into the
///    entry `(j, i)` below the diagonal, which no other row writes. Pairs
///    with a row whose `L_i < M_c − 80` (`S_i` could underflow) take
///    `max + log(1 + exp(−|L_i − L_j|))` in `Double` instead.
/// 3. Each row adds up the shares left to it, in index order, to `w_i`; the
///    negatives' coefficients are then `−(w_i / Σ_k e_ik) e_ik`, applied by
///    the distance's backward pass as per-row scales
///    (`_LiftedRowScales`, the combination `PairwiseDistance.backward` applies) instead of by
///    a pass of their own.
///
/// The exact form finds each row's nearest negative (eight columns at a
/// time), then visits every positive pair from both of its rows.
///
/// Every row's values are computed by the same arithmetic on whichever
/// worker runs it, and per-row sums are added in row order, so the result
/// does not depend on the thread count.
///
/// Shapes: embeddings B × d, distances and coefficients B × B.
/// - Complexity: O(B² · d) (two GEMMs) plus O(B²).
public struct LiftedStructureLoss: BatchLoss {
    public let configuration: LossConfiguration
    private var distance: PairwiseDistance
    private var coefficients = Matrix(rows: 0, cols: 0)
    /// The per-row workspaces (`_LiftedRows` slices them) and the block sums of step 1.
    private let work = _LiftedWorkspace()

    /// The largest distance for which `exp(−D)` is computed without a shift:
    /// e^−64 ≈ 1.6e−28 is far above the smallest normal float.
    static let unshiftedDistanceLimit: Float = 64

    /// Builds the loss; `configuration` must have been checked by `makeBatchLoss`.
    init(configuration: LossConfiguration, context: ComputeContext) {
        self.configuration = configuration
        distance = PairwiseDistance(kind: configuration.resolvedDistance, context: context)
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        try distance._beginBatch(embeddings: embeddings, labels: labels, coefficients: &coefficients, zeroed: false)
        let b = embeddings.rows, blocks = (b + _tile - 1) / _tile
        let alpha = configuration.resolvedMargin
        let exact = configuration.mining == .hard
        var largestSquaredNorm: Float = 0
        for n in distance.squaredNorms[0..<b] { largestSquaredNorm = max(largestSquaredNorm, n) }
        let unshifted = !exact && 2 * largestSquaredNorm.squareRoot() <= Self.unshiftedDistanceLimit
        let blockSums = work.reserve(b: b, blockSums: unshifted ? blocks * b : 0)
        let parts = distance.context.parts(forWork: b * b)
        let (total, positivePairs, active) = _withBatchPointers(distance.values, &coefficients, labels) { d, c, y in
            let rows = _LiftedRows(b: b, d: d, c: c, y: y, work: work)
            if unshifted {
                blockSums.update(repeating: 0, count: blocks * b)
                _forEachUpperTileRows(b, distance.context) { rows.exponentials($0, blockSums: blockSums) }
                Parallel.forEachRange(blocks, parts: parts) { range in
                    for block in range { rows.rowScores(block, blockSums: blockSums, alpha: alpha) }
                }
            } else {
                Parallel.forEachRange(b, parts: parts) { range in
                    for i in range { rows.negatives(i, alpha: alpha, exact: exact) }
                }
            }
            let positivePairs = rows.groupClasses(smooth: !exact)
            let perPair = 1 / Double(positivePairs)
            Parallel.forEachRange(b, parts: parts, cost: { Double(rows.end[$0] - rows.position[$0]) }) { range in
                for i in range {
                    if exact {
                        rows.exactPairs(i, perPair: perPair)
                    } else {
                        rows.smoothPairs(i, perPair: perPair)
                    }
                }
            }
            if !exact {
                Parallel.forEachRange(b, parts: parts) { range in
                    for i in range { rows.negativeScale(i) }
                }
            }
            var total = 0.0, active = 0
            for i in 0..<b {
                total += rows.total[i]
                active += rows.active[i]
            }
            return (total, positivePairs, active)
        }
        if exact {
            distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient)
        } else {
            labels.withUnsafeBufferPointer { y in
                let scales = _LiftedRowScales(labels: y.baseAddress!, scales: _LiftedRows.scales(work, b: b), readsLower: !unshifted)
                distance.backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient, combining: scales)
            }
        }
        return LossResult(
            loss: total / Double(2 * positivePairs), tuples: positivePairs,
            activeFraction: Double(active) / Double(positivePairs))
    }
}

/// The smooth lifted loss's negatives, scaled per row: a same-label pair's
/// derivative is the upper-triangle entry `C_ij`, i < j, alone (the entry
/// below the diagonal is scratch and ignored); a pair with different labels
/// combines as `s_i C_ij + s_j C_ji`, `s` the rows' scales, so the loss need
/// not rewrite those entries before the backward pass. Without `readsLower`,
/// `C_ji` is taken to equal `C_ij` there too: only the upper triangle is read.
private struct _LiftedRowScales: _PairCombination {
    let labels: UnsafePointer<Int32>
    let scales: UnsafePointer<Float>
    let readsLower: Bool

    @inline(__always) func columns(_ j0: Int) -> (labels: SIMD8<Int32>, scales: SIMD8<Float>) {
        (UnsafeRawPointer(labels + j0).loadUnaligned(as: SIMD8<Int32>.self), SIMDMath.load(scales + j0))
    }

    @inline(__always)
    func combine(_ upper: SIMD8<Float>, _ lower: SIMD8<Float>, row i: Int,
                 _ columns: (labels: SIMD8<Int32>, scales: SIMD8<Float>)) -> SIMD8<Float> {
        let sameLabel = columns.labels .== SIMD8<Int32>(repeating: labels[i])
        return (upper * SIMD8(repeating: scales[i]) + lower * columns.scales).replacing(with: upper, where: sameLabel)
    }

    @inline(__always) func combine(_ upper: Float, _ lower: Float, _ i: Int, _ j: Int) -> Float {
        labels[i] == labels[j] ? upper : scales[i] * upper + scales[j] * lower
    }
}

/// The reused buffers of `LiftedStructureLoss`: per row `realsPerRow`
/// doubles, `floatsPerRow` floats and `integersPerRow` integers (sliced by
/// `_LiftedRows`), and for the tiles of smooth step 1 the sums of each row
/// over each block of eight columns.
struct _LiftedWorkspace {
    let reals = ScratchBuffer<Double>()
    let floats = ScratchBuffer<Float>()
    let integers = ScratchBuffer<Int>()
    let blockSums = ScratchBuffer<Float>()

    /// Room for a batch of `b` and `blockSums` block sums; returns the block sums.
    func reserve(b: Int, blockSums count: Int) -> UnsafeMutablePointer<Float> {
        reals.reserve(_LiftedRows.realsPerRow * b)
        floats.reserve(_LiftedRows.floatsPerRow * b)
        integers.reserve(_LiftedRows.integersPerRow * b)
        return blockSums.reserve(count)
    }
}

/// The O(B²) passes of `LiftedStructureLoss` over distances `d` and
/// coefficients `c` (B × B) and per-row workspaces; each method writes only
/// what its rows (or tile rows) own, as the loss's documentation describes,
/// so they can run on any worker.
private struct _LiftedRows {
    static let realsPerRow = 5, floatsPerRow = 2, integersPerRow = 6
    /// Where the per-row scales of the negatives' coefficients start in the `Float` workspace.
    static let scaleOffset = 1

    /// The scales −w_i / Σ_k e_ik of the rows' negatives, as `negativeScale` left them in `work`.
    static func scales(_ work: _LiftedWorkspace, b: Int) -> UnsafePointer<Float> {
        UnsafePointer(work.floats.base + scaleOffset * b)
    }
    let b: Int
    let d: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, y: UnsafePointer<Int32>
    /// L_i (−∞ without negatives); Σ_k e_ik (smooth); w_i; the sum of relu(J̃_ij)² over j > i;
    /// and, at the first row of each class, M_c.
    let score, sum, weight, total, classMax: UnsafeMutablePointer<Double>
    /// S_i = exp(L_i − M_c), or 0 where pairs must not use it; the scale −w_i / Σ_k e_ik of
    /// row i's negatives.
    let scaled, scale: UnsafeMutablePointer<Float>
    /// The arg-max negative (exact); the first row of the same label; the row's position in
    /// `members` and the end of its class there; the number of active pairs j > i; and
    /// `members`, the rows grouped by class (classes in the order of their first rows, rows in
    /// index order).
    let argmax, first, position, end, active, members: UnsafeMutablePointer<Int>

    /// The rows of a batch of `b` over `d`, `c`, `y`, their workspaces sliced from `work` (reserved for `b`).
    init(b: Int, d: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, y: UnsafePointer<Int32>, work: _LiftedWorkspace) {
        (self.b, self.d, self.c, self.y) = (b, d, c, y)
        let reals = work.reals.base, floats = work.floats.base, integers = work.integers.base
        (score, sum, weight, total, classMax) = (reals, reals + b, reals + 2 * b, reals + 3 * b, reals + 4 * b)
        (scaled, scale) = (floats, floats + Self.scaleOffset * b)
        (argmax, first, position, end, active, members) =
            (integers, integers + b, integers + 2 * b, integers + 3 * b, integers + 4 * b, integers + 5 * b)
    }

    /// Smooth step 1 for the upper-triangle tiles of `tileRows`: e_ik = exp(−D_ik) for the
    /// negatives and 0 for the positives, written to (i, k), i < k, only (e is symmetric, and the
    /// backward pass reads the upper triangle); the sum of each row over each block of eight
    /// columns into `blockSums[block * b + row]` (zeroed by the caller).
    func exponentials(_ tileRows: Range<Int>, blockSums: UnsafeMutablePointer<Float>) {
        _visitUpperTiles(b, tileRows, tile: { i0, j0 in
            let yj = UnsafeRawPointer(y + j0).loadUnaligned(as: SIMD8<Int32>.self)
            let t = _Tile8(d + i0 * b + j0, stride: b).map { k, dik in
                SIMDMath.exp(-dik).replacing(with: 0, where: yj .== SIMD8(repeating: y[i0 + k]))
            }
            t.store(c + i0 * b + j0, stride: b)
            SIMDMath.store(t.transposed().columnSums(), blockSums + j0 / _tile * b + i0)
            SIMDMath.store(t.columnSums(), blockSums + i0 / _tile * b + j0)
        }, pair: { i, k in
            let e = y[i] == y[k] ? 0 : SIMDMath.exp(SIMD8(repeating: -d[i * b + k]))[0]
            c[i * b + k] = e
            blockSums[k / _tile * b + i] += e
            blockSums[i / _tile * b + k] += e
        })
    }

    /// Smooth step 1 for the eight rows of `block`: L_i = α + log Σ_k e_ik from the block
    /// sums (added in block order, in `Double`), the row's first same-label row, and a zero
    /// diagonal coefficient.
    func rowScores(_ block: Int, blockSums: UnsafePointer<Float>, alpha: Double) {
        let i0 = block * _tile, n = min(_tile, b - i0)
        var low = SIMD4<Double>.zero, high = SIMD4<Double>.zero
        for column in 0..<(b + _tile - 1) / _tile {
            let s = _chunk(blockSums + column * b + i0, n, padding: 0)
            low += SIMD4<Double>(s.lowHalf)
            high += SIMD4<Double>(s.highHalf)
        }
        for k in 0..<n {
            let i = i0 + k, total = k < 4 ? low[k] : high[k - 4]
            sum[i] = total
            score[i] = total > 0 ? alpha + log(total) : -.infinity
            weight[i] = 0
            c[i * b + i] = 0
            // Rows of a class usually follow each other (the P×K sampler): reuse the row above.
            var head = k > 0 && y[i - 1] == y[i] ? first[i - 1] : 0
            while y[head] != y[i] { head += 1 }
            first[i] = head
        }
    }

    /// Row i's `L_i` (or max) with the nearest negative as the shift, and its first same-label
    /// row (the exact form, and the smooth form beyond `unshiftedDistanceLimit`). The smooth form
    /// leaves e_ik = exp(α − D_ik − max_k(α − D_ik)) in the negatives' coefficients; every
    /// other coefficient of the row is set to 0.
    func negatives(_ i: Int, alpha: Double, exact: Bool) {
        let row = d + i * b, crow = c + i * b
        let label = SIMD8<Int32>(repeating: y[i])
        var low = SIMD8<Float>(repeating: .infinity)
        var seen = SIMDMask<SIMD8<Int32>>(repeating: false)
        var head = -1
        var k = 0
        while k < b {
            let n = b - k
            let negative = _chunk(y + k, n, padding: label[0]) .!= label
            let masked = _chunk(row + k, n, padding: .infinity).replacing(with: .infinity, where: .!negative)
            low = low.replacing(with: masked, where: masked .< low)
            seen .|= negative
            if head < 0 && !all(negative) {
                var lane = 0
                while negative[lane] { lane += 1 }
                head = k + lane
            }
            k += _tile
        }
        first[i] = head
        weight[i] = 0
        sum[i] = 1
        guard any(seen) else {
            score[i] = -.infinity
            crow.update(repeating: 0, count: b)
            return
        }
        let nearest = low.min()
        let best = alpha - Double(nearest)
        if exact {
            score[i] = best
            var k = 0
            while y[k] == y[i] || row[k] != nearest { k += 1 }
            argmax[i] = k
            crow.update(repeating: 0, count: b)
            return
        }
        let top = SIMD8<Float>(repeating: nearest)
        var low4 = SIMD4<Double>.zero, high4 = SIMD4<Double>.zero
        k = 0
        while k < b {
            let n = b - k
            let negative = _chunk(y + k, n, padding: label[0]) .!= label
            let e = SIMDMath.exp(top - _chunk(row + k, n, padding: .infinity)).replacing(with: 0, where: .!negative)
            _storeChunk(e, crow + k, n)
            low4 += SIMD4<Double>(e.lowHalf)
            high4 += SIMD4<Double>(e.highHalf)
            k += _tile
        }
        let total = (low4 + high4).sum()
        sum[i] = total
        score[i] = best + log(total)
    }

    /// Groups the rows by class into `members` (a counting sort keyed by first row), counts
    /// the positive pairs, and (smooth) sets M_c and S_i. Returns |P|. O(B), on one thread.
    func groupClasses(smooth: Bool) -> Int {
        // Sizes and M_c at each class's first row (`active` counts the rows placed so far).
        for i in 0..<b where first[i] == i {
            end[i] = 0
            active[i] = 0
            classMax[i] = -.infinity
        }
        for i in 0..<b {
            let head = first[i]
            end[head] += 1
            classMax[head] = max(classMax[head], score[i])
        }
        var start = 0
        for i in 0..<b where first[i] == i {
            position[i] = start
            start += end[i]
            end[i] = start
        }
        var pairs = 0
        for i in 0..<b {
            let head = first[i]
            position[i] = position[head] + active[head]
            active[head] += 1
            end[i] = end[head]
            members[position[i]] = i
            pairs += end[i] - position[i] - 1
        }
        if smooth {
            for i in 0..<b {
                // −∞ − −∞ is NaN and fails the test too: such rows take the general formula.
                let shifted = score[i] - classMax[first[i]]
                scaled[i] = shifted >= -80 ? Float(exp(shifted)) : 0
            }
        }
        return pairs
    }

    /// Smooth step 2: row i's pairs j > i, eight at a time. Writes dL/dD_ij into (i, j),
    /// row j's weight share into (j, i), and keeps its own share in w_i.
    func smoothPairs(_ i: Int, perPair: Double) {
        typealias F = SIMD8<Float>
        typealias D = SIMD4<Double>
        let crow = c + i * b, row = d + i * b
        let si = scaled[i], shift = D(repeating: classMax[first[i]]), scalePair = D(repeating: perPair)
        var squares = (D.zero, D.zero), shares = (D.zero, D.zero), count = SIMD4<Int64>.zero
        // Partners' values pass through memory, so that the vector code never sees single lanes
        // (LLVM then computed some lanes of the log with scalar instructions).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { lanes in
            let buffer = lanes.baseAddress!
            var p = position[i] + 1
            while p < end[i] {
                let n = min(8, end[i] - p), partners = members + p, j0 = partners[0]
                // Classes are usually runs of rows (the P×K sampler): then the values are contiguous.
                let run = n == 8 && partners[7] - j0 == 7
                if !run {
                    for lane in 0..<8 {
                        let j = partners[min(lane, n - 1)]
                        buffer[lane] = scaled[j]
                        buffer[8 + lane] = lane < n ? row[j] : -.infinity  // J̃ = −∞: inactive
                    }
                }
                let sj = SIMDMath.load(run ? UnsafePointer(scaled + j0) : UnsafePointer(buffer))
                let dij = SIMDMath.load(run ? row + j0 : UnsafePointer(buffer + 8))
                guard si > 0 && all(sj .> F.zero) else {
                    for lane in 0..<n {
                        guard let (jt, share) = fallbackPair(i, partners[lane], perPair: perPair) else { continue }
                        squares.0[0] += jt * jt
                        count[0] += 1
                        shares.0[0] += share
                    }
                    p += n
                    continue
                }
                let s = F(repeating: si) + sj
                let logs = SIMDMath.log(s)
                let jtLow = shift + D(logs.lowHalf) + D(dij.lowHalf), jtHigh = shift + D(logs.highHalf) + D(dij.highHalf)
                let activeLow = jtLow .> D.zero, activeHigh = jtHigh .> D.zero
                let liveLow = jtLow.replacing(with: 0, where: .!activeLow)
                let liveHigh = jtHigh.replacing(with: 0, where: .!activeHigh)
                squares.0 += liveLow * liveLow
                squares.1 += liveHigh * liveHigh
                count &+= SIMD4<Int64>.zero.replacing(with: 1, where: activeLow)
                count &+= SIMD4<Int64>.zero.replacing(with: 1, where: activeHigh)
                let g = F(lowHalf: SIMD4<Float>(liveLow * scalePair), highHalf: SIMD4<Float>(liveHigh * scalePair))
                let inverse = F(repeating: 1) / s
                let shareI = g * (F(repeating: si) * inverse), shareJ = g * (sj * inverse)
                shares.0 += D(shareI.lowHalf)
                shares.1 += D(shareI.highHalf)
                SIMDMath.store(shareJ, buffer + 16)
                if run {
                    SIMDMath.store(g, crow + j0)
                } else {
                    SIMDMath.store(g, buffer + 24)
                    for lane in 0..<n { crow[partners[lane]] = buffer[24 + lane] }
                }
                for lane in 0..<n { c[partners[lane] * b + i] = buffer[16 + lane] }
                p += n
            }
        }
        total[i] = (squares.0 + squares.1).sum()
        active[i] = Int((count[0] &+ count[1]) &+ (count[2] &+ count[3]))
        weight[i] = (shares.0 + shares.1).sum()
    }

    /// One smooth pair (i, j), i < j, with `logaddexp(L_i, L_j) = max + log(1 + exp(−|L_i − L_j|))`
    /// in `Double`, for rows whose S_i or S_j is unusable. Writes the coefficients like
    /// `smoothPairs` (0 when inactive); returns J̃_ij and row i's share when the pair is active.
    private func fallbackPair(_ i: Int, _ j: Int, perPair: Double) -> (Double, Double)? {
        c[i * b + j] = 0
        c[j * b + i] = 0
        let li = score[i], lj = score[j], larger = max(li, lj)
        if larger == -.infinity { return nil }
        // log costs less than log1p.
        let e = exp(-abs(li - lj))
        let jt = larger + log(1 + e) + Double(d[i * b + j])
        guard jt > 0 else { return nil }
        let g = jt * perPair
        c[i * b + j] = Float(g)
        c[j * b + i] = Float(g * (lj >= li ? 1 : e) / (1 + e))
        return (jt, g * (li >= lj ? 1 : e) / (1 + e))
    }

    /// Exact form: every positive pair of row i, from both of its rows. Row i writes
    /// dL/dD_ij for j > i and its share of the arg-max subgradient.
    func exactPairs(_ i: Int, perPair: Double) {
        let crow = c + i * b, li = score[i]
        var sumSquares = 0.0, count = 0
        for p in position[first[i]]..<end[i] {
            let j = members[p]
            if j == i { continue }
            let lj = score[j], larger = max(li, lj)
            if larger == -.infinity { continue }
            let jt = larger + Double(d[i * b + j])
            guard jt > 0 else { continue }
            let g = jt * perPair
            if j > i {
                count += 1
                sumSquares += jt * jt
                crow[j] += Float(g)
            }
            // The pair (min, max) belongs to its first row on ties, as eq. (3)'s arg-max.
            let owns = i < j ? li >= lj : li > lj
            if owns { crow[argmax[i]] -= Float(g) }
        }
        total[i] = sumSquares
        active[i] = count
    }

    /// Smooth step 3: adds the shares rows i < j left in (j, i) to w_j, in index order, and
    /// sets the scale −w_j / Σ_k e_jk that turns e_jk into dL/dD_jk.
    func negativeScale(_ j: Int) {
        var w = weight[j]
        for p in position[first[j]]..<position[j] { w += Double(c[j * b + members[p]]) }
        scale[j] = w == 0 || score[j] == -.infinity ? 0 : Float(-(w / sum[j]))
    }
}

extension _Tile8 {
    /// `r0 + r1 + … + r7`: lane l is the sum of column l.
    @inline(__always)
    fileprivate func columnSums() -> Row {
        ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    }
}

/// Eight values from `p`, or the `n < 8` there and `padding` in the other lanes.
@inline(__always)
private func _chunk<T: SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int, padding: T) -> SIMD8<T> {
    if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }
    var v = SIMD8<T>(repeating: padding)
    for lane in 0..<n { v[lane] = p[lane] }
    return v
}

/// Stores the first `min(n, 8)` lanes of `v` at `p`.
@inline(__always)
private func _storeChunk<T: SIMDScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
    if n >= 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
    } else {
        for lane in 0..<n { p[lane] = v[lane] }
    }
}
