#ifndef METRICBENCH_CKERNELS_CONTRASTIVE_H
#define METRICBENCH_CKERNELS_CONTRASTIVE_H

// The per-anchor passes of NTXentLoss and SupConLoss (MetricLearning): a range
// of anchors per call instead of Swift loops between the VectorExp / VectorLog
// calls. Each returns the bits of the former Swift pass: every value is the
// same expression in the same order, no FMA contraction, every sum in its
// former order, the exponentials and logarithms from mb_exp / mb_log / mb_expm1
// (libm's values bit for bit); see ContrastiveKernels.c for why reordering the
// work around them keeps the bits. MetricLearningTests/ContrastiveRowPassTests
// compares them with the former Swift passes for every instruction set.
//
// `mask` is _PairMask's B × B matrix: 0 none, 1 positive, 2 negative. `wide`
// (a value of WideISA.selected: 0 baseline, 1 AVX2, 2 AVX-512F) picks the
// instruction set of the passes themselves; `exp_isa`, `log_isa` and
// `expm1_isa` are VectorExp.isa, VectorLog.isa and VectorExpm1.isa.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One NT-Xent evaluation's inputs and outputs, shared by the workers (each writes its own anchors' rows).
typedef struct {
    const float *s;          ///< B × B cosine similarities
    const uint8_t *mask;     ///< B × B pair mask
    float *c;                ///< B × B dL/dS, written row by row
    double *terms;           ///< B × B: anchor a's terms −log(r + tiny) at a·B …, when not summed into `running`
    int64_t *positives;      ///< per anchor, its positive pairs
    int64_t *active;         ///< per anchor, its positive pairs with r < 1
    size_t b;
    double inv_t, weight, tiny;
    int wide, exp_isa, log_isa, expm1_isa;
} mb_ntxent_problem;

/// Doubles of scratch one worker needs for mb_ntxent_rows at batch size `b`.
size_t mb_ntxent_scratch_count(size_t b);

/// NT-Xent's per-anchor pass over anchors a0 ..< a1 (NTXentLoss.evaluate's
/// formulas): row a of `c`, positives[a], active[a], and the anchor's terms in
/// column order of its positives — added in that order to `*running` when
/// `running` is not NULL, else stored at terms[a·B ...].
void mb_ntxent_rows(const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch, double *running);

/// One SupCon evaluation's first pass: inputs and per-row outputs.
typedef struct {
    const float *s;          ///< B × B cosine similarities
    const uint8_t *mask;     ///< B × B pair mask
    float *c;                ///< B × B: Float(e^{z − top}) of the selected pairs, 0 elsewhere
    double *top;             ///< per row, the largest selected z = S/τ (unset when the row has no positive)
    double *sum;             ///< per row, Σ e^{z − top} over the selected pairs in column order
    double *positive_sum;    ///< per row, Σ z over the positives in column order
    int64_t *positives;      ///< per row, its positive pairs
    size_t b;
    double inv_t;
    int wide, exp_isa;
} mb_supcon_problem;

/// Doubles of scratch one worker needs for mb_supcon_rows at batch size `b`.
size_t mb_supcon_scratch_count(size_t b);

/// SupCon's first pass over rows r0 ..< r1: positives and positive_sum of every row; for a row
/// with a positive also top, sum and its row of c; a row without one gets a zero row of c.
void mb_supcon_rows(const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch);

#ifdef __cplusplus
}
#endif

#endif
