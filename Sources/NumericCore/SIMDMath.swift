#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Lane-wise maths that Swift's generic SIMD lowers poorly.
public enum SIMDMath {
    /// Lane-wise square root. On x86-64 through `sqrtps`: Swift's
    /// `squareRoot()` lowers to `sqrtf` with an errno branch per lane, which
    /// once made the Adam update a scalar loop a third as costly as the GEMMs.
    @inlinable @inline(__always)
    public static func squareRoot(_ v: SIMD8<Float>) -> SIMD8<Float> {
        #if arch(x86_64)
        let low: SIMD4<Float> = _mm_sqrt_ps(v.lowHalf), high: SIMD4<Float> = _mm_sqrt_ps(v.highHalf)
        return SIMD8(lowHalf: low, highHalf: high)
        #else
        return v.squareRoot()
        #endif
    }
}
