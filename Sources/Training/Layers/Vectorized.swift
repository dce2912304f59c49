import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Explicitly vectorised elementwise kernels for the hot loops of a step.
///
/// The compiler cannot prove that the raw buffers of a step do not alias, so
/// it leaves scalar loops scalar; these kernels process eight lanes at a time
/// with `SIMD8<Float>` and finish the tail one value at a time. Swift compiles
/// them for baseline x86-64 (two 4-lane SSE halves per `SIMD8`): on a CPU with
/// AVX2 or AVX-512 the same arithmetic runs in the C target `CKernels`, which
/// computes the same bits (`WideKernelTests`); these Swift loops are the
/// portable path, and the definition of the results.
enum _Vectorized {
    typealias V = SIMD8<Float>

    /// The instruction set of the wide kernels: 0 (portable Swift), 1 (AVX2),
    /// 2 (AVX-512F); ``WideISA/selected`` (`METRICBENCH_SIMD` lowers it).
    static var isa: Int32 { WideISA.selected }

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// Lane-wise square root (``SIMDMath/squareRoot(_:)``).
    @inline(__always) static func squareRoot(_ v: V) -> V { SIMDMath.squareRoot(v) }

    /// `y[i] += x[i]` for `i < n`.
    @inline(__always) static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n { store(load(y, i) + load(x, i), y, i); i += 8 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `y[r·n + j] += b[j]` for each of `rows` rows.
    static func addRows(_ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, count n: Int, isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 { mb_add_rows(isa, b, y, rows, n); return }
        #endif
        for r in 0..<rows { add(b, into: y + r * n, count: n) }
    }

    /// `db[j] = Σ_r g[r·n + j]` (added to `db` when `accumulate`), rows summed in order.
    static func columnSums(_ g: UnsafePointer<Float>, into db: UnsafeMutablePointer<Float>, rows: Int, count n: Int,
                           accumulate: Bool, isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 { mb_column_sums(isa, g, db, rows, n, accumulate ? 1 : 0); return }
        #endif
        if !accumulate { for j in 0..<n { db[j] = 0 } }
        for r in 0..<rows { add(g + r * n, into: db, count: n) }
    }

    /// A hidden layer's bias and ReLU, `y = relu(y + b)` per row: ``addRows(_:into:rows:count:isa:)``
    /// then ``relu(_:_:count:isa:)`` in place, in one pass where the wide kernel gives their bits
    /// (`rows · n` a multiple of 8, so that `relu` has no scalar tail).
    static func addRowsReLU(_ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, count n: Int,
                            isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 && (rows * n) % 8 == 0 { mb_add_rows_relu(isa, b, y, rows, n); return }
        #endif
        addRows(b, into: y, rows: rows, count: n, isa: isa)
        relu(y, y, count: rows * n, isa: isa)
    }

    /// That layer's backward: `dx = reluBackward(y, g)` on its output `y = relu(x)` (≤ 0 exactly
    /// where `x` is, NaN where `x` is, so the same mask as on `x`), then
    /// ``columnSums(_:into:rows:count:accumulate:isa:)`` of `dx` into `db`; one pass where the
    /// wide kernel gives their bits (`rows · n` a multiple of 8).
    static func reluBackwardColumnSums(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                       into db: UnsafeMutablePointer<Float>, rows: Int, count n: Int, accumulate: Bool,
                                       isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 && (rows * n) % 8 == 0 {
            mb_relu_backward_column_sums(isa, y, g, dx, db, rows, n, accumulate ? 1 : 0)
            return
        }
        #endif
        reluBackward(y, g, dx, count: rows * n, isa: isa)
        columnSums(dx, into: db, rows: rows, count: n, accumulate: accumulate, isa: isa)
    }

    /// `y[i] = max(x[i], 0)`.
    static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 { mb_relu(isa, x, y, n); return }
        #endif
        var i = 0
        let zero = V.zero
        while i + 8 <= n {
            let v = load(x, i)
            store(v.replacing(with: zero, where: v .< zero), y, i)
            i += 8
        }
        while i < n { y[i] = max(x[i], 0); i += 1 }
    }

    /// `dx[i] = x[i] > 0 ? g[i] : 0`.
    static func reluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int,
                             isa: Int32 = isa) {
        #if arch(x86_64)
        if isa > 0 { mb_relu_backward(isa, x, g, dx, n); return }
        #endif
        var i = 0
        let zero = V.zero
        while i + 8 <= n { store(load(g, i).replacing(with: zero, where: load(x, i) .<= zero), dx, i); i += 8 }
        while i < n { dx[i] = x[i] > 0 ? g[i] : 0; i += 1 }
    }
}
