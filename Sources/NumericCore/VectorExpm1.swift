import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `expm1` of many doubles at once, bit for bit the scalar `expm1` the losses
/// call (libm's), so that a loss may batch them without changing a result.
///
/// On x86-64 with glibc, where `expm1` is glibc's FMA build of fdlibm's
/// algorithm, the C target `CKernels` repeats that build's instruction
/// sequence for negative arguments (2^-54 ≤ |x| ≤ 56·ln2) four or eight lanes
/// at a time (Sources/CKernels/VectorExpm1.c); every other lane calls the
/// scalar `expm1`. The vector path is used only after a start-up self-check
/// found it equal to the scalar `expm1`. Everywhere else, and with
/// `METRICBENCH_SIMD=portable`, the scalar `expm1` runs element by element.
public enum VectorExpm1 {
    /// 0 (scalar `expm1`), 1 (AVX2+FMA) or 2 (AVX-512F): what `mb_expm1_isa()`
    /// found, capped by ``WideISA/selected`` (so `METRICBENCH_SIMD=portable`
    /// gives 0 and `avx2` at most 1).
    public static let isa: Int32 = min(Int32(mb_expm1_isa()), WideISA.selected)

    /// `y[i] = expm1(x[i])` for `i < n`; `y` may be `x`. `isa` other than 0
    /// must be a value of ``isa`` (tests pass lower ones to compare paths).
    @inlinable
    public static func expm1(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count n: Int,
                             isa: Int32 = isa) {
        if isa > 0 {
            mb_expm1(isa, x, y, n)
            return
        }
        for i in 0..<n { y[i] = _scalarExpm1(x[i]) }
    }

    /// The libm `expm1` (the name `expm1` inside this type is the bulk function).
    @inlinable @inline(__always)
    static func _scalarExpm1(_ x: Double) -> Double {
        #if canImport(Glibc)
        return Glibc.expm1(x)
        #else
        return Darwin.expm1(x)
        #endif
    }
}
