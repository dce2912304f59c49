import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exp` of many doubles at once, bit for bit the scalar `exp` the losses
/// call (libm's), so that a loss may batch its exponentials without changing
/// a result.
///
/// On x86-64 with glibc, where `exp` is glibc's FMA version, the C target
/// `CKernels` repeats that version's instruction sequence four or eight lanes
/// at a time (Sources/CKernels/VectorExp.c); it is used only after a start-up
/// self-check found it equal to the scalar `exp`. Everywhere else, and with
/// `METRICBENCH_SIMD=portable`, the scalar `exp` runs element by element.
public enum VectorExp {
    /// 0 (scalar `exp`), 1 (AVX2+FMA) or 2 (AVX-512F): what `mb_exp_isa()`
    /// found, capped by ``WideISA/selected`` (so `METRICBENCH_SIMD=portable`
    /// gives 0 and `avx2` at most 1).
    public static let isa: Int32 = min(Int32(mb_exp_isa()), WideISA.selected)

    /// `y[i] = exp(x[i])` for `i < n`; `y` may be `x`. `isa` other than 0
    /// must be a value of ``isa`` (tests pass lower ones to compare paths).
    @inlinable
    public static func exp(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count n: Int,
                           isa: Int32 = isa) {
        if isa > 0 {
            mb_exp(isa, x, y, n)
            return
        }
        for i in 0..<n { y[i] = _scalarExp(x[i]) }
    }

    /// The libm `exp` (the name `exp` inside this type is the bulk function).
    @inlinable @inline(__always)
    static func _scalarExp(_ x: Double) -> Double {
        #if canImport(Glibc)
        return Glibc.exp(x)
        #else
        return Darwin.exp(x)
        #endif
    }
}
