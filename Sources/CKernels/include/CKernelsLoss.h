#ifndef METRICBENCH_CKERNELS_LOSS_H
#define METRICBENCH_CKERNELS_LOSS_H

// Row passes of the pair losses at large batches (MetricLearning's _PairMask
// and NTXentLoss). Portable C on every platform (the mask and SupCon's dL/dS pass also in AVX2 and
// AVX-512F instances chosen by `wide`): each function returns what
// its Swift loop returned, bit for bit (no FMA contraction; the maximum keeps
// Swift.max's choice among equal values); MetricLearningTests/LossKernelTests
// compares them with the Swift loops.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows i0 ..< i1 of a B × B pair mask (`b` = B): mask[i·b + j] = 0 on the
/// diagonal, 1 where labels[i] == labels[j], else 2. Returns the number of
/// 1s written. `wide` (WideISA.selected: 0 baseline, 1 AVX2, 2 AVX-512F) picks the instruction set.
int64_t mb_pair_mask_rows(int wide, const int32_t *labels, size_t b, size_t i0, size_t i1, uint8_t *mask);

// The four masked-row scans below were NT-Xent's and SupCon's passes before CKernelsContrastive.h;
// the losses no longer call them, the tests keep them as the former passes' reference.

/// The serial `m = −∞; for j where mask[j] == want { m = Swift.max(m, Double(s[j]) · scale) }`
/// over j < n.
double mb_masked_max_scaled(const float *s, const uint8_t *mask, uint8_t want, size_t n, double scale);

/// out[k++] = Double(s[j]) · scale − shift for every j < n with mask[j] == want,
/// in column order; returns k. `out` needs room for n values.
size_t mb_masked_compact_scaled(const float *s, const uint8_t *mask, uint8_t want, size_t n, double scale,
                                double shift, double *out);

/// For every j < n with mask[j] == want, in column order (k counting them):
/// z = Double(s[j]) · scale, top = Swift.max(z, m) (m when m ≥ z),
/// first[k] = z − top, second[k] = m − top. Returns k.
size_t mb_masked_top_scaled(const float *s, const uint8_t *mask, uint8_t want, size_t n, double scale, double m,
                            double *first, double *second);

/// `mb_masked_max_scaled` over the selected columns (mask[j] != 0, either kind of pair): SupCon's
/// row maximum.
double mb_selected_max_scaled(const float *s, const uint8_t *mask, size_t n, double scale);

/// `mb_masked_compact_scaled` over the selected columns (mask[j] != 0). `out` needs room for n values.
size_t mb_selected_compact_scaled(const float *s, const uint8_t *mask, size_t n, double scale, double shift,
                                  double *out);

/// SupCon's dL/dS over one row, in place: for mask[j] != 0,
/// c[j] = Float((Double(c[j]) · softmax_scale − (mask[j] == 1 ? share : 0)) · inv_t · scale), else 0;
/// in the instruction set `wide` (as mb_pair_mask_rows; the same bits in each).
void mb_supcon_coefficients(int wide, float *c, const uint8_t *mask, size_t n, double softmax_scale, double share,
                            double inv_t, double scale);

#ifdef __cplusplus
}
#endif

#endif
