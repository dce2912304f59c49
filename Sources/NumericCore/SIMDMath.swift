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

extension SIMDMath {
    /// Bit `l` set when lane `l` of `mask` is true (`movmskps` on x86-64).
    @inlinable @inline(__always)
    public static func laneBits(_ mask: SIMDMask<SIMD8<Int32>>) -> UInt32 {
        let lanes = SIMD8<Int32>(repeating: 0).replacing(with: -1, where: mask)
        #if arch(x86_64)
        let low = _mm_movemask_ps(unsafeBitCast(lanes.lowHalf, to: SIMD4<Float>.self))
        let high = _mm_movemask_ps(unsafeBitCast(lanes.highHalf, to: SIMD4<Float>.self))
        return UInt32(truncatingIfNeeded: low | high << 4)
        #else
        let weights = SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)
        return UInt32(truncatingIfNeeded: (lanes & weights).wrappedSum())
        #endif
    }

    /// Bit `l` set when lane `l` of `mask` is true.
    @inlinable @inline(__always)
    public static func laneBits(_ mask: SIMDMask<SIMD4<Int32>>) -> UInt32 {
        let lanes = SIMD4<Int32>(repeating: 0).replacing(with: -1, where: mask)
        #if arch(x86_64)
        return UInt32(truncatingIfNeeded: _mm_movemask_ps(unsafeBitCast(lanes, to: SIMD4<Float>.self)))
        #else
        return UInt32(truncatingIfNeeded: (lanes & SIMD4<Int32>(1, 2, 4, 8)).wrappedSum())
        #endif
    }

    /// Lane-wise conversion toward zero of values in `Int32`'s range
    /// (`cvttps2dq` on x86-64; Swift's checked conversion branches per lane).
    @inlinable @inline(__always)
    public static func truncatedInt32(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        #if arch(x86_64)
        let low: SIMD4<Int32> = unsafeBitCast(_mm_cvttps_epi32(v.lowHalf), to: SIMD4<Int32>.self)
        let high: SIMD4<Int32> = unsafeBitCast(_mm_cvttps_epi32(v.highHalf), to: SIMD4<Int32>.self)
        return SIMD8(lowHalf: low, highHalf: high)
        #else
        return SIMD8<Int32>(v, rounding: .towardZero)
        #endif
    }
}
