// A vectorised double-precision log that returns the bits of glibc's scalar
// `log`; see include/CKernelsVectorLog.h for the contract.
//
// glibc 2.28+ (sysdeps/ieee754/dbl-64/e_log.c, Szabolcs Nagy's algorithm)
// writes x = 2^k · z with z in [0x1.6p-1, 0x1.6p0), takes invc ≈ 1/c and
// log c from a 128-entry table indexed by z's leading mantissa bits, and adds
// a degree-5 polynomial in r = z·invc − 1. Arguments near 1 (0x1.ep-1 ≤ x <
// 0x1.09p0) take a degree-11 polynomial in r = x − 1 instead. On x86-64 the
// `log` symbol is an ifunc that picks __log_fma (that file built with -mfma
// -mavx2) when the CPU has FMA and AVX2. Both bodies below repeat, lane by
// lane, the instruction sequence GCC emitted for __ieee754_log_fma in glibc
// 2.36 (`gdb -batch -ex 'disassemble __ieee754_log_fma' libm.so.6`): the same
// FMAs, products and sums in the same order, on the constants and table of
// `__log_data` (read with `x/18gx &__log_data` and `x/256gx
// (char*)&__log_data+144`; they are the literals of e_log_data.c). Lanes
// outside 0x1p-1022 ≤ x < inf (subnormal, ±0, negative, inf, NaN) call the
// scalar `log`. Another libm could differ in any of this, so mb_log_isa()
// compares the vector path with the scalar `log` before it reports a set.
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

// __log_data of glibc 2.36 (LOG_TABLE_BITS 7, LOG_POLY_ORDER 6, LOG_POLY1_ORDER 12).
static const uint64_t kLn2Hi = 0x3fe62e42fefa3800ULL, kLn2Lo = 0x3d2ef35793c76730ULL;
// A[0..4]: the main path's polynomial.
static const uint64_t kA0 = 0xbfe0000000000001ULL, kA1 = 0x3fd555555551305bULL, kA2 = 0xbfcfffffffeb4590ULL,
                      kA3 = 0x3fc999b324f10111ULL, kA4 = 0xbfc55575e506c89fULL;
// B[0..10]: the polynomial near 1.
static const uint64_t kB0 = 0xbfe0000000000000ULL, kB1 = 0x3fd5555555555577ULL, kB2 = 0xbfcffffffffffdcbULL,
                      kB3 = 0x3fc999999995dd0cULL, kB4 = 0xbfc55555556745a7ULL, kB5 = 0x3fc24924a344de30ULL,
                      kB6 = 0xbfbfffffa4423d65ULL, kB7 = 0x3fbc7184282ad6caULL, kB8 = 0xbfb999eb43b068ffULL,
                      kB9 = 0x3fb78182f7afd085ULL, kB10 = 0xbfb5521375d145cdULL;
// {invc, logc} for each of the 128 subintervals.
static const uint64_t kTable[256] __attribute__((aligned(64))) = {
    0x3ff734f0c3e0de9f, 0xbfd7cc7f79e69000, 0x3ff713786a2ce91f, 0xbfd76feec20d0000,
    0x3ff6f26008fab5a0, 0xbfd713e31351e000, 0x3ff6d1a61f138c7d, 0xbfd6b85b38287800,
    0x3ff6b1490bc5b4d1, 0xbfd65d5590807800, 0x3ff69147332f0cba, 0xbfd602d076180000,
    0x3ff6719f18224223, 0xbfd5a8ca86909000, 0x3ff6524f99a51ed9, 0xbfd54f4356035000,
    0x3ff63356aa8f24c4, 0xbfd4f637c36b4000, 0x3ff614b36b9ddc14, 0xbfd49da7fda85000,
    0x3ff5f66452c65c4c, 0xbfd445923989a800, 0x3ff5d867b5912c4f, 0xbfd3edf439b0b800,
    0x3ff5babccb5b90de, 0xbfd396ce448f7000, 0x3ff59d61f2d91a78, 0xbfd3401e17bda000,
    0x3ff5805612465687, 0xbfd2e9e2ef468000, 0x3ff56397cee76bd3, 0xbfd2941b3830e000,
    0x3ff54725e2a77f93, 0xbfd23ec58cda8800, 0x3ff52aff42064583, 0xbfd1e9e129279000,
    0x3ff50f22dbb2bddf, 0xbfd1956d2b48f800, 0x3ff4f38f4734ded7, 0xbfd141679ab9f800,
    0x3ff4d843cfde2840, 0xbfd0edd094ef9800, 0x3ff4bd3ec078a3c8, 0xbfd09aa518db1000,
    0x3ff4a27fc3e0258a, 0xbfd047e65263b800, 0x3ff4880524d48434, 0xbfcfeb224586f000,
    0x3ff46dce1b192d0b, 0xbfcf474a7517b000, 0x3ff453d9d3391854, 0xbfcea4443d103000,
    0x3ff43a2744b4845a, 0xbfce020d44e9b000, 0x3ff420b54115f8fb, 0xbfcd60a22977f000,
    0x3ff40782da3ef4b1, 0xbfccc00104959000, 0x3ff3ee8f5d57fe8f, 0xbfcc202956891000,
    0x3ff3d5d9a00b4ce9, 0xbfcb81178d811000, 0x3ff3bd60c010c12b, 0xbfcae2c9ccd3d000,
    0x3ff3a5242b75dab8, 0xbfca45402e129000, 0x3ff38d22cd9fd002, 0xbfc9a877681df000,
    0x3ff3755bc5847a1c, 0xbfc90c6d69483000, 0x3ff35dce49ad36e2, 0xbfc87120a645c000,
    0x3ff34679984dd440, 0xbfc7d68fb4143000, 0x3ff32f5cceffcb24, 0xbfc73cb83c627000,
    0x3ff3187775a10d49, 0xbfc6a39a9b376000, 0x3ff301c8373e3990, 0xbfc60b3154b7a000,
    0x3ff2eb4ebb95f841, 0xbfc5737d76243000, 0x3ff2d50a0219a9d1, 0xbfc4dc7b8fc23000,
    0x3ff2bef9a8b7fd2a, 0xbfc4462c51d20000, 0x3ff2a91c7a0c1bab, 0xbfc3b08abc830000,
    0x3ff293726014b530, 0xbfc31b996b490000, 0x3ff27dfa5757a1f5, 0xbfc2875490a44000,
    0x3ff268b39b1d3bbf, 0xbfc1f3b9f879a000, 0x3ff2539d838ff5bd, 0xbfc160c8252ca000,
    0x3ff23eb7aac9083b, 0xbfc0ce7f57f72000, 0x3ff22a012ba940b6, 0xbfc03cdc49fea000,
    0x3ff2157996cc4132, 0xbfbf57bdbc4b8000, 0x3ff201201dd2fc9b, 0xbfbe370896404000,
    0x3ff1ecf4494d480b, 0xbfbd17983ef94000, 0x3ff1d8f5528f6569, 0xbfbbf9674ed8a000,
    0x3ff1c52311577e7c, 0xbfbadc79202f6000, 0x3ff1b17c74cb26e9, 0xbfb9c0c3e7288000,
    0x3ff19e010c2c1ab6, 0xbfb8a646b372c000, 0x3ff18ab07bb670bd, 0xbfb78d01b3ac0000,
    0x3ff1778a25efbcb6, 0xbfb674f145380000, 0x3ff1648d354c31da, 0xbfb55e0e6d878000,
    0x3ff151b990275fdd, 0xbfb4485cdea1e000, 0x3ff13f0ea432d24c, 0xbfb333d94d6aa000,
    0x3ff12c8b7210f9da, 0xbfb22079f8c56000, 0x3ff11a3028ecb531, 0xbfb10e4698622000,
    0x3ff107fbda8434af, 0xbfaffa6c6ad20000, 0x3ff0f5ee0f4e6bb3, 0xbfadda8d4a774000,
    0x3ff0e4065d2a9fce, 0xbfabbcece4850000, 0x3ff0d244632ca521, 0xbfa9a1894012c000,
    0x3ff0c0a77ce2981a, 0xbfa788583302c000, 0x3ff0af2f83c636d1, 0xbfa5715e67d68000,
    0x3ff09ddb98a01339, 0xbfa35c8a49658000, 0x3ff08cabaf52e7df, 0xbfa149e364154000,
    0x3ff07b9f2f4e28fb, 0xbf9e72c082eb8000, 0x3ff06ab58c358f19, 0xbf9a55f152528000,
    0x3ff059eea5ecf92c, 0xbf963d62cf818000, 0x3ff04949cdd12c90, 0xbf9228fb8caa0000,
    0x3ff038c6c6f0ada9, 0xbf8c317b20f90000, 0x3ff02865137932a9, 0xbf8419355daa0000,
    0x3ff0182427ea7348, 0xbf781203c2ec0000, 0x3ff008040614b195, 0xbf60040979240000,
    0x3fefe01ff726fa1a, 0x3f6feff384900000, 0x3fefa11cc261ea74, 0x3f87dc41353d0000,
    0x3fef6310b081992e, 0x3f93cea3c4c28000, 0x3fef25f63ceeadcd, 0x3f9b9fc114890000,
    0x3feee9c8039113e7, 0x3fa1b0d8ce110000, 0x3feeae8078cbb1ab, 0x3fa58a5bd001c000,
    0x3fee741aa29d0c9b, 0x3fa95c8340d88000, 0x3fee3a91830a99b5, 0x3fad276aef578000,
    0x3fee01e009609a56, 0x3fb07598e598c000, 0x3fedca01e577bb98, 0x3fb253f5e30d2000,
    0x3fed92f20b7c9103, 0x3fb42edd8b380000, 0x3fed5cac66fb5cce, 0x3fb606598757c000,
    0x3fed272caa5ede9d, 0x3fb7da76356a0000, 0x3fecf26e3e6b2ccd, 0x3fb9ab434e1c6000,
    0x3fecbe6da2a77902, 0x3fbb78c7bb0d6000, 0x3fec8b266d37086d, 0x3fbd431332e72000,
    0x3fec5894bd5d5804, 0x3fbf0a3171de6000, 0x3fec26b533bb9f8c, 0x3fc067152b914000,
    0x3febf583eeece73f, 0x3fc147858292b000, 0x3febc4fd75db96c1, 0x3fc2266ecdca3000,
    0x3feb951e0c864a28, 0x3fc303d7a6c55000, 0x3feb65e2c5ef3e2c, 0x3fc3dfc33c331000,
    0x3feb374867c9888b, 0x3fc4ba366b7a8000, 0x3feb094b211d304a, 0x3fc5933928d1f000,
    0x3feadbe885f2ef7e, 0x3fc66acd2418f000, 0x3feaaf1d31603da2, 0x3fc740f8ec669000,
    0x3fea82e63fd358a7, 0x3fc815c0f51af000, 0x3fea5740ef09738b, 0x3fc8e92954f68000,
    0x3fea2c2a90ab4b27, 0x3fc9bb3602f84000, 0x3fea01a01393f2d1, 0x3fca8bed1c2c0000,
    0x3fe9d79f24db3c1b, 0x3fcb5b515c01d000, 0x3fe9ae2505c7b190, 0x3fcc2967ccbcc000,
    0x3fe9852ef297ce2f, 0x3fccf635d5486000, 0x3fe95cbaeea44b75, 0x3fcdc1bd3446c000,
    0x3fe934c69de74838, 0x3fce8c01b8cfe000, 0x3fe90d4f2f6752e6, 0x3fcf5509c0179000,
    0x3fe8e6528effd79d, 0x3fd00e6c121fb800, 0x3fe8bfce9fcc007c, 0x3fd071b80e93d000,
    0x3fe899c0dabec30e, 0x3fd0d46b9e867000, 0x3fe87427aa2317fb, 0x3fd13687334bd000,
    0x3fe84f00acb39a08, 0x3fd1980d67234800, 0x3fe82a49e8653e55, 0x3fd1f8ffe0cc8000,
    0x3fe8060195f40260, 0x3fd2595fd7636800, 0x3fe7e22563e0a329, 0x3fd2b9300914a800,
    0x3fe7beb377dcb5ad, 0x3fd3187210436000, 0x3fe79baa679725c2, 0x3fd377266dec1800,
    0x3fe77907f2170657, 0x3fd3d54ffbaf3000, 0x3fe756cadbd6130c, 0x3fd432eee32fe000,
};

static const int64_t kOff = 0x3fe6000000000000LL;
// Near 1: ix − 0x3fee000000000000 < 0x3090000000000 (unsigned).
static const int64_t kNearLow = 0x3fee000000000000LL, kNearSpan = 0x3090000000000LL;
// The fast range: 0x0010000000000000 ≤ ix < 0x7ff0000000000000 (signed ix: negatives are below).
static const int64_t kMinNormal = 0x0010000000000000LL, kInf = 0x7ff0000000000000LL;

static inline double from_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

// Both bodies of __ieee754_log_fma on one vector `xv` (bits `ix`); the ops are
// macros defined per instruction set below. Results: `main` and `near`.
#define LOG_BODY                                                                                                   \
    /* The main path: tmp = ix − OFF, i = (tmp >> 45) mod 128, k = tmp >> 52 (arithmetic), */                      \
    /* z = bits(ix − (tmp & 0xfff0…)), kd = (double)k. */                                                          \
    const VI tmp = SUBI(ix, SET1I(kOff));                                                                          \
    const VI idx = SLLI(AND(SRLI(tmp, 45), SET1I(127)), 1);                                                        \
    const V z = CASTD(SUBI(ix, AND(tmp, SET1I((int64_t)0xfff0000000000000ULL))));                                  \
    /* k + 2048 from the top 12 bits with the sign flipped, then exactly to double via 0x1.8p52. */                \
    const VI kb = SRLI(XOR(tmp, SET1I(INT64_MIN)), 52);                                                            \
    const V kd = SUB(CASTD(ADDI(kb, SET1I(0x4338000000000000LL))), SET1(0x1.8p52 + 2048.0));                      \
    const V invc = GATHER(idx, 0), logc = GATHER(idx, 1);                                                          \
    const V w = FMADD(kd, SET1(from_bits(kLn2Hi)), logc);                                                          \
    const V r = FMADD(z, invc, SET1(-1.0));                                                                        \
    const V a21 = FMADD(r, SET1(from_bits(kA2)), SET1(from_bits(kA1)));                                            \
    const V hi = ADD(r, w);                                                                                        \
    const V r2 = MUL(r, r);                                                                                        \
    const V lo = FMADD(kd, SET1(from_bits(kLn2Lo)), ADD(SUB(w, hi), r));                                           \
    const V r3 = MUL(r, r2);                                                                                       \
    const V a43 = FMADD(r, SET1(from_bits(kA4)), SET1(from_bits(kA3)));                                            \
    const V lo2 = FMADD(r2, SET1(from_bits(kA0)), lo);                                                             \
    const V p = FMADD(a43, r2, a21);                                                                               \
    const V main = ADD(FMADD(r3, p, lo2), hi);                                                                     \
    /* Near 1: r = x − 1 and glibc's split of r into rhi + rlo with 0x1p27. */                                      \
    const V q = SUB(xv, SET1(1.0));                                                                                \
    V b21 = FMADD(q, SET1(from_bits(kB2)), SET1(from_bits(kB1)));                                                  \
    V b54 = FMADD(q, SET1(from_bits(kB5)), SET1(from_bits(kB4)));                                                  \
    const V q2 = MUL(q, q);                                                                                        \
    const V b87 = FMADD(q, SET1(from_bits(kB8)), SET1(from_bits(kB7)));                                            \
    b21 = FMADD(q2, SET1(from_bits(kB3)), b21);                                                                    \
    b54 = FMADD(q2, SET1(from_bits(kB6)), b54);                                                                    \
    const V q3 = MUL(q, q2);                                                                                       \
    V t = FMADD(q2, SET1(from_bits(kB9)), b87);                                                                    \
    t = FMADD(q3, SET1(from_bits(kB10)), t);                                                                       \
    t = FMADD(t, q3, b54);                                                                                         \
    t = FMADD(t, q3, b21);                                                                                         \
    const V c27 = SET1(0x1p27);                                                                                    \
    const V rhi = FNMADD(c27, q, FMADD(q, c27, q));                                                                \
    const V b0 = SET1(from_bits(kB0));                                                                             \
    const V rhi2 = MUL(rhi, rhi);                                                                                  \
    const V rlo = SUB(q, rhi);                                                                                     \
    const V nhi = FMADD(rhi2, b0, q);                                                                              \
    const V dq = SUB(q, nhi);                                                                                      \
    const V qsum = ADD(q, rhi);                                                                                    \
    const V nlo0 = FMADD(rhi2, b0, dq);                                                                            \
    const V nlo = FMADD(MUL(b0, rlo), qsum, nlo0);                                                                 \
    const V near = ADD(nhi, FMADD(t, q3, nlo));

__attribute__((target("avx2,fma")))
static void log_avx2(const double *x, double *y, size_t n) {
#define V __m256d
#define VI __m256i
#define SET1 _mm256_set1_pd
#define SET1I _mm256_set1_epi64x
#define FMADD _mm256_fmadd_pd
#define FNMADD _mm256_fnmadd_pd
#define ADD _mm256_add_pd
#define SUB _mm256_sub_pd
#define MUL _mm256_mul_pd
#define CASTD _mm256_castsi256_pd
#define AND _mm256_and_si256
#define XOR _mm256_xor_si256
#define SRLI _mm256_srli_epi64
#define SLLI _mm256_slli_epi64
#define ADDI _mm256_add_epi64
#define SUBI _mm256_sub_epi64
#define GATHER(idx, k) _mm256_i64gather_pd((const double *)kTable + (k), idx, 8)
    size_t i = 0;
    const __m256i signBit = _mm256_set1_epi64x(INT64_MIN);
    const __m256i nearBound = _mm256_set1_epi64x(kNearSpan ^ INT64_MIN);
    const __m256i lowBound = _mm256_set1_epi64x(kMinNormal - 1), highBound = _mm256_set1_epi64x(kInf);
    for (; i + 4 <= n; i += 4) {
        const __m256d xv = _mm256_loadu_pd(x + i);
        const __m256i ix = _mm256_castpd_si256(xv);
        LOG_BODY
        // Unsigned ix − NEAR < SPAN as a signed compare with both sides' sign bits flipped.
        const __m256i nearIx = _mm256_xor_si256(_mm256_sub_epi64(ix, _mm256_set1_epi64x(kNearLow)), signBit);
        const __m256i isNear = _mm256_cmpgt_epi64(nearBound, nearIx);
        const __m256d out = _mm256_blendv_pd(main, near, _mm256_castsi256_pd(isNear));
        const __m256i inside = _mm256_and_si256(_mm256_cmpgt_epi64(ix, lowBound), _mm256_cmpgt_epi64(highBound, ix));
        const int slow = _mm256_movemask_pd(_mm256_castsi256_pd(inside)) ^ 0xf;
        if (__builtin_expect(slow != 0, 0)) {
            // From a copy of the arguments: y may be x.
            double xs[4];
            _mm256_storeu_pd(xs, xv);
            _mm256_storeu_pd(y + i, out);
            for (int k = 0; k < 4; k++)
                if (slow & (1 << k)) y[i + k] = log(xs[k]);
        } else {
            _mm256_storeu_pd(y + i, out);
        }
    }
    for (; i < n; i++) y[i] = log(x[i]);
#undef V
#undef VI
#undef SET1
#undef SET1I
#undef FMADD
#undef FNMADD
#undef ADD
#undef SUB
#undef MUL
#undef CASTD
#undef AND
#undef XOR
#undef SRLI
#undef SLLI
#undef ADDI
#undef SUBI
#undef GATHER
}

__attribute__((target("avx512f")))
static void log_avx512(const double *x, double *y, size_t n) {
#define V __m512d
#define VI __m512i
#define SET1 _mm512_set1_pd
#define SET1I _mm512_set1_epi64
#define FMADD _mm512_fmadd_pd
#define FNMADD _mm512_fnmadd_pd
#define ADD _mm512_add_pd
#define SUB _mm512_sub_pd
#define MUL _mm512_mul_pd
#define CASTD _mm512_castsi512_pd
#define AND _mm512_and_si512
#define XOR _mm512_xor_si512
#define SRLI _mm512_srli_epi64
#define SLLI _mm512_slli_epi64
#define ADDI _mm512_add_epi64
#define SUBI _mm512_sub_epi64
#define GATHER(idx, k) _mm512_i64gather_pd(idx, (const double *)kTable + (k), 8)
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d xv = _mm512_loadu_pd(x + i);
        const __m512i ix = _mm512_castpd_si512(xv);
        LOG_BODY
        const __mmask8 isNear =
            _mm512_cmplt_epu64_mask(_mm512_sub_epi64(ix, _mm512_set1_epi64(kNearLow)), _mm512_set1_epi64(kNearSpan));
        const __m512d out = _mm512_mask_blend_pd(isNear, main, near);
        const __mmask8 inside = _mm512_cmpge_epi64_mask(ix, _mm512_set1_epi64(kMinNormal)) &
                                _mm512_cmplt_epi64_mask(ix, _mm512_set1_epi64(kInf));
        const __mmask8 slow = (__mmask8)~inside;
        if (__builtin_expect(slow != 0, 0)) {
            // From a copy of the arguments: y may be x.
            double xs[8];
            _mm512_storeu_pd(xs, xv);
            _mm512_storeu_pd(y + i, out);
            for (int k = 0; k < 8; k++)
                if (slow & (1 << k)) y[i + k] = log(xs[k]);
        } else {
            _mm512_storeu_pd(y + i, out);
        }
    }
#undef V
#undef VI
#undef SET1
#undef SET1I
#undef FMADD
#undef FNMADD
#undef ADD
#undef SUB
#undef MUL
#undef CASTD
#undef AND
#undef XOR
#undef SRLI
#undef SLLI
#undef ADDI
#undef SUBI
#undef GATHER
    if (i < n) log_avx2(x + i, y + i, n - i);
}

void mb_log(int isa, const double *x, double *y, size_t n) {
    if (isa >= 2) log_avx512(x, y, n);
    else if (isa == 1) log_avx2(x, y, n);
    else for (size_t i = 0; i < n; i++) y[i] = log(x[i]);
}

// The self-check's inputs: the edges of glibc's branches (near-1 bounds, the
// normal range, 1 itself), then a fixed pseudo-random sweep (xorshift64*)
// over all exponents of positive normals and over [0.9, 1.1]. 16,387 inputs
// (not a multiple of 8: the tails run too).
enum { kCheckCount = 16387 };

static void check_inputs(double *x) {
    static const double edges[] = {
        1.0, 0x1.ep-1, 0x1.dffffffffffffp-1, 0x1.09p0, 0x1.08fffffffffffp0, 0x1.0000000000001p0,
        0x1.fffffffffffffp-1, 0x1p-1022, 0x1.fffffffffffffp-1023, 0x1p-1074, 0.0, -0.0, -1.0,
        0x1.fffffffffffffp1023, INFINITY, -INFINITY, NAN, -NAN, 0x1.6p-1, 0x1.5ffffffffffffp-1, 2.0, 0.5, 10.0,
    };
    const size_t ne = sizeof edges / sizeof edges[0];
    memcpy(x, edges, sizeof edges);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (size_t i = ne; i < kCheckCount; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        const uint64_t v = s * 0x2545f4914f6cdd1dULL;
        const double u = (double)(v >> 11) * 0x1p-53;
        // Every third input near 1, the others any positive normal (random exponent and mantissa).
        x[i] = (i % 3 == 0) ? 0.9 + 0.2 * u : from_bits(((v >> 1) % (0x7fe0000000000000ULL)) + 0x0010000000000000ULL);
    }
}

int mb_log_isa(void) {
    return mb_vector_isa_if_exact(mb_log, log, check_inputs, kCheckCount);
}

#else

void mb_log(int isa, const double *x, double *y, size_t n) {
    (void)isa;
    for (size_t i = 0; i < n; i++) y[i] = log(x[i]);
}

int mb_log_isa(void) { return 0; }

#endif
