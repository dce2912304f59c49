#ifndef METRICBENCH_CKERNELS_MARGIN_H
#define METRICBENCH_CKERNELS_MARGIN_H

// Row passes of MarginLoss over all triplets (MetricLearning/Losses/MarginLoss.swift):
// one call per row (or range of rows) instead of the Swift loops of _MarginPasses,
// which stay the portable path (isa 0) and the tests' reference. Each function
// returns the bits of those loops: the same operations per element in the same
// order, no FMA contraction, IEEE square root and division (correctly rounded in
// every instruction set), the sums in the loops' order
// (MetricLearningTests/MarginRowPassTests compares them for every isa).
//
// `isa`: 0 the portable C body, 1 AVX2, 2 AVX-512F (WideISA; a value above what the
// CPU runs is a programmer error). Off x86-64 every isa runs the portable body.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What mb_margin_all_row found in one anchor's row.
typedef struct {
    /// The anchor's active positive and negative pair shares, each counted with its multiplicity.
    int64_t positive, negative;
    /// How many active terms it wrote to the front of the row's `terms`.
    int64_t terms;
    /// The anchor's positives (same label, itself excluded).
    int64_t positives;
} mb_margin_row;

/// Anchor i's row over all triplets. `g` is row i of the Gram matrix of the unit
/// rows; it becomes the distances `D_ij = Float(sqrt(max((‖u_i‖² + ‖u_j‖²) − 2·G_ij, 0)))`
/// in double (`sq` the Gram diagonal as doubles), with D_ii = 0. With P the
/// anchor's positives and N = n − 1 − P its negatives, for every j ≠ i:
/// a positive (same label) has h = (D − β) + α, multiplicity N and coefficient Float(N);
/// a negative has h = (β − D) + α, multiplicity P and coefficient 0 − Float(P)
/// (float32). Where h > 0 the pair is active: c[j] = its coefficient and the
/// term Double(h) · multiplicity goes to the front of `t`, in column order;
/// c[j] = +0 elsewhere and at j = i. `t` needs room for n doubles.
mb_margin_row mb_margin_all_row(int isa, float *g, const double *sq, const int32_t *labels, size_t i, size_t n,
                                float beta, float margin, double *t, float *c);

/// One row of W = C / D: w[j] = Double(c[j]) · scale / Double(g[j]) where g[j] > 0,
/// else +0; then c[j] = Float(−w[j]).
void mb_margin_weights_row(int isa, const float *g, float *c, double scale, double *w, size_t n);

/// The weight sums r_k for k in [lo, hi) of the n × n weights `w`, each in the
/// order of the serial loop `for i, j { r_i += W_ij; r_j += W_ij }` (from +0):
/// W_ik for i < k, then row k in column order with W_kk twice, then W_ik for i > k.
void mb_margin_row_sums(int isa, const double *w, double *r, size_t n, size_t lo, size_t hi);

/// mb_margin_weights_row and mb_margin_row_sums in one pass over rows [lo, hi), without W in
/// memory: `m` holds the multiplicity coefficients (mb_margin_all_row's `c`, n × n, read only),
/// `g` the distances; rows [lo, hi) of `c` (n × n, another buffer) get the floats of −W as
/// mb_margin_weights_row writes them, and r[k], k in [lo, hi), the weight sums of
/// mb_margin_row_sums. The column part W_ik of a row outside [lo, hi) is computed here again (the
/// same expression, so the same bits). `scratch` holds 8n doubles (one per worker).
void mb_margin_weights_and_sums(int isa, const float *g, const float *m, float *c, double scale, double *scratch,
                                double *r, size_t n, size_t lo, size_t hi);

#ifdef __cplusplus
}
#endif

#endif
