#ifndef METRICBENCH_CKERNELS_UNIT_ROWS_H
#define METRICBENCH_CKERNELS_UNIT_ROWS_H

// The row normalisation of the pair losses (MetricLearning's _UnitRows,
// torch.nn.functional.normalize) and its backward, as AVX2 / AVX-512 passes
// over blocks of rows. Each row's sum (of squares, or of unit·gradient
// products) is one chain of double additions in column order, as the Swift
// loop's; the vector lanes hold different rows, so the chains overlap without
// changing any of them. No FMA: a product is rounded to double before it is
// added, as in Swift. MetricLearningTests/UnitRowsKernelTests compares them
// with the Swift loops for every instruction set.
//
// x86-64 only; `isa` is WideISA.selected (1: AVX2, 2: AVX-512F; 0 is the
// Swift path, which does not call these).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__)

/// For rows [0, rows) of x (row stride d): norm = max(√(Σ_k x_k²), epsilon)
/// in double, norms[i] = (float)norm, unit[i·d + k] = (float)(x_k · (1 / norm)).
void mb_unit_rows_forward(int isa, const float *x, float *unit, float *norms, size_t rows, size_t d, double epsilon);

/// For rows [0, rows) of g (row stride d), in place: if `multiples` is not
/// NULL, first g_k += (float)multiples[i] · unit_k in float; then with
/// n = (double)norms[i], dot = Σ_k (double)unit_k · (double)g_k (column
/// order) and g_k ← (float)(((double)g_k − (double)unit_k · dot) · (1 / n)),
/// or (float)((double)g_k · (1 / n)) for a clamped row (n ≤ epsilon).
void mb_unit_rows_backward(int isa, const float *unit, const float *norms, float *g, const double *multiples,
                           size_t rows, size_t d, double epsilon);

#endif

#ifdef __cplusplus
}
#endif

#endif
