// Row passes of CircleLoss and MultiSimilarityLoss; see include/CKernelsPairLoss.h.
//
// Bits: every value is the former Swift loop's expression with the same
// operations in the same order (a float widened exactly, then the products and
// differences as written there), and no FMA contraction (the pragmas). The
// exponentials are mb_exp's, which equal libm's `exp` element by element, so
// computing them for the unselected columns too changes no selected value. The
// sums run in column order with 0 added for the other columns: x + 0 == x for
// every x but −0, and these sums start at +0 or a positive value and add
// exponentials (≥ 0 or NaN), so they are never −0. Only the maxima are
// reassociated (8 lanes), which is exact: among non-NaN doubles the maximum is
// one value, except that +0 and −0 compare equal and Swift.max(a, b)
// (`b >= a ? b : a`) keeps the later of equal values; so when the maximum is a
// zero and some selected value is a zero, the serial rule recomputes it.
// NaNs never replace the running value in either order (`v >= m` is false).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsPairLoss.h"

#include "CKernels.h"  // mb_exp

enum { kPositive = 1, kNegative = 2 };

// Each pass is one always-inlined body, compiled twice: for the baseline and, on x86-64, in an
// AVX2 function (wider compares and blends; the same IEEE operations, so the same bits) that
// runs when `isa` ≥ 1 (mb_exp's AVX2+FMA path, which METRICBENCH_SIMD=portable turns off).
#define BODY static inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__clang__)
#define WIDE_TARGET __attribute__((target("avx2")))
#endif

static double serial_max(const double *v, const uint8_t *mask, uint8_t want, size_t n, double start) {
    double m = start;
    for (size_t j = 0; j < n; j++) {
        if (mask[j] != want) continue;
        m = v[j] >= m ? v[j] : m;
    }
    return m;
}

/// top[0], top[1] = the serial `m = start; m = Swift.max(m, v[j])` over the positive and the
/// negative columns.
BODY void masked_max2(const double *v, const uint8_t *mask, size_t n, double start, double top[2]) {
    double ap[8], an[8];
    int64_t zero[8];  // lanes that met a selected ±0
    for (int l = 0; l < 8; l++) {
        ap[l] = -__builtin_inf();
        an[l] = -__builtin_inf();
        zero[l] = 0;
    }
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        for (int l = 0; l < 8; l++) {
            const double x = v[j + l];
            const uint8_t k = mask[j + l];
            const double p = k == kPositive ? x : -__builtin_inf();
            const double q = k == kNegative ? x : -__builtin_inf();
            ap[l] = p >= ap[l] ? p : ap[l];
            an[l] = q >= an[l] ? q : an[l];
            zero[l] |= (int64_t)(k != 0 && x == 0);
        }
    }
    double mp = start, mn = start;
    int64_t anyZero = 0;
    for (int l = 0; l < 8; l++) {
        mp = ap[l] >= mp ? ap[l] : mp;
        mn = an[l] >= mn ? an[l] : mn;
        anyZero |= zero[l];
    }
    for (; j < n; j++) {
        const double x = v[j];
        const uint8_t k = mask[j];
        if (k == kPositive) mp = x >= mp ? x : mp;
        if (k == kNegative) mn = x >= mn ? x : mn;
        anyZero |= (int64_t)(k != 0 && x == 0);
    }
    // A zero maximum is `start` itself unless a selected value is a zero (then which zero is the serial loop's).
    if (mp == 0) mp = anyZero ? serial_max(v, mask, kPositive, n, start) : start;
    if (mn == 0) mn = anyZero ? serial_max(v, mask, kNegative, n, start) : start;
    top[0] = mp;
    top[1] = mn;
}

/// The exponent of a selected pair of the circle loss: `−γ a_p (S − Δ_p)` with a_p = max(1 + m − S, 0),
/// Δ_p = 1 − m, or `γ a_n (S − Δ_n)` with a_n = max(S + m, 0), Δ_n = m (the former Swift
/// expressions, `max(x, 0)` as `0 >= x ? 0 : x`; PairLossRowPassTests keeps them as the reference).
static inline double circle_logit(double s, int positive, double m, double gamma) {
    const double ap = 0 >= 1 + m - s ? 0 : 1 + m - s;
    const double an = 0 >= s + m ? 0 : s + m;
    return positive ? -gamma * ap * (s - (1 - m)) : gamma * an * (s - m);
}

/// That exponent's slope in S (the weight a held fixed, as PML's detached weights).
static inline double circle_slope(double s, int positive, double m, double gamma) {
    const double ap = 0 >= 1 + m - s ? 0 : 1 + m - s;
    const double an = 0 >= s + m ? 0 : s + m;
    return positive ? -gamma * ap : gamma * an;
}

BODY mb_pair_row_lse circle_row_sums(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma, double *e) {
    for (size_t j = 0; j < n; j++) e[j] = circle_logit((double)s[j], mask[j] == kPositive, m, gamma);
    double top[2];
    masked_max2(e, mask, n, -__builtin_inf(), top);
    mb_pair_row_lse r = {top[0], top[1], 0.0, 0.0, 0, 0};
    if (!(r.top_p > -__builtin_inf() && r.top_n > -__builtin_inf())) return r;
    const double tp = r.top_p, tn = r.top_n;
    for (size_t j = 0; j < n; j++) e[j] = e[j] - (mask[j] == kPositive ? tp : tn);
    mb_exp(isa, e, e, n);
    double sp = 0.0, sn = 0.0;
    for (size_t j = 0; j < n; j++) {
        sp = sp + (mask[j] == kPositive ? e[j] : 0.0);
        sn = sn + (mask[j] == kNegative ? e[j] : 0.0);
    }
    r.sum_p = sp;
    r.sum_n = sn;
    return r;
}

BODY void circle_row_coefficients(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma, double lse_p,
                                  double lse_n, double slope, double *e, float *c) {
    for (size_t j = 0; j < n; j++) {
        const int positive = mask[j] == kPositive;
        e[j] = circle_logit((double)s[j], positive, m, gamma) - (positive ? lse_p : lse_n);
    }
    mb_exp(isa, e, e, n);
    for (size_t j = 0; j < n; j++) {
        const double dv = circle_slope((double)s[j], mask[j] == kPositive, m, gamma);
        c[j] = mask[j] != 0 ? (float)(slope * e[j] * dv) : 0.0f;
    }
}

BODY mb_pair_row_lse ms_row_max(const float *s, const uint8_t *mask, size_t n, double alpha, double beta, double base, double *e) {
    int64_t np = 0, nn = 0;
    for (size_t j = 0; j < n; j++) {
        const double v = (double)s[j];
        e[j] = mask[j] == kPositive ? alpha * (base - v) : beta * (v - base);
        np += mask[j] == kPositive;
        nn += mask[j] == kNegative;
    }
    double top[2];
    masked_max2(e, mask, n, 0.0, top);
    const mb_pair_row_lse r = {top[0], top[1], 0.0, 0.0, np, nn};
    return r;
}

BODY mb_pair_row_lse ms_row_exp(int isa, const uint8_t *mask, size_t n, mb_pair_row_lse row, double *e) {
    const double tp = row.top_p, tn = row.top_n;
    for (size_t j = 0; j < n; j++) e[j] = e[j] - (mask[j] == kPositive ? tp : tn);
    mb_exp(isa, e, e, n);
    double sp = row.sum_p, sn = row.sum_n;
    for (size_t j = 0; j < n; j++) {
        sp = sp + (mask[j] == kPositive ? e[j] : 0.0);
        sn = sn + (mask[j] == kNegative ? e[j] : 0.0);
    }
    row.sum_p = sp;
    row.sum_n = sn;
    return row;
}

BODY void ms_row_coefficients(const uint8_t *mask, size_t n, const double *e, double scale_p, double scale_n, float *c) {
    for (size_t j = 0; j < n; j++) {
        const double kept = (double)(float)e[j];
        c[j] = mask[j] != 0 ? (float)(kept * (mask[j] == kPositive ? scale_p : scale_n)) : 0.0f;
    }
}

// The baseline and AVX2 instances of each body, and the exported functions choosing between them.
#define INSTANCES(ret, name, params, args)                      \
    static ret name##_base params { return name args; }       \
    INSTANCE_WIDE(ret, name, params, args)
#ifdef WIDE_TARGET
#define INSTANCE_WIDE(ret, name, params, args) static WIDE_TARGET ret name##_avx2 params { return name args; }
#define CHOOSE(isa, name, args) ((isa) >= 1 ? name##_avx2 args : name##_base args)
#else
#define INSTANCE_WIDE(ret, name, params, args)
#define CHOOSE(isa, name, args) ((void)(isa), name##_base args)
#endif

INSTANCES(mb_pair_row_lse, circle_row_sums,
          (int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma, double *e),
          (isa, s, mask, n, m, gamma, e))
INSTANCES(void, circle_row_coefficients,
          (int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma, double lse_p, double lse_n,
           double slope, double *e, float *c),
          (isa, s, mask, n, m, gamma, lse_p, lse_n, slope, e, c))
INSTANCES(mb_pair_row_lse, ms_row_max,
          (const float *s, const uint8_t *mask, size_t n, double alpha, double beta, double base, double *e),
          (s, mask, n, alpha, beta, base, e))
INSTANCES(mb_pair_row_lse, ms_row_exp, (int isa, const uint8_t *mask, size_t n, mb_pair_row_lse row, double *e),
          (isa, mask, n, row, e))
INSTANCES(void, ms_row_coefficients,
          (const uint8_t *mask, size_t n, const double *e, double scale_p, double scale_n, float *c),
          (mask, n, e, scale_p, scale_n, c))

mb_pair_row_lse mb_circle_row_sums(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma,
                                   double *e) {
    return CHOOSE(isa, circle_row_sums, (isa, s, mask, n, m, gamma, e));
}

void mb_circle_row_coefficients(int isa, const float *s, const uint8_t *mask, size_t n, double m, double gamma,
                                double lse_p, double lse_n, double slope, double *e, float *c) {
    CHOOSE(isa, circle_row_coefficients, (isa, s, mask, n, m, gamma, lse_p, lse_n, slope, e, c));
}

mb_pair_row_lse mb_ms_row_max(int isa, const float *s, const uint8_t *mask, size_t n, double alpha, double beta,
                              double base, double *e) {
    return CHOOSE(isa, ms_row_max, (s, mask, n, alpha, beta, base, e));
}

mb_pair_row_lse mb_ms_row_exp(int isa, const uint8_t *mask, size_t n, mb_pair_row_lse row, double *e) {
    return CHOOSE(isa, ms_row_exp, (isa, mask, n, row, e));
}

void mb_ms_row_coefficients(int isa, const uint8_t *mask, size_t n, const double *e, double scale_p, double scale_n,
                            float *c) {
    CHOOSE(isa, ms_row_coefficients, (mask, n, e, scale_p, scale_n, c));
}
