#ifndef METRICBENCH_CKERNELS_KNN_H
#define METRICBENCH_CKERNELS_KNN_H

// The filter of the exact kNN's tile scan, 8 (AVX2) or 16 (AVX-512) columns
// at a time; MetricLearning's _CandidateLists.consume keeps the portable
// Swift version, and the tests compare the two paths' neighbour lists.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__)

/// One row of a distance tile (the query with squared norm `nq`) against
/// columns `start ..< n`: d = max(0, (nq + norms[c]) − 2·dots[c]), negative
/// results replaced by 0 (−0 kept). Where d ≤ row_threshold it appends the
/// sort key of (d, index_base + c) to `row_hits` (count in *row_count); where
/// d ≤ col_threshold[c] it appends the key of (d, c) to `col_hits`, whose
/// count it returns. A key is (bits(d) | 2³¹) << 32 | index, as
/// NumericCore.SortKey.make(nonNegative:_:). Both buffers need n − start
/// slots. `isa`: 2 AVX-512F, 1 AVX2, 0 scalar C.
size_t mb_knn_scan_row(int isa, const float *dots, const float *norms, const float *col_threshold, float nq,
                       float row_threshold, uint32_t index_base, size_t start, size_t n, uint64_t *row_hits,
                       size_t *row_count, uint64_t *col_hits);

#endif

#ifdef __cplusplus
}
#endif

#endif
