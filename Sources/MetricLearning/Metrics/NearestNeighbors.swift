import NumericCore

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The exact `k` nearest neighbours of every row of a matrix among the other
/// rows (queries = gallery, each query excluded from its own list), in
/// squared euclidean distance.
///
/// Distances are `D²_ij = max(0, ‖x_i‖² + ‖x_j‖² − 2 x_i·x_j)` with the dot
/// products from GEMM over tiles `(I, J ≥ I)` of `blockSize` rows — the
/// symmetric half of the product, each tile feeding the bounded top-k of both
/// its row items and its column items. Ties are broken by index: neighbour
/// lists are sorted by `(distance, index)`, and both items of a pair see the
/// same distance, so the lists do not depend on the thread count, nor on the
/// block size when the dot products are exact (e.g. small integers, duplicated
/// rows). For general floats OpenBLAS's edge kernels may round a dot product
/// differently at another tile position: distances can then differ in the
/// last ulp between block sizes, which can only swap neighbours whose
/// distances agree to that ulp.
///
/// Selection: every query keeps a buffer of `k + max(k/8, 32)` candidates
/// packed as `UInt64` keys `(distance bits << 32) | index` — for
/// non-negative floats integer order is `(distance, index)` order — and a
/// distance threshold, the `k`-th smallest kept so far. A candidate is
/// appended only when not above the threshold (compared 8 lanes at a time);
/// a full buffer is cut back to its `k` smallest by quickselect. Appends are
/// sequential in memory, unlike heap sifts, so the column side of a tile (a
/// different query per column) stays cheap. For large N the thresholds start
/// from a sampled bound (``_sampledThresholds(_:k:sampleSize:)``) instead of
/// `+∞`, which cuts the appends several-fold; queries whose bound proves too
/// tight are searched again exhaustively, so the result is always exact.
///
/// Threads: the context's workers each take whole tiles — a
/// single-threaded GEMM, then the selection for that tile — so one core
/// selects while the other multiplies, and no tile waits on a shared
/// OpenBLAS pool. Two tiles in flight never share a block of queries
/// (``PairDistanceSweep/forEachTileConcurrently(workers:_:)``). The order
/// in which tiles arrive does not change the result: the lists end as the
/// `k` smallest keys, sorted.
///
/// - Complexity: N²·d/2 multiply-adds (OpenBLAS) plus N·2048·d for the
///   sampled bounds, O(N²) comparisons and O(N·k·log(N/k)) appends at
///   worst for the selection, and O(N·k) for the final radix sorts, all
///   split over the workers; memory O(N·d + N·(k + k/8)·8 bytes +
///   workers · block²) — never N × N.
public struct NearestNeighbors: Sendable {
    /// Number of queries (= gallery size).
    public let count: Int
    /// Neighbours kept per query.
    public let k: Int
    /// `keys[q * k + r]`: the `r`-th nearest neighbour of `q` as `(distance bits << 32) | index`.
    @usableFromInline let keys: [UInt64]
    /// Queries whose sampled distance bound was too tight and were searched again exhaustively.
    let redoneQueries: Int

    /// The `r`-th nearest other item of query `q` (`r = 0` is the nearest).
    @inlinable
    public func neighbor(_ q: Int, _ r: Int) -> Int32 {
        Int32(truncatingIfNeeded: keys[q * k + r] & 0xFFFF_FFFF)
    }

    /// Its squared euclidean distance.
    @inlinable
    public func distance(_ q: Int, _ r: Int) -> Float {
        Float(bitPattern: UInt32(truncatingIfNeeded: keys[q * k + r] >> 32))
    }

    /// The neighbours of query `q`, nearest first.
    public func neighbors(of q: Int) -> [Int32] {
        (0..<k).map { neighbor(q, $0) }
    }

    /// The squared distances of the neighbours of query `q`, ascending.
    public func distances(of q: Int) -> [Float] {
        (0..<k).map { distance(q, $0) }
    }

    /// Exact blocked search of the `k` nearest neighbours of every row of `embeddings`.
    ///
    /// - Precondition: `0 ≤ k < embeddings.rows` and every value finite.
    public static func search(_ embeddings: Matrix, k: Int, blockSize: Int = 1024, context: ComputeContext) -> NearestNeighbors {
        _search(PairDistanceSweep(embeddings, blockSize: blockSize, context: context), k: k, sampleSize: 2048) { _, _ in }
    }

    /// The search over an existing sweep; `alsoConsume` sees every tile after the top-k update
    /// (used to build other statistics in the same pass).
    static func _search(
        _ sweep: PairDistanceSweep, k: Int, sampleSize: Int, alsoConsume: (_DistanceTile, _ worker: Int) -> Void
    ) -> NearestNeighbors {
        let n = sweep.embeddings.rows
        precondition(k >= 0 && (k < n || n == 0), "k = \(k) needs at least k + 1 = \(k + 1) items, have \(n)")
        guard k > 0 else { return NearestNeighbors(count: n, k: 0, keys: [], redoneQueries: 0) }
        let capacity = k + max(k / 8, 32)
        // Every slot is written before it is read (appends, then cuts and sorts of the filled prefix).
        var keys = [UInt64](unsafeUninitializedCapacity: n * capacity) { _, count in count = n * capacity }
        var filled = [Int32](repeating: 0, count: n)
        var threshold = _sampledThresholds(sweep, k: k, sampleSize: sampleSize) ?? [Float](repeating: .infinity, count: n)
        let workers = sweep.context.workers
        var redone = 0
        keys.withUnsafeMutableBufferPointer { buf in
            filled.withUnsafeMutableBufferPointer { fill in
                threshold.withUnsafeMutableBufferPointer { thr in
                    let lists = _CandidateLists(
                        k: k, capacity: capacity, keys: buf.baseAddress!, filled: fill.baseAddress!,
                        threshold: thr.baseAddress!)
                    sweep.forEachTileConcurrently(workers: workers) { tile, worker in
                        lists.consume(tile)
                        alsoConsume(tile, worker)
                    }
                    // A query whose sampled bound was too tight saw fewer than k candidates: redo it exactly.
                    let missed = (0..<n).filter { fill[$0] < Int32(k) }
                    _fullSearch(sweep, queries: missed, lists: lists, workers: workers)
                    redone = missed.count
                    Parallel.forEachRange(n, parts: workers) { queries in
                        var temp = [UInt64](repeating: 0, count: k)
                        var histogram = [Int](repeating: 0, count: 8 * 256)
                        temp.withUnsafeMutableBufferPointer { tp in
                            histogram.withUnsafeMutableBufferPointer { hp in
                                for q in queries { lists.finish(q, temp: tp.baseAddress!, histogram: hp.baseAddress!) }
                            }
                        }
                    }
                    // Compact rows from stride `capacity` to stride `k`; destinations never pass sources.
                    let base = buf.baseAddress!
                    for q in 1..<n { (base + q * k).update(from: base + q * capacity, count: k) }
                }
            }
        }
        keys.removeLast(n * (capacity - k))
        return NearestNeighbors(count: n, k: k, keys: keys, redoneQueries: redone)
    }
}

/// An upper bound on every query's k-th neighbour distance, very likely
/// within a small factor of it, from a strided sample of `m` items: the
/// `r`-th smallest sampled distance with `r ≈ k·m/N + 3·√(k·m/N)` — so that
/// about `1.5·k` items (for SOP-sized sets), instead of the first tile's much looser quantile,
/// pass the prefilter from the start. A bound that turns out too tight
/// (fewer than `k` items below it) is detected and that query redone by
/// ``_fullSearch(_:queries:lists:)``, so results stay exact.
///
/// `nil` when the set is too small for sampling to pay.
///
/// - Complexity: N·m·d multiply-adds (GEMM) plus O(N·m) selection.
func _sampledThresholds(_ sweep: PairDistanceSweep, k: Int, sampleSize m: Int) -> [Float]? {
    let n = sweep.embeddings.rows, d = sweep.embeddings.cols
    guard m > 0, n >= 8 * m else { return nil }
    let expected = Double(k) * Double(m) / Double(n)
    let r = Int((expected + 3 * expected.squareRoot()).rounded(.up)) + 1
    guard r < m / 2 else { return nil }
    let sample = (0..<m).map { $0 * (n / m) }
    let rows = 1024
    let chunks = (n + rows - 1) / rows
    var thresholds = [Float](repeating: .infinity, count: n)
    let sampleRows = sweep.embeddings.gatherRows(sample)
    let sampleNorms = sample.map { sweep.norms[$0] }
    let workers = min(sweep.context.workers, chunks)
    sweep.embeddings.storage.withUnsafeBufferPointer { x in
        sampleRows.storage.withUnsafeBufferPointer { s in
            sweep.norms.withUnsafeBufferPointer { norms in
                sampleNorms.withUnsafeBufferPointer { sn in
                    thresholds.withUnsafeMutableBufferPointer { out in
                        // Each worker takes every `workers`-th chunk of rows: its own GEMM, then its own selections.
                        Parallel.forEachWorker(workers) { worker in
                            var block = [Float](repeating: 0, count: rows * m)
                            var scratch = [Float](repeating: 0, count: m)
                            for chunk in stride(from: worker, to: chunks, by: workers) {
                                let i0 = chunk * rows, count = min(rows, n - i0)
                                block.withUnsafeMutableBufferPointer { buf in
                                    BLAS.gemm(
                                        .none, .transposed, m: count, n: m, k: d,
                                        a: x.baseAddress! + i0 * d, lda: d, b: s.baseAddress!, ldb: d,
                                        c: buf.baseAddress!, ldc: m)
                                }
                                for row in 0..<count {
                                    let q = i0 + row
                                    var filled = 0
                                    for j in 0..<m where sample[j] != q {
                                        scratch[filled] = _squaredDistance(norms[q] + sn[j], block[row * m + j])
                                        filled += 1
                                    }
                                    out[q] = _selectFloat(&scratch, count: filled, rank: r)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return thresholds
}

/// The `rank`-th smallest (1-based) of `a[0..<count]`, rearranging `a`.
func _selectFloat(_ a: inout [Float], count: Int, rank: Int) -> Float {
    a.withUnsafeMutableBufferPointer { p in
        var lo = 0, hi = count - 1
        let target = rank - 1
        while lo < hi {
            let pivot = p[lo + (hi - lo) / 2]
            var i = lo, j = hi
            while i <= j {
                while p[i] < pivot { i += 1 }
                while p[j] > pivot { j -= 1 }
                if i <= j {
                    p.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { break }
        }
        return p[target]
    }
}

/// Exact top-k of `queries` against every other item, replacing their candidate lists
/// (the fallback when a sampled bound was too tight).
///
/// - Complexity: |queries|·N·d multiply-adds plus O(|queries|·N).
func _fullSearch(_ sweep: PairDistanceSweep, queries: [Int], lists: _CandidateLists, workers: Int) {
    guard !queries.isEmpty else { return }
    let x = sweep.embeddings
    let n = x.rows, d = x.cols
    let chunk = 64
    let chunks = (queries.count + chunk - 1) / chunk
    // Each worker takes every `workers`-th chunk of queries; the queries' lists are disjoint.
    Parallel.forEachWorker(min(workers, chunks)) { worker in
        var dots = [Float](repeating: 0, count: chunk * n)
        var candidates = [UInt64](repeating: 0, count: n)
        for c in stride(from: worker, to: chunks, by: max(1, min(workers, chunks))) {
            let batch = Array(queries[(c * chunk)..<min(c * chunk + chunk, queries.count)])
            let q = x.gatherRows(batch)
            x.storage.withUnsafeBufferPointer { xs in
                q.storage.withUnsafeBufferPointer { qs in
                    dots.withUnsafeMutableBufferPointer { out in
                        BLAS.gemm(
                            .none, .transposed, m: batch.count, n: n, k: d,
                            a: qs.baseAddress!, lda: d, b: xs.baseAddress!, ldb: d, c: out.baseAddress!, ldc: n)
                    }
                }
            }
            for (row, query) in batch.enumerated() {
                var count = 0
                for j in 0..<n where j != query {
                    candidates[count] = _neighborKey(_squaredDistance(sweep.norms[query] + sweep.norms[j], dots[row * n + j]), j)
                    count += 1
                }
                candidates.withUnsafeMutableBufferPointer { c in
                    _selectSmallest(c.baseAddress!, count: count, k: lists.k)
                    (lists.keys + query * lists.capacity).update(from: c.baseAddress!, count: lists.k)
                }
                lists.filled[query] = Int32(lists.k)
            }
        }
    }
}

/// Bit `l` set when lane `l` of `d` is `≤ bound` (false for NaN).
@inline(__always)
func _laneBits(_ d: SIMD8<Float>, atMost bound: SIMD8<Float>) -> UInt32 {
    #if arch(x86_64)
    let low = _mm_movemask_ps(_mm_cmple_ps(d.lowHalf, bound.lowHalf))
    let high = _mm_movemask_ps(_mm_cmple_ps(d.highHalf, bound.highHalf))
    return UInt32(truncatingIfNeeded: low | high << 4)
    #else
    let weights = SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)
    return SIMD8<UInt32>(repeating: 0).replacing(with: weights, where: d .<= bound).wrappedSum()
    #endif
}

/// `(distance, index)` as one integer whose order is the lexicographic order of the pair.
@inline(__always)
func _neighborKey(_ d: Float, _ j: Int) -> UInt64 {
    UInt64(d.bitPattern & 0x7FFF_FFFF) << 32 | UInt64(UInt32(truncatingIfNeeded: j))
}

/// Per-query candidate buffers in flat caller-owned memory: `filled[q]` keys
/// in `keys[q * capacity ..< …]`; `threshold[q]` is the distance of the
/// `k`-th smallest key kept at the last cut (`+∞` before the first). A candidate is appended when its distance
/// is `≤ threshold[q]` — anything farther can never enter the top `k` — and
/// ties are settled by the key order at the next cut.
///
/// Concurrency: callers partition the queries so no two threads touch the same buffer.
struct _CandidateLists: @unchecked Sendable {
    let k: Int
    let capacity: Int
    let keys: UnsafeMutablePointer<UInt64>
    let filled: UnsafeMutablePointer<Int32>
    let threshold: UnsafeMutablePointer<Float>

    /// Keeps the `k` smallest of the first `count` keys of `q` and tightens its threshold.
    func cut(_ q: Int, count: Int) {
        let list = keys + q * capacity
        _selectSmallest(list, count: count, k: k)
        var top: UInt64 = 0
        for r in 0..<k { top = max(top, list[r]) }
        threshold[q] = Float(bitPattern: UInt32(truncatingIfNeeded: top >> 32))
        filled[q] = Int32(k)
    }

    /// Final `k` smallest keys of `q`, sorted ascending (`temp`: `k` keys, `histogram`: 8 · 256 counters).
    func finish(_ q: Int, temp: UnsafeMutablePointer<UInt64>, histogram: UnsafeMutablePointer<Int>) {
        let m = Int(filled[q])
        precondition(m >= k, "query \(q) kept only \(m) candidates for k = \(k)")
        if m > k { cut(q, count: m) }
        _radixSort64(keys + q * capacity, count: k, temp: temp, histogram: histogram)
    }

    /// Feeds every pair of a tile to both of its queries: row `i` receives
    /// column `j` as a candidate and column `j` receives row `i` (only `j > i`
    /// in a diagonal tile).
    ///
    /// One pass over the tile in memory order: for each row, eight columns at
    /// a time, the distances are compared with the row's threshold and with
    /// the eight columns' own thresholds, and only passing lanes (after the
    /// sampled bounds, a few percent) are visited. A buffer within 8 slots of
    /// full is cut. (Scanning the tile a second time column-wise for the
    /// column side cost 4 KB strides, one L3 miss per row of a strip: a third
    /// of the whole search.)
    func consume(_ tile: _DistanceTile) {
        let nc = tile.cols.count, c0 = tile.cols.lowerBound
        let colNorms = tile.norms + c0
        let thr = threshold + c0
        let fill = filled + c0
        for r in 0..<tile.rows.count {
            let q = tile.rows.lowerBound + r
            let nq = tile.norms[q]
            let nqv = SIMD8<Float>(repeating: nq)
            let row = tile.dots + r * tile.ld
            let list = keys + q * capacity
            var m = Int(filled[q])
            if m > capacity - 8 {
                cut(q, count: m)
                m = k
            }
            var rowThreshold = threshold[q]
            var c = tile.isDiagonal ? r + 1 : 0
            while c + 8 <= nc {
                let d = _squaredDistance(nqv + SIMDMath.load(colNorms + c), SIMDMath.load(row + c))
                var rowBits = _laneBits(d, atMost: SIMD8<Float>(repeating: rowThreshold))
                var colBits = _laneBits(d, atMost: SIMDMath.load(thr + c))
                if rowBits | colBits != 0 {
                    while rowBits != 0 {
                        let l = rowBits.trailingZeroBitCount
                        rowBits &= rowBits &- 1
                        list[m] = _neighborKey(d[l], c0 &+ c &+ l)
                        m &+= 1
                    }
                    if m > capacity - 8 {
                        cut(q, count: m)
                        m = k
                        rowThreshold = threshold[q]
                    }
                    while colBits != 0 {
                        let l = colBits.trailingZeroBitCount
                        colBits &= colBits &- 1
                        let j = c &+ l
                        let mj = Int(fill[j])
                        keys[(c0 &+ j) &* capacity &+ mj] = _neighborKey(d[l], q)
                        fill[j] = Int32(truncatingIfNeeded: mj &+ 1)
                        if mj &+ 1 == capacity { cut(c0 + j, count: mj + 1) }
                    }
                }
                c += 8
            }
            while c < nc {
                let d = _squaredDistance(nq + colNorms[c], row[c])
                if d <= rowThreshold {
                    list[m] = _neighborKey(d, c0 + c)
                    m += 1
                    if m > capacity - 8 {
                        cut(q, count: m)
                        m = k
                        rowThreshold = threshold[q]
                    }
                }
                if d <= thr[c] {
                    let mj = Int(fill[c])
                    keys[(c0 + c) * capacity + mj] = _neighborKey(d, q)
                    fill[c] = Int32(mj + 1)
                    if mj + 1 == capacity { cut(c0 + c, count: mj + 1) }
                }
                c += 1
            }
            filled[q] = Int32(m)
        }
    }
}

/// Sorts `a[0..<count]` ascending: a least-significant-digit radix sort on
/// all 64 bits in byte digits, skipping the bytes every key shares (the high
/// bytes of small indices, the exponent byte of close distances) — usually
/// 4–6 passes. `temp` holds `count` keys, `histogram` 8 · 256 counters.
///
/// - Complexity: O(count) per pass, at most 8 passes.
func _radixSort64(_ a: UnsafeMutablePointer<UInt64>, count n: Int, temp: UnsafeMutablePointer<UInt64>, histogram h: UnsafeMutablePointer<Int>) {
    guard n > 1 else { return }
    h.update(repeating: 0, count: 8 * 256)
    for i in 0..<n {
        let v = a[i]
        for byte in 0..<8 { h[byte &* 256 &+ Int(truncatingIfNeeded: (v &>> UInt64(byte &* 8)) & 0xFF)] &+= 1 }
    }
    var source = a, target = temp
    for byte in 0..<8 {
        let counts = h + byte * 256
        let shift = UInt64(byte * 8)
        if counts[Int(truncatingIfNeeded: (source[0] &>> shift) & 0xFF)] == n { continue }
        var sum = 0
        for d in 0..<256 {
            let c = counts[d]
            counts[d] = sum
            sum &+= c
        }
        for i in 0..<n {
            let v = source[i]
            let d = Int(truncatingIfNeeded: (v &>> shift) & 0xFF)
            target[counts[d]] = v
            counts[d] &+= 1
        }
        swap(&source, &target)
    }
    if source != a { a.update(from: source, count: n) }
}

/// Rearranges `a[0..<count]` so that its `k` smallest values come first (in
/// no particular order): quickselect with a median-of-three pivot.
///
/// - Complexity: O(count) expected.
@inline(never)
func _selectSmallest(_ a: UnsafeMutablePointer<UInt64>, count: Int, k: Int) {
    var lo = 0, hi = count &- 1
    while hi > lo {
        let mid = lo &+ (hi &- lo) >> 1
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i &+= 1 }
            while a[j] > pivot { j &-= 1 }
            if i <= j {
                a.swapAt(i, j)
                i &+= 1
                j &-= 1
            }
        }
        // Now a[lo...j] ≤ pivot ≤ a[i...hi]; keep the side holding position k − 1.
        if k &- 1 <= j {
            hi = j
        } else if k &- 1 >= i {
            lo = i
        } else {
            return
        }
    }
}

extension UnsafeMutablePointer where Pointee == UInt64 {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}


