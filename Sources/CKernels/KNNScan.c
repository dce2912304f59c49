// The kNN tile scan's filter (MetricLearning/Metrics/NearestNeighbors.swift,
// _CandidateLists.consume); see include/CKernelsKNN.h.
//
// Bits: the distance of every lane is the Swift _squaredDistance,
// (nq + norm) − 2·dot with negative results replaced by 0, in the same order
// (2·dot is exact, so even a fused multiply-subtract would round the same), and
// the comparisons are the ordered ones the Swift code uses.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsKNN.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

static inline uint64_t knn_key(float d, uint32_t index) {
    uint32_t bits;
    memcpy(&bits, &d, sizeof bits);
    return (uint64_t)(bits | 0x80000000u) << 32 | index;
}

static inline float knn_distance(float nq, float norm, float dot) {
    float d = (nq + norm) - 2.0f * dot;
    return d < 0 ? 0 : d;
}

// Columns c of [c, n) one at a time: the tail of both vector bodies.
static inline void knn_scan_tail(const float *dots, const float *norms, const float *col_threshold, float nq,
                                 float row_threshold, uint32_t index_base, size_t c, size_t n, uint64_t *row_hits,
                                 size_t *rows, uint64_t *col_hits, size_t *cols) {
    for (; c < n; c++) {
        float d = knn_distance(nq, norms[c], dots[c]);
        if (d <= row_threshold) row_hits[(*rows)++] = knn_key(d, index_base + (uint32_t)c);
        if (d <= col_threshold[c]) col_hits[(*cols)++] = knn_key(d, (uint32_t)c);
    }
}

__attribute__((target("avx2")))
static size_t knn_scan_avx2(const float *dots, const float *norms, const float *col_threshold, float nq,
                            float row_threshold, uint32_t index_base, size_t c, size_t n, uint64_t *row_hits,
                            size_t *row_count, uint64_t *col_hits) {
    const __m256 q = _mm256_set1_ps(nq), two = _mm256_set1_ps(2.0f), zero = _mm256_setzero_ps(),
                 rt = _mm256_set1_ps(row_threshold);
    size_t rows = 0, cols = 0;
    for (; c + 8 <= n; c += 8) {
        __m256 d = _mm256_sub_ps(_mm256_add_ps(q, _mm256_loadu_ps(norms + c)), _mm256_mul_ps(two, _mm256_loadu_ps(dots + c)));
        d = _mm256_blendv_ps(d, zero, _mm256_cmp_ps(d, zero, _CMP_LT_OQ));
        unsigned rm = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d, rt, _CMP_LE_OQ));
        unsigned cm = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d, _mm256_loadu_ps(col_threshold + c), _CMP_LE_OQ));
        if ((rm | cm) == 0) continue;
        float lanes[8];
        _mm256_storeu_ps(lanes, d);
        for (; rm; rm &= rm - 1) {
            unsigned l = (unsigned)__builtin_ctz(rm);
            row_hits[rows++] = knn_key(lanes[l], index_base + (uint32_t)(c + l));
        }
        for (; cm; cm &= cm - 1) {
            unsigned l = (unsigned)__builtin_ctz(cm);
            col_hits[cols++] = knn_key(lanes[l], (uint32_t)(c + l));
        }
    }
    knn_scan_tail(dots, norms, col_threshold, nq, row_threshold, index_base, c, n, row_hits, &rows, col_hits, &cols);
    *row_count = rows;
    return cols;
}

__attribute__((target("avx512f")))
static size_t knn_scan_avx512(const float *dots, const float *norms, const float *col_threshold, float nq,
                              float row_threshold, uint32_t index_base, size_t c, size_t n, uint64_t *row_hits,
                              size_t *row_count, uint64_t *col_hits) {
    const __m512 q = _mm512_set1_ps(nq), two = _mm512_set1_ps(2.0f), zero = _mm512_setzero_ps(),
                 rt = _mm512_set1_ps(row_threshold);
    size_t rows = 0, cols = 0;
    for (; c + 16 <= n; c += 16) {
        __m512 d = _mm512_sub_ps(_mm512_add_ps(q, _mm512_loadu_ps(norms + c)), _mm512_mul_ps(two, _mm512_loadu_ps(dots + c)));
        d = _mm512_mask_mov_ps(d, _mm512_cmp_ps_mask(d, zero, _CMP_LT_OQ), zero);
        unsigned rm = _mm512_cmp_ps_mask(d, rt, _CMP_LE_OQ);
        unsigned cm = _mm512_cmp_ps_mask(d, _mm512_loadu_ps(col_threshold + c), _CMP_LE_OQ);
        if ((rm | cm) == 0) continue;
        float lanes[16];
        _mm512_storeu_ps(lanes, d);
        for (; rm; rm &= rm - 1) {
            unsigned l = (unsigned)__builtin_ctz(rm);
            row_hits[rows++] = knn_key(lanes[l], index_base + (uint32_t)(c + l));
        }
        for (; cm; cm &= cm - 1) {
            unsigned l = (unsigned)__builtin_ctz(cm);
            col_hits[cols++] = knn_key(lanes[l], (uint32_t)(c + l));
        }
    }
    knn_scan_tail(dots, norms, col_threshold, nq, row_threshold, index_base, c, n, row_hits, &rows, col_hits, &cols);
    *row_count = rows;
    return cols;
}

size_t mb_knn_scan_row(int isa, const float *dots, const float *norms, const float *col_threshold, float nq,
                       float row_threshold, uint32_t index_base, size_t start, size_t n, uint64_t *row_hits,
                       size_t *row_count, uint64_t *col_hits) {
    if (isa >= 2)
        return knn_scan_avx512(dots, norms, col_threshold, nq, row_threshold, index_base, start, n, row_hits, row_count, col_hits);
    if (isa == 1)
        return knn_scan_avx2(dots, norms, col_threshold, nq, row_threshold, index_base, start, n, row_hits, row_count, col_hits);
    size_t rows = 0, cols = 0;
    knn_scan_tail(dots, norms, col_threshold, nq, row_threshold, index_base, start, n, row_hits, &rows, col_hits, &cols);
    *row_count = rows;
    return cols;
}

#endif
