// Winograd F(2×2, 3×3) passes of ConvReLUPool; see include/CKernelsWinograd.h
// for the bits they reproduce (Training/Layers/WinogradF2x3.swift defines them).
//
// Input layout: each zero-padded input row (W + 2 values) is split into its
// even and odd entries, E[m] = row[2m] and O[m] = row[2m + 1] (m ≤ tileCols),
// so that columns 2j … 2j + 3 of tile j are E[j], O[j], E[j + 1], O[j + 1]:
// contiguous vectors over the tiles of a row (as DirectConv.c does). A row of
// at most 8 tiles fills half an AVX-512 vector: the next tile row takes the
// other half (masked loads at lanes tileCols … 2·tileCols − 1), and as tile
// n = i·tileCols + j both rows' outputs are one contiguous masked store.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsWinograd.h"

#include <string.h>

size_t mb_winograd_input_scratch(size_t height, size_t width) { return (height + 2) * 2 * (width / 2 + 1); }

#if defined(__x86_64__)
#include <immintrin.h>

// The split row of padded row r, parity p (0: E, 1: O), of the current channel.
#define SPLIT_ROW(r, p) (scratch + ((r) * 2 + (p)) * stride)

// d[a][b] = LD(a, b), column b of patch row a; t = Bᵀ d over rows, then V[ξ][·] = Bᵀ over
// the columns of t's row ξ, stored as ST(4ξ + ν, value) — WinogradF2x3.transformInput's order.
#define INPUT_TRANSFORM(V, ADD, SUB, LD, ST)                                                     \
    do {                                                                                         \
        V d[4][4], t[4][4];                                                                      \
        for (int a = 0; a < 4; a++)                                                              \
            for (int b = 0; b < 4; b++) d[a][b] = LD(a, b);                                      \
        for (int b = 0; b < 4; b++) {                                                            \
            t[0][b] = SUB(d[0][b], d[2][b]);                                                     \
            t[1][b] = ADD(d[2][b], d[1][b]);                                                     \
            t[2][b] = SUB(d[2][b], d[1][b]);                                                     \
            t[3][b] = SUB(d[1][b], d[3][b]);                                                     \
        }                                                                                        \
        for (int xi = 0; xi < 4; xi++) {                                                         \
            ST(4 * xi + 0, SUB(t[xi][0], t[xi][2]));                                             \
            ST(4 * xi + 1, ADD(t[xi][1], t[xi][2]));                                             \
            ST(4 * xi + 2, SUB(t[xi][2], t[xi][1]));                                             \
            ST(4 * xi + 3, SUB(t[xi][1], t[xi][3]));                                             \
        }                                                                                        \
    } while (0)

// Y = Aᵀ M A + β per tile from LD(k) = M_k, WinogradF2x3.forwardOutput's order:
// s0 = (M0 + M1) + M2, s1 = (M1 − M2) − M3 over rows, then the two columns.
#define OUTPUT_TRANSFORM(V, ADD, SUB, LD, beta, y00, y01, y10, y11)                              \
    V y00, y01, y10, y11;                                                                        \
    do {                                                                                         \
        V s0[4], s1[4];                                                                          \
        for (int nu = 0; nu < 4; nu++) {                                                         \
            V m0 = LD(nu), m1 = LD(4 + nu), m2 = LD(8 + nu), m3 = LD(12 + nu);                   \
            s0[nu] = ADD(ADD(m0, m1), m2);                                                       \
            s1[nu] = SUB(SUB(m1, m2), m3);                                                       \
        }                                                                                        \
        y00 = ADD(ADD(ADD(s0[0], s0[1]), s0[2]), beta);                                          \
        y01 = ADD(SUB(SUB(s0[1], s0[2]), s0[3]), beta);                                          \
        y10 = ADD(ADD(ADD(s1[0], s1[1]), s1[2]), beta);                                          \
        y11 = ADD(SUB(SUB(s1[1], s1[2]), s1[3]), beta);                                          \
    } while (0)

// ∂M = A ∂Y Aᵀ from the gradient a_st at each tile's chosen position, stored as ST(k, value):
// r = A ∂Y (rows (a00, a01), (a00 + a10, a01 + a11), (a00 − a10, a01 − a11), (−a10, −a11)),
// then ∂M[ξ] = (r0, r0 + r1, r0 − r1, −r1) — WinogradF2x3.backwardOutput's order.
#define OUTPUT_BACKWARD(V, ADD, SUB, NEG, ST, a00, a01, a10, a11)                                \
    do {                                                                                         \
        V r0[4] = {a00, ADD(a00, a10), SUB(a00, a10), NEG(a10)};                                 \
        V r1[4] = {a01, ADD(a01, a11), SUB(a01, a11), NEG(a11)};                                 \
        for (int xi = 0; xi < 4; xi++) {                                                         \
            ST(4 * xi + 0, r0[xi]);                                                              \
            ST(4 * xi + 1, ADD(r0[xi], r1[xi]));                                                 \
            ST(4 * xi + 2, SUB(r0[xi], r1[xi]));                                                 \
            ST(4 * xi + 3, NEG(r1[xi]));                                                         \
        }                                                                                        \
    } while (0)

// ∂d = B ∂V Bᵀ of a row of tiles from LD(k) = ∂V_k (zero past the row): r = B ∂V over rows
// (B·(e0, e1, e2, e3) = (e0, (e1 − e2) + e3, (e1 + e2) − e0, −e3)), then B over the columns of
// each row a of r, into dd[a][b] — WinogradF2x3.inputGradient's per-tile order.
#define INPUT_GRADIENT_TILES(V, ADD, SUB, NEG, LD, dd)                                             \
    do {                                                                                           \
        V cv[4][4];                                                                                \
        for (int nu = 0; nu < 4; nu++) {                                                           \
            V e0 = LD(nu), e1 = LD(4 + nu), e2 = LD(8 + nu), e3 = LD(12 + nu);                     \
            cv[nu][0] = e0;                                                                        \
            cv[nu][1] = ADD(SUB(e1, e2), e3);                                                      \
            cv[nu][2] = SUB(ADD(e1, e2), e0);                                                      \
            cv[nu][3] = NEG(e3);                                                                   \
        }                                                                                          \
        for (int a = 0; a < 4; a++) {                                                              \
            dd[a][0] = cv[0][a];                                                                   \
            dd[a][1] = ADD(SUB(cv[1][a], cv[2][a]), cv[3][a]);                                     \
            dd[a][2] = SUB(ADD(cv[1][a], cv[2][a]), cv[0][a]);                                     \
            dd[a][3] = NEG(cv[3][a]);                                                              \
        }                                                                                          \
    } while (0)

// Σ ∂Y of output channel o in WinogradF2x3.backwardOutput's order: four lane sums over its
// blocks of four tiles a row (a last block overlapping the one before adds only its new
// tiles; a row of fewer than four tiles is one partial block), then ((l0 + l1) + l2) + l3
// (SIMD4.sum()). SSE, the Swift path's own width.
static float bias_gradient_sum(const float *dy, const float *y, size_t tile_rows, size_t tw) {
    const __m128 zero = _mm_setzero_ps();
    const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
    __m128 sums = zero;
    for (size_t i = 0; i < tile_rows; i++) {
        const float *dr = dy + i * tw, *yr = y + i * tw;
        if (tw < 4) {
            float g[4] = {0, 0, 0, 0};
            for (size_t l = 0; l < tw; l++) g[l] = yr[l] > 0 ? dr[l] : 0.0f;
            sums = _mm_add_ps(sums, _mm_loadu_ps(g));
            continue;
        }
        for (size_t j0 = 0; j0 + 4 <= tw; j0 += 4)
            sums = _mm_add_ps(sums, _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(yr + j0), zero), _mm_loadu_ps(dr + j0)));
        if (tw % 4 != 0) {
            const size_t j0 = tw - 4;
            const __m128 fresh = _mm_castsi128_ps(_mm_cmpgt_epi32(lane, _mm_set1_epi32((int)(4 * (tw / 4) - j0) - 1)));
            const __m128 g = _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(yr + j0), zero), _mm_loadu_ps(dr + j0));
            sums = _mm_add_ps(sums, _mm_and_ps(g, fresh));
        }
    }
    float l[4];
    _mm_storeu_ps(l, sums);
    return ((l[0] + l[1]) + l[2]) + l[3];
}

// ---- AVX-512F -------------------------------------------------------------------------

static inline __mmask16 lanes_mask(size_t lanes) { return lanes >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1); }

__attribute__((target("avx512f")))
static void split_row_avx512(const float *x, size_t width, float *even, float *odd) {
    const __m512i pick_even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i pick_odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Image column col is padded index col + 1: even columns go to O, odd ones to E[· + 1].
    for (size_t k = 0; k < width; k += 32) {
        const size_t left = width - k;
        const __m512 a = _mm512_maskz_loadu_ps(lanes_mask(left), x + k);
        const __m512 b = _mm512_maskz_loadu_ps(left > 16 ? lanes_mask(left - 16) : 0, x + k + 16);
        _mm512_mask_storeu_ps(odd + k / 2, lanes_mask((left + 1) / 2), _mm512_permutex2var_ps(a, pick_even, b));
        _mm512_mask_storeu_ps(even + k / 2 + 1, lanes_mask(left / 2), _mm512_permutex2var_ps(a, pick_odd, b));
    }
}

__attribute__((target("avx512f")))
static void input_avx512(const float *x, size_t channels, size_t height, size_t width, float *v, size_t n,
                         size_t ms, float *scratch) {
    const size_t th = height / 2, tw = width / 2, stride = tw + 1;
    memset(scratch, 0, mb_winograd_input_scratch(height, width) * sizeof(float));
    for (size_t c = 0; c < channels; c++) {
        for (size_t r = 0; r < height; r++) split_row_avx512(x + (c * height + r) * width, width, SPLIT_ROW(r + 1, 0), SPLIT_ROW(r + 1, 1));
        float *out = v + c * n;
        if (tw <= 8) {
            // Tile rows i and i + 1 in one vector.
            const __mmask16 lo = lanes_mask(tw);
            for (size_t i = 0; i < th; i += 2) {
                const __mmask16 hi = i + 1 < th ? (__mmask16)(lo << tw) : 0;
#define LD(a, b) _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(lo, SPLIT_ROW(2 * i + (a), (b) & 1) + ((b) >> 1)), hi, \
                                      SPLIT_ROW(2 * i + 2 + (a), (b) & 1) + ((b) >> 1) - tw)
#define ST(k, value) _mm512_mask_storeu_ps(out + (k) * ms + i * tw, lo | hi, value)
                INPUT_TRANSFORM(__m512, _mm512_add_ps, _mm512_sub_ps, LD, ST);
#undef LD
#undef ST
            }
        } else {
            for (size_t i = 0; i < th; i++) {
                for (size_t j0 = 0; j0 < tw; j0 += 16) {
                    const __mmask16 m = lanes_mask(tw - j0);
#define LD(a, b) _mm512_maskz_loadu_ps(m, SPLIT_ROW(2 * i + (a), (b) & 1) + ((b) >> 1) + j0)
#define ST(k, value) _mm512_mask_storeu_ps(out + (k) * ms + i * tw + j0, m, value)
                    INPUT_TRANSFORM(__m512, _mm512_add_ps, _mm512_sub_ps, LD, ST);
#undef LD
#undef ST
                }
            }
        }
    }
}

__attribute__((target("avx512f")))
static void output_avx512(const float *mm, size_t out_channels, size_t th, size_t tw, size_t n, size_t ms,
                          const float *bias, float *y, uint8_t *choice) {
    const size_t plane = th * tw;
    const __m512 zero = _mm512_setzero_ps();
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2), three = _mm512_set1_epi32(3);
    for (size_t o = 0; o < out_channels; o++) {
        const float *src = mm + o * n;
        const __m512 beta = _mm512_set1_ps(bias[o]);
        for (size_t t = 0; t < plane; t += 16) {
            const __mmask16 keep = lanes_mask(plane - t);
#define LD(k) _mm512_maskz_loadu_ps(keep, src + (k) * ms + t)
            OUTPUT_TRANSFORM(__m512, _mm512_add_ps, _mm512_sub_ps, LD, beta, best, y01, y10, y11);
#undef LD
            __m512i at = _mm512_setzero_si512();
            __mmask16 gt = _mm512_cmp_ps_mask(y01, best, _CMP_GT_OQ);
            best = _mm512_mask_blend_ps(gt, best, y01); at = _mm512_mask_blend_epi32(gt, at, one);
            gt = _mm512_cmp_ps_mask(y10, best, _CMP_GT_OQ);
            best = _mm512_mask_blend_ps(gt, best, y10); at = _mm512_mask_blend_epi32(gt, at, two);
            gt = _mm512_cmp_ps_mask(y11, best, _CMP_GT_OQ);
            best = _mm512_mask_blend_ps(gt, best, y11); at = _mm512_mask_blend_epi32(gt, at, three);
            // best > 0 ? best : 0, as the Swift path's select (max returns its second operand on NaN).
            _mm512_mask_storeu_ps(y + o * plane + t, keep, _mm512_max_ps(best, zero));
            _mm512_mask_cvtepi32_storeu_epi8(choice + o * plane + t, keep, at);
        }
    }
}

__attribute__((target("avx512f")))
static void output_backward_avx512(const float *dy, const float *y, const uint8_t *choice, size_t out_channels,
                                   size_t th, size_t tw, float *dm, size_t n, size_t ms, float *bias_gradient) {
    const size_t plane = th * tw;
    const __m512 zero = _mm512_setzero_ps();
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    for (size_t o = 0; o < out_channels; o++) {
        const size_t src = o * plane;
        float *dst = dm + o * n;
        for (size_t t = 0; t < plane; t += 16) {
            const __mmask16 keep = lanes_mask(plane - t);
            const __m512 yv = _mm512_maskz_loadu_ps(keep, y + src + t), dyv = _mm512_maskz_loadu_ps(keep, dy + src + t);
            const __m512 g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(yv, zero, _CMP_GT_OQ), dyv);
            __m512i c;
            if (plane - t >= 16) {
                c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(choice + src + t)));
            } else {
                uint8_t bytes[16] = {0};
                memcpy(bytes, choice + src + t, plane - t);
                c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)bytes));
            }
            const __m512 a00 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, _mm512_set1_epi32(0)), g),
                         a01 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, _mm512_set1_epi32(1)), g),
                         a10 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, _mm512_set1_epi32(2)), g),
                         a11 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, _mm512_set1_epi32(3)), g);
#define NEG(a) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), sign))
#define ST(k, value) _mm512_mask_storeu_ps(dst + (k) * ms + t, keep, value)
            OUTPUT_BACKWARD(__m512, _mm512_add_ps, _mm512_sub_ps, NEG, ST, a00, a01, a10, a11);
#undef NEG
#undef ST
        }
        bias_gradient[o] += bias_gradient_sum(dy + src, y + src, th, tw);
    }
}

// One sample's input gradient, one tile row a vector (lanes j < tileCols ≤ 16): per patch row a,
// the padded row's odd columns 2m + 1 get O[m] = ∂d[m][a][1] + ∂d[m − 1][a][3] and its even
// columns 2m + 2 get E[m] = ∂d[m + 1][a][0] + ∂d[m][a][2] (absent tiles +0); padded row 2i + a
// (a < 2) is then that sum of tile row i plus the one of tile row i − 1 at patch row a + 2.
__attribute__((target("avx512f")))
static void input_gradient_avx512(const float *dv, size_t channels, size_t height, size_t width, size_t n,
                                  size_t ms, float *dx) {
    const size_t th = height / 2, tw = width / 2;
    const __mmask16 m = lanes_mask(tw), wlo = lanes_mask(width), whi = width > 16 ? lanes_mask(width - 16) : 0;
    const __m512 zero = _mm512_setzero_ps();
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (size_t c = 0; c < channels; c++) {
        const float *src = dv + c * n;
        float *out = dx + c * height * width;
        __m512 previous[2][2] = {{zero, zero}, {zero, zero}};  // tile row i − 1, patch rows 2, 3: (O, E)
        for (size_t i = 0; i <= th; i++) {
            __m512 z[4][2];
            if (i < th) {
                __m512 dd[4][4];
#define LD(k) _mm512_maskz_loadu_ps(m, src + (k) * ms + i * tw)
#define NEG(a) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), sign))
                INPUT_GRADIENT_TILES(__m512, _mm512_add_ps, _mm512_sub_ps, NEG, LD, dd);
#undef LD
#undef NEG
                for (int a = 0; a < 4; a++) {
                    // Lanes past the row hold −0 and the like: the absent tiles are +0.
                    const __m512 d0 = _mm512_maskz_mov_ps(m, dd[a][0]), d3 = _mm512_maskz_mov_ps(m, dd[a][3]);
                    const __m512 up3 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(d3), _mm512_setzero_si512(), 15));
                    const __m512 down0 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_setzero_si512(), _mm512_castps_si512(d0), 1));
                    z[a][0] = _mm512_add_ps(_mm512_maskz_mov_ps(m, dd[a][1]), up3);
                    z[a][1] = _mm512_add_ps(down0, _mm512_maskz_mov_ps(m, dd[a][2]));
                }
            } else {
                for (int a = 0; a < 4; a++) z[a][0] = z[a][1] = zero;
            }
            for (size_t a = 0; a < 2; a++) {
                const size_t r = 2 * i + a;  // padded row; image row r − 1
                if (r >= 1 && r <= height) {
                    const __m512 o = _mm512_add_ps(z[a][0], previous[a][0]), e = _mm512_add_ps(z[a][1], previous[a][1]);
                    float *row = out + (r - 1) * width;
                    _mm512_mask_storeu_ps(row, wlo, _mm512_permutex2var_ps(o, lo, e));
                    _mm512_mask_storeu_ps(row + 16, whi, _mm512_permutex2var_ps(o, hi, e));
                }
                previous[a][0] = z[a + 2][0];
                previous[a][1] = z[a + 2][1];
            }
        }
    }
}

// ---- AVX2 ----------------------------------------------------------------------------

__attribute__((target("avx2")))
static inline __m256i lanes_mask8(size_t lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(lanes > 8 ? 8 : lanes)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__attribute__((target("avx2")))
static void input_avx2(const float *x, size_t channels, size_t height, size_t width, float *v, size_t n,
                       size_t ms, float *scratch) {
    const size_t th = height / 2, tw = width / 2, stride = tw + 1;
    memset(scratch, 0, mb_winograd_input_scratch(height, width) * sizeof(float));
    for (size_t c = 0; c < channels; c++) {
        for (size_t r = 0; r < height; r++) {
            const float *src = x + (c * height + r) * width;
            float *even = SPLIT_ROW(r + 1, 0), *odd = SPLIT_ROW(r + 1, 1);
            for (size_t col = 0; col + 1 < width; col += 2) {
                odd[col / 2] = src[col];
                even[col / 2 + 1] = src[col + 1];
            }
            if (width & 1) odd[width / 2] = src[width - 1];
        }
        float *out = v + c * n;
        for (size_t i = 0; i < th; i++) {
            for (size_t j0 = 0; j0 < tw; j0 += 8) {
                if (tw - j0 >= 8) {
#define LD(a, b) _mm256_loadu_ps(SPLIT_ROW(2 * i + (a), (b) & 1) + ((b) >> 1) + j0)
#define ST(k, value) _mm256_storeu_ps(out + (k) * ms + i * tw + j0, value)
                    INPUT_TRANSFORM(__m256, _mm256_add_ps, _mm256_sub_ps, LD, ST);
#undef LD
#undef ST
                } else {
                    const __m256i m = lanes_mask8(tw - j0);
#define LD(a, b) _mm256_maskload_ps(SPLIT_ROW(2 * i + (a), (b) & 1) + ((b) >> 1) + j0, m)
#define ST(k, value) _mm256_maskstore_ps(out + (k) * ms + i * tw + j0, m, value)
                    INPUT_TRANSFORM(__m256, _mm256_add_ps, _mm256_sub_ps, LD, ST);
#undef LD
#undef ST
                }
            }
        }
    }
}

__attribute__((target("avx2")))
static void output_avx2(const float *mm, size_t out_channels, size_t th, size_t tw, size_t n, size_t ms,
                        const float *bias, float *y, uint8_t *choice) {
    const size_t plane = th * tw;
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_castsi256_ps(_mm256_set1_epi32(1)), two = _mm256_castsi256_ps(_mm256_set1_epi32(2)),
                 three = _mm256_castsi256_ps(_mm256_set1_epi32(3));
    for (size_t o = 0; o < out_channels; o++) {
        const float *src = mm + o * n;
        const __m256 beta = _mm256_set1_ps(bias[o]);
        for (size_t t = 0; t < plane; t += 8) {
            const size_t lanes = plane - t < 8 ? plane - t : 8;
            const __m256i keep = lanes_mask8(lanes);
#define LD(k) _mm256_maskload_ps(src + (k) * ms + t, keep)
            OUTPUT_TRANSFORM(__m256, _mm256_add_ps, _mm256_sub_ps, LD, beta, best, y01, y10, y11);
#undef LD
            __m256 at = _mm256_setzero_ps();
            __m256 gt = _mm256_cmp_ps(y01, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, y01, gt); at = _mm256_blendv_ps(at, one, gt);
            gt = _mm256_cmp_ps(y10, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, y10, gt); at = _mm256_blendv_ps(at, two, gt);
            gt = _mm256_cmp_ps(y11, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, y11, gt); at = _mm256_blendv_ps(at, three, gt);
            _mm256_maskstore_ps(y + o * plane + t, keep, _mm256_max_ps(best, zero));
            int32_t picks[8];
            _mm256_storeu_si256((__m256i *)picks, _mm256_castps_si256(at));
            for (size_t l = 0; l < lanes; l++) choice[o * plane + t + l] = (uint8_t)picks[l];
        }
    }
}

__attribute__((target("avx2")))
static void output_backward_avx2(const float *dy, const float *y, const uint8_t *choice, size_t out_channels,
                                 size_t th, size_t tw, float *dm, size_t n, size_t ms, float *bias_gradient) {
    const size_t plane = th * tw;
    const __m256 zero = _mm256_setzero_ps(), sign = _mm256_set1_ps(-0.0f);
    for (size_t o = 0; o < out_channels; o++) {
        const size_t src = o * plane;
        float *dst = dm + o * n;
        for (size_t t = 0; t < plane; t += 8) {
            const size_t lanes = plane - t < 8 ? plane - t : 8;
            const __m256i keep = lanes_mask8(lanes);
            const __m256 yv = _mm256_maskload_ps(y + src + t, keep), dyv = _mm256_maskload_ps(dy + src + t, keep);
            const __m256 g = _mm256_and_ps(_mm256_cmp_ps(yv, zero, _CMP_GT_OQ), dyv);
            uint8_t bytes[8] = {0};
            memcpy(bytes, choice + src + t, lanes);
            const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)bytes));
#define PICK(s) _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(c, _mm256_set1_epi32(s))), g)
            const __m256 a00 = PICK(0), a01 = PICK(1), a10 = PICK(2), a11 = PICK(3);
#undef PICK
#define NEG(a) _mm256_xor_ps(a, sign)
#define ST(k, value) _mm256_maskstore_ps(dst + (k) * ms + t, keep, value)
            OUTPUT_BACKWARD(__m256, _mm256_add_ps, _mm256_sub_ps, NEG, ST, a00, a01, a10, a11);
#undef NEG
#undef ST
        }
        bias_gradient[o] += bias_gradient_sum(dy + src, y + src, th, tw);
    }
}

// input_gradient_avx512 with 8 lanes (tileCols ≤ 8, width ≤ 16).
__attribute__((target("avx2")))
static void input_gradient_avx2(const float *dv, size_t channels, size_t height, size_t width, size_t n,
                                size_t ms, float *dx) {
    const size_t th = height / 2, tw = width / 2;
    const __m256i m = lanes_mask8(tw), wlo = lanes_mask8(width), whi = lanes_mask8(width > 8 ? width - 8 : 0);
    const __m256 zero = _mm256_setzero_ps(), sign = _mm256_set1_ps(-0.0f), keep = _mm256_castsi256_ps(m);
    const __m256i up = _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6), down = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    for (size_t c = 0; c < channels; c++) {
        const float *src = dv + c * n;
        float *out = dx + c * height * width;
        __m256 previous[2][2] = {{zero, zero}, {zero, zero}};
        for (size_t i = 0; i <= th; i++) {
            __m256 z[4][2];
            if (i < th) {
                __m256 dd[4][4];
#define LD(k) _mm256_maskload_ps(src + (k) * ms + i * tw, m)
#define NEG(a) _mm256_xor_ps(a, sign)
                INPUT_GRADIENT_TILES(__m256, _mm256_add_ps, _mm256_sub_ps, NEG, LD, dd);
#undef LD
#undef NEG
                for (int a = 0; a < 4; a++) {
                    const __m256 d0 = _mm256_and_ps(keep, dd[a][0]), d3 = _mm256_and_ps(keep, dd[a][3]);
                    const __m256 up3 = _mm256_blend_ps(_mm256_permutevar8x32_ps(d3, up), zero, 0x01);
                    const __m256 down0 = _mm256_blend_ps(_mm256_permutevar8x32_ps(d0, down), zero, 0x80);
                    z[a][0] = _mm256_add_ps(_mm256_and_ps(keep, dd[a][1]), up3);
                    z[a][1] = _mm256_add_ps(down0, _mm256_and_ps(keep, dd[a][2]));
                }
            } else {
                for (int a = 0; a < 4; a++) z[a][0] = z[a][1] = zero;
            }
            for (size_t a = 0; a < 2; a++) {
                const size_t r = 2 * i + a;
                if (r >= 1 && r <= height) {
                    const __m256 o = _mm256_add_ps(z[a][0], previous[a][0]), e = _mm256_add_ps(z[a][1], previous[a][1]);
                    const __m256 l = _mm256_unpacklo_ps(o, e), h = _mm256_unpackhi_ps(o, e);
                    float *row = out + (r - 1) * width;
                    _mm256_maskstore_ps(row, wlo, _mm256_permute2f128_ps(l, h, 0x20));
                    _mm256_maskstore_ps(row + 8, whi, _mm256_permute2f128_ps(l, h, 0x31));
                }
                previous[a][0] = z[a + 2][0];
                previous[a][1] = z[a + 2][1];
            }
        }
    }
}

// ---- entry points ----------------------------------------------------------------------

void mb_winograd_input(int isa, const float *x, size_t channels, size_t height, size_t width,
                       float *v, size_t n, size_t matrix_stride, float *scratch) {
    if (isa >= 2) input_avx512(x, channels, height, width, v, n, matrix_stride, scratch);
    else input_avx2(x, channels, height, width, v, n, matrix_stride, scratch);
}

void mb_winograd_output(int isa, const float *m, size_t out_channels, size_t tile_rows, size_t tile_cols,
                        size_t n, size_t matrix_stride, const float *bias, float *y, uint8_t *choice) {
    if (isa >= 2) output_avx512(m, out_channels, tile_rows, tile_cols, n, matrix_stride, bias, y, choice);
    else output_avx2(m, out_channels, tile_rows, tile_cols, n, matrix_stride, bias, y, choice);
}

void mb_winograd_output_backward(int isa, const float *dy, const float *y, const uint8_t *choice,
                                 size_t out_channels, size_t tile_rows, size_t tile_cols,
                                 float *dm, size_t n, size_t matrix_stride, float *bias_gradient) {
    if (isa >= 2) output_backward_avx512(dy, y, choice, out_channels, tile_rows, tile_cols, dm, n, matrix_stride, bias_gradient);
    else output_backward_avx2(dy, y, choice, out_channels, tile_rows, tile_cols, dm, n, matrix_stride, bias_gradient);
}

int mb_winograd_input_gradient(int isa, const float *dv, size_t channels, size_t height, size_t width,
                               size_t n, size_t matrix_stride, float *dx) {
    if (isa >= 2 && width <= 32) input_gradient_avx512(dv, channels, height, width, n, matrix_stride, dx);
    else if (isa >= 1 && width <= 16) input_gradient_avx2(dv, channels, height, width, n, matrix_stride, dx);
    else return 0;
    return 1;
}

#else

int mb_winograd_input_gradient(int isa, const float *dv, size_t channels, size_t height, size_t width,
                               size_t n, size_t matrix_stride, float *dx) {
    (void)isa; (void)dv; (void)channels; (void)height; (void)width; (void)n; (void)matrix_stride; (void)dx;
    return 0;
}

#endif
