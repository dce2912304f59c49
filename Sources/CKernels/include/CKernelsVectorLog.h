#ifndef METRICBENCH_CKERNELS_VECTOR_LOG_H
#define METRICBENCH_CKERNELS_VECTOR_LOG_H

// A vectorised `log` that returns the bits of this process's scalar `log`
// (glibc 2.36's __ieee754_log_fma on x86-64 with AVX2+FMA), like mb_exp does
// for `exp`; see VectorLog.c. And mb_expm1 for `expm1` (VectorExpm1.c).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction set of mb_log's vector path: 0 (scalar `log` only), 1
/// (AVX2+FMA, 4 lanes) or 2 (AVX-512F, 8 lanes). Non-zero only on x86-64 with
/// glibc, on a CPU with AVX2 and FMA (glibc's condition for its FMA `log`),
/// and only after a self-check on fixed inputs found the vector path equal
/// to the scalar `log` bit for bit.
int mb_log_isa(void);

/// y[i] = log(x[i]) for i < n, bit for bit the scalar `log` of libm. `isa`
/// is a value mb_log_isa() returned (0: the scalar `log` itself). `y` may be `x`.
void mb_log(int isa, const double *x, double *y, size_t n);

/// The same for `expm1` (glibc 2.36's __expm1_fma): 0, 1 or 2, after its own
/// self-check. Only negative arguments with 2^-54 ≤ |x| ≤ 56·ln2 run in
/// vector lanes (what NT-Xent passes); every other lane calls the scalar `expm1`.
int mb_expm1_isa(void);

/// y[i] = expm1(x[i]) for i < n, bit for bit the scalar `expm1` of libm. `isa`
/// is a value mb_expm1_isa() returned (0: the scalar `expm1` itself). `y` may be `x`.
void mb_expm1(int isa, const double *x, double *y, size_t n);

#ifdef __cplusplus
}
#endif

#endif
