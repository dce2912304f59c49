#ifndef METRICBENCH_CKERNELS_PAIR_LOSS_H
#define METRICBENCH_CKERNELS_PAIR_LOSS_H

// Whole-row passes of CircleLoss and MultiSimilarityLoss (MetricLearning):
// one call per row and pass instead of the Swift loops over the B columns.
// Each returns the bits the former Swift loops returned: the same operations
// per element in the same order, no FMA contraction, the sums in column order,
// the maxima with Swift.max's choice among equal values (see PairLossKernels.c);
// MetricLearningTests/PairLossRowPassTests compares them with those loops.
//
// Rows are not compacted: `e` gets one value per column, n in all, and the
// unselected columns (mask 0) hold values that are never read back into a
// result. `mask` is _PairMask's row: 0 none, 1 positive, 2 negative.
// `isa` is a value of mb_exp_isa() (VectorExp.isa), passed through to mb_exp; from 1 on, the
// passes themselves also run as AVX2 code (same operations, same bits).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Per kind of pair (positive, negative): a row's largest exponent, the sum of exp(exponent − largest)
/// and (mb_ms_row_max only; otherwise 0) the number of selected columns.
typedef struct {
    double top_p, top_n;
    double sum_p, sum_n;
    int64_t positives, negatives;
} mb_pair_row_lse;

/// Circle's first pass over one row. With v_j the logit of column j
/// (`−γ·a·(S − (1 − m))`, a = max(1 + m − S, 0), for a positive; `γ·a·(S − m)`,
/// a = max(S + m, 0), otherwise): top_p, top_n = the serial maxima of the
/// positives' and negatives' v (−∞ when there is none). When both are above −∞,
/// e[j] = exp(v_j − top of its kind) and sum_p, sum_n = the positives' and
/// negatives' e in column order; otherwise the sums are 0.
mb_pair_row_lse mb_circle_row_sums(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma,
                                   double *e);

/// Circle's dL/dS over one row: for mask[j] != 0,
/// c[j] = Float(slope · exp(v_j − lse of its kind) · dv_j) with dv_j = −γ·a (positive) or γ·a,
/// else 0. `e` is scratch for n values.
void mb_circle_row_coefficients(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma,
                                double lse_p, double lse_n, double slope, double *e, float *c);

/// Multi-similarity's maxima over one row: e[j] = α·(λ − S) for a positive column,
/// β·(S − λ) otherwise; top_p, top_n = the serial maxima starting at 0 of the
/// positives' and negatives' values, with their numbers (sums 0).
mb_pair_row_lse mb_ms_row_max(int isa, const float *s, const uint8_t *mask, size_t n, double alpha, double beta, double base,
                              double *e);

/// Multi-similarity's exponentials over one row after mb_ms_row_max (`row` its result with
/// the sums' start values filled in): e[j] = exp(e[j] − top of its kind), and
/// the positives' and the negatives' e added to sum_p and sum_n in column order.
mb_pair_row_lse mb_ms_row_exp(int isa, const uint8_t *mask, size_t n, mb_pair_row_lse row, double *e);

/// Multi-similarity's dL/dS over one row after mb_ms_row_exp: for mask[j] != 0,
/// c[j] = Float(Double(Float(e[j])) · (mask[j] == 1 ? scale_p : scale_n)), else 0.
void mb_ms_row_coefficients(int isa, const uint8_t *mask, size_t n, const double *e, double scale_p, double scale_n,
                            float *c);

#ifdef __cplusplus
}
#endif

#endif
