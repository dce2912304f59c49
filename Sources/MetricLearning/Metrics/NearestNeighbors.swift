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
/// - Complexity: N²·d/2 multiply-adds (OpenBLAS, multithreaded) plus
///   O(N² + N·k·log k·log(N/k)) for the selection, split over ``BLAS/threads``
///   workers; memory O(N·d + N·k + block²) — never N × N.
public struct NearestNeighbors: Sendable {
    /// Number of queries (= gallery size).
    public let count: Int
    /// Neighbours kept per query.
    public let k: Int
    /// `indices[q * k + r]`: the `r`-th nearest other item of query `q`.
    public let indices: [Int32]
    /// `distances[q * k + r]`: its squared euclidean distance.
    public let distances: [Float]

    /// The neighbours of query `q`, nearest first.
    public func neighbors(of q: Int) -> ArraySlice<Int32> {
        indices[(q * k)..<((q + 1) * k)]
    }

    /// Exact blocked search of the `k` nearest neighbours of every row of `embeddings`.
    ///
    /// - Precondition: `0 ≤ k < embeddings.rows` and every value finite.
    public static func search(_ embeddings: Matrix, k: Int, blockSize: Int = 2048) -> NearestNeighbors {
        _search(PairDistanceSweep(embeddings, blockSize: blockSize), k: k) { _ in }
    }

    /// The search over an existing sweep; `alsoConsume` sees every tile after the top-k update
    /// (used to build other statistics in the same pass).
    static func _search(
        _ sweep: PairDistanceSweep, k: Int, alsoConsume: (_DistanceTile) -> Void
    ) -> NearestNeighbors {
        let n = sweep.embeddings.rows
        precondition(k >= 0 && (k < n || n == 0), "k = \(k) needs at least k + 1 = \(k + 1) items, have \(n)")
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        if k > 0 {
            var filled = [Int32](repeating: 0, count: n)
            var thresholds = [Float](repeating: .infinity, count: n)
            let workers = _workerCount
            indices.withUnsafeMutableBufferPointer { idx in
                distances.withUnsafeMutableBufferPointer { dist in
                    filled.withUnsafeMutableBufferPointer { fill in
                        thresholds.withUnsafeMutableBufferPointer { thr in
                            let heaps = _NeighborHeaps(
                                k: k, dist: dist.baseAddress!, idx: idx.baseAddress!,
                                filled: fill.baseAddress!, threshold: thr.baseAddress!)
                            sweep.forEachTile { tile in
                                _parallelFor(workers) { t in
                                    let part = _split(tile.rows.count, parts: workers, part: t)
                                    heaps.consumeRowSide(tile, localRows: part)
                                }
                                _parallelFor(workers) { t in
                                    let part = _split(tile.cols.count, parts: workers, part: t)
                                    heaps.consumeColumnSide(tile, localCols: part)
                                }
                                alsoConsume(tile)
                            }
                            _parallelFor(workers) { t in
                                for q in _split(n, parts: workers, part: t) { heaps.sortAscending(q) }
                            }
                        }
                    }
                }
            }
        }
        return NearestNeighbors(count: n, k: k, indices: indices, distances: distances)
    }
}

/// `part`-th of `parts` contiguous near-equal chunks of `0..<count`.
@inline(__always)
func _split(_ count: Int, parts: Int, part: Int) -> Range<Int> {
    (count * part / parts)..<(count * (part + 1) / parts)
}

/// One bounded max-heap per query over `(distance, index)` pairs, in flat
/// caller-owned buffers; `threshold[q]` is the heap's top distance once full
/// (`+∞` before), the cheap pre-filter for candidates.
///
/// Concurrency: callers partition the queries so no two threads touch the same heap.
struct _NeighborHeaps: @unchecked Sendable {
    let k: Int
    let dist: UnsafeMutablePointer<Float>
    let idx: UnsafeMutablePointer<Int32>
    let filled: UnsafeMutablePointer<Int32>
    let threshold: UnsafeMutablePointer<Float>

    /// Offers candidate `(d, j)` to the heap of query `q`.
    @inline(__always)
    func offer(_ q: Int, _ d: Float, _ j: Int32) {
        let hd = dist + q * k, hi = idx + q * k
        let m = Int(filled[q])
        if m < k {
            var c = m
            while c > 0 {
                let p = (c - 1) >> 1
                if hd[p] > d || (hd[p] == d && hi[p] > j) { break }
                hd[c] = hd[p]; hi[c] = hi[p]
                c = p
            }
            hd[c] = d; hi[c] = j
            filled[q] = Int32(m + 1)
            if m + 1 == k { threshold[q] = hd[0] }
            return
        }
        guard d < hd[0] || (d == hd[0] && j < hi[0]) else { return }
        _siftDown(hd, hi, count: k, d, j)
        threshold[q] = hd[0]
    }

    /// Row side of a tile: rows `localRows` receive the tile's columns (upper triangle on the diagonal).
    func consumeRowSide(_ tile: _DistanceTile, localRows: Range<Int>) {
        let nc = tile.cols.count, c0 = tile.cols.lowerBound
        let colNorms = tile.norms + c0
        for r in localRows {
            let q = tile.rows.lowerBound + r
            let nq = SIMD8<Float>(repeating: tile.norms[q])
            let row = tile.dots + r * tile.ld
            var c = tile.isDiagonal ? r + 1 : 0
            while c + 8 <= nc {
                let d = _squaredDistance(nq + _load8(colNorms + c), _load8(row + c))
                let mask = d .<= SIMD8<Float>(repeating: threshold[q])
                if any(mask) {
                    for l in 0..<8 where mask[l] { offer(q, d[l], Int32(c0 + c + l)) }
                }
                c += 8
            }
            while c < nc {
                let d = _squaredDistance(tile.norms[q] + colNorms[c], row[c])
                if d <= threshold[q] { offer(q, d, Int32(c0 + c)) }
                c += 1
            }
        }
    }

    /// Column side of a tile: columns `localCols` receive the tile's rows (upper triangle on the diagonal).
    ///
    /// Scans the tile row by row (contiguous), comparing against the columns' own thresholds.
    func consumeColumnSide(_ tile: _DistanceTile, localCols: Range<Int>) {
        guard !localCols.isEmpty else { return }
        let c0 = tile.cols.lowerBound
        let colNorms = tile.norms + c0
        let thr = threshold + c0
        let rowEnd = tile.isDiagonal ? localCols.upperBound - 1 : tile.rows.count
        guard rowEnd > 0 else { return }
        for r in 0..<rowEnd {
            let i = tile.rows.lowerBound + r
            let ni = tile.norms[i]
            let niv = SIMD8<Float>(repeating: ni)
            let row = tile.dots + r * tile.ld
            var c = tile.isDiagonal ? max(localCols.lowerBound, r + 1) : localCols.lowerBound
            let end = localCols.upperBound
            while c + 8 <= end {
                let d = _squaredDistance(niv + _load8(colNorms + c), _load8(row + c))
                let mask = d .<= _load8(thr + c)
                if any(mask) {
                    for l in 0..<8 where mask[l] { offer(c0 + c + l, d[l], Int32(i)) }
                }
                c += 8
            }
            while c < end {
                let d = _squaredDistance(ni + colNorms[c], row[c])
                if d <= thr[c] { offer(c0 + c, d, Int32(i)) }
                c += 1
            }
        }
    }

    /// Heap-sorts query `q`'s heap in place into ascending `(distance, index)` order.
    func sortAscending(_ q: Int) {
        let hd = dist + q * k, hi = idx + q * k
        var end = Int(filled[q])
        while end > 1 {
            end -= 1
            let d = hd[end], j = hi[end]
            hd[end] = hd[0]; hi[end] = hi[0]
            _siftDown(hd, hi, count: end, d, j)
        }
    }
}

/// Replaces the top of the max-heap `hd/hi[0..<count]` with `(d, j)` and restores heap order.
@inline(__always)
func _siftDown(_ hd: UnsafeMutablePointer<Float>, _ hi: UnsafeMutablePointer<Int32>, count: Int, _ d: Float, _ j: Int32) {
    var p = 0
    while true {
        var c = 2 * p + 1
        if c >= count { break }
        if c + 1 < count && (hd[c + 1] > hd[c] || (hd[c + 1] == hd[c] && hi[c + 1] > hi[c])) { c += 1 }
        if hd[c] < d || (hd[c] == d && hi[c] < j) { break }
        hd[p] = hd[c]; hi[p] = hi[c]
        p = c
    }
    hd[p] = d; hi[p] = j
}

@inline(__always)
func _load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func _load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
