#ifndef METRICBENCH_CKERNELS_LOSS_H
#define METRICBENCH_CKERNELS_LOSS_H

// Row passes of the pair losses: the B × B pair mask (MetricLearning's _PairMask)
// and SupCon's dL/dS row. Portable C on every platform, also in AVX2 and
// AVX-512F instances chosen by `wide`: each function returns what its Swift
// loop returned, bit for bit (no FMA contraction); MetricLearningTests'
// LossKernelTests and SupConRowPassTests compare them with the Swift loops.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows i0 ..< i1 of a B × B pair mask (`b` = B): mask[i·b + j] = 0 on the
/// diagonal, 1 where labels[i] == labels[j], else 2. Returns the number of
/// 1s written. `wide` (WideISA.selected: 0 baseline, 1 AVX2, 2 AVX-512F) picks the instruction set.
int64_t mb_pair_mask_rows(int wide, const int32_t *labels, size_t b, size_t i0, size_t i1, uint8_t *mask);

/// SupCon's dL/dS over one row, in place: for mask[j] != 0,
/// c[j] = Float((Double(c[j]) · softmax_scale − (mask[j] == 1 ? share : 0)) · inv_t · scale), else 0;
/// in the instruction set `wide` (as mb_pair_mask_rows; the same bits in each).
void mb_supcon_coefficients(int wide, float *c, const uint8_t *mask, size_t n, double softmax_scale, double share,
                            double inv_t, double scale);

#ifdef __cplusplus
}
#endif

#endif
