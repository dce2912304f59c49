import COpenBLAS

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Dense products through OpenBLAS.
public enum BLAS {
    /// The number of threads OpenBLAS uses for the products of this process.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// `C ← alpha · op(A) · op(B) + beta · C` on raw row-major buffers.
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
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C ← alpha · op(A) · op(B) + beta · C`, reshaping `C` when `beta == 0`.
    ///
    /// - Complexity: O(m · n · k), in OpenBLAS.
    public static func gemm(
        _ transA: Transpose = .none, _ a: Matrix, _ transB: Transpose = .none, _ b: Matrix,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
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
                         beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// The upper triangle (with the diagonal) of the Gram matrix `A Aᵀ`
    /// into `c`, reshaped to `A.rows × A.rows`; the strict lower triangle is
    /// left unspecified. Half the flops of the full product (`ssyrk`).
    ///
    /// - Complexity: O(n² · k) for `A` n × k, in OpenBLAS.
    public static func gramUpper(_ a: Matrix, into c: inout Matrix) {
        let n = a.rows, k = a.cols
        c.reshape(rows: n, cols: n)
        guard n > 0 else { return }
        if k == 0 {
            c.fill(0)
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            c.storage.withUnsafeMutableBufferPointer { pc in
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k),
                            1, pa.baseAddress!, Int32(k), 0, pc.baseAddress!, Int32(n))
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
    /// (median of `repeats` square products of size `n`).
    public static func measureSgemmGFLOPs(n: Int = 1024, repeats: Int = 7) -> Double {
        var rng = SplitMix64(seed: 1)
        let a = Matrix(rows: n, cols: n, storage: (0..<(n * n)).map { _ in Float(rng.nextUniform()) })
        let b = a
        var c = Matrix(rows: n, cols: n)
        gemm(.none, a, .none, b, into: &c)  // warm-up
        var rates: [Double] = []
        for _ in 0..<repeats {
            let t = MonotonicClock.now()
            gemm(.none, a, .none, b, into: &c)
            let s = MonotonicClock.seconds(since: t)
            rates.append(2.0 * Double(n * n * n) / s / 1e9)
        }
        rates.sort()
        return rates[rates.count / 2]
    }
}
