#ifndef METRICBENCH_CKERNELS_UNIT_ROWS_H
#define METRICBENCH_CKERNELS_UNIT_ROWS_H

// MetricLearning's _UnitRows (the L2 normalisation inside the cosine losses),
// rows i0 ..< i1 of an n × d matrix. The same operations per element as its
// former Swift loops, each row's sum in column order; four rows' sums run side
// by side (independent chains), which changes no row's order. No FMA
// contraction (UnitRows.c). MetricLearningTests/PairLossRowPassTests compares
// them with the Swift loops.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Per row: s = Σ_k Double(x[k])² in k order, norm = max(√s, eps) (eps when eps ≥ √s),
/// norms[i] = Float(norm), unit[k] = Float(Double(x[k]) · (1 / norm)).
void mb_unit_rows_forward(const float *x, size_t d, size_t i0, size_t i1, double eps, float *unit, float *norms);

/// Per row, g (dL/dunit) replaced by dL/dx in place: norm = Double(norms[i]), clamped = norm ≤ eps,
/// dot = Σ_k Double(u[k]) · Double(g[k]) in k order (0 when clamped),
/// g[k] = Float((Double(g[k]) − (clamped ? 0 : Double(u[k]) · dot)) · (1 / norm)).
void mb_unit_rows_backward(const float *unit, const float *norms, size_t d, size_t i0, size_t i1, double eps, float *g);

#ifdef __cplusplus
}
#endif

#endif
