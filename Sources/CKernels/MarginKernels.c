// Row passes of MarginLoss over all triplets; see include/CKernelsMargin.h.
//
// Bits: every value is the Swift loop's expression (_MarginPasses) with the same
// operations in the same order: a float widened exactly, `(s_i + s_j) − 2·G` and
// the products and quotients as written there, no FMA contraction (the pragmas;
// AVX-512 implies FMA and clang contracts a·b + c by default), and square root
// and division, which IEEE rounds correctly in every width. The comparisons are
// the ordered ones of the Swift code (NaN is neither ≤ 0 nor > 0). Counts are
// integers (any grouping is exact). The one order-dependent sum, each row weight
// sum, runs in the serial loop's order in every isa; its own-row chains of eight
// rows run in eight lanes, each lane the one-row chain.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsMargin.h"

#if defined(__x86_64__)
#include <immintrin.h>

// Bits set in a byte: the counts of active pairs and the compacted stores' advance
// (a table load instead of `popcnt`, which the AVX2 and AVX-512F checks do not imply).
// Only the vector passes use it.
static const uint8_t kBits[256] = {
#define B2(n) n, n + 1, n + 1, n + 2
#define B4(n) B2(n), B2(n + 1), B2(n + 1), B2(n + 2)
#define B6(n) B4(n), B4(n + 1), B4(n + 1), B4(n + 2)
    B6(0), B6(1), B6(1), B6(2)
#undef B6
#undef B4
#undef B2
};
#endif

// ---- the portable bodies (also every vector pass's tail) ---------------------

/// Distances of columns [j, n) of row g: `Float(sqrt(max((s_i + s_j) − 2·G, 0)))`, max as Swift's
/// `0 >= x ? 0 : x` (NaN kept).
static inline void distances_tail(float *g, const double *sq, double si, size_t j, size_t n) {
    for (; j < n; j++) {
        const double d2 = si + sq[j] - 2 * (double)g[j];
        g[j] = (float)__builtin_sqrt(0 >= d2 ? 0 : d2);
    }
}

static inline int64_t same_label_tail(const int32_t *l, int32_t own, size_t j, size_t n) {
    int64_t same = 0;
    for (; j < n; j++) same += l[j] == own;
    return same;
}

/// The hinges of columns [j, n) (the Swift tail loop), added to `r`.
static inline void hinge_tail(const float *g, const int32_t *l, size_t i, size_t j, size_t n, int64_t pm, int64_t nm,
                              float beta, float margin, double *t, float *c, mb_margin_row *r) {
    const int32_t li = l[i];
    const float positive_coefficient = (float)pm, negative_coefficient = 0 - (float)nm;
    const double positive_weight = (double)pm, negative_weight = (double)nm;
    for (; j < n; j++) {
        float coefficient = 0;
        if (j == i) {
            // The diagonal is no pair: no term, coefficient 0.
        } else if (l[j] == li) {
            const float h = g[j] - beta + margin;
            if (h > 0) {
                t[r->terms++] = (double)h * positive_weight;
                r->positive += pm;
                coefficient = positive_coefficient;
            }
        } else {
            const float h = beta - g[j] + margin;
            if (h > 0) {
                t[r->terms++] = (double)h * negative_weight;
                r->negative += nm;
                coefficient = negative_coefficient;
            }
        }
        c[j] = coefficient;
    }
}

/// W over columns [j, n): w[j] = Double(m[j]) · scale / Double(g[j]) where g[j] > 0, else +0, and,
/// when `c` is not NULL, c[j] = the float of −W (`m` may be `c`). The Swift pass stores `0 − W`
/// (SIMD's prefix minus) for its eight-wide body, columns below n rounded down to a multiple of 8,
/// and `−W` for the tail: they differ where W = +0 (+0 against −0), so every isa keeps that split
/// (`body`).
static inline void weights_tail(const float *g, const float *m, float *c, double scale, double *w, size_t j,
                                size_t body, size_t n) {
    for (; j < n; j++) {
        const float dist = g[j];
        const double wij = dist > 0 ? (double)m[j] * scale / (double)dist : 0;
        w[j] = wij;
        if (c) c[j] = j < body ? (float)(0 - wij) : (float)(-wij);
    }
}

static inline void add_tail(const double *w, double *r, size_t k, size_t count) {
    for (; k < count; k++) r[k] += w[k];
}

static mb_margin_row all_row_portable(float *g, const double *sq, const int32_t *l, size_t i, size_t n, float beta,
                                      float margin, double *t, float *c) {
    distances_tail(g, sq, sq[i], 0, n);
    g[i] = 0;
    const int64_t positives = same_label_tail(l, l[i], 0, n) - 1;
    const int64_t negatives = (int64_t)n - 1 - positives;
    mb_margin_row r = {0, 0, 0, positives};
    hinge_tail(g, l, i, 0, n, negatives, positives, beta, margin, t, c, &r);
    return r;
}

/// Row sums in the serial loop's order, one row's chain at a time (`add` adds a row slice).
/// ROW(i) yields row i of W in full, SLICE(i) a pointer p with p[k] = W_ik for k in [lo, hi).
#define ROW_SUMS_SERIAL(ADD, ROW, SLICE)                                       \
    do {                                                                       \
        for (size_t k = lo; k < hi; k++) r[k] = 0;                             \
        for (size_t i = 0; i < n; i++) {                                       \
            if (i >= lo && i < hi) {                                           \
                const double *row = ROW(i);                                    \
                ADD(row + lo, r + lo, i - lo);                                 \
                double own = r[i];                                             \
                for (size_t j = 0; j < n; j++) {                               \
                    own += row[j];                                             \
                    if (j == i) own += row[j];                                 \
                }                                                              \
                r[i] = own;                                                    \
                ADD(row + i + 1, r + i + 1, hi - i - 1);                       \
            } else {                                                           \
                const double *row = SLICE(i);                                  \
                ADD(row + lo, r + lo, hi - lo);                                \
            }                                                                  \
        }                                                                      \
    } while (0)

static inline void add_portable(const double *w, double *r, size_t count) { add_tail(w, r, 0, count); }

// Rows of a materialised W.
#define W_ROW(i) (w + (i) * n)

static void row_sums_portable(const double *w, double *r, size_t n, size_t lo, size_t hi) {
    ROW_SUMS_SERIAL(add_portable, W_ROW, W_ROW);
}

// Rows of W computed on the way (mb_margin_weights_and_sums): a row of [lo, hi) in full into
// the scratch (its −W floats into c), another row only over [lo, hi).
#define FUSED_ROW(WEIGHTS, i) (WEIGHTS(g + (i) * n, m + (i) * n, c + (i) * n, scale, s, n), s)
#define FUSED_SLICE(WEIGHTS, i) (WEIGHTS(g + (i) * n + lo, m + (i) * n + lo, NULL, scale, s + lo, hi - lo), s)
#define PORTABLE_WEIGHTS(g, m, c, scale, w, count) weights_tail(g, m, c, scale, w, 0, (count) / 8 * 8, count)
#define PORTABLE_ROW(i) FUSED_ROW(PORTABLE_WEIGHTS, i)
#define PORTABLE_SLICE(i) FUSED_SLICE(PORTABLE_WEIGHTS, i)

static void weights_and_sums_portable(const float *g, const float *m, float *c, double scale, double *s, double *r,
                                      size_t n, size_t lo, size_t hi) {
    ROW_SUMS_SERIAL(add_portable, PORTABLE_ROW, PORTABLE_SLICE);
}

#if defined(__x86_64__)

// ---- AVX-512F ----------------------------------------------------------------

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2")))

AVX512 static mb_margin_row all_row_avx512(float *g, const double *sq, const int32_t *l, size_t i, size_t n,
                                           float beta, float margin, double *t, float *c) {
    const int32_t li = l[i];
    const __m512d si = _mm512_set1_pd(sq[i]), two = _mm512_set1_pd(2), zero_d = _mm512_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d gram = _mm512_cvtps_pd(_mm256_loadu_ps(g + j));
        __m512d d2 = _mm512_sub_pd(_mm512_add_pd(si, _mm512_loadu_pd(sq + j)), _mm512_mul_pd(two, gram));
        d2 = _mm512_mask_mov_pd(d2, _mm512_cmp_pd_mask(d2, zero_d, _CMP_LE_OQ), zero_d);
        _mm256_storeu_ps(g + j, _mm512_cvtpd_ps(_mm512_sqrt_pd(d2)));
    }
    distances_tail(g, sq, sq[i], j, n);
    g[i] = 0;
    const __m512i own = _mm512_set1_epi32(li);
    int64_t same = 0;
    for (j = 0; j + 16 <= n; j += 16) {
        const __mmask16 m = _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(l + j), own);
        same += kBits[m & 0xff] + kBits[m >> 8];
    }
    same += same_label_tail(l, li, j, n);
    const int64_t pm = (int64_t)n - 1 - (same - 1), nm = same - 1;
    mb_margin_row r = {0, 0, 0, nm};
    const __m512 betas = _mm512_set1_ps(beta), margins = _mm512_set1_ps(margin), zero = _mm512_setzero_ps();
    const __m512 positive_coefficient = _mm512_set1_ps((float)pm), negative_coefficient = _mm512_set1_ps(0 - (float)nm);
    const __m512d positive_weight = _mm512_set1_pd((double)pm), negative_weight = _mm512_set1_pd((double)nm);
    int64_t positives = 0, negatives = 0, written = 0;
    for (j = 0; j + 16 <= n; j += 16) {
        const __m512 d = _mm512_loadu_ps(g + j);
        const __mmask16 sm = _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(l + j), own);
        const __m512 h = _mm512_mask_blend_ps(sm, _mm512_add_ps(_mm512_sub_ps(betas, d), margins),
                                              _mm512_add_ps(_mm512_sub_ps(d, betas), margins));
        __mmask16 active = _mm512_cmp_ps_mask(h, zero, _CMP_GT_OQ);
        if (i - j < 16) active &= (__mmask16)~(1u << (i - j));  // the diagonal is no pair
        _mm512_storeu_ps(c + j, _mm512_maskz_mov_ps(active, _mm512_mask_blend_ps(sm, negative_coefficient,
                                                                                 positive_coefficient)));
        const unsigned ap = active & sm, an = active & (__mmask16)~sm;
        positives += kBits[ap & 0xff] + kBits[ap >> 8];
        negatives += kBits[an & 0xff] + kBits[an >> 8];
        // The terms Double(h) · multiplicity, the active ones compacted into the row (a store of
        // eight from `written` ≤ j stays inside the row's n slots).
        const __m512d h0 = _mm512_cvtps_pd(_mm512_castps512_ps256(h));
        const __m512d h1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(h), 1)));
        const __m512d t0 = _mm512_mul_pd(h0, _mm512_mask_blend_pd((__mmask8)sm, negative_weight, positive_weight));
        const __m512d t1 = _mm512_mul_pd(h1, _mm512_mask_blend_pd((__mmask8)(sm >> 8), negative_weight, positive_weight));
        _mm512_storeu_pd(t + written, _mm512_maskz_compress_pd((__mmask8)active, t0));
        written += kBits[active & 0xff];
        _mm512_storeu_pd(t + written, _mm512_maskz_compress_pd((__mmask8)(active >> 8), t1));
        written += kBits[active >> 8];
    }
    r.positive = positives * pm;
    r.negative = negatives * nm;
    r.terms = written;
    hinge_tail(g, l, i, j, n, pm, nm, beta, margin, t, c, &r);
    return r;
}

AVX512 static void weights_avx512(const float *g, const float *m, float *c, double scale, double *w, size_t n) {
    const __m512d scales = _mm512_set1_pd(scale), one = _mm512_set1_pd(1), zero = _mm512_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d d = _mm512_cvtps_pd(_mm256_loadu_ps(g + j));
        // Where D = 0 (or NaN): (0 · scale) / 1 = +0, the serial loop's 0 (scale > 0).
        const __mmask8 positive = _mm512_cmp_pd_mask(d, zero, _CMP_GT_OQ);
        const __m512d cv = _mm512_maskz_mov_pd(positive, _mm512_cvtps_pd(_mm256_loadu_ps(m + j)));
        const __m512d q = _mm512_div_pd(_mm512_mul_pd(cv, scales), _mm512_mask_blend_pd(positive, one, d));
        _mm512_storeu_pd(w + j, q);
        if (c) _mm256_storeu_ps(c + j, _mm512_cvtpd_ps(_mm512_sub_pd(zero, q)));
    }
    weights_tail(g, m, c, scale, w, j, j, n);
}

AVX512 static inline void add_avx512(const double *w, double *r, size_t count) {
    size_t k = 0;
    for (; k + 8 <= count; k += 8) _mm512_storeu_pd(r + k, _mm512_add_pd(_mm512_loadu_pd(r + k), _mm512_loadu_pd(w + k)));
    add_tail(w, r, k, count);
}

// ---- AVX2 --------------------------------------------------------------------

/// For a four-bit mask, the 32-bit lanes that move the selected doubles to the front.
static const int32_t kCompress4[16][8] = {
    {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {2, 3, 0, 1, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
    {4, 5, 0, 1, 2, 3, 6, 7}, {0, 1, 4, 5, 2, 3, 6, 7}, {2, 3, 4, 5, 0, 1, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
    {6, 7, 0, 1, 2, 3, 4, 5}, {0, 1, 6, 7, 2, 3, 4, 5}, {2, 3, 6, 7, 0, 1, 4, 5}, {0, 1, 2, 3, 6, 7, 4, 5},
    {4, 5, 6, 7, 0, 1, 2, 3}, {0, 1, 4, 5, 6, 7, 2, 3}, {2, 3, 4, 5, 6, 7, 0, 1}, {0, 1, 2, 3, 4, 5, 6, 7},
};

AVX2 static inline double *store_active4(double *t, __m256d v, int mask) {
    const __m256i lanes = _mm256_loadu_si256((const __m256i *)kCompress4[mask]);
    _mm256_storeu_pd(t, _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), lanes)));
    return t + kBits[mask];
}

AVX2 static mb_margin_row all_row_avx2(float *g, const double *sq, const int32_t *l, size_t i, size_t n, float beta,
                                       float margin, double *t, float *c) {
    const int32_t li = l[i];
    const __m256d si = _mm256_set1_pd(sq[i]), two = _mm256_set1_pd(2), zero_d = _mm256_setzero_pd();
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d gram = _mm256_cvtps_pd(_mm_loadu_ps(g + j));
        __m256d d2 = _mm256_sub_pd(_mm256_add_pd(si, _mm256_loadu_pd(sq + j)), _mm256_mul_pd(two, gram));
        d2 = _mm256_blendv_pd(d2, zero_d, _mm256_cmp_pd(d2, zero_d, _CMP_LE_OQ));
        _mm_storeu_ps(g + j, _mm256_cvtpd_ps(_mm256_sqrt_pd(d2)));
    }
    distances_tail(g, sq, sq[i], j, n);
    g[i] = 0;
    const __m256i own = _mm256_set1_epi32(li);
    int64_t same = 0;
    for (j = 0; j + 8 <= n; j += 8)
        same += kBits[_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(l + j)), own)))];
    same += same_label_tail(l, li, j, n);
    const int64_t pm = (int64_t)n - 1 - (same - 1), nm = same - 1;
    mb_margin_row r = {0, 0, 0, nm};
    const __m256 betas = _mm256_set1_ps(beta), margins = _mm256_set1_ps(margin), zero = _mm256_setzero_ps();
    const __m256 positive_coefficient = _mm256_set1_ps((float)pm), negative_coefficient = _mm256_set1_ps(0 - (float)nm);
    const __m256 positive_weight = _mm256_set1_ps((float)pm), negative_weight = _mm256_set1_ps((float)nm);  // exact: < 2²⁴
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), diagonal = _mm256_set1_epi32((int32_t)i);
    int64_t positives = 0, negatives = 0;
    double *out = t;
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 d = _mm256_loadu_ps(g + j);
        const __m256 same_lanes = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(l + j)), own));
        const __m256 h = _mm256_blendv_ps(_mm256_add_ps(_mm256_sub_ps(betas, d), margins),
                                          _mm256_add_ps(_mm256_sub_ps(d, betas), margins), same_lanes);
        const __m256 self = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_add_epi32(iota, _mm256_set1_epi32((int32_t)j)), diagonal));
        const __m256 active = _mm256_andnot_ps(self, _mm256_cmp_ps(h, zero, _CMP_GT_OQ));
        _mm256_storeu_ps(c + j, _mm256_and_ps(active, _mm256_blendv_ps(negative_coefficient, positive_coefficient, same_lanes)));
        const int am = _mm256_movemask_ps(active), sm = _mm256_movemask_ps(same_lanes);
        positives += kBits[am & sm];
        negatives += kBits[am & ~sm & 0xff];
        const __m256 weight = _mm256_blendv_ps(negative_weight, positive_weight, same_lanes);
        const __m256d t0 = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(h)), _mm256_cvtps_pd(_mm256_castps256_ps128(weight)));
        const __m256d t1 = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(h, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(weight, 1)));
        out = store_active4(out, t0, am & 15);
        out = store_active4(out, t1, am >> 4);
    }
    r.positive = positives * pm;
    r.negative = negatives * nm;
    r.terms = out - t;
    hinge_tail(g, l, i, j, n, pm, nm, beta, margin, t, c, &r);
    return r;
}

AVX2 static void weights_avx2(const float *g, const float *m, float *c, double scale, double *w, size_t n) {
    const __m256d scales = _mm256_set1_pd(scale), one = _mm256_set1_pd(1), zero = _mm256_setzero_pd();
    const size_t body = n / 8 * 8;  // the Swift pass's eight-wide body (see weights_tail)
    size_t j = 0;
    for (; j < body; j += 4) {
        const __m256d d = _mm256_cvtps_pd(_mm_loadu_ps(g + j));
        const __m256d positive = _mm256_cmp_pd(d, zero, _CMP_GT_OQ);
        const __m256d cv = _mm256_and_pd(positive, _mm256_cvtps_pd(_mm_loadu_ps(m + j)));
        const __m256d q = _mm256_div_pd(_mm256_mul_pd(cv, scales), _mm256_blendv_pd(one, d, positive));
        _mm256_storeu_pd(w + j, q);
        if (c) _mm_storeu_ps(c + j, _mm256_cvtpd_ps(_mm256_sub_pd(zero, q)));
    }
    weights_tail(g, m, c, scale, w, j, body, n);
}

AVX2 static inline void add_avx2(const double *w, double *r, size_t count) {
    size_t k = 0;
    for (; k + 4 <= count; k += 4) _mm256_storeu_pd(r + k, _mm256_add_pd(_mm256_loadu_pd(r + k), _mm256_loadu_pd(w + k)));
    add_tail(w, r, k, count);
}

/// Row sums with eight own-row chains at a time in the lanes of two vectors (rows i..i+7 of
/// [lo, hi); two chains in flight hide the add latency): the contributions among the eight rows
/// that the serial loop adds before a row's own chain (W_{i+m, i+l}, m < l) come first, those it
/// adds after (m > l) last, and each lane is the one-row chain with W_kk added twice. ROWS8(i)
/// yields rows i..i+7 of W (stride n); rows left over run one by one.
#define ROW_SUMS_EIGHT(ADD, ROWS8, ROW, SLICE)                                                   \
    do {                                                                                         \
        for (size_t k = lo; k < hi; k++) r[k] = 0;                                               \
        size_t i = 0;                                                                            \
        while (i < n) {                                                                          \
            if (i >= lo && i + 8 <= hi) {                                                        \
                const double *row = ROWS8(i);                                                    \
                for (size_t q = 0; q < 8; q++) {                                                 \
                    ADD(row + q * n + lo, r + lo, i - lo);                                       \
                    ADD(row + q * n + i + 8, r + i + 8, hi - i - 8);                             \
                }                                                                                \
                for (size_t q = 1; q < 8; q++)                                                   \
                    for (size_t m = 0; m < q; m++) r[i + q] += row[m * n + i + q];               \
                const double *p0 = row, *p1 = row + n, *p2 = row + 2 * n, *p3 = row + 3 * n;     \
                const double *p4 = row + 4 * n, *p5 = row + 5 * n, *p6 = row + 6 * n, *p7 = row + 7 * n; \
                __m256d a = _mm256_loadu_pd(r + i), b = _mm256_loadu_pd(r + i + 4);             \
                for (size_t j = 0; j < i; j++) {                                                 \
                    a = _mm256_add_pd(a, _mm256_setr_pd(p0[j], p1[j], p2[j], p3[j]));            \
                    b = _mm256_add_pd(b, _mm256_setr_pd(p4[j], p5[j], p6[j], p7[j]));            \
                }                                                                                \
                for (size_t q = 0; q < 8; q++) {                                                 \
                    const size_t j = i + q;                                                      \
                    const __m256d va = _mm256_setr_pd(p0[j], p1[j], p2[j], p3[j]);              \
                    const __m256d vb = _mm256_setr_pd(p4[j], p5[j], p6[j], p7[j]);              \
                    a = _mm256_add_pd(a, va);                                                    \
                    b = _mm256_add_pd(b, vb);                                                    \
                    double twice[4] = {0, 0, 0, 0};                                              \
                    twice[q % 4] = row[q * n + j];                                               \
                    if (q < 4) a = _mm256_add_pd(a, _mm256_loadu_pd(twice));                     \
                    else b = _mm256_add_pd(b, _mm256_loadu_pd(twice));                           \
                }                                                                                \
                for (size_t j = i + 8; j < n; j++) {                                             \
                    a = _mm256_add_pd(a, _mm256_setr_pd(p0[j], p1[j], p2[j], p3[j]));            \
                    b = _mm256_add_pd(b, _mm256_setr_pd(p4[j], p5[j], p6[j], p7[j]));            \
                }                                                                                \
                _mm256_storeu_pd(r + i, a);                                                      \
                _mm256_storeu_pd(r + i + 4, b);                                                  \
                for (size_t q = 0; q < 7; q++)                                                   \
                    for (size_t m = q + 1; m < 8; m++) r[i + q] += row[m * n + i + q];           \
                i += 8;                                                                          \
            } else if (i >= lo && i < hi) {                                                      \
                const double *row = ROW(i);                                                      \
                ADD(row + lo, r + lo, i - lo);                                                   \
                double own1 = r[i];                                                              \
                for (size_t j = 0; j < n; j++) {                                                 \
                    own1 += row[j];                                                              \
                    if (j == i) own1 += row[j];                                                  \
                }                                                                                \
                r[i] = own1;                                                                     \
                ADD(row + i + 1, r + i + 1, hi - i - 1);                                         \
                i += 1;                                                                          \
            } else {                                                                             \
                const double *row = SLICE(i);                                                    \
                ADD(row + lo, r + lo, hi - lo);                                                  \
                i += 1;                                                                          \
            }                                                                                    \
        }                                                                                        \
    } while (0)

AVX512 static void row_sums_avx512(const double *w, double *r, size_t n, size_t lo, size_t hi) {
    ROW_SUMS_EIGHT(add_avx512, W_ROW, W_ROW, W_ROW);
}

AVX2 static void row_sums_avx2(const double *w, double *r, size_t n, size_t lo, size_t hi) {
    ROW_SUMS_EIGHT(add_avx2, W_ROW, W_ROW, W_ROW);
}

// Eight rows of W in full into the scratch's eight rows (stride n), their −W floats into c.
#define FUSED_ROWS8(WEIGHTS, i)                                                                  \
    ({                                                                                           \
        for (size_t q_ = 0; q_ < 8; q_++)                                                        \
            WEIGHTS(g + ((i) + q_) * n, m + ((i) + q_) * n, c + ((i) + q_) * n, scale, s + q_ * n, n); \
        s;                                                                                       \
    })
#define AVX512_ROWS8(i) FUSED_ROWS8(weights_avx512, i)
#define AVX512_ROW(i) FUSED_ROW(weights_avx512, i)
#define AVX512_SLICE(i) FUSED_SLICE(weights_avx512, i)
#define AVX2_ROWS8(i) FUSED_ROWS8(weights_avx2, i)
#define AVX2_ROW(i) FUSED_ROW(weights_avx2, i)
#define AVX2_SLICE(i) FUSED_SLICE(weights_avx2, i)

AVX512 static void weights_and_sums_avx512(const float *g, const float *m, float *c, double scale, double *s, double *r,
                                           size_t n, size_t lo, size_t hi) {
    ROW_SUMS_EIGHT(add_avx512, AVX512_ROWS8, AVX512_ROW, AVX512_SLICE);
}

AVX2 static void weights_and_sums_avx2(const float *g, const float *m, float *c, double scale, double *s, double *r,
                                       size_t n, size_t lo, size_t hi) {
    ROW_SUMS_EIGHT(add_avx2, AVX2_ROWS8, AVX2_ROW, AVX2_SLICE);
}

#endif

// ---- dispatch ----------------------------------------------------------------

mb_margin_row mb_margin_all_row(int isa, float *g, const double *sq, const int32_t *labels, size_t i, size_t n,
                                float beta, float margin, double *t, float *c) {
#if defined(__x86_64__)
    if (isa >= 2) return all_row_avx512(g, sq, labels, i, n, beta, margin, t, c);
    if (isa == 1) return all_row_avx2(g, sq, labels, i, n, beta, margin, t, c);
#endif
    (void)isa;
    return all_row_portable(g, sq, labels, i, n, beta, margin, t, c);
}

void mb_margin_weights_row(int isa, const float *g, float *c, double scale, double *w, size_t n) {
#if defined(__x86_64__)
    if (isa >= 2) { weights_avx512(g, c, c, scale, w, n); return; }
    if (isa == 1) { weights_avx2(g, c, c, scale, w, n); return; }
#endif
    (void)isa;
    weights_tail(g, c, c, scale, w, 0, n / 8 * 8, n);
}

void mb_margin_weights_and_sums(int isa, const float *g, const float *m, float *c, double scale, double *scratch,
                                double *r, size_t n, size_t lo, size_t hi) {
#if defined(__x86_64__)
    if (isa >= 2) { weights_and_sums_avx512(g, m, c, scale, scratch, r, n, lo, hi); return; }
    if (isa == 1) { weights_and_sums_avx2(g, m, c, scale, scratch, r, n, lo, hi); return; }
#endif
    (void)isa;
    weights_and_sums_portable(g, m, c, scale, scratch, r, n, lo, hi);
}

void mb_margin_row_sums(int isa, const double *w, double *r, size_t n, size_t lo, size_t hi) {
#if defined(__x86_64__)
    if (isa >= 2) { row_sums_avx512(w, r, n, lo, hi); return; }
    if (isa == 1) { row_sums_avx2(w, r, n, lo, hi); return; }
#endif
    (void)isa;
    row_sums_portable(w, r, n, lo, hi);
}
