#ifndef METRICBENCH_CKERNELS_H
#define METRICBENCH_CKERNELS_H

// Wide-vector versions of the elementwise passes of a training step
// (Training/Layers/Vectorized.swift and Optimizer.swift keep the portable
// Swift versions that define the results). Each kernel computes, per element,
// exactly the operations of its Swift counterpart in the same order, without
// FMA contraction, so every instruction set gives the same bits; the test
// TrainingTests/WideKernelTests runs each available set against the Swift path.
//
// The kernels exist only on x86-64; elsewhere mb_isa_detected() returns 0 and
// the Swift path runs.
//
// mb_exp is the exception to "without FMA": it repeats glibc's own `exp`,
// fusing exactly where glibc's FMA build does (VectorExp.c), so its reference
// is the libm `exp` itself (NumericCoreTests/VectorExpTests).

#include <stddef.h>
#include <stdint.h>

#include "CKernelsKNN.h"  // the kNN scan's filter
#include "CKernelsLoss.h"  // the pair losses' row passes
#include "CKernelsMargin.h"  // the margin loss's row passes
#include "CKernelsPairLoss.h"  // circle's and multi-similarity's row passes
#include "CKernelsTriplet.h"  // the triplet miner's row passes
#include "CKernelsUnitRows.h"  // the losses' row normalisation
#include "CKernelsVectorLog.h"  // mb_log, glibc-exact vector log
#include "CKernelsDirectConv.h"  // the first convolution, direct
#include "CKernelsWinograd.h"  // the Winograd convolution's transforms
#include "CKernelsContrastive.h"  // NT-Xent's and SupCon's per-anchor passes

#ifdef __cplusplus
extern "C" {
#endif

/// A spin-wait hint (`pause` on x86-64): a spinning thread yields its
/// pipeline to the sibling hyperthread and leaves the loop without a memory-
/// order flush when the awaited store lands (NumericCore/WorkerPool.swift).
static inline void mb_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// 0: none of the kernels below (portable Swift path), 1: AVX2, 2: AVX-512F.
/// The highest set this CPU and OS support (AVX-512 state saved by the OS).
int mb_isa_detected(void);

/// The instruction set of mb_exp's vector path: 0 (scalar `exp` only), 1
/// (AVX2+FMA), 2 (AVX-512F). Non-zero only on x86-64 with glibc, on a CPU
/// where glibc's `exp` is its FMA version, and after a self-check found the
/// vector path bitwise equal to the scalar `exp` on 16,387 fixed inputs (so
/// another libm turns it off). It runs that check: call once and keep the answer.
int mb_exp_isa(void);

/// y[i] = exp(x[i]) for i < n, bit for bit the libm `exp` of this process when
/// `isa` is a value mb_exp_isa() returned (0: the scalar `exp` itself). `y` may be `x`.
void mb_exp(int isa, const double *x, double *y, size_t n);

/// dst[r·cols …] = src[indices[r]·cols …] for r in [begin, end): the batch gather,
/// prefetching the rows two ahead (random rows of a dataset larger than the caches
/// wait on memory; the copy of one row hides the fetch of the next). Portable C.
void mb_gather_rows(const float *src, size_t cols, const intptr_t *indices, size_t begin, size_t end, float *dst);

#if defined(__x86_64__)

/// The constants of one Adam/AdamW step (Optimizer._adam).
typedef struct {
    float lr, beta1, beta2, epsilon, correction1, correction2, coupled_decay, decoupled_decay;
} mb_adam_params;

/// One fused Adam pass over `n` values. Elements below n rounded down to a
/// multiple of 8 use the vector formula of the Swift kernel, the rest its
/// scalar tail formula (they differ in the association of (1−β₂)·g·g).
void mb_adam(int isa, float *p, const float *g, float *m, float *s, size_t n, const mb_adam_params *c);

/// y = max(x, 0) with the Swift kernel's semantics (−0 and NaN kept in the
/// 8-lane body; the tail follows Swift.max).
void mb_relu(int isa, const float *x, float *y, size_t n);

/// dx = x > 0 ? g : 0 (body: 0 where x ≤ 0, so g where x is NaN; tail: 0 where x is NaN).
void mb_relu_backward(int isa, const float *x, const float *g, float *dx, size_t n);

/// y[r·n + j] += b[j] for every row r < rows.
void mb_add_rows(int isa, const float *b, float *y, size_t rows, size_t n);

/// db[j] (+)= Σ_r g[r·n + j], rows added in order 0, 1, …, starting from 0
/// unless `accumulate`.
void mb_column_sums(int isa, const float *g, float *db, size_t rows, size_t n, int accumulate);

/// A hidden layer's bias and ReLU in one pass: y[r·n + j] = relu(y[r·n + j] + b[j]) with mb_relu's
/// 8-lane rule (v < 0 ? 0 : v) on every element — mb_add_rows then mb_relu when rows·n is a
/// multiple of 8 (the only case the caller uses it for).
void mb_add_rows_relu(int isa, const float *b, float *y, size_t rows, size_t n);

/// The same layer's backward in one pass: dx = (y ≤ 0 ? 0 : g) on its output y = relu(x), and
/// db (+)= Σ_r dx[r·n + j] — mb_relu_backward then mb_column_sums when rows·n is a multiple of 8.
void mb_relu_backward_column_sums(int isa, const float *y, const float *g, float *dx, float *db, size_t rows,
                                  size_t n, int accumulate);

#endif

#ifdef __cplusplus
}
#endif

#endif
