import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `log` of many doubles at once, bit for bit the scalar `log` the losses
/// call (libm's), so that a loss may batch its logarithms without changing a
/// result.
///
/// On x86-64 with glibc, where `log` is glibc's FMA version, the C target
/// `CKernels` repeats that version's instruction sequence (both its table path
/// and its polynomial near 1) four or eight lanes at a time
/// (Sources/CKernels/VectorLog.c); lanes outside the positive normals call the
/// scalar `log`. The vector path is used only after a start-up self-check found
/// it equal to the scalar `log`. Everywhere else, and with
/// `METRICBENCH_SIMD=portable`, the scalar `log` runs element by element.
public enum VectorLog {
    /// 0 (scalar `log`), 1 (AVX2+FMA) or 2 (AVX-512F): what `mb_log_isa()`
    /// found, capped by ``WideISA/selected`` (so `METRICBENCH_SIMD=portable`
    /// gives 0 and `avx2` at most 1).
    public static let isa: Int32 = min(Int32(mb_log_isa()), WideISA.selected)

    /// `y[i] = log(x[i])` for `i < n`; `y` may be `x`. `isa` other than 0
    /// must be a value of ``isa`` (tests pass lower ones to compare paths).
    @inlinable
    public static func log(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count n: Int,
                           isa: Int32 = isa) {
        if isa > 0 {
            mb_log(isa, x, y, n)
            return
        }
        for i in 0..<n { y[i] = _scalarLog(x[i]) }
    }

    /// The libm `log` (the name `log` inside this type is the bulk function).
    @inlinable @inline(__always)
    static func _scalarLog(_ x: Double) -> Double {
        #if canImport(Glibc)
        return Glibc.log(x)
        #else
        return Darwin.log(x)
        #endif
    }
}
