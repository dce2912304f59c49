// Row passes of the triplet miner; see include/CKernelsTriplet.h.
//
// Bits: the semi-hard choice is a minimum over integer keys (exact, so any
// grouping of the candidates gives the same key) followed by the Swift loop's
// one float addition and comparison per positive, without FMA contraction.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsTriplet.h"

#include <string.h>

// SortKey.make(value, index): the float's bits ordered as unsigned integers
// (−0 as +0), then the index.
static inline uint64_t sort_key(float v, int32_t index) {
    uint32_t bits;
    const float w = v == 0 ? 0.0f : v;
    memcpy(&bits, &w, sizeof bits);
    const uint32_t ordered = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return (uint64_t)ordered << 32 | (uint32_t)index;
}

static inline uint64_t min_key(uint64_t a, uint64_t b) { return b < a ? b : a; }

void mb_semihard_choose(const float *row, const uint64_t *keys, size_t k, const float *values,
                        const int32_t *indices, const int32_t *ranks, size_t c, float margin, uint64_t *best,
                        int32_t *chosen) {
    // Four independent per-rank minima: consecutive candidates often share a rank (all beyond
    // the farthest positive, say), and one table would chain every update through memory.
    const size_t stride = k + 1;
    uint64_t *b0 = best, *b1 = best + stride, *b2 = best + 2 * stride, *b3 = best + 3 * stride;
    for (size_t r = 0; r < 4 * stride; r++) best[r] = UINT64_MAX;
    size_t j = 0;
    for (; j + 4 <= c; j += 4) {
        const uint64_t k0 = sort_key(values[j], indices[j]), k1 = sort_key(values[j + 1], indices[j + 1]);
        const uint64_t k2 = sort_key(values[j + 2], indices[j + 2]), k3 = sort_key(values[j + 3], indices[j + 3]);
        uint64_t *s0 = b0 + ranks[j], *s1 = b1 + ranks[j + 1], *s2 = b2 + ranks[j + 2], *s3 = b3 + ranks[j + 3];
        *s0 = min_key(*s0, k0);
        *s1 = min_key(*s1, k1);
        *s2 = min_key(*s2, k2);
        *s3 = min_key(*s3, k3);
    }
    for (; j < c; j++) {
        uint64_t *s = b0 + ranks[j];
        *s = min_key(*s, sort_key(values[j], indices[j]));
    }
    // Positive t's nearest candidate beyond it: the minimum over the ranks above t.
    uint64_t nearest = UINT64_MAX;
    for (size_t t = k; t-- > 0;) {
        const size_t r = t + 1;
        nearest = min_key(nearest, min_key(min_key(b0[r], b1[r]), min_key(b2[r], b3[r])));
        if (nearest == UINT64_MAX) continue;
        const size_t p = (size_t)(uint32_t)keys[t], n = (size_t)(uint32_t)nearest;
        if (row[n] < row[p] + margin) chosen[p] = (int32_t)n;
    }
}

// ---- The semi-hard choice by direct minima (AVX2, AVX-512) ----------------------------------
//
// For a positive p at s = row[p] the miner's choice is the nearest candidate beyond it: the
// smallest (value, index) key among the candidates with value > s (a candidate of strict rank
// r is beyond the positives of rank < r, that is exactly those with s < value), kept when
// row[n] < s + margin. Here that minimum is taken directly over the compacted candidates, 8 or
// 16 at a time, each lane keeping its smallest value above s and that value's first position
// (candidates are in index order); then the smallest value over the lanes (a minimum of floats
// is one value, except that −0 and +0 compare equal, and both have the key value 0) and the
// smallest position among the lanes holding it: the lowest index among equal keys. No sort and
// no rank table; the cost is positives × candidates / lanes, so the caller uses it for classes
// of at most 64 (AVX2) or 128 (AVX-512) positives. Candidates
// are compacted as _compactNegatives does: y[n] ≠ label and lowest < row[n] < highest + margin
// (row[n] ≥ lowest.nextUp there), which drops only negatives that no window can choose.

#if defined(__x86_64__)
#include <immintrin.h>

// The smallest and largest non-NaN positive value (count of them in *k); every chosen[p] = −1.
static inline float positive_extremes(const float *row, const int32_t *positives, size_t count, int32_t *chosen,
                                      float *highest, size_t *k) {
    float lo = __builtin_inff(), hi = -__builtin_inff();
    size_t nonNaN = 0;
    for (size_t t = 0; t < count; t++) {
        const int32_t p = positives[t];
        chosen[p] = -1;
        const float v = row[p];
        if (v != v) continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        nonNaN++;
    }
    *highest = hi;
    *k = nonNaN;
    return lo;
}

__attribute__((target("avx512f")))
static size_t semihard_compact_avx512(const float *row, const int32_t *y, size_t b, int32_t label, float lowest,
                                      float limit, float *values, int32_t *indices) {
    const __m512 low = _mm512_set1_ps(lowest), high = _mm512_set1_ps(limit);
    const __m512i own = _mm512_set1_epi32(label);
    __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i sixteen = _mm512_set1_epi32(16);
    size_t c = 0, n = 0;
    for (; n + 16 <= b; n += 16) {
        const __m512 v = _mm512_loadu_ps(row + n);
        const __m512i l = _mm512_loadu_si512((const void *)(y + n));
        const __mmask16 m = _mm512_cmpneq_epi32_mask(l, own) & _mm512_cmp_ps_mask(v, low, _CMP_GT_OQ) &
                            _mm512_cmp_ps_mask(v, high, _CMP_LT_OQ);
        _mm512_mask_compressstoreu_ps(values + c, m, v);
        _mm512_mask_compressstoreu_epi32(indices + c, m, lane);
        c += (size_t)__builtin_popcount((unsigned)m);
        lane = _mm512_add_epi32(lane, sixteen);
    }
    for (; n < b; n++) {
        const float v = row[n];
        values[c] = v;
        indices[c] = (int32_t)n;
        c += (y[n] != label) & (v > lowest) & (v < limit);
    }
    for (size_t t = c; t < c + 16; t++) values[t] = __builtin_nanf("");  // never > s, never == a minimum
    return c;
}

// For four positives at s[0..<4], the position in the candidates of the nearest one above s[i]
// (−1 when none): per lane the smallest value above s[i] and its first position (a strict <
// keeps the first of equal values), then the smallest value over the lanes and the smallest
// position among the lanes that hold it. Four independent chains share each load.
__attribute__((target("avx512f")))
static inline void nearest_above4_avx512(const float *values, size_t c, const float s[4], int32_t at[4]) {
    const __m512 inf = _mm512_set1_ps(__builtin_inff());
    const __m512i none = _mm512_set1_epi32(INT32_MAX), sixteen = _mm512_set1_epi32(16);
    __m512 sv[4], best[4];
    __m512i where[4];
    for (int i = 0; i < 4; i++) {
        sv[i] = _mm512_set1_ps(s[i]);
        best[i] = inf;
        where[i] = none;
    }
    __m512i position = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (size_t j = 0; j < c; j += 16) {
        const __m512 v = _mm512_loadu_ps(values + j);
        for (int i = 0; i < 4; i++) {
            const __mmask16 closer =
                _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(v, sv[i], _CMP_GT_OQ), v, best[i], _CMP_LT_OQ);
            best[i] = _mm512_mask_mov_ps(best[i], closer, v);
            where[i] = _mm512_mask_mov_epi32(where[i], closer, position);
        }
        position = _mm512_add_epi32(position, sixteen);
    }
    for (int i = 0; i < 4; i++) {
        const float m = _mm512_reduce_min_ps(best[i]);
        const __mmask16 lanes = _mm512_cmp_ps_mask(best[i], _mm512_set1_ps(m), _CMP_EQ_OQ);
        const int32_t first = _mm512_mask_reduce_min_epi32(lanes, where[i]);
        at[i] = m == __builtin_inff() ? -1 : first;
    }
}

__attribute__((target("avx512f")))
static void semihard_direct_avx512(const float *row, const int32_t *y, size_t b, int32_t label,
                                   const int32_t *positives, size_t count, float margin, float *values,
                                   int32_t *indices, int32_t *chosen) {
    float highest;
    size_t k;
    const float lowest = positive_extremes(row, positives, count, chosen, &highest, &k);
    if (k == 0) return;
    const size_t c = semihard_compact_avx512(row, y, b, label, lowest, highest + margin, values, indices);
    if (c == 0) return;
    for (size_t t = 0; t < count; t += 4) {
        // Four positives at a time (the last group padded with NaN: nothing is above it).
        float s[4];
        int32_t at[4];
        for (size_t i = 0; i < 4; i++) s[i] = t + i < count ? row[positives[t + i]] : __builtin_nanf("");
        nearest_above4_avx512(values, c, s, at);
        for (size_t i = 0; i < 4 && t + i < count; i++) {
            if (at[i] < 0) continue;
            const int32_t p = positives[t + i], n = indices[at[i]];
            chosen[p] = row[n] < row[p] + margin ? n : chosen[p];
        }
    }
}

__attribute__((target("avx2")))
static size_t semihard_compact_avx2(const float *row, const int32_t *y, size_t b, int32_t label, float lowest,
                                    float limit, float *values, int32_t *indices) {
    const __m256 low = _mm256_set1_ps(lowest), high = _mm256_set1_ps(limit);
    const __m256i own = _mm256_set1_epi32(label);
    size_t c = 0, n = 0;
    for (; n + 8 <= b; n += 8) {
        const __m256 v = _mm256_loadu_ps(row + n);
        const __m256i l = _mm256_loadu_si256((const __m256i *)(y + n));
        const __m256 keep = _mm256_and_ps(
            _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(l, own)), _mm256_cmp_ps(v, low, _CMP_GT_OQ)),
            _mm256_cmp_ps(v, high, _CMP_LT_OQ));
        const unsigned bits = (unsigned)_mm256_movemask_ps(keep);
        float lanes[8];
        _mm256_storeu_ps(lanes, v);
        for (unsigned t = 0; t < 8; t++) {
            values[c] = lanes[t];
            indices[c] = (int32_t)(n + t);
            c += (bits >> t) & 1;
        }
    }
    for (; n < b; n++) {
        const float v = row[n];
        values[c] = v;
        indices[c] = (int32_t)n;
        c += (y[n] != label) & (v > lowest) & (v < limit);
    }
    for (size_t t = c; t < c + 16; t++) values[t] = __builtin_nanf("");
    return c;
}

__attribute__((target("avx2")))
static inline float min8_avx2(__m256 m) {
    __m128 h = _mm_min_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_min_ps(h, _mm_movehl_ps(h, h));
    h = _mm_min_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

// nearest_above4_avx512 in eight lanes.
__attribute__((target("avx2")))
static inline void nearest_above4_avx2(const float *values, size_t c, const float s[4], int32_t at[4]) {
    const __m256 inf = _mm256_set1_ps(__builtin_inff());
    const __m256i none = _mm256_set1_epi32(INT32_MAX), eight = _mm256_set1_epi32(8);
    __m256 sv[4], best[4];
    __m256i where[4];
    for (int i = 0; i < 4; i++) {
        sv[i] = _mm256_set1_ps(s[i]);
        best[i] = inf;
        where[i] = none;
    }
    __m256i position = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t j = 0; j < c; j += 8) {
        const __m256 v = _mm256_loadu_ps(values + j);
        for (int i = 0; i < 4; i++) {
            const __m256 closer = _mm256_and_ps(_mm256_cmp_ps(v, sv[i], _CMP_GT_OQ), _mm256_cmp_ps(v, best[i], _CMP_LT_OQ));
            best[i] = _mm256_blendv_ps(best[i], v, closer);
            where[i] = _mm256_castps_si256(
                _mm256_blendv_ps(_mm256_castsi256_ps(where[i]), _mm256_castsi256_ps(position), closer));
        }
        position = _mm256_add_epi32(position, eight);
    }
    for (int i = 0; i < 4; i++) {
        const float m = min8_avx2(best[i]);
        const __m256 lanes = _mm256_cmp_ps(best[i], _mm256_set1_ps(m), _CMP_EQ_OQ);
        int32_t w[8];
        _mm256_storeu_si256((__m256i *)w, _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(none), _mm256_castsi256_ps(where[i]), lanes)));
        int32_t first = w[0];
        for (int l = 1; l < 8; l++) first = w[l] < first ? w[l] : first;
        at[i] = m == __builtin_inff() ? -1 : first;
    }
}

__attribute__((target("avx2")))
static void semihard_direct_avx2(const float *row, const int32_t *y, size_t b, int32_t label,
                                 const int32_t *positives, size_t count, float margin, float *values,
                                 int32_t *indices, int32_t *chosen) {
    float highest;
    size_t k;
    const float lowest = positive_extremes(row, positives, count, chosen, &highest, &k);
    if (k == 0) return;
    const size_t c = semihard_compact_avx2(row, y, b, label, lowest, highest + margin, values, indices);
    if (c == 0) return;
    for (size_t t = 0; t < count; t += 4) {
        float s[4];
        int32_t at[4];
        for (size_t i = 0; i < 4; i++) s[i] = t + i < count ? row[positives[t + i]] : __builtin_nanf("");
        nearest_above4_avx2(values, c, s, at);
        for (size_t i = 0; i < 4 && t + i < count; i++) {
            if (at[i] < 0) continue;
            const int32_t p = positives[t + i], n = indices[at[i]];
            chosen[p] = row[n] < row[p] + margin ? n : chosen[p];
        }
    }
}

// ---- Ranks by direct counts (AVX2, AVX-512) -----------------------------------------------------
//
// ranks[j] = #{t < k : sorted[t] < values[j]} (strict) or ≤: the count _RankTable.ranks gives
// (an exact integer, so any way of counting gives it), here as k broadcast comparisons per 8 or
// 16 candidates instead of a bucket lookup per candidate; for small k only.

__attribute__((target("avx512f")))
static void rank_direct_avx512(const float *sorted, size_t k, const float *values, size_t c, int32_t *ranks,
                               int strict) {
    const __m512i one = _mm512_set1_epi32(1);
    size_t j = 0;
    for (; j < c; j += 32) {  // two groups of 16 per pass over the sorted values; the tail reads padding
        const __m512 v0 = _mm512_loadu_ps(values + j), v1 = _mm512_loadu_ps(values + j + 16);
        __m512i r0 = _mm512_setzero_si512(), r1 = _mm512_setzero_si512();
        for (size_t t = 0; t < k; t++) {
            const __m512 s = _mm512_set1_ps(sorted[t]);
            const __mmask16 m0 = strict ? _mm512_cmp_ps_mask(s, v0, _CMP_LT_OQ) : _mm512_cmp_ps_mask(s, v0, _CMP_LE_OQ);
            const __mmask16 m1 = strict ? _mm512_cmp_ps_mask(s, v1, _CMP_LT_OQ) : _mm512_cmp_ps_mask(s, v1, _CMP_LE_OQ);
            r0 = _mm512_mask_add_epi32(r0, m0, r0, one);
            r1 = _mm512_mask_add_epi32(r1, m1, r1, one);
        }
        _mm512_storeu_si512((void *)(ranks + j), r0);
        _mm512_storeu_si512((void *)(ranks + j + 16), r1);
    }
}

__attribute__((target("avx2")))
static void rank_direct_avx2(const float *sorted, size_t k, const float *values, size_t c, int32_t *ranks,
                             int strict) {
    for (size_t j = 0; j < c; j += 16) {
        const __m256 v0 = _mm256_loadu_ps(values + j), v1 = _mm256_loadu_ps(values + j + 8);
        __m256i r0 = _mm256_setzero_si256(), r1 = _mm256_setzero_si256();
        for (size_t t = 0; t < k; t++) {
            const __m256 s = _mm256_set1_ps(sorted[t]);
            const __m256 m0 = strict ? _mm256_cmp_ps(s, v0, _CMP_LT_OQ) : _mm256_cmp_ps(s, v0, _CMP_LE_OQ);
            const __m256 m1 = strict ? _mm256_cmp_ps(s, v1, _CMP_LT_OQ) : _mm256_cmp_ps(s, v1, _CMP_LE_OQ);
            r0 = _mm256_sub_epi32(r0, _mm256_castps_si256(m0));  // a true lane is −1
            r1 = _mm256_sub_epi32(r1, _mm256_castps_si256(m1));
        }
        _mm256_storeu_si256((__m256i *)(ranks + j), r0);
        _mm256_storeu_si256((__m256i *)(ranks + j + 8), r1);
    }
}
#endif

int mb_rank_direct(int isa, const float *sorted, size_t k, const float *values, size_t c, int32_t *ranks, int strict) {
#if defined(__x86_64__)
    if (isa >= 2) {
        rank_direct_avx512(sorted, k, values, c, ranks, strict);
        return 1;
    }
    if (isa == 1) {
        rank_direct_avx2(sorted, k, values, c, ranks, strict);
        return 1;
    }
#endif
    (void)isa, (void)sorted, (void)k, (void)values, (void)c, (void)ranks, (void)strict;
    return 0;
}

int mb_semihard_direct(int isa, const float *row, const int32_t *y, size_t b, int32_t label, const int32_t *positives,
                       size_t count, float margin, float *values, int32_t *indices, int32_t *chosen) {
#if defined(__x86_64__)
    if (isa >= 2) {
        semihard_direct_avx512(row, y, b, label, positives, count, margin, values, indices, chosen);
        return 1;
    }
    if (isa == 1) {
        semihard_direct_avx2(row, y, b, label, positives, count, margin, values, indices, chosen);
        return 1;
    }
#endif
    (void)isa, (void)row, (void)y, (void)b, (void)label, (void)positives, (void)count, (void)margin, (void)values;
    (void)indices, (void)chosen;
    return 0;
}
