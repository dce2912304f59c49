import COpenBLAS

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Dense products through OpenBLAS.
///
/// OpenBLAS runs single-threaded in this process, always: its own threading
/// splits a product's inner dimension differently for 1 and 2 threads, so
/// `sgemm` would return different last bits for different thread counts
/// (10–28% of the outputs of the MLP's products, measured with OpenBLAS
/// 0.3.21). Parallel products instead go through
/// ``gemm(_:_:_:_:into:alpha:beta:context:)``, which cuts the output into
/// tiles fixed by the shape alone and runs each tile as a single-threaded
/// GEMM on one of the context's workers: the same bits for any worker count.
public enum BLAS {
    /// The name of the OpenBLAS kernel set this process uses ("Haswell",
    /// "SkylakeX", …: chosen by `OPENBLAS_CORETYPE` or by CPU detection when
    /// OpenBLAS loads). Kernel sets block and vectorise products differently,
    /// so they give different last bits; run records carry this name.
    public static var kernel: String { String(cString: openblas_get_corename()) }

    /// Pins OpenBLAS to one thread, once per process, before its first product.
    @usableFromInline static let _singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// `C ← alpha · op(A) · op(B) + beta · C` on raw row-major buffers, on
    /// the calling thread.
    ///
    /// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`; `lda`, `ldb`,
    /// `ldc` are the row strides of the stored matrices.
    @inlinable
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        _ = _singleThreaded
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The tiles ``gemm(_:_:_:_:into:alpha:beta:context:)`` cuts an
    /// `m × n × k` product into: a function of the shape alone.
    ///
    /// Products under 8 MFLOP stay whole (dispatch would cost more than it
    /// saves). Larger ones are cut along the longer of `m` and `n` — so each
    /// tile re-packs the smaller operand — into `max(2, ⌈dim / 512⌉)` tiles
    /// (at most 16) whose sizes are multiples of 16, the kernels' unroll.
    public static func tiling(m: Int, n: Int, k: Int) -> (alongRows: Bool, size: Int, count: Int) {
        let alongRows = m >= n
        let dim = alongRows ? m : n
        guard 2 * Double(m) * Double(n) * Double(k) >= 8e6, dim >= 32 else { return (alongRows, dim, 1) }
        let parts = min(16, max(2, (dim + 511) / 512))
        let size = ((dim + parts - 1) / parts + 15) / 16 * 16
        return (alongRows, size, (dim + size - 1) / size)
    }

    /// `C ← alpha · op(A) · op(B) + beta · C` on raw row-major buffers, its
    /// fixed tiles (``tiling(m:n:k:)``) shared among `context.workers` threads.
    /// Bitwise the same result for every worker count.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, context: ComputeContext
    ) {
        let tiles = tiling(m: m, n: n, k: k)
        let workers = min(context.workers, tiles.count)
        Parallel.forEachWorker(workers) { worker in
            for t in stride(from: worker, to: tiles.count, by: workers) {
                let start = t * tiles.size
                if tiles.alongRows {
                    let rows = min(tiles.size, m - start)
                    let aTile = transA == .none ? a + start * lda : a + start
                    gemm(transA, transB, m: rows, n: n, k: k, alpha: alpha, a: aTile, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: c + start * ldc, ldc: ldc)
                } else {
                    let cols = min(tiles.size, n - start)
                    let bTile = transB == .none ? b + start : b + start * ldb
                    gemm(transA, transB, m: m, n: cols, k: k, alpha: alpha, a: a, lda: lda,
                         b: bTile, ldb: ldb, beta: beta, c: c + start, ldc: ldc)
                }
            }
        }
    }

    /// `C ← alpha · op(A) · op(B) + beta · C`, reshaping `C` when `beta == 0`,
    /// in fixed tiles on `context`'s workers (serial by default).
    ///
    /// - Complexity: O(m · n · k), in OpenBLAS.
    public static func gemm(
        _ transA: Transpose = .none, _ a: Matrix, _ transB: Transpose = .none, _ b: Matrix,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0, context: ComputeContext = .serial
    ) {
        let m = transA == .none ? a.rows : a.cols
        let k = transA == .none ? a.cols : a.rows
        let kb = transB == .none ? b.rows : b.cols
        let n = transB == .none ? b.cols : b.rows
        precondition(k == kb, "gemm inner dimensions differ: \(k) vs \(kb)")
        if beta == 0 {
            c.reshape(rows: m, cols: n)
        } else {
            precondition(c.rows == m && c.cols == n, "gemm output shape \(c.rows)×\(c.cols), expected \(m)×\(n)")
        }
        if k == 0 {
            if beta == 0 { c.fill(0) }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    gemm(transA, transB, m: m, n: n, k: k, alpha: alpha,
                         a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                         beta: beta, c: pc.baseAddress!, ldc: n, context: context)
                }
            }
        }
    }

    /// The upper triangle (with the diagonal) of the Gram matrix `A Aᵀ`
    /// into `c`, reshaped to `A.rows × A.rows`; the strict lower triangle is
    /// left unspecified. Half the flops of the full product (`ssyrk`).
    ///
    /// From 512 rows on, the rows are cut in two halves fixed by the shape —
    /// the two diagonal blocks by `ssyrk`, the block between them by `sgemm` —
    /// one worker taking both diagonal blocks and another the off-diagonal
    /// one (the same bits for every worker count).
    ///
    /// - Complexity: O(n² · k) for `A` n × k, in OpenBLAS.
    public static func gramUpper(_ a: Matrix, into c: inout Matrix, context: ComputeContext = .serial) {
        let n = a.rows, k = a.cols
        c.reshape(rows: n, cols: n)
        guard n > 0 else { return }
        if k == 0 {
            c.fill(0)
            return
        }
        _ = _singleThreaded
        a.storage.withUnsafeBufferPointer { pa in
            c.storage.withUnsafeMutableBufferPointer { pc in
                let x = pa.baseAddress!, g = pc.baseAddress!
                func syrk(_ first: Int, _ rows: Int) {
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(k),
                                1, x + first * k, Int32(k), 0, g + first * n + first, Int32(n))
                }
                guard n >= 512 else { syrk(0, n); return }
                let h = (n / 2 + 15) / 16 * 16
                Parallel.forEachWorker(min(2, context.workers)) { worker in
                    if worker == 0 || context.workers == 1 {
                        syrk(0, h)
                        syrk(h, n - h)
                    }
                    if worker == 1 || context.workers == 1 {
                        gemm(.none, .transposed, m: h, n: n - h, k: k, a: x, lda: k, b: x + h * k, ldb: k,
                             c: g + h, ldc: n)
                    }
                }
            }
        }
    }

    /// `op(A) · op(B)` as a new matrix.
    public static func product(_ a: Matrix, _ transA: Transpose = .none, _ b: Matrix, _ transB: Transpose = .none) -> Matrix {
        var c = Matrix(rows: 0, cols: 0)
        gemm(transA, a, transB, b, into: &c)
        return c
    }

    /// Measured single-precision GEMM throughput of this machine in GFLOP/s
    /// (median of `repeats` square products of size `n`, tiled on `context`).
    public static func measureSgemmGFLOPs(n: Int = 1024, repeats: Int = 7, context: ComputeContext) -> Double {
        var rng = SplitMix64(seed: 1)
        let a = Matrix(rows: n, cols: n, storage: (0..<(n * n)).map { _ in Float(rng.nextUniform()) })
        let b = a
        var c = Matrix(rows: n, cols: n)
        gemm(.none, a, .none, b, into: &c, context: context)  // warm-up
        var rates: [Double] = []
        for _ in 0..<repeats {
            let t = MonotonicClock.now()
            gemm(.none, a, .none, b, into: &c, context: context)
            let s = MonotonicClock.seconds(since: t)
            rates.append(2.0 * Double(n * n * n) / s / 1e9)
        }
        rates.sort()
        return rates[rates.count / 2]
    }
}
