// A vectorised double-precision expm1 that returns the bits of glibc's scalar
// `expm1` for negative arguments; see include/CKernelsVectorLog.h (mb_expm1).
//
// glibc's expm1 is fdlibm's (sysdeps/ieee754/dbl-64/s_expm1.c): reduce x to
// r = x − k·ln2 (k = 0 up to |x| = 0.5·ln2, ±1 up to 1.5·ln2, else
// round(x/ln2)), a rational approximation in r, and a reconstruction that
// depends on k. On x86-64 `expm1` is an ifunc that picks __expm1_fma (that
// file built with -mfma -mavx2) when the CPU has FMA and AVX2. The body below
// repeats, lane by lane, the instruction sequence GCC emitted for __expm1_fma
// in glibc 2.36 (`gdb -batch -ex 'disassemble __expm1_fma' libm.so.6`) on its
// branches for negative x with 2^-54 ≤ |x| ≤ 56·ln2 (k = 0, k = −1, k ≤ −2):
// the same FMAs (GCC fused x − k·ln2hi, the polynomial's Horner steps,
// 3 − r1·hfx, 6 − x·t, e·x − hxs and 0.5·(x − e) − 0.5), products, the
// division and the exponent-field add, on the constants read from the library
// with gdb (`x/gx` at the addresses the disassembly loads). Every other lane
// (x ≥ 0, tiny, ≤ −56·ln2, NaN) calls the scalar `expm1`; NT-Xent's arguments
// log r ≤ 0 are the vector path's. mb_expm1_isa() compares the vector path
// with the scalar `expm1` before it reports a set usable.
//
// Only explicit FMA intrinsics fuse: the pragmas forbid contracting a·b + c.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernels.h"
#include "VectorSelfCheck.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__)
#include <immintrin.h>

// __expm1_fma of glibc 2.36 (fdlibm's s_expm1.c built with -mfma -mavx2): its constants.
static const uint64_t kInvLn2 = 0x3ff71547652b82feULL, kLn2Hi = 0x3fe62e42fee00000ULL,
                      kLn2Lo = 0x3dea39ef35793c76ULL, kNegLn2Lo = 0xbdea39ef35793c76ULL;
static const uint64_t kQ1 = 0xbfa11111111110f4ULL, kQ2 = 0x3f5a01a019fe5585ULL, kQ3 = 0xbf14ce199eaadbb7ULL,
                      kQ4 = 0x3ed0cfca86e65239ULL, kQ5 = 0xbe8afdb76e09c32dULL;
// High words of |x|: k = 0 up to 0.5·ln2, k = −1 up to 1.5·ln2, the general reduction up to 56·ln2;
// the vector path takes negative x with 2^-54 ≤ |x| ≤ 56·ln2 (its high word bounds).
static const int64_t kHalfLn2Hx = 0x3fd62e42, kThreeHalfLn2Hx = 0x3ff0a2b1, kTinyHx = 0x3c8fffff,
                     kBigHx = 0x40436879;

static inline double from_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

// The negative-argument paths of __expm1_fma, lane by lane (ops defined per set below).
// In: xv, hx (high word of |x| in each 64-bit lane). Out: `res`.
#define EXPM1_BODY                                                                                                 \
    /* General reduction (|x| > 1.5·ln2): k = (int)(x/ln2 − 0.5), hi = x − k·ln2hi (fused), lo = k·ln2lo. */        \
    const V tk = CVTI2D(CVTTD2I(ADD(SET1(-0.5), MUL(xv, SET1(from_bits(kInvLn2))))));                              \
    const MASK r1m = GT(hx, SET1I(kHalfLn2Hx)), r2m = GT(hx, SET1I(kThreeHalfLn2Hx));                             \
    const V hiG = FNMADD(tk, SET1(from_bits(kLn2Hi)), xv), loG = MUL(tk, SET1(from_bits(kLn2Lo)));               \
    /* k = −1 (0.5·ln2 < |x| ≤ 1.5·ln2): hi = x + ln2hi, lo = −ln2lo. */                                           \
    const V hi = BLEND(r2m, ADD(xv, SET1(from_bits(kLn2Hi))), hiG);                                                \
    const V lo = BLEND(r2m, SET1(from_bits(kNegLn2Lo)), loG);                                                      \
    const V kdv = BLEND(r2m, SET1(-1.0), tk);                                                                      \
    const V xr0 = SUB(hi, lo);                                                                                     \
    const V c = SUB(SUB(hi, xr0), lo);                                                                             \
    /* k = 0 (|x| ≤ 0.5·ln2): no reduction. */                                                                     \
    const V xr = BLEND(r1m, xv, xr0);                                                                              \
    const V half = SET1(0.5), one = SET1(1.0);                                                                     \
    const V hfx = MUL(xr, half);                                                                                   \
    const V hxs = MUL(xr, hfx);                                                                                    \
    const V q32 = FMADD(hxs, SET1(from_bits(kQ3)), SET1(from_bits(kQ2)));                                          \
    const V q54 = FMADD(hxs, SET1(from_bits(kQ5)), SET1(from_bits(kQ4)));                                          \
    const V hxs2 = MUL(hxs, hxs);                                                                                  \
    const V q10 = FMADD(hxs, SET1(from_bits(kQ1)), one);                                                           \
    const V hxs4 = MUL(hxs2, hxs2);                                                                                \
    const V r1 = FMADD(hxs4, q54, FMADD(hxs2, q32, q10));                                                          \
    const V t = FNMADD(r1, hfx, SET1(3.0));                                                                        \
    const V e0 = MUL(DIV(SUB(r1, t), FNMADD(xr, t, SET1(6.0))), hxs);                                              \
    /* k = 0: x − (e·x − hxs). */                                                                                  \
    const V res0 = SUB(xr, FMSUB(e0, xr, hxs));                                                                    \
    const V e = SUB(FMSUB(SUB(e0, c), xr, c), hxs);                                                                \
    /* k = −1: 0.5·(x − e) − 0.5, fused. */                                                                        \
    const V resM1 = FMADD(SUB(xr, e), half, SET1(-0.5));                                                           \
    /* k ≤ −2: y = 1 − (e − x), its exponent field plus k, minus 1. */                                              \
    const V yv = SUB(one, SUB(e, xr));                                                                             \
    const V yk = CASTD(ADDI(CASTI(yv), SLLI(CVTD2I64(kdv), 52)));                                                   \
    const V resG = SUB(yk, one);                                                                                   \
    const V res = BLEND(r1m, res0, BLEND(r2m, resM1, resG));

__attribute__((target("avx2,fma")))
static void expm1_avx2(const double *x, double *y, size_t n) {
#define V __m256d
#define MASK __m256i
#define SET1 _mm256_set1_pd
#define SET1I _mm256_set1_epi64x
#define FMADD _mm256_fmadd_pd
#define FMSUB _mm256_fmsub_pd
#define FNMADD _mm256_fnmadd_pd
#define ADD _mm256_add_pd
#define SUB _mm256_sub_pd
#define MUL _mm256_mul_pd
#define DIV _mm256_div_pd
#define GT _mm256_cmpgt_epi64
#define BLEND(m, a, b) _mm256_blendv_pd(a, b, _mm256_castsi256_pd(m))
#define CVTTD2I _mm256_cvttpd_epi32
#define CVTI2D _mm256_cvtepi32_pd
#define CASTD _mm256_castsi256_pd
#define CASTI _mm256_castpd_si256
#define ADDI _mm256_add_epi64
#define SLLI _mm256_slli_epi64
#define CVTD2I64(d) _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(d, SET1(0x1.8p52))), SET1I(0x4338000000000000LL))
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d xv = _mm256_loadu_pd(x + i);
        const __m256i bits = _mm256_castpd_si256(xv);
        const __m256i hx = _mm256_and_si256(_mm256_srli_epi64(bits, 32), SET1I(0x7fffffff));
        EXPM1_BODY
        // Vector lanes: sign set and kTinyHx < hx ≤ kBigHx.
        const __m256i ok = _mm256_andnot_si256(GT(hx, SET1I(kBigHx)), _mm256_and_si256(GT(hx, SET1I(kTinyHx)),
                                                                                        GT(SET1I(0), bits)));
        const int slow = _mm256_movemask_pd(_mm256_castsi256_pd(ok)) ^ 0xf;
        if (__builtin_expect(slow != 0, 0)) {
            // From a copy of the arguments: y may be x.
            double xs[4];
            _mm256_storeu_pd(xs, xv);
            _mm256_storeu_pd(y + i, res);
            for (int k = 0; k < 4; k++)
                if (slow & (1 << k)) y[i + k] = expm1(xs[k]);
        } else {
            _mm256_storeu_pd(y + i, res);
        }
    }
    for (; i < n; i++) y[i] = expm1(x[i]);
#undef V
#undef MASK
#undef SET1
#undef SET1I
#undef FMADD
#undef FMSUB
#undef FNMADD
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef GT
#undef BLEND
#undef CVTTD2I
#undef CVTI2D
#undef CASTD
#undef CASTI
#undef ADDI
#undef SLLI
#undef CVTD2I64
}

__attribute__((target("avx512f")))
static void expm1_avx512(const double *x, double *y, size_t n) {
#define V __m512d
#define MASK __mmask8
#define SET1 _mm512_set1_pd
#define SET1I _mm512_set1_epi64
#define FMADD _mm512_fmadd_pd
#define FMSUB _mm512_fmsub_pd
#define FNMADD _mm512_fnmadd_pd
#define ADD _mm512_add_pd
#define SUB _mm512_sub_pd
#define MUL _mm512_mul_pd
#define DIV _mm512_div_pd
#define GT _mm512_cmpgt_epi64_mask
#define BLEND(m, a, b) _mm512_mask_blend_pd(m, a, b)
#define CVTTD2I _mm512_cvttpd_epi32
#define CVTI2D _mm512_cvtepi32_pd
#define CASTD _mm512_castsi512_pd
#define CASTI _mm512_castpd_si512
#define ADDI _mm512_add_epi64
#define SLLI _mm512_slli_epi64
#define CVTD2I64(d) _mm512_sub_epi64(_mm512_castpd_si512(_mm512_add_pd(d, SET1(0x1.8p52))), SET1I(0x4338000000000000LL))
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d xv = _mm512_loadu_pd(x + i);
        const __m512i bits = _mm512_castpd_si512(xv);
        const __m512i hx = _mm512_and_si512(_mm512_srli_epi64(bits, 32), SET1I(0x7fffffff));
        EXPM1_BODY
        const __mmask8 ok = (__mmask8)(~GT(hx, SET1I(kBigHx)) & GT(hx, SET1I(kTinyHx)) & GT(SET1I(0), bits));
        const __mmask8 slow = (__mmask8)~ok;
        if (__builtin_expect(slow != 0, 0)) {
            // From a copy of the arguments: y may be x.
            double xs[8];
            _mm512_storeu_pd(xs, xv);
            _mm512_storeu_pd(y + i, res);
            for (int k = 0; k < 8; k++)
                if (slow & (1 << k)) y[i + k] = expm1(xs[k]);
        } else {
            _mm512_storeu_pd(y + i, res);
        }
    }
#undef V
#undef MASK
#undef SET1
#undef SET1I
#undef FMADD
#undef FMSUB
#undef FNMADD
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef GT
#undef BLEND
#undef CVTTD2I
#undef CVTI2D
#undef CASTD
#undef CASTI
#undef ADDI
#undef SLLI
#undef CVTD2I64
    if (i < n) expm1_avx2(x + i, y + i, n - i);
}

void mb_expm1(int isa, const double *x, double *y, size_t n) {
    if (isa >= 2) expm1_avx512(x, y, n);
    else if (isa == 1) expm1_avx2(x, y, n);
    else for (size_t i = 0; i < n; i++) y[i] = expm1(x[i]);
}

// The self-check's inputs: the branch edges (±0.5·ln2, ±1.5·ln2, ±56·ln2,
// ±2^-54, 0, inf, NaN), then a fixed pseudo-random sweep (xorshift64*) over
// [−45, 5] and over [−1.2, 0.2]. 16,387 inputs (the tails run too).
enum { kCheckCount = 16387 };

static void check_inputs(double *x) {
    static const double edges[] = {
        0.0, -0.0, 1.0, -1.0, 0x1p-54, -0x1p-54, -0x1p-55, -0.34657359027997264, -0.3465735902799726,
        -0.34657359027997264 * 3, -1.0397207708399179, -38.816242111356935, -38.81624211135693, -38.9, -40.0,
        -0.6931471805599453, -1.3862943611198906, -2.0794415416798357, INFINITY, -INFINITY, NAN, -NAN, -1e300,
    };
    const size_t ne = sizeof edges / sizeof edges[0];
    memcpy(x, edges, sizeof edges);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (size_t i = ne; i < kCheckCount; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        const double u = (double)((s * 0x2545f4914f6cdd1dULL) >> 11) * 0x1p-53;
        x[i] = (i % 2 == 0) ? u * 1.4 - 1.2 : u * 50.0 - 45.0;
    }
}

int mb_expm1_isa(void) {
    return mb_vector_isa_if_exact(mb_expm1, expm1, check_inputs, kCheckCount);
}

#else

void mb_expm1(int isa, const double *x, double *y, size_t n) {
    (void)isa;
    for (size_t i = 0; i < n; i++) y[i] = expm1(x[i]);
}

int mb_expm1_isa(void) { return 0; }

#endif
