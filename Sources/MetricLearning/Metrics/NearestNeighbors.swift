import CKernels
import NumericCore

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
/// packed as ``SortKey``s — integer order is `(distance, index)` order — and a
/// distance threshold, the `k`-th smallest kept so far. A candidate is
/// appended only when not above the threshold (compared 8 lanes at a time);
/// a full buffer is cut back to its `k` smallest by
/// ``RadixSort/selectSmallest(_:count:k:temp:histogram:)`` (one radix
/// step, then quickselect on one bucket), and the final lists are sorted by
/// ``RadixSort/sort(_:_:_:_:by:)`` on both key halves. Appends are
/// sequential in memory, unlike heap sifts, so the column side of a tile (a
/// different query per column) stays cheap. For large N the thresholds start
/// from a sampled bound (``_sampledThresholds(_:k:sampleSize:into:)``) instead of
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
    /// `keys[q * k + r]`: the `r`-th nearest neighbour of `q` as `SortKey.make(distance, index)`.
    @usableFromInline let keys: [UInt64]
    /// Queries whose sampled distance bound was too tight and were searched again exhaustively.
    let redoneQueries: Int

    /// The `r`-th nearest other item of query `q` (`r = 0` is the nearest).
    @inlinable
    public func neighbor(_ q: Int, _ r: Int) -> Int32 {
        Int32(truncatingIfNeeded: SortKey.index(keys[q * k + r]))
    }

    /// Its squared euclidean distance.
    @inlinable
    public func distance(_ q: Int, _ r: Int) -> Float {
        SortKey.value(keys[q * k + r])
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
    /// `sampleSize` items give the first distance bounds (see ``_sampledThresholds(_:k:sampleSize:into:)``);
    /// it changes the speed, never the result.
    public static func search(
        _ embeddings: Matrix, k: Int, blockSize: Int = 1024, sampleSize: Int = 2048, context: ComputeContext
    ) -> NearestNeighbors {
        _search(PairDistanceSweep(embeddings, blockSize: blockSize, context: context), k: k, sampleSize: sampleSize) { _, _ in }
    }

    /// The search over an existing sweep; `alsoConsume` sees every tile after the top-k update
    /// (used to build other statistics in the same pass).
    /// `isa` picks the tile scan's filter (``WideISA``; the lists do not depend on it).
    static func _search(
        _ sweep: PairDistanceSweep, k: Int, sampleSize: Int, isa: Int32 = WideISA.selected,
        alsoConsume: (_DistanceTile, _ worker: Int) -> Void
    ) -> NearestNeighbors {
        let n = sweep.embeddings.rows
        precondition(k >= 0 && (k < n || n == 0), "k = \(k) needs at least k + 1 = \(k + 1) items, have \(n)")
        guard k > 0 else { return NearestNeighbors(count: n, k: 0, keys: [], redoneQueries: 0) }
        let capacity = k + max(k / 8, 32)
        let workers = sweep.context.workers
        // Every slot is written before it is read (appends, then cuts and sorts of the filled prefix).
        var keys = [UInt64](unsafeUninitializedCapacity: n * capacity) { _, count in count = n * capacity }
        let filled = ScratchBuffer<Int32>(), threshold = ScratchBuffer<Float>()
        defer { withExtendedLifetime((filled, threshold)) {} }  // the candidate lists point into them
        filled.reserve(n).initialize(repeating: 0, count: n)
        threshold.reserve(n)
        if !_sampledThresholds(sweep, k: k, sampleSize: sampleSize, into: threshold.base) {
            threshold.base.initialize(repeating: .infinity, count: n)
        }
        // Each worker's cuts and sorts: a second buffer of `capacity` keys and a histogram; and the
        // wide scan's row and column hits of one tile row.
        let scratch = _KNNWorkspace(workers: workers, keys: 2 * sweep.blockSize, temp: capacity, dots: 0)
        var redone = 0
        keys.withUnsafeMutableBufferPointer { buf in
            let lists = _CandidateLists(
                k: k, capacity: capacity, keys: buf.baseAddress!, filled: filled.base, threshold: threshold.base, isa: isa)
            sweep.forEachTileConcurrently(workers: workers) { tile, worker in
                lists.consume(tile, scratch: scratch.worker(worker))
                alsoConsume(tile, worker)
            }
            // A query whose sampled bound was too tight saw fewer than k candidates: redo it exactly.
            let missed = (0..<n).filter { filled.base[$0] < Int32(k) }
            _fullSearch(sweep, queries: missed, lists: lists, workers: workers)
            redone = missed.count
            Parallel.forEachPart(n, parts: workers) { part, queries in
                let own = scratch.worker(part)
                for q in queries { lists.finish(q, scratch: own) }
            }
            // Compact rows from stride `capacity` to stride `k`; destinations never pass sources.
            let base = buf.baseAddress!
            for q in 1..<n { (base + q * k).update(from: base + q * capacity, count: k) }
        }
        keys.removeLast(n * (capacity - k))
        return NearestNeighbors(count: n, k: k, keys: keys, redoneQueries: redone)
    }
}

/// The per-worker scratch of one phase of the search (the sampled bounds,
/// the sweep's cuts and sorts, the exhaustive redo), each worker's part a
/// ``_KNNScratch``. Scoped to its phase, so that the large GEMM outputs of
/// the first and last phases are gone while the candidate lists are full.
struct _KNNWorkspace {
    let keyBuffer = ScratchBuffer<UInt64>()
    let tempBuffer = ScratchBuffer<UInt64>()
    let histogramBuffer = ScratchBuffer<Int>()
    let dotBuffer = ScratchBuffer<Float>()
    let keys: Int, temp: Int, dots: Int

    /// Room for `workers` parts of `keys` and `temp` keys, a radix histogram and `dots` floats each.
    init(workers: Int, keys: Int, temp: Int, dots: Int) {
        self.keys = keys
        self.temp = temp
        self.dots = dots
        keyBuffer.reserve(workers * keys)
        tempBuffer.reserve(workers * temp)
        histogramBuffer.reserve(workers * RadixSort.histogramSize)
        dotBuffer.reserve(workers * dots)
    }

    /// Worker `w`'s slices.
    func worker(_ w: Int) -> _KNNScratch {
        _KNNScratch(
            keys: keyBuffer.part(w, stride: keys), temp: tempBuffer.part(w, stride: temp),
            histogram: histogramBuffer.part(w, stride: RadixSort.histogramSize), dots: dotBuffer.part(w, stride: dots))
    }
}

/// One worker's slices of a ``_KNNWorkspace``: the keys of one query's
/// candidates (sampled bound, redo), the second buffer of its selections and
/// sorts, their histogram (``RadixSort/histogramSize`` counters) and a GEMM
/// output (sampled bound, redo).
struct _KNNScratch {
    let keys: UnsafeMutablePointer<UInt64>
    let temp: UnsafeMutablePointer<UInt64>
    let histogram: UnsafeMutablePointer<Int>
    let dots: UnsafeMutablePointer<Float>
}

/// Writes to `thresholds` an upper bound on every query's k-th neighbour
/// distance, very likely within a small factor of it, from a strided sample
/// of `m` items: the `r`-th smallest sampled distance with
/// `r ≈ k·m/N + 3·√(k·m/N)` — so that about `1.5·k` items (for SOP-sized
/// sets), instead of the first tile's much looser quantile, pass the
/// prefilter from the start. A bound that turns out too tight (fewer than
/// `k` items below it) is detected and that query redone by
/// ``_fullSearch(_:queries:lists:workers:)``, so results stay exact.
///
/// `false` (nothing written) when the set is too small for sampling to pay.
///
/// - Complexity: N·m·d multiply-adds (GEMM) plus O(N·m) selection.
func _sampledThresholds(_ sweep: PairDistanceSweep, k: Int, sampleSize m: Int, into thresholds: UnsafeMutablePointer<Float>) -> Bool {
    let n = sweep.embeddings.rows, d = sweep.embeddings.cols
    guard m > 0, n >= 8 * m else { return false }
    let expected = Double(k) * Double(m) / Double(n)
    let r = Int((expected + 3 * expected.squareRoot()).rounded(.up)) + 1
    guard r < m / 2 else { return false }
    let step = n / m
    let sample = (0..<m).map { $0 * step }
    let rows = 1024
    let chunks = (n + rows - 1) / rows
    let sampleRows = sweep.embeddings.gatherRows(sample)
    let sampleNorms = ScratchBuffer<Float>()
    sampleNorms.reserve(m)
    for (j, i) in sample.enumerated() { sampleNorms.base[j] = sweep.norms[i] }
    let workers = min(sweep.context.workers, chunks)
    let workspace = _KNNWorkspace(workers: workers, keys: m, temp: m, dots: rows * m)
    sweep.embeddings.storage.withUnsafeBufferPointer { x in
        sampleRows.storage.withUnsafeBufferPointer { s in
            // Each worker takes every `workers`-th chunk of rows: its own GEMM, then its own selections.
            Parallel.forEachWorker(workers) { worker in
                let own = workspace.worker(worker)
                for chunk in stride(from: worker, to: chunks, by: workers) {
                    let i0 = chunk * rows, count = min(rows, n - i0)
                    BLAS.gemm(
                        .none, .transposed, m: count, n: m, k: d,
                        a: x.baseAddress! + i0 * d, lda: d, b: s.baseAddress!, ldb: d, c: own.dots, ldc: m)
                    for row in 0..<count {
                        let q = i0 + row
                        _sampleKeys(norm: sweep.norms[q], sampleNorms: sampleNorms.base, dots: own.dots + row * m, m, into: own.keys)
                        // The query itself, when sampled, sorts last and is never among the r < m/2 smallest.
                        if q % step == 0 && q / step < m { own.keys[q / step] = .max }
                        let top = RadixSort.selectSmallest(own.keys, count: m, k: r, temp: own.temp, histogram: own.histogram)
                        thresholds[q] = SortKey.value(top)
                    }
                }
            }
        }
    }
    return true
}

/// `keys[j] = SortKey(D²(q, sample j), j)` for `j < m`, from the sampled
/// dots, eight columns at a time with the lane-wise distance formula.
@inline(__always)
func _sampleKeys(
    norm: Float, sampleNorms: UnsafePointer<Float>, dots: UnsafePointer<Float>, _ m: Int, into keys: UnsafeMutablePointer<UInt64>
) {
    let nq = SIMD8<Float>(repeating: norm)
    let lanes = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7)
    var j = 0
    while j + 8 <= m {
        let d = _squaredDistance(nq + SIMDMath.load(sampleNorms + j), SIMDMath.load(dots + j))
        let high = SIMD8<UInt64>(truncatingIfNeeded: unsafeBitCast(d, to: SIMD8<UInt32>.self) | 0x8000_0000)
        let key = high &<< 32 | (lanes &+ UInt64(j))
        SIMDMath.store(key, keys + j)
        j += 8
    }
    while j < m {
        keys[j] = SortKey.make(nonNegative: _squaredDistance(norm + sampleNorms[j], dots[j]), j)
        j += 1
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
    let workers = max(1, min(workers, chunks))
    let workspace = _KNNWorkspace(workers: workers, keys: n, temp: n, dots: chunk * n)
    x.storage.withUnsafeBufferPointer { xs in
        // Each worker takes every `workers`-th chunk of queries; the queries' lists are disjoint.
        Parallel.forEachWorker(workers) { worker in
            let own = workspace.worker(worker)
            for c in stride(from: worker, to: chunks, by: workers) {
                let batch = Array(queries[(c * chunk)..<min(c * chunk + chunk, queries.count)])
                let q = x.gatherRows(batch)
                q.storage.withUnsafeBufferPointer { qs in
                    BLAS.gemm(
                        .none, .transposed, m: batch.count, n: n, k: d,
                        a: qs.baseAddress!, lda: d, b: xs.baseAddress!, ldb: d, c: own.dots, ldc: n)
                }
                for (row, query) in batch.enumerated() {
                    var count = 0
                    for j in 0..<n where j != query {
                        own.keys[count] = SortKey.make(
                            nonNegative: _squaredDistance(sweep.norms[query] + sweep.norms[j], own.dots[row * n + j]), j)
                        count += 1
                    }
                    RadixSort.selectSmallest(own.keys, count: count, k: lists.k, temp: own.temp, histogram: own.histogram)
                    (lists.keys + query * lists.capacity).update(from: own.keys, count: lists.k)
                    lists.filled[query] = Int32(lists.k)
                }
            }
        }
    }
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
    /// The tile scan's filter: 0 the Swift loop below, 1 or 2 `mb_knn_scan_row` (AVX2, AVX-512F).
    var isa: Int32 = 0

    /// Keeps the `k` smallest of the first `count` keys of `q` and tightens its threshold
    /// (`scratch.temp`: `count` keys).
    func cut(_ q: Int, count: Int, scratch: _KNNScratch) {
        let list = keys + q * capacity
        let top = RadixSort.selectSmallest(list, count: count, k: k, temp: scratch.temp, histogram: scratch.histogram)
        threshold[q] = SortKey.value(top)
        filled[q] = Int32(k)
    }

    /// Final `k` smallest keys of `q`, sorted ascending.
    func finish(_ q: Int, scratch: _KNNScratch) {
        let m = Int(filled[q])
        precondition(m >= k, "query \(q) kept only \(m) candidates for k = \(k)")
        if m > k { cut(q, count: m, scratch: scratch) }
        RadixSort.sort(keys + q * capacity, scratch.temp, k, scratch.histogram, by: .whole)
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
    func consume(_ tile: _DistanceTile, scratch: _KNNScratch) {
        #if arch(x86_64)
        if isa > 0 {
            consumeWide(tile, scratch: scratch)
            return
        }
        #endif
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
                cut(q, count: m, scratch: scratch)
                m = k
            }
            var rowThreshold = threshold[q]
            var c = tile.isDiagonal ? r + 1 : 0
            while c + 8 <= nc {
                let d = _squaredDistance(nqv + SIMDMath.load(colNorms + c), SIMDMath.load(row + c))
                var rowBits = SIMDMath.laneBits(d .<= SIMD8<Float>(repeating: rowThreshold))
                var colBits = SIMDMath.laneBits(d .<= SIMDMath.load(thr + c))
                if rowBits | colBits != 0 {
                    while rowBits != 0 {
                        let l = rowBits.trailingZeroBitCount
                        rowBits &= rowBits &- 1
                        list[m] = SortKey.make(nonNegative: d[l], c0 &+ c &+ l)
                        m &+= 1
                    }
                    if m > capacity - 8 {
                        cut(q, count: m, scratch: scratch)
                        m = k
                        rowThreshold = threshold[q]
                    }
                    while colBits != 0 {
                        let l = colBits.trailingZeroBitCount
                        colBits &= colBits &- 1
                        let j = c &+ l
                        let mj = Int(fill[j])
                        keys[(c0 &+ j) &* capacity &+ mj] = SortKey.make(nonNegative: d[l], q)
                        fill[j] = Int32(truncatingIfNeeded: mj &+ 1)
                        if mj &+ 1 == capacity { cut(c0 + j, count: mj + 1, scratch: scratch) }
                    }
                }
                c += 8
            }
            while c < nc {
                let d = _squaredDistance(nq + colNorms[c], row[c])
                if d <= rowThreshold {
                    list[m] = SortKey.make(nonNegative: d, c0 + c)
                    m += 1
                    if m > capacity - 8 {
                        cut(q, count: m, scratch: scratch)
                        m = k
                        rowThreshold = threshold[q]
                    }
                }
                if d <= thr[c] {
                    let mj = Int(fill[c])
                    keys[(c0 + c) * capacity + mj] = SortKey.make(nonNegative: d, q)
                    fill[c] = Int32(mj + 1)
                    if mj + 1 == capacity { cut(c0 + c, count: mj + 1, scratch: scratch) }
                }
                c += 1
            }
            filled[q] = Int32(m)
        }
    }
    #if arch(x86_64)
    /// ``consume(_:scratch:)`` with the filter in C: for each row, `mb_knn_scan_row`
    /// compares 8 (AVX2) or 16 (AVX-512) distances at a time with the row's and
    /// the columns' thresholds and returns the passing keys, which are then
    /// appended — the row's first, then each column's — cutting a list the
    /// moment it fills. A threshold tightened by a cut within a row applies
    /// from the next row on, so a few more candidates than in the Swift loop
    /// may be appended; a cut keeps the `k` smallest keys of what it is given,
    /// and every key of the final `k` passes any earlier threshold, so the lists
    /// end the same (`KNNSearchTests` compares every set with the Swift path).
    /// (`scratch.keys`: two tile widths of hits.)
    private func consumeWide(_ tile: _DistanceTile, scratch: _KNNScratch) {
        let nc = tile.cols.count, c0 = tile.cols.lowerBound
        let colThreshold = threshold + c0, fill = filled + c0
        let rowHits = scratch.keys, colHits = scratch.keys + nc
        for r in 0..<tile.rows.count {
            let q = tile.rows.lowerBound + r
            var rowCount = 0
            let colCount = mb_knn_scan_row(
                isa, tile.dots + r * tile.ld, tile.norms + c0, colThreshold, tile.norms[q], threshold[q],
                UInt32(truncatingIfNeeded: c0), tile.isDiagonal ? r + 1 : 0, nc, rowHits, &rowCount, colHits)
            if rowCount > 0 {
                let list = keys + q * capacity
                var m = Int(filled[q])
                for h in 0..<rowCount {
                    list[m] = rowHits[h]
                    m += 1
                    if m == capacity {
                        cut(q, count: m, scratch: scratch)
                        m = k
                    }
                }
                filled[q] = Int32(m)
            }
            // Column hits carry the column in their index half; their lists get the query's.
            for h in 0..<colCount {
                let hit = colHits[h]
                let j = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: hit))
                let mj = Int(fill[j])
                keys[(c0 + j) * capacity + mj] = hit & 0xFFFF_FFFF_0000_0000 | UInt64(UInt32(truncatingIfNeeded: q))
                fill[j] = Int32(truncatingIfNeeded: mj + 1)
                if mj + 1 == capacity { cut(c0 + j, count: mj + 1, scratch: scratch) }
            }
        }
    }
    #endif
}
