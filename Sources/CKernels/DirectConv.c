// Direct 3×3 convolution forward, fused with bias, ReLU and 2×2 max pooling;
// see include/CKernelsDirectConv.h for the bits it reproduces.
//
// Layout: each zero-padded input row (W + 2 values, index q = column + 1) is
// split into its even and odd entries, E[m] = row[2m] and O[m] = row[2m + 1],
// so that the four columns 2j … 2j + 3 a pooling window's two outputs read
// are E[j], O[j], E[j + 1], O[j + 1]: contiguous vectors over the window
// index j. For one pooled row i the 4 padded rows 2i … 2i + 3 give 16 such
// vectors per input channel, loaded once and used by every output channel.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsDirectConv.h"

#include <string.h>

// Vector lanes of the widest set, and the slack each split row carries for
// the loads of a last, partial block of windows.
enum { kSlack = 17 };

static size_t split_stride(size_t width) { return width / 2 + kSlack + 1; }

static size_t split_floats(size_t channels, size_t height, size_t width) {
    return channels * (height + 2) * 2 * split_stride(width);
}

size_t mb_conv3x3_pool_scratch(size_t channels, size_t height, size_t width) { return split_floats(channels, height, width); }

#if defined(__x86_64__)
#include <immintrin.h>

// acc + w·x with the product rounded first (no FMA: the bits the portable Swift loops give at SSE
// speed on any x86-64, where an FMA would be a libm call without the instruction).
__attribute__((target("avx512f"))) static inline __m512 mul_add512(__m512 w, __m512 x, __m512 acc) {
    return _mm512_add_ps(acc, _mm512_mul_ps(w, x));
}
__attribute__((target("avx2"))) static inline __m256 mul_add256(__m256 w, __m256 x, __m256 acc) {
    return _mm256_add_ps(acc, _mm256_mul_ps(w, x));
}

// Fills the split rows of every channel: plane c, padded row r at
// scratch + ((c·(H + 2) + r)·2 + parity)·stride.
static void split_planes(const float *x, size_t channels, size_t height, size_t width, float *scratch) {
    const size_t stride = split_stride(width);
    memset(scratch, 0, split_floats(channels, height, width) * sizeof(float));
    for (size_t c = 0; c < channels; c++) {
        for (size_t r = 0; r < height; r++) {
            const float *src = x + (c * height + r) * width;
            float *even = scratch + ((c * (height + 2) + r + 1) * 2) * stride, *odd = even + stride;
            // Image column col sits at padded index col + 1: odd columns go to E, even ones to O.
            for (size_t col = 0; col < width; col++) {
                size_t q = col + 1;
                if (q & 1) odd[q >> 1] = src[col];
                else even[q >> 1] = src[col];
            }
        }
    }
}

// One pooled row i, windows j0 … j0 + lanes − 1, every output channel.
// LOAD/SET1/FMA (acc + w·x, rounded twice)/ADD over the vector type V; the caller stores BEST and AT.
#define CONV_POOL_BLOCK(V, ZERO, LOAD, SET1, FMA, ADD)                                                          \
    for (size_t o = 0; o < out_channels; o++) {                                                                \
        V a00 = ZERO, a01 = ZERO, a10 = ZERO, a11 = ZERO;                                                      \
        for (size_t c = 0; c < channels; c++) {                                                                \
            const float *rows = scratch + (c * (height + 2) + 2 * i) * 2 * stride + j0;                       \
            const float *k = w + o * patch + c * 9;                                                            \
            for (int u = 0; u < 3; u++) {                                                                      \
                const float *top = rows + (size_t)u * 2 * stride, *bottom = top + 2 * stride;                  \
                /* columns 2j + t, t = 0 … 3: E[j], O[j], E[j + 1], O[j + 1] */                                \
                V t0 = LOAD(top), t1 = LOAD(top + stride), t2 = LOAD(top + 1), t3 = LOAD(top + stride + 1);    \
                V b0 = LOAD(bottom), b1 = LOAD(bottom + stride), b2 = LOAD(bottom + 1),                        \
                  b3 = LOAD(bottom + stride + 1);                                                              \
                V k0 = SET1(k[3 * u]), k1 = SET1(k[3 * u + 1]), k2 = SET1(k[3 * u + 2]);                       \
                a00 = FMA(k0, t0, a00); a01 = FMA(k0, t1, a01); a10 = FMA(k0, b0, a10); a11 = FMA(k0, b1, a11); \
                a00 = FMA(k1, t1, a00); a01 = FMA(k1, t2, a01); a10 = FMA(k1, b1, a10); a11 = FMA(k1, b2, a11); \
                a00 = FMA(k2, t2, a00); a01 = FMA(k2, t3, a01); a10 = FMA(k2, b2, a10); a11 = FMA(k2, b3, a11); \
            }                                                                                                  \
        }                                                                                                      \
        const V beta = SET1(bias[o]);                                                                          \
        V best = ADD(a00, beta), v1 = ADD(a01, beta), v2 = ADD(a10, beta), v3 = ADD(a11, beta);                \
        float *yo = y + (o * ph + i) * pw + j0;                                                                \
        uint8_t *co = choice + (o * ph + i) * pw + j0;                                                         \
        POOL_AND_STORE(best, v1, v2, v3, yo, co);                                                              \
    }

__attribute__((target("avx512f")))
static void forward_avx512(const float *x, size_t channels, size_t height, size_t width, const float *w,
                           const float *bias, size_t out_channels, float *y, uint8_t *choice, float *scratch) {
    const size_t stride = split_stride(width), ph = height / 2, pw = width / 2, patch = channels * 9;
    split_planes(x, channels, height, width, scratch);
    const __m512 zero = _mm512_setzero_ps();
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2), three = _mm512_set1_epi32(3);
    for (size_t i = 0; i < ph; i++) {
        for (size_t j0 = 0; j0 < pw; j0 += 16) {
            const size_t lanes = pw - j0 < 16 ? pw - j0 : 16;
            const __mmask16 keep = (__mmask16)((1u << lanes) - 1);
#define POOL_AND_STORE(best, v1, v2, v3, yo, co)                                              \
    do {                                                                                      \
        __m512i at = _mm512_setzero_si512();                                                  \
        __mmask16 m = _mm512_cmp_ps_mask(v1, best, _CMP_GT_OQ);                               \
        best = _mm512_mask_blend_ps(m, best, v1); at = _mm512_mask_blend_epi32(m, at, one);   \
        m = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ);                                         \
        best = _mm512_mask_blend_ps(m, best, v2); at = _mm512_mask_blend_epi32(m, at, two);   \
        m = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ);                                         \
        best = _mm512_mask_blend_ps(m, best, v3); at = _mm512_mask_blend_epi32(m, at, three); \
        _mm512_mask_storeu_ps(yo, keep, _mm512_max_ps(best, zero));                           \
        _mm512_mask_cvtepi32_storeu_epi8(co, keep, at);                                       \
    } while (0)
            CONV_POOL_BLOCK(__m512, zero, _mm512_loadu_ps, _mm512_set1_ps, mul_add512, _mm512_add_ps)
#undef POOL_AND_STORE
        }
    }
}

__attribute__((target("avx2")))
static void forward_avx2(const float *x, size_t channels, size_t height, size_t width, const float *w,
                         const float *bias, size_t out_channels, float *y, uint8_t *choice, float *scratch) {
    const size_t stride = split_stride(width), ph = height / 2, pw = width / 2, patch = channels * 9;
    split_planes(x, channels, height, width, scratch);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_castsi256_ps(_mm256_set1_epi32(1)), two = _mm256_castsi256_ps(_mm256_set1_epi32(2)),
                 three = _mm256_castsi256_ps(_mm256_set1_epi32(3));
    for (size_t i = 0; i < ph; i++) {
        for (size_t j0 = 0; j0 < pw; j0 += 8) {
            const size_t lanes = pw - j0 < 8 ? pw - j0 : 8;
#define POOL_AND_STORE(best, v1, v2, v3, yo, co)                                 \
    do {                                                                         \
        __m256 at = _mm256_setzero_ps();                                         \
        __m256 m = _mm256_cmp_ps(v1, best, _CMP_GT_OQ);                          \
        best = _mm256_blendv_ps(best, v1, m); at = _mm256_blendv_ps(at, one, m); \
        m = _mm256_cmp_ps(v2, best, _CMP_GT_OQ);                                 \
        best = _mm256_blendv_ps(best, v2, m); at = _mm256_blendv_ps(at, two, m); \
        m = _mm256_cmp_ps(v3, best, _CMP_GT_OQ);                                 \
        best = _mm256_blendv_ps(best, v3, m); at = _mm256_blendv_ps(at, three, m); \
        float ys[8];                                                             \
        int32_t as[8];                                                           \
        _mm256_storeu_ps(ys, _mm256_max_ps(best, zero));                         \
        _mm256_storeu_si256((__m256i *)as, _mm256_castps_si256(at));             \
        for (size_t l = 0; l < lanes; l++) { yo[l] = ys[l]; co[l] = (uint8_t)as[l]; } \
    } while (0)
            CONV_POOL_BLOCK(__m256, zero, _mm256_loadu_ps, _mm256_set1_ps, mul_add256, _mm256_add_ps)
#undef POOL_AND_STORE
        }
    }
}

void mb_conv3x3_pool_forward(int isa, const float *x, size_t channels, size_t height, size_t width,
                             const float *w, const float *bias, size_t out_channels,
                             float *y, uint8_t *choice, float *scratch) {
    if (isa >= 2) forward_avx512(x, channels, height, width, w, bias, out_channels, y, choice, scratch);
    else forward_avx2(x, channels, height, width, w, bias, out_channels, y, choice, scratch);
}

// ---- weight and bias gradient --------------------------------------------------
//
// Per sample, output channel o and 16-window block (lanes over j): the pooled
// gradient g = (y > 0 ? dy : 0), split by the window's choice into g_00, g_01,
// g_10, g_11 (zero elsewhere, and past the row's windows); then for every
// k = (c, u, v) the lane sums acc_k += g_st · xpad[c][2i + s + u][2j + t + v]
// — chains of acc + g·x (product rounded, then the sum) in the order (i, block, st = 00, 01, 10, 11)
// from 0 — reduced by
// the tree lanes l + 8 → l, l + 4 → l, l + 2 → l, l + 1 → l; the bias gradient
// is the same lane sums of g with plain additions. The inputs are the forward's
// split rows: 2j + t + v is E[j], O[j], E[j + 1], O[j + 1] for t + v = 0 … 3.
// AVX2 runs each block's two 8-lane halves one after the other (the same
// chains). Training/Layers/DirectConv3x3.swift's portable path defines these bits.

static inline float tree16(const float *l) {
    float t8[8], t4[4];
    for (int i = 0; i < 8; i++) t8[i] = l[i] + l[i + 8];
    for (int i = 0; i < 4; i++) t4[i] = t8[i] + t8[i + 4];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

// The pooled gradient and choices of windows j0 … j0 + 15 of row i of channel o, zero past the row.
static inline void window_block(const float *dy, const float *y, const uint8_t *choice, size_t at, size_t lanes,
                                float *g, int32_t *c) {
    for (size_t l = 0; l < 16; l++) {
        g[l] = l < lanes && y[at + l] > 0 ? dy[at + l] : 0;
        c[l] = l < lanes ? choice[at + l] : 4;
    }
}

#define GRAD_FMAS(FMA, acc, g0, g1, g2, g3, X)                                              \
    for (int u = 0; u < 3; u++)                                                             \
        for (int v = 0; v < 3; v++) {                                                       \
            acc[3 * u + v] = FMA(g0, X(u, v), acc[3 * u + v]);                              \
            acc[3 * u + v] = FMA(g1, X(u, v + 1), acc[3 * u + v]);                          \
            acc[3 * u + v] = FMA(g2, X(u + 1, v), acc[3 * u + v]);                          \
            acc[3 * u + v] = FMA(g3, X(u + 1, v + 1), acc[3 * u + v]);                      \
        }

__attribute__((target("avx512f")))
static void weight_gradient_avx512(const float *split, const float *dy, const float *y, const uint8_t *choice,
                                   size_t channels, size_t height, size_t width, size_t out_channels, float *dw,
                                   float *db) {
    const size_t stride = split_stride(width), ph = height / 2, pw = width / 2, nb = (pw + 15) / 16;
    float lanes[16], gs[16];
    int32_t cs[16];
    const __m512 zero = _mm512_setzero_ps();
    for (size_t o = 0; o < out_channels; o++) {
        __m512 bias = zero;
        for (size_t c = 0; c < channels; c++) {
            __m512 acc[9];
            for (int k = 0; k < 9; k++) acc[k] = zero;
            for (size_t i = 0; i < ph; i++) {
                for (size_t b = 0; b < nb; b++) {
                    const size_t j0 = 16 * b, at = (o * ph + i) * pw + j0;
                    __m512 g;
                    __m512i ci;
                    if (pw - j0 >= 16) {
                        g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(y + at), zero, _CMP_GT_OQ),
                                                _mm512_loadu_ps(dy + at));
                        ci = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(choice + at)));
                    } else {
                        window_block(dy, y, choice, at, pw - j0, gs, cs);
                        g = _mm512_loadu_ps(gs);
                        ci = _mm512_loadu_si512(cs);
                    }
                    if (c == 0) bias = _mm512_add_ps(bias, g);
                    const __m512 g0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(ci, _mm512_set1_epi32(0)), g),
                                 g1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(ci, _mm512_set1_epi32(1)), g),
                                 g2 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(ci, _mm512_set1_epi32(2)), g),
                                 g3 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(ci, _mm512_set1_epi32(3)), g);
                    const float *rows = split + (c * (height + 2) + 2 * i) * 2 * stride + j0;
#define X512(r, t) _mm512_loadu_ps(rows + (size_t)(r) * 2 * stride + ((t) & 1) * stride + ((t) >> 1))
                    GRAD_FMAS(mul_add512, acc, g0, g1, g2, g3, X512)
#undef X512
                }
            }
            for (int k = 0; k < 9; k++) {
                _mm512_storeu_ps(lanes, acc[k]);
                dw[(o * channels + c) * 9 + k] = tree16(lanes);
            }
        }
        _mm512_storeu_ps(lanes, bias);
        db[o] = tree16(lanes);
    }
}

__attribute__((target("avx2")))
static void weight_gradient_avx2(const float *split, const float *dy, const float *y, const uint8_t *choice,
                                 size_t channels, size_t height, size_t width, size_t out_channels, float *dw,
                                 float *db) {
    const size_t stride = split_stride(width), ph = height / 2, pw = width / 2, nb = (pw + 15) / 16;
    float lanes[16], gs[16];
    int32_t cs[16];
    const __m256 zero = _mm256_setzero_ps();
    for (size_t o = 0; o < out_channels; o++) {
        for (size_t c = 0; c < channels; c++) {
            float sums[9][16];
            for (size_t half = 0; half < 2; half++) {
                __m256 acc[9], bias = zero;
                for (int k = 0; k < 9; k++) acc[k] = zero;
                for (size_t i = 0; i < ph; i++) {
                    for (size_t b = 0; b < nb; b++) {
                        const size_t j0 = 16 * b + 8 * half, at = (o * ph + i) * pw + j0;
                        __m256 g;
                        __m256i ci;
                        if (pw >= j0 + 8) {
                            g = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(y + at), zero, _CMP_GT_OQ), _mm256_loadu_ps(dy + at));
                            ci = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(choice + at)));
                        } else {
                            window_block(dy, y, choice, at, pw > j0 ? pw - j0 : 0, gs, cs);
                            g = _mm256_loadu_ps(gs);
                            ci = _mm256_loadu_si256((const __m256i *)cs);
                        }
                        if (c == 0) bias = _mm256_add_ps(bias, g);
                        const __m256 g0 = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(ci, _mm256_set1_epi32(0))), g),
                                     g1 = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(ci, _mm256_set1_epi32(1))), g),
                                     g2 = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(ci, _mm256_set1_epi32(2))), g),
                                     g3 = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(ci, _mm256_set1_epi32(3))), g);
                        const float *rows = split + (c * (height + 2) + 2 * i) * 2 * stride + j0;
#define X256(r, t) _mm256_loadu_ps(rows + (size_t)(r) * 2 * stride + ((t) & 1) * stride + ((t) >> 1))
                        GRAD_FMAS(mul_add256, acc, g0, g1, g2, g3, X256)
#undef X256
                    }
                }
                for (int k = 0; k < 9; k++) _mm256_storeu_ps(sums[k] + 8 * half, acc[k]);
                if (c == 0) _mm256_storeu_ps(lanes + 8 * half, bias);
            }
            for (int k = 0; k < 9; k++) dw[(o * channels + c) * 9 + k] = tree16(sums[k]);
        }
        db[o] = tree16(lanes);
    }
}

void mb_conv3x3_pool_weight_gradient(int isa, const float *x, size_t channels, size_t height, size_t width,
                                     const float *dy, const float *y, const uint8_t *choice, size_t out_channels,
                                     float *dw, float *db, float *scratch) {
    split_planes(x, channels, height, width, scratch);
    if (isa >= 2) weight_gradient_avx512(scratch, dy, y, choice, channels, height, width, out_channels, dw, db);
    else weight_gradient_avx2(scratch, dy, y, choice, channels, height, width, out_channels, dw, db);
}

#endif
