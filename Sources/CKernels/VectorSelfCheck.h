#ifndef METRICBENCH_VECTOR_SELF_CHECK_H
#define METRICBENCH_VECTOR_SELF_CHECK_H

// The start-up check shared by VectorExp.c, VectorLog.c and VectorExpm1.c
// (private to CKernels): a vector path that repeats one of glibc's FMA
// builds lane by lane is switched on only where glibc itself runs that build
// (AVX2 and FMA) and only if it returns the scalar function's bits on the
// caller's fixed inputs.

#include <stddef.h>
#include <stdlib.h>  // defines __GLIBC__ for the condition below

#if defined(__x86_64__) && defined(__GLIBC__)

/// The widest instruction set (2: AVX-512F, 1: AVX2+FMA) whose `vector`
/// equals `scalar` bit for bit on the `count` inputs that `inputs` writes, or
/// 0 when none does or glibc would not run its FMA build on this CPU.
int mb_vector_isa_if_exact(void (*vector)(int isa, const double *x, double *y, size_t n),
                           double (*scalar)(double), void (*inputs)(double *x), size_t count);

#endif

#endif
