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
/// Selection: every query keeps a buffer of `k + k/4` candidates packed as
/// `UInt64` keys `(distance bits << 32) | index` — for non-negative floats
/// integer order is `(distance, index)` order — and a threshold key (the
/// `k`-th smallest so far). A candidate is appended only when below the
/// threshold (prefiltered 8 lanes at a time); a full buffer is cut back to
/// its `k` smallest by quickselect. Appends are sequential in memory, unlike
/// heap sifts, so the column side of a tile (a different query per column)
/// stays cheap.
///
/// - Complexity: N²·d/2 multiply-adds (OpenBLAS, multithreaded) plus O(N²)
///   comparisons and O(N·k·log(N/k)) expected appends for the selection,
///   split over ``BLAS/threads`` workers, and O(N·k·log k) for the final sort;
///   memory O(N·d + 1.25·N·k·8 bytes + block²) — never N × N.
public struct NearestNeighbors: Sendable {
    /// Number of queries (= gallery size).
    public let count: Int
    /// Neighbours kept per query.
    public let k: Int
    /// `keys[q * k + r]`: the `r`-th nearest neighbour of `q` as `(distance bits << 32) | index`.
    @usableFromInline let keys: [UInt64]

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
        guard k > 0 else { return NearestNeighbors(count: n, k: 0, keys: []) }
        let capacity = k + max(k / 4, 32)
        var keys = [UInt64](repeating: 0, count: n * capacity)
        var filled = [Int32](repeating: 0, count: n)
        var thresholdKey = [UInt64](repeating: .max, count: n)
        var threshold = [Float](repeating: .infinity, count: n)
        let workers = _workerCount
        keys.withUnsafeMutableBufferPointer { buf in
            filled.withUnsafeMutableBufferPointer { fill in
                thresholdKey.withUnsafeMutableBufferPointer { tk in
                    threshold.withUnsafeMutableBufferPointer { thr in
                        let lists = _CandidateLists(
                            k: k, capacity: capacity, keys: buf.baseAddress!, filled: fill.baseAddress!,
                            thresholdKey: tk.baseAddress!, threshold: thr.baseAddress!)
                        sweep.forEachTile { tile in
                            _parallelFor(workers) { t in
                                lists.consumeRowSide(tile, localRows: _split(tile.rows.count, parts: workers, part: t))
                            }
                            _parallelFor(workers) { t in
                                lists.consumeColumnSide(tile, localCols: _split(tile.cols.count, parts: workers, part: t))
                            }
                            alsoConsume(tile)
                        }
                        _parallelFor(workers) { t in
                            for q in _split(n, parts: workers, part: t) { lists.finish(q) }
                        }
                        // Compact rows from stride `capacity` to stride `k`; destinations never pass sources.
                        let base = buf.baseAddress!
                        for q in 1..<n { (base + q * k).update(from: base + q * capacity, count: k) }
                    }
                }
            }
        }
        keys.removeLast(n * (capacity - k))
        return NearestNeighbors(count: n, k: k, keys: keys)
    }
}

/// `part`-th of `parts` contiguous near-equal chunks of `0..<count`.
@inline(__always)
func _split(_ count: Int, parts: Int, part: Int) -> Range<Int> {
    (count * part / parts)..<(count * (part + 1) / parts)
}

/// `(distance, index)` as one integer whose order is the lexicographic order of the pair.
@inline(__always)
func _neighborKey(_ d: Float, _ j: Int) -> UInt64 {
    UInt64(d.bitPattern & 0x7FFF_FFFF) << 32 | UInt64(UInt32(truncatingIfNeeded: j))
}

/// Per-query candidate buffers in flat caller-owned memory: `filled[q]` keys
/// in `keys[q * capacity ..< …]`, all below `thresholdKey[q]`, which is the
/// `k`-th smallest key kept so far (`UInt64.max` before the first cut);
/// `threshold[q]` is its distance, the cheap vector prefilter.
///
/// Concurrency: callers partition the queries so no two threads touch the same buffer.
struct _CandidateLists: @unchecked Sendable {
    let k: Int
    let capacity: Int
    let keys: UnsafeMutablePointer<UInt64>
    let filled: UnsafeMutablePointer<Int32>
    let thresholdKey: UnsafeMutablePointer<UInt64>
    let threshold: UnsafeMutablePointer<Float>

    /// Offers candidate `key` to query `q`.
    @inline(__always)
    func offer(_ q: Int, _ key: UInt64) {
        guard key < thresholdKey[q] else { return }
        let m = Int(filled[q])
        keys[q * capacity + m] = key
        if m + 1 == capacity {
            cut(q, count: capacity)
        } else {
            filled[q] = Int32(m + 1)
        }
    }

    /// Keeps the `k` smallest of the first `count` keys of `q` and tightens its threshold.
    func cut(_ q: Int, count: Int) {
        let list = keys + q * capacity
        _selectSmallest(list, count: count, k: k)
        var top: UInt64 = 0
        for r in 0..<k { top = max(top, list[r]) }
        thresholdKey[q] = top
        threshold[q] = Float(bitPattern: UInt32(truncatingIfNeeded: top >> 32))
        filled[q] = Int32(k)
    }

    /// Final `k` smallest keys of `q`, sorted ascending.
    func finish(_ q: Int) {
        let m = Int(filled[q])
        precondition(m >= k, "query \(q) saw only \(m) candidates for k = \(k)")
        if m > k { cut(q, count: m) }
        var list = UnsafeMutableBufferPointer(start: keys + q * capacity, count: k)
        list.sort()
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
                    for l in 0..<8 where mask[l] { offer(q, _neighborKey(d[l], c0 + c + l)) }
                }
                c += 8
            }
            while c < nc {
                let d = _squaredDistance(tile.norms[q] + colNorms[c], row[c])
                if d <= threshold[q] { offer(q, _neighborKey(d, c0 + c)) }
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
                    for l in 0..<8 where mask[l] { offer(c0 + c + l, _neighborKey(d[l], i)) }
                }
                c += 8
            }
            while c < end {
                let d = _squaredDistance(ni + colNorms[c], row[c])
                if d <= thr[c] { offer(c0 + c, _neighborKey(d, i)) }
                c += 1
            }
        }
    }
}

/// Rearranges `a[0..<count]` so that its `k` smallest values come first (in
/// no particular order): quickselect with a median-of-three pivot.
///
/// - Complexity: O(count) expected.
func _selectSmallest(_ a: UnsafeMutablePointer<UInt64>, count: Int, k: Int) {
    var lo = 0, hi = count - 1
    while hi > lo {
        let mid = lo + (hi - lo) / 2
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j {
                a.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        // Now a[lo...j] ≤ pivot ≤ a[i...hi]; keep the side holding position k − 1.
        if k - 1 <= j {
            hi = j
        } else if k - 1 >= i {
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

@inline(__always)
func _load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func _load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
