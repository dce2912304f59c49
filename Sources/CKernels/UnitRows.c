// Row normalisation and its backward (see include/CKernelsUnitRows.h).
//
// A block of rows is summed with one row per vector lane: a gather reads
// column k of every row of the block, so each lane's chain adds its row's
// terms in column order, exactly the Swift loop's sequence of roundings. Two
// blocks are summed at once (two independent chains per step) so that the
// additions' latency overlaps. The elementwise passes afterwards run along the
// row. Products and sums are separate intrinsics: nothing is contracted.

#include "CKernelsUnitRows.h"

// AVX-512 implies FMA, and clang contracts a·b + c within a statement by default.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

/// Swift's `max(sqrt(s), epsilon)`: `epsilon >= root ? epsilon : root`.
static inline double clamped_norm(double s, double epsilon) {
    double root = sqrt(s);
    return epsilon >= root ? epsilon : root;
}

/// The serial sum of one row, as the Swift tail loop: Σ_k (double)a_k · (double)b_k.
static inline double row_dot(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t k = 0; k < d; k++) s += (double)a[k] * (double)b[k];
    return s;
}

static inline void scale_row(const float *x, float *y, size_t d, double inv) {
    for (size_t k = 0; k < d; k++) y[k] = (float)((double)x[k] * inv);
}

static inline void project_row(const float *u, float *g, size_t d, double dot, double inv) {
    for (size_t k = 0; k < d; k++) g[k] = (float)(((double)g[k] - (double)u[k] * dot) * inv);
}

static inline void add_multiple(const float *u, float *g, size_t d, float s) {
    for (size_t k = 0; k < d; k++) g[k] += s * u[k];
}

// The four passes once per instruction set: W lanes of doubles per block (4 AVX2, 8 AVX-512),
// VD the double vector, VS a full float
// vector (SW floats) for the float pass. IDX gathers column k of the block's W rows.
#define UNIT_ROW_PASSES(SUFFIX, TARGET, W, SW, VD, VS, IDX_T, IDX, GATHER, LOADF, STOREF, TOD, TOF,     \
                        LOADS, STORES, SETD, SETS, ZEROD, STORED, ADDD, SUBD, MULD, ADDS, MULS)                 \
    TARGET static void block_dots_##SUFFIX(const float *a, const float *b, size_t d, size_t lanes,               \
                                           double *out) {                                                    \
        /* lanes is W or 2·W: one or two blocks of W rows. */                                                \
        const int di = (int)d;                                                                               \
        const IDX_T idx = IDX;                                                                               \
        VD s0 = ZEROD(), s1 = ZEROD();                                                                       \
        const float *a1 = a + W * d, *b1 = b + W * d;                                                        \
        if (lanes == 2 * W) {                                                                                \
            for (size_t k = 0; k < d; k++) {                                                                 \
                VD x0 = TOD(GATHER(a + k, idx, 4)), y0 = TOD(GATHER(b + k, idx, 4));                         \
                VD x1 = TOD(GATHER(a1 + k, idx, 4)), y1 = TOD(GATHER(b1 + k, idx, 4));                       \
                s0 = ADDD(s0, MULD(x0, y0));                                                                 \
                s1 = ADDD(s1, MULD(x1, y1));                                                                 \
            }                                                                                                \
        } else {                                                                                             \
            for (size_t k = 0; k < d; k++) {                                                                 \
                VD x0 = TOD(GATHER(a + k, idx, 4)), y0 = TOD(GATHER(b + k, idx, 4));                         \
                s0 = ADDD(s0, MULD(x0, y0));                                                                 \
            }                                                                                                \
        }                                                                                                    \
        STORED(out, s0);                                                                                     \
        if (lanes == 2 * W) STORED(out + W, s1);                                                             \
    }                                                                                                        \
    TARGET static void scale_row_##SUFFIX(const float *x, float *y, size_t d, double inv) {                  \
        const VD v = SETD(inv);                                                                              \
        size_t k = 0;                                                                                        \
        for (; k + W <= d; k += W) STOREF(y + k, TOF(MULD(TOD(LOADF(x + k)), v)));                           \
        for (; k < d; k++) y[k] = (float)((double)x[k] * inv);                                               \
    }                                                                                                        \
    TARGET static void project_row_##SUFFIX(const float *u, float *g, size_t d, double dot, double inv) {    \
        const VD t = SETD(dot), v = SETD(inv);                                                               \
        size_t k = 0;                                                                                        \
        for (; k + W <= d; k += W) {                                                                         \
            VD gk = TOD(LOADF(g + k)), uk = TOD(LOADF(u + k));                                               \
            STOREF(g + k, TOF(MULD(SUBD(gk, MULD(uk, t)), v)));                                              \
        }                                                                                                    \
        for (; k < d; k++) g[k] = (float)(((double)g[k] - (double)u[k] * dot) * inv);                        \
    }                                                                                                        \
    TARGET static void add_multiple_##SUFFIX(const float *u, float *g, size_t d, float s) {                  \
        const VS v = SETS(s);                                                                                \
        size_t k = 0;                                                                                        \
        for (; k + SW <= d; k += SW) STORES(g + k, ADDS(LOADS(g + k), MULS(v, LOADS(u + k))));               \
        for (; k < d; k++) g[k] += s * u[k];                                                                 \
    }

// AVX2: blocks of 4 rows (one ymm of doubles), two blocks at a time.
UNIT_ROW_PASSES(avx2, __attribute__((target("avx2"))), 4, 8, __m256d, __m256, __m128i,
                _mm_setr_epi32(0, di, 2 * di, 3 * di), _mm_i32gather_ps, _mm_loadu_ps, _mm_storeu_ps,
                _mm256_cvtps_pd, _mm256_cvtpd_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_pd,
                _mm256_set1_ps, _mm256_setzero_pd, _mm256_storeu_pd, _mm256_add_pd, _mm256_sub_pd, _mm256_mul_pd,
                _mm256_add_ps, _mm256_mul_ps)

// AVX-512: blocks of 8 rows (one zmm of doubles), two blocks at a time.
UNIT_ROW_PASSES(avx512, __attribute__((target("avx512f"))), 8, 16, __m512d, __m512, __m256i,
                _mm256_setr_epi32(0, di, 2 * di, 3 * di, 4 * di, 5 * di, 6 * di, 7 * di), _mm256_i32gather_ps,
                _mm256_loadu_ps, _mm256_storeu_ps, _mm512_cvtps_pd, _mm512_cvtpd_ps, _mm512_loadu_ps,
                _mm512_storeu_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_setzero_pd, _mm512_storeu_pd, _mm512_add_pd,
                _mm512_sub_pd, _mm512_mul_pd, _mm512_add_ps, _mm512_mul_ps)

/// Sums of (double)a·(double)b over each of `rows` rows, in column order per row: whole
/// double blocks of the lane width, then single blocks, then serial rows.
static void row_dots(int isa, const float *a, const float *b, size_t rows, size_t d, double *out) {
    // Gather offsets are 32-bit: a block spans at most 16 rows of d columns.
    size_t lane = isa >= 2 ? 8 : 4, i = 0;
    if ((uint64_t)d * 16 < (uint64_t)INT32_MAX) {
        for (; i + 2 * lane <= rows; i += 2 * lane) {
            if (isa >= 2) block_dots_avx512(a + i * d, b + i * d, d, 16, out + i);
            else block_dots_avx2(a + i * d, b + i * d, d, 8, out + i);
        }
        for (; i + lane <= rows; i += lane) {
            if (isa >= 2) block_dots_avx512(a + i * d, b + i * d, d, 8, out + i);
            else block_dots_avx2(a + i * d, b + i * d, d, 4, out + i);
        }
    }
    for (; i < rows; i++) out[i] = row_dot(a + i * d, b + i * d, d);
}

enum { block_rows = 16 };

void mb_unit_rows_forward(int isa, const float *x, float *unit, float *norms, size_t rows, size_t d, double epsilon) {
    double sums[block_rows];
    for (size_t i0 = 0; i0 < rows; i0 += block_rows) {
        size_t n = rows - i0 < block_rows ? rows - i0 : block_rows;
        row_dots(isa, x + i0 * d, x + i0 * d, n, d, sums);
        for (size_t l = 0; l < n; l++) {
            size_t i = i0 + l;
            double norm = clamped_norm(sums[l], epsilon);
            norms[i] = (float)norm;
            double inv = 1 / norm;
            if (isa >= 2) scale_row_avx512(x + i * d, unit + i * d, d, inv);
            else if (isa == 1) scale_row_avx2(x + i * d, unit + i * d, d, inv);
            else scale_row(x + i * d, unit + i * d, d, inv);
        }
    }
}

void mb_unit_rows_backward(int isa, const float *unit, const float *norms, float *g, const double *multiples,
                           size_t rows, size_t d, double epsilon) {
    double dots[block_rows];
    for (size_t i0 = 0; i0 < rows; i0 += block_rows) {
        size_t n = rows - i0 < block_rows ? rows - i0 : block_rows;
        if (multiples) {
            for (size_t l = 0; l < n; l++) {
                size_t i = i0 + l;
                float s = (float)multiples[i];
                if (isa >= 2) add_multiple_avx512(unit + i * d, g + i * d, d, s);
                else if (isa == 1) add_multiple_avx2(unit + i * d, g + i * d, d, s);
                else add_multiple(unit + i * d, g + i * d, d, s);
            }
        }
        row_dots(isa, unit + i0 * d, g + i0 * d, n, d, dots);
        for (size_t l = 0; l < n; l++) {
            size_t i = i0 + l;
            double norm = (double)norms[i];
            // A clamped row is scaled by a constant: no radial term (g − 0 is g, −0 included).
            double dot = norm <= epsilon ? 0 : dots[l], inv = 1 / norm;
            if (norm <= epsilon) scale_row(g + i * d, g + i * d, d, inv);
            else if (isa >= 2) project_row_avx512(unit + i * d, g + i * d, d, dot, inv);
            else if (isa == 1) project_row_avx2(unit + i * d, g + i * d, d, dot, inv);
            else project_row(unit + i * d, g + i * d, d, dot, inv);
        }
    }
}

#endif
