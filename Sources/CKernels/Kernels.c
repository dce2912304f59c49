// Wide-vector kernels of the training step; see include/CKernels.h.
//
// Bits: every kernel applies, per element, the operations of its Swift
// counterpart in the same order. No FMA contraction (the pragmas below; AVX-512
// implies FMA, and clang contracts a·b + c within a statement by default),
// square root and division are correctly rounded in every instruction set, and
// the comparisons are the ordered ones the Swift code uses.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernels.h"

#include <string.h>

void mb_gather_rows(const float *src, size_t cols, const intptr_t *indices, size_t begin, size_t end, float *dst) {
    const size_t bytes = cols * sizeof(float);
    for (size_t r = begin; r < end; r++) {
        if (r + 2 < end) {
            const char *ahead = (const char *)(src + (size_t)indices[r + 2] * cols);
            for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(ahead + b);
        }
        memcpy(dst + r * cols, src + (size_t)indices[r] * cols, bytes);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int mb_isa_detected(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}

// ---- Adam -------------------------------------------------------------------

// The scalar tail of Optimizer._adam (note (1−β₂)·g·g associates left).
static inline void adam_tail(float *p, const float *g, float *m, float *s, size_t i, size_t n,
                             const mb_adam_params *c) {
    const float keep = 1 - c->lr * c->decoupled_decay, omb1 = 1 - c->beta1, omb2 = 1 - c->beta2;
    for (; i < n; i++) {
        float gi = g[i] + c->coupled_decay * p[i];
        float mi = c->beta1 * m[i] + omb1 * gi;
        float si = c->beta2 * s[i] + omb2 * gi * gi;
        m[i] = mi;
        s[i] = si;
        p[i] = p[i] * keep - c->lr * (mi * c->correction1) / (__builtin_sqrtf(si * c->correction2) + c->epsilon);
    }
}

#define ADAM_BODY(W, LOAD, STORE, SET1, ADD, SUB, MUL, DIV, SQRT)                                 \
    do {                                                                                         \
        const W keep = SET1(1 - c->lr * c->decoupled_decay), b1 = SET1(c->beta1),                 \
                b2 = SET1(c->beta2), omb1 = SET1(1 - c->beta1), omb2 = SET1(1 - c->beta2),        \
                lr = SET1(c->lr), c1 = SET1(c->correction1), c2 = SET1(c->correction2),           \
                eps = SET1(c->epsilon), cd = SET1(c->coupled_decay);                              \
        W pi = LOAD(p + i);                                                                      \
        W gi = ADD(LOAD(g + i), MUL(cd, pi));                                                    \
        W mi = ADD(MUL(b1, LOAD(m + i)), MUL(omb1, gi));                                         \
        W si = ADD(MUL(b2, LOAD(s + i)), MUL(omb2, MUL(gi, gi)));                                \
        STORE(m + i, mi);                                                                        \
        STORE(s + i, si);                                                                        \
        STORE(p + i, SUB(MUL(pi, keep), DIV(MUL(lr, MUL(mi, c1)), ADD(SQRT(MUL(si, c2)), eps)))); \
    } while (0)

__attribute__((target("avx2")))
static void adam_avx2(float *p, const float *g, float *m, float *s, size_t n, const mb_adam_params *c) {
    size_t body = n / 8 * 8, i = 0;
    for (; i < body; i += 8)
        ADAM_BODY(__m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps,
                  _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps);
    adam_tail(p, g, m, s, i, n, c);
}

__attribute__((target("avx512f")))
static void adam_avx512(float *p, const float *g, float *m, float *s, size_t n, const mb_adam_params *c) {
    size_t body = n / 8 * 8, i = 0;
    for (; i + 16 <= body; i += 16)
        ADAM_BODY(__m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps,
                  _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps);
    for (; i < body; i += 8)
        ADAM_BODY(__m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps,
                  _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps);
    adam_tail(p, g, m, s, i, n, c);
}

void mb_adam(int isa, float *p, const float *g, float *m, float *s, size_t n, const mb_adam_params *c) {
    if (isa >= 2) adam_avx512(p, g, m, s, n, c);
    else adam_avx2(p, g, m, s, n, c);
}

// ---- ReLU -------------------------------------------------------------------

// Swift.max(x, 0) is `0 >= x ? 0 : x`: +0 for −0, NaN kept.
static inline void relu_tail(const float *x, float *y, size_t i, size_t n) {
    for (; i < n; i++) y[i] = 0.0f >= x[i] ? 0.0f : x[i];
}

__attribute__((target("avx2")))
static void relu_avx2(const float *x, float *y, size_t n) {
    size_t body = n / 8 * 8, i = 0;
    const __m256 zero = _mm256_setzero_ps();
    for (; i < body; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), v));
    }
    relu_tail(x, y, i, n);
}

__attribute__((target("avx512f")))
static void relu_avx512(const float *x, float *y, size_t n) {
    size_t body = n / 8 * 8, i = 0;
    const __m512 zero = _mm512_setzero_ps();
    for (; i + 16 <= body; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        _mm512_storeu_ps(y + i, _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero));
    }
    for (; i < body; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_andnot_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ), v));
    }
    relu_tail(x, y, i, n);
}

void mb_relu(int isa, const float *x, float *y, size_t n) {
    if (isa >= 2) relu_avx512(x, y, n);
    else relu_avx2(x, y, n);
}

static inline void relu_backward_tail(const float *x, const float *g, float *dx, size_t i, size_t n) {
    for (; i < n; i++) dx[i] = x[i] > 0 ? g[i] : 0.0f;
}

__attribute__((target("avx2")))
static void relu_backward_avx2(const float *x, const float *g, float *dx, size_t n) {
    size_t body = n / 8 * 8, i = 0;
    const __m256 zero = _mm256_setzero_ps();
    for (; i < body; i += 8)
        _mm256_storeu_ps(dx + i, _mm256_andnot_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_LE_OQ),
                                                  _mm256_loadu_ps(g + i)));
    relu_backward_tail(x, g, dx, i, n);
}

__attribute__((target("avx512f")))
static void relu_backward_avx512(const float *x, const float *g, float *dx, size_t n) {
    size_t body = n / 8 * 8, i = 0;
    const __m512 zero = _mm512_setzero_ps();
    for (; i + 16 <= body; i += 16) {
        __mmask16 off = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), zero, _CMP_LE_OQ);
        _mm512_storeu_ps(dx + i, _mm512_mask_mov_ps(_mm512_loadu_ps(g + i), off, zero));
    }
    for (; i < body; i += 8)
        _mm256_storeu_ps(dx + i, _mm256_andnot_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), _mm256_setzero_ps(), _CMP_LE_OQ),
                                                  _mm256_loadu_ps(g + i)));
    relu_backward_tail(x, g, dx, i, n);
}

void mb_relu_backward(int isa, const float *x, const float *g, float *dx, size_t n) {
    if (isa >= 2) relu_backward_avx512(x, g, dx, n);
    else relu_backward_avx2(x, g, dx, n);
}

// ---- bias add and bias gradient -------------------------------------------------

__attribute__((target("avx2")))
static void add_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

__attribute__((target("avx512f")))
static void add_avx512(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_add_ps(_mm512_loadu_ps(y + i), _mm512_loadu_ps(x + i)));
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

void mb_add_rows(int isa, const float *b, float *y, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) {
        if (isa >= 2) add_avx512(b, y + r * n, n);
        else add_avx2(b, y + r * n, n);
    }
}

// Column blocks of 64 (16 rows of 4 registers in flight would not help: the
// sums of a column are a chain in row order, kept in registers per block).
__attribute__((target("avx512f")))
static void column_sums_avx512(const float *g, float *db, size_t rows, size_t n, int accumulate) {
    size_t j = 0;
    for (; j + 64 <= n; j += 64) {
        __m512 a0 = accumulate ? _mm512_loadu_ps(db + j) : _mm512_setzero_ps();
        __m512 a1 = accumulate ? _mm512_loadu_ps(db + j + 16) : _mm512_setzero_ps();
        __m512 a2 = accumulate ? _mm512_loadu_ps(db + j + 32) : _mm512_setzero_ps();
        __m512 a3 = accumulate ? _mm512_loadu_ps(db + j + 48) : _mm512_setzero_ps();
        for (size_t r = 0; r < rows; r++) {
            const float *gr = g + r * n + j;
            a0 = _mm512_add_ps(a0, _mm512_loadu_ps(gr));
            a1 = _mm512_add_ps(a1, _mm512_loadu_ps(gr + 16));
            a2 = _mm512_add_ps(a2, _mm512_loadu_ps(gr + 32));
            a3 = _mm512_add_ps(a3, _mm512_loadu_ps(gr + 48));
        }
        _mm512_storeu_ps(db + j, a0);
        _mm512_storeu_ps(db + j + 16, a1);
        _mm512_storeu_ps(db + j + 32, a2);
        _mm512_storeu_ps(db + j + 48, a3);
    }
    for (; j < n; j++) {
        float a = accumulate ? db[j] : 0.0f;
        for (size_t r = 0; r < rows; r++) a += g[r * n + j];
        db[j] = a;
    }
}

__attribute__((target("avx2")))
static void column_sums_avx2(const float *g, float *db, size_t rows, size_t n, int accumulate) {
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        __m256 a0 = accumulate ? _mm256_loadu_ps(db + j) : _mm256_setzero_ps();
        __m256 a1 = accumulate ? _mm256_loadu_ps(db + j + 8) : _mm256_setzero_ps();
        __m256 a2 = accumulate ? _mm256_loadu_ps(db + j + 16) : _mm256_setzero_ps();
        __m256 a3 = accumulate ? _mm256_loadu_ps(db + j + 24) : _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++) {
            const float *gr = g + r * n + j;
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(gr));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(gr + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(gr + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(gr + 24));
        }
        _mm256_storeu_ps(db + j, a0);
        _mm256_storeu_ps(db + j + 8, a1);
        _mm256_storeu_ps(db + j + 16, a2);
        _mm256_storeu_ps(db + j + 24, a3);
    }
    for (; j < n; j++) {
        float a = accumulate ? db[j] : 0.0f;
        for (size_t r = 0; r < rows; r++) a += g[r * n + j];
        db[j] = a;
    }
}

void mb_column_sums(int isa, const float *g, float *db, size_t rows, size_t n, int accumulate) {
    if (isa >= 2) column_sums_avx512(g, db, rows, n, accumulate);
    else column_sums_avx2(g, db, rows, n, accumulate);
}

// ---- a hidden Linear layer's ReLU, fused with its bias -------------------------
//
// Both passes apply the 8-lane body rules of mb_relu / mb_relu_backward to every element, which
// is what those kernels do when rows·n is a multiple of 8 (their scalar tails are empty); the
// caller (_Vectorized) takes the two-pass path otherwise. One plain C body each, compiled in an
// AVX2 and an AVX-512F function that clang vectorises: the operations are per element (an
// addition, an ordered comparison, a selection) and each column's bias-gradient sum is a chain
// in row order, so every width gives the same bits.

// y = relu(y + b) per row: mb_add_rows, then mb_relu's body (v < 0 ? 0 : v, so −0 and NaN kept).
static inline __attribute__((always_inline)) void add_rows_relu_body(const float *restrict b, float *restrict y,
                                                                      size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) {
        float *restrict yr = y + r * n;
        for (size_t j = 0; j < n; j++) {
            const float v = yr[j] + b[j];
            yr[j] = v < 0.0f ? 0.0f : v;
        }
    }
}

// dx = (y ≤ 0 ? 0 : g) — mb_relu_backward's body on the layer's output y = relu(x), which is ≤ 0
// exactly where x is and NaN where x is — and db (+)= Σ_r dx[r·n + j] in row order, starting
// from 0 unless `accumulate`, as mb_column_sums adds them.
static inline __attribute__((always_inline)) void relu_backward_column_sums_body(
    const float *restrict y, const float *restrict g, float *restrict dx, float *restrict db, size_t rows, size_t n,
    int accumulate) {
    if (!accumulate)
        for (size_t j = 0; j < n; j++) db[j] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict yr = y + r * n, *restrict gr = g + r * n;
        float *restrict dr = dx + r * n;
        for (size_t j = 0; j < n; j++) {
            const float v = yr[j] <= 0.0f ? 0.0f : gr[j];
            dr[j] = v;
            db[j] += v;
        }
    }
}

__attribute__((target("avx2"))) static void add_rows_relu_avx2(const float *b, float *y, size_t rows, size_t n) {
    add_rows_relu_body(b, y, rows, n);
}
__attribute__((target("avx512f"))) static void add_rows_relu_avx512(const float *b, float *y, size_t rows, size_t n) {
    add_rows_relu_body(b, y, rows, n);
}

void mb_add_rows_relu(int isa, const float *b, float *y, size_t rows, size_t n) {
    if (isa >= 2) add_rows_relu_avx512(b, y, rows, n);
    else add_rows_relu_avx2(b, y, rows, n);
}

__attribute__((target("avx2"))) static void relu_backward_column_sums_avx2(
    const float *y, const float *g, float *dx, float *db, size_t rows, size_t n, int accumulate) {
    relu_backward_column_sums_body(y, g, dx, db, rows, n, accumulate);
}
__attribute__((target("avx512f"))) static void relu_backward_column_sums_avx512(
    const float *y, const float *g, float *dx, float *db, size_t rows, size_t n, int accumulate) {
    relu_backward_column_sums_body(y, g, dx, db, rows, n, accumulate);
}

void mb_relu_backward_column_sums(int isa, const float *y, const float *g, float *dx, float *db, size_t rows,
                                  size_t n, int accumulate) {
    if (isa >= 2) relu_backward_column_sums_avx512(y, g, dx, db, rows, n, accumulate);
    else relu_backward_column_sums_avx2(y, g, dx, db, rows, n, accumulate);
}

#else

int mb_isa_detected(void) { return 0; }

#endif
