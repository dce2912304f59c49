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

extension SIMDMath {
    /// Lane-wise `eˣ`, within 2 ulp of the correctly rounded result over the
    /// whole `Float` range, subnormal results included (Cephes `expf`:
    /// `x = n ln 2 + r`, |r| ≤ ½ ln 2, `eʳ = 1 + r + r² P(r)` with P of
    /// degree 5, then `2ⁿ`). x < −103.97 gives 0, x > 88.72 gives +∞, NaN
    /// stays NaN. Adds, multiplies and integer shifts only: eight lanes cost
    /// about as much as one call to `expf`.
    ///
    /// `@inline(always)`: the caller's loop must see the body (with
    /// `@inline(__always)` Swift 6.3 left it a call, and the latency of each
    /// call's polynomial then stopped successive lanes from overlapping).
    @inlinable @inline(always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        // Clamped so that n stays within [−150, 128], where 2ⁿ splits into two normal factors.
        #if arch(x86_64)
        // minps/maxps return their second operand when one is NaN, so NaN passes through to p.
        @inline(__always) func clamp(_ v: SIMD4<Float>) -> SIMD4<Float> {
            _mm_max_ps(SIMD4(repeating: -104), _mm_min_ps(SIMD4(repeating: 89), v))
        }
        let c = V(lowHalf: clamp(x.lowHalf), highHalf: clamp(x.highHalf))
        #else
        let lowest = V(repeating: -104), highest = V(repeating: 89)
        let c = x.replacing(with: lowest, where: x .< lowest).replacing(with: highest, where: x .> highest)
        #endif
        // Adding 1.5 · 2²³ rounds to an integer that lands in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let t = c * 1.442_695_04 + magic
        let n = t - magic
        // r = c − n ln 2, with ln 2 split in two so that n · 0.693359375 is exact.
        let r = (c - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p = r * 1.987_569_150_0e-4 + V(repeating: 1.398_199_950_7e-3)
        p = p * r + V(repeating: 8.333_451_907_3e-3)
        p = p * r + V(repeating: 4.166_579_589_4e-2)
        p = p * r + V(repeating: 1.666_666_545_9e-1)
        p = p * r + V(repeating: 5.000_000_120_1e-1)
        p = p * (r * r) + r + V(repeating: 1)
        // 2ⁿ = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋): both factors are normal, and the second product rounds once
        // into the subnormal range or overflows to +∞.
        let k = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = k &>> 1
        let low = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let high = unsafeBitCast((k &- half &+ 127) &<< 23, to: V.self)
        #if arch(x86_64)
        return p * low * high
        #else
        return (p * low * high).replacing(with: x, where: x .!= x)
        #endif
    }

    /// Lane-wise natural logarithm, within 2 ulp of the correctly rounded
    /// result for every positive `Float`, subnormals included (Cephes `logf`:
    /// `x = 2ᵉ m`, √½ ≤ m < √2, `log m = f + f² (f P(f) − ½)` with `f = m − 1`
    /// exact and P of degree 8). `log 0 = −∞`, `log +∞ = +∞`; negative
    /// numbers and NaN give NaN.
    ///
    /// Written with integer masks and without a separate `− f²/2` term: a
    /// float `select` for m, or `f³P − f²/2`, made LLVM compute some lanes of
    /// the polynomial with scalar instructions.
    @inlinable @inline(always)
    public static func log(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        typealias I = SIMD8<Int32>
        // Subnormals scaled by 2²⁵ into the normal range first.
        let tiny = x .< V(repeating: .leastNormalMagnitude)
        let bits = unsafeBitCast(x.replacing(with: x * V(repeating: 33_554_432), where: tiny), to: I.self)
        // The mantissa as a number in [½, 1), doubled below √½ (one more in its exponent field).
        let half = (bits & I(repeating: 0x007F_FFFF)) | I(repeating: 0x3F00_0000)
        let small = half .< I(repeating: 0x3F35_04F3)  // the bits of Float(√½)
        let m = unsafeBitCast(half &+ I.zero.replacing(with: 0x0080_0000, where: small), to: V.self)
        // x = 2^(E − 127 + [m < 1] − 25 [subnormal]) · m, E the exponent field.
        let adjustment = I.one.replacing(with: 0, where: small) &- I.zero.replacing(with: 25, where: tiny)
        let exponent = V((bits &>> 23) &- I(repeating: 127) &+ adjustment)
        let f = m - V(repeating: 1)
        var p = f * V(repeating: 7.037_683_629_2e-2) + V(repeating: -1.151_461_031_0e-1)
        p = p * f + V(repeating: 1.167_699_874_0e-1)
        p = p * f + V(repeating: -1.242_014_084_6e-1)
        p = p * f + V(repeating: 1.424_932_278_7e-1)
        p = p * f + V(repeating: -1.666_805_766_5e-1)
        p = p * f + V(repeating: 2.000_071_476_5e-1)
        p = p * f + V(repeating: -2.499_999_399_3e-1)
        p = p * f + V(repeating: 3.333_333_117_4e-1)
        p = p * f + V(repeating: -0.5)
        // log x = e ln 2 + f + f² p, with ln 2 split as 0.693359375 − 2.12194440e−4.
        let y = (f * f) * p + exponent * V(repeating: -2.121_944_40e-4)
        let result = (f + y) + exponent * V(repeating: 0.693_359_375)
        let infinite = result.replacing(with: .infinity, where: x .== V(repeating: .infinity))
        let zero = infinite.replacing(with: -.infinity, where: x .== V.zero)
        return zero.replacing(with: .nan, where: .!(x .>= V.zero))
    }
}
