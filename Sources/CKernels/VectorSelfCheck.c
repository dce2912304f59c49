#include "VectorSelfCheck.h"

#if defined(__x86_64__) && defined(__GLIBC__)

#include <stdlib.h>
#include <string.h>

static int vector_matches_scalar(int isa, void (*vector)(int, const double *, double *, size_t),
                                 double (*scalar)(double), void (*inputs)(double *), size_t count) {
    double *x = malloc(2 * count * sizeof(double));
    if (!x) return 0;
    double *v = x + count;
    inputs(x);
    vector(isa, x, v, count);
    int same = 1;
    for (size_t i = 0; i < count && same; i++) {
        const double e = scalar(x[i]);
        same = memcmp(&e, &v[i], sizeof e) == 0;
    }
    free(x);
    return same;
}

int mb_vector_isa_if_exact(void (*vector)(int, const double *, double *, size_t),
                           double (*scalar)(double), void (*inputs)(double *), size_t count) {
    __builtin_cpu_init();
    // glibc's own condition for its __exp_fma / __log_fma / __expm1_fma builds:
    // without AVX2 and FMA the scalar function is another algorithm.
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    if (__builtin_cpu_supports("avx512f") && vector_matches_scalar(2, vector, scalar, inputs, count)) return 2;
    return vector_matches_scalar(1, vector, scalar, inputs, count) ? 1 : 0;
}

#endif
