// The per-anchor passes of NT-Xent and SupCon; see include/CKernelsContrastive.h.
//
// Bits: every value is the former Swift pass's expression with the same
// operations in the same order (a float widened exactly, then the products,
// differences and sums as written there), and no FMA contraction (the pragmas).
// What changed is only where values are kept and when the elementwise calls run:
//
// * One scan per row compacts the z = Double(S)·(1/τ) of both kinds of pair in
//   column order (the former three masked scans computed the same z each time).
// * The maximum over the compacted negatives (or selected pairs) runs in 32
//   lanes, which is exact: among non-NaN doubles the maximum is one value
//   except that +0 and −0 compare equal, and Swift.max keeps the later of equal
//   values, so a zero maximum is recomputed by the serial rule; NaNs never
//   replace the running value in either order (`v >= m` is false).
// * The exponentials, logarithms and expm1 of up to four rows run in one
//   mb_exp / mb_log / mb_expm1 call each. They act element by element and give
//   libm's value for every argument, so neither the batching nor the padding
//   lanes (0 for exp, 1 for log, −1 for expm1, never read back) change a value.
// * The serial sums (each row's Σ e^{n − max}, SupCon's Σ z of the positives)
//   run four rows side by side, each row's sum still one chain in column order:
//   four independent chains instead of one at a time, the same additions.
// * The AVX-512 instance compacts and scatters with compress / expand in
//   registers (never to memory: slow on AMD); same values, moved.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsContrastive.h"

#include "CKernels.h"           // mb_exp
#include "CKernelsVectorLog.h"  // mb_log, mb_expm1

#include <math.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define WIDE_TARGET __attribute__((target("avx2")))
#define AVX512_TARGET __attribute__((target("avx512f")))
#endif

enum { kPositive = 1, kNegative = 2, kGroup = 4, kSlack = 16 };

#define BODY static inline __attribute__((always_inline))

/// One scratch region: a group's compacted values plus room for the 8-wide stores past the end.
static size_t region(size_t b) { return kGroup * b + kSlack; }

/// n rounded up to whole vectors when a vector path runs (no scalar tail), n itself for libm.
static inline size_t padded(size_t n, int isa) { return isa > 0 ? (n + 7) & ~(size_t)7 : n; }

static inline void fill(double *v, size_t from, size_t to, double value) {
    for (size_t k = from; k < to; k++) v[k] = value;
}

static double serial_max(const double *v, size_t n) {
    double m = -__builtin_inf();
    for (size_t j = 0; j < n; j++) m = v[j] >= m ? v[j] : m;
    return m;
}

/// The serial `m = −∞; m = Swift.max(m, v[j])` over j < n, in 32 lanes (exact; see the top): four
/// vectors of eight, so that the compare-and-select chains overlap.
BODY double lanes_max(const double *v, size_t n) {
    double acc[32];
    for (int l = 0; l < 32; l++) acc[l] = -__builtin_inf();
    size_t j = 0;
    for (; j + 32 <= n; j += 32)
        for (int l = 0; l < 32; l++) acc[l] = v[j + l] >= acc[l] ? v[j + l] : acc[l];
    for (; j + 8 <= n; j += 8)  // a short scalar tail: SupCon's rows have B − 1 selected pairs
        for (int l = 0; l < 8; l++) acc[l] = v[j + l] >= acc[l] ? v[j + l] : acc[l];
    double m = -__builtin_inf();
    for (int l = 0; l < 32; l++) m = acc[l] >= m ? acc[l] : m;
    for (; j < n; j++) m = v[j] >= m ? v[j] : m;
    if (m == 0) return serial_max(v, n);  // which zero is the serial loop's
    return m;
}

/// Is column kind k a member of the first compacted set: the negatives (NT-Xent) or every selected pair (SupCon)?
static inline int first_kind(uint8_t k, int selected) { return selected ? k != 0 : k == kNegative; }

/// first[·] = z of the first set's columns, second[·] = z of the positives, each in column order
/// (z = Double(s[j]) · inv_t); their numbers in *n1, *n2. Both need n + 8 slots.
BODY void compact_scalar(const float *s, const uint8_t *m, size_t n, double inv_t, int selected, double *first,
                         double *second, size_t *n1, size_t *n2) {
    size_t k1 = 0, k2 = 0;
    for (size_t j = 0; j < n; j++) {
        const double z = (double)s[j] * inv_t;
        first[k1] = z;
        second[k2] = z;
        k1 += first_kind(m[j], selected);
        k2 += m[j] == kPositive;
    }
    *n1 = k1;
    *n2 = k2;
}

#ifdef AVX512_TARGET
AVX512_TARGET static inline __m512i kinds8(const uint8_t *m) {
    return _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)m));
}

AVX512_TARGET static inline void compact_avx512(const float *s, const uint8_t *m, size_t n, double inv_t, int selected,
                                                double *first, double *second, size_t *n1, size_t *n2) {
    const __m512d t = _mm512_set1_pd(inv_t);
    const __m512i one = _mm512_set1_epi64(kPositive), two = _mm512_set1_epi64(kNegative);
    size_t k1 = 0, k2 = 0, j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d z = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(s + j)), t);
        const __m512i k = kinds8(m + j);
        const __mmask8 in1 = selected ? _mm512_test_epi64_mask(k, k) : _mm512_cmpeq_epi64_mask(k, two);
        const __mmask8 in2 = _mm512_cmpeq_epi64_mask(k, one);
        _mm512_storeu_pd(first + k1, _mm512_maskz_compress_pd(in1, z));
        _mm512_storeu_pd(second + k2, _mm512_maskz_compress_pd(in2, z));
        k1 += (size_t)__builtin_popcount(in1);
        k2 += (size_t)__builtin_popcount(in2);
    }
    size_t t1 = 0, t2 = 0;
    compact_scalar(s + j, m + j, n - j, inv_t, selected, first + k1, second + k2, &t1, &t2);
    *n1 = k1 + t1;
    *n2 = k2 + t2;
}
#endif

BODY void compact(int wide, const float *s, const uint8_t *m, size_t n, double inv_t, int selected, double *first,
                  double *second, size_t *n1, size_t *n2) {
#ifdef AVX512_TARGET
    if (wide >= 2) {
        compact_avx512(s, m, n, inv_t, selected, first, second, n1, n2);
        return;
    }
#endif
    (void)wide;
    compact_scalar(s, m, n, inv_t, selected, first, second, n1, n2);
}

/// out[r] = 0.0 + v[off[r]] + v[off[r] + 1] + … (len[r] terms, in order) for r < g, and
/// *carry = *carry + extra[0] + … + extra[m − 1] (in order) for the first m ≤ n_extra extra values,
/// m returned: each sum one chain of additions, the chains interleaved (up to five at once) when g is a
/// whole group, which takes extra values only while the rows' chains run beside them.
BODY size_t row_sums(const double *v, const size_t *off, const size_t *len, size_t g, double *out, double *carry,
                     const double *extra, size_t n_extra) {
    double c = n_extra ? *carry : 0.0;
    if (g != kGroup) {
        for (size_t r = 0; r < g; r++) {
            double sum = 0.0;
            for (size_t k = 0; k < len[r]; k++) sum = sum + v[off[r] + k];
            out[r] = sum;
        }
        for (size_t k = 0; k < n_extra; k++) c = c + extra[k];
        if (n_extra) *carry = c;
        return n_extra;
    }
    size_t common = len[0];
    for (size_t r = 1; r < kGroup; r++) common = len[r] < common ? len[r] : common;
    const size_t shared = common < n_extra ? common : n_extra;
    const double *v0 = v + off[0], *v1 = v + off[1], *v2 = v + off[2], *v3 = v + off[3];
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t k = 0;
    for (; k < shared; k++) {
        s0 = s0 + v0[k];
        s1 = s1 + v1[k];
        s2 = s2 + v2[k];
        s3 = s3 + v3[k];
        c = c + extra[k];
    }
    for (; k < common; k++) {
        s0 = s0 + v0[k];
        s1 = s1 + v1[k];
        s2 = s2 + v2[k];
        s3 = s3 + v3[k];
    }
    for (size_t i = common; i < len[0]; i++) s0 = s0 + v0[i];
    for (size_t i = common; i < len[1]; i++) s1 = s1 + v1[i];
    for (size_t i = common; i < len[2]; i++) s2 = s2 + v2[i];
    for (size_t i = common; i < len[3]; i++) s3 = s3 + v3[i];
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
    if (n_extra) *carry = c;
    return shared;
}

// ---- NT-Xent -----------------------------------------------------------------

/// One row of dL/dS: Float(cp[k]) at the row's positives (k counting them), Float(nw · en[k] · inv_t ·
/// weight) at its negatives (k counting them), 0 elsewhere; from column j on, kp positives and kn
/// negatives before it.
static inline void ntxent_scatter_scalar(const uint8_t *m, size_t n, size_t j, size_t kp, size_t kn, const double *cp,
                                         const double *en, double nw, double inv_t, double weight, float *c) {
    for (; j < n; j++) {
        const uint8_t k = m[j];
        const double vn = nw * en[kn] * inv_t * weight;
        c[j] = k == kPositive ? (float)cp[kp] : (k == kNegative ? (float)vn : 0.0f);
        kp += k == kPositive;
        kn += k == kNegative;
    }
}

#ifdef AVX512_TARGET
AVX512_TARGET static inline void ntxent_scatter_avx512(const uint8_t *m, size_t n, const double *cp, const double *en,
                                                       double nw, double inv_t, double weight, float *c) {
    const __m512i one = _mm512_set1_epi64(kPositive), two = _mm512_set1_epi64(kNegative);
    const __m512d w = _mm512_set1_pd(nw), t = _mm512_set1_pd(inv_t), u = _mm512_set1_pd(weight);
    size_t j = 0, kp = 0, kn = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512i k = kinds8(m + j);
        const __mmask8 pos = _mm512_cmpeq_epi64_mask(k, one), neg = _mm512_cmpeq_epi64_mask(k, two);
        __m512d lp = _mm512_loadu_pd(cp + kp), ln = _mm512_loadu_pd(en + kn);
        // In registers: clang would fold the loads into vexpandpd's memory form, microcoded on AMD.
        __asm__("" : "+v"(lp), "+v"(ln));
        const __m512d vp = _mm512_maskz_expand_pd(pos, lp), e = _mm512_maskz_expand_pd(neg, ln);
        const __m512d vn = _mm512_mul_pd(_mm512_mul_pd(_mm512_mul_pd(w, e), t), u);
        const __m512d v = _mm512_maskz_mov_pd((__mmask8)(pos | neg), _mm512_mask_blend_pd(pos, vn, vp));
        _mm256_storeu_ps(c + j, _mm512_cvtpd_ps(v));
        kp += (size_t)__builtin_popcount(pos);
        kn += (size_t)__builtin_popcount(neg);
    }
    ntxent_scatter_scalar(m, n, j, kp, kn, cp, en, nw, inv_t, weight, c);
}
#endif

/// `cp` and `en` need 8 readable slots past their last value.
BODY void ntxent_scatter(int wide, const uint8_t *m, size_t n, const double *cp, const double *en, double nw,
                         double inv_t, double weight, float *c) {
#ifdef AVX512_TARGET
    if (wide >= 2) {
        ntxent_scatter_avx512(m, n, cp, en, nw, inv_t, weight, c);
        return;
    }
#endif
    (void)wide;
    ntxent_scatter_scalar(m, n, 0, 0, 0, cp, en, nw, inv_t, weight, c);
}

/// Anchors a0 ..< a0 + g (g ≤ kGroup) of NTXentLoss.evaluate's former per-anchor loop.
///
/// With `running`, the group's terms are left in `pending` (*n_pending of them) and the previous
/// group's pending terms are added to *running during this group's sums of the negatives: the running
/// sum's chain of additions, in (anchor, positive) order, overlaps that work instead of following it.
BODY void ntxent_group(int wide, const mb_ntxent_problem *p, size_t a0, size_t g, double *scratch, double *running,
                       double *pending, size_t *n_pending) {
    const size_t b = p->b, stride = region(b);
    const double inv_t = p->inv_t, weight = p->weight, tiny = p->tiny;
    // en: the negatives' z, then e^{z − maxN}; zp: the positives' z; x: two halves of exponents
    // (each a multiple of 8 long) so that both of a step's exponentials run in one call.
    double *en = scratch, *zp = en + stride, *x = zp + stride, *q3 = x + 2 * stride, *lr = q3 + stride,
           *q4 = lr + stride, *cp = q4 + stride;
    size_t no[kGroup], nn[kGroup], po[kGroup], np[kGroup];
    double maxN[kGroup], sumN[kGroup];
    size_t nt = 0, pt = 0;
    for (size_t r = 0; r < g; r++) {
        const size_t row = (a0 + r) * b;
        no[r] = nt;
        po[r] = pt;
        compact(wide, p->s + row, p->mask + row, b, inv_t, 0, en + nt, zp + pt, &nn[r], &np[r]);
        nt += nn[r];
        pt += np[r];
    }
    // The negatives: max, e^{z − max} of all the group's rows in one call, the sums.
    for (size_t r = 0; r < g; r++) {
        double *e = en + no[r];
        const double m = lanes_max(e, nn[r]);
        maxN[r] = m;
        for (size_t k = 0; k < nn[r]; k++) e[k] = e[k] - m;
    }
    const size_t n8 = padded(nt, p->exp_isa);
    fill(en, nt, n8, 0);
    mb_exp(p->exp_isa, en, en, n8);
    size_t done = row_sums(en, no, nn, g, sumN, running, pending, running ? *n_pending : 0);
    for (size_t r = 0; r < g; r++)
        if (!(maxN[r] > -__builtin_inf())) sumN[r] = 0.0;

    // The positives. L = log(e^z + Σ e^n), stably around top = max(z, maxN): with x1 = z − top and
    // x2 = maxN − top, L = top + log(e^{x1} + Σ e^{n − maxN} · e^{x2}). One of x1, x2 is ±0 unless z or
    // maxN is infinite or NaN (top is one of them), and e^{±0} is exactly 1: one exponential per
    // positive, of the other one; where both are non-zero, libm's `exp` (the value mb_exp returns).
    const size_t p8 = padded(pt, p->exp_isa), l8 = padded(pt, p->log_isa), m8 = padded(pt, p->expm1_isa);
    double *x1 = x, *x2 = x + p8;
    for (size_t r = 0; r < g; r++) {
        const double m = maxN[r];
        for (size_t k = po[r]; k < po[r] + np[r]; k++) {
            const double z = zp[k];
            const double top = m >= z ? m : z;
            const double d1 = z - top, d2 = m - top;
            x1[k] = d1 != 0 ? d1 : d2;
        }
    }
    fill(x1, pt, p8, 0);
    mb_exp(p->exp_isa, x1, x1, p8);
    size_t both = 0;
    for (size_t r = 0; r < g; r++) {
        const double m = maxN[r], sum = sumN[r];
        for (size_t k = po[r]; k < po[r] + np[r]; k++) {
            const double z = zp[k];
            const double top = m >= z ? m : z;
            const double d1 = z - top, d2 = m - top;
            const double e1 = d1 != 0 ? x1[k] : 1.0, e2 = d1 != 0 ? 1.0 : x1[k];
            q3[k] = e1 + sum * e2;
            both += d1 != 0 && d2 != 0;
        }
    }
    if (both) {
        for (size_t r = 0; r < g; r++) {
            const double m = maxN[r], sum = sumN[r];
            for (size_t k = po[r]; k < po[r] + np[r]; k++) {
                const double z = zp[k];
                const double top = m >= z ? m : z;
                const double d1 = z - top, d2 = m - top;
                if (d1 != 0 && d2 != 0) q3[k] = x1[k] + sum * exp(d2);
            }
        }
    }
    fill(q3, pt, l8, 1);
    mb_log(p->log_isa, q3, q3, l8);
    // log r = z − L and maxN − L, then r = e^{log r}, e^{maxN − L}, log(r + tiny) and e^{log r} − 1.
    for (size_t r = 0; r < g; r++) {
        const double m = maxN[r];
        for (size_t k = po[r]; k < po[r] + np[r]; k++) {
            const double z = zp[k];
            const double top = m >= z ? m : z;
            const double l = top + q3[k];
            const double logRatio = z - l;
            x1[k] = logRatio;
            lr[k] = logRatio;
            x2[k] = m - l;
        }
    }
    fill(x1, pt, p8, 0);
    fill(x2, pt, p8, 0);
    mb_exp(p->exp_isa, x, x, 2 * p8);
    for (size_t k = 0; k < pt; k++) q4[k] = x1[k] + tiny;
    fill(q4, pt, l8, 1);
    mb_log(p->log_isa, q4, q4, l8);
    fill(lr, pt, m8, -1);
    mb_expm1(p->expm1_isa, lr, lr, m8);

    // Elementwise, all rows at once: κ = r / (r + tiny) (d(−log(r + tiny))/dlogRatio = −κ), the
    // positives' dL/dS, κ·e^{maxN − L} (x2) and the terms −log(r + tiny) (q4).
    for (size_t k = 0; k < pt; k++) {
        const double ratio = x1[k];
        const double kappa = ratio / (ratio + tiny);
        cp[k] = kappa * lr[k] * inv_t * weight;
        x2[k] = kappa * x2[k];
        q4[k] = -q4[k];
    }
    // Per anchor: Σ κ e^{maxN − L} over its positives in column order (the weight every negative
    // gets, over e^{S_an/τ − maxN}), the four rows' chains side by side; then the terms, the active
    // count and the row of dL/dS.
    double negativeWeight[kGroup];
    if (running) {
        // The rest of the previous group's terms beside these chains, then any left alone; the pending
        // terms are free for this group's from here on.
        done += row_sums(x2, po, np, g, negativeWeight, running, pending + done, *n_pending - done);
        double total = *running;
        for (size_t k = done; k < *n_pending; k++) total = total + pending[k];
        *running = total;
    } else {
        row_sums(x2, po, np, g, negativeWeight, NULL, NULL, 0);
    }
    for (size_t r = 0; r < g; r++) {
        const size_t a = a0 + r;
        const double *ratio = x1 + po[r];
        if (!running) {
            double *terms = p->terms + a * b;
            for (size_t t = 0; t < np[r]; t++) terms[t] = q4[po[r] + t];
        }
        int64_t active = 0;
        for (size_t t = 0; t < np[r]; t++) active += ratio[t] < 1;
        p->positives[a] = (int64_t)np[r];
        p->active[a] = active;
        const double nw = maxN[r] > -__builtin_inf() ? negativeWeight[r] : 0.0;
        ntxent_scatter(wide, p->mask + a * b, b, cp + po[r], en + no[r], nw, inv_t, weight, p->c + a * b);
    }
    if (running) {
        for (size_t k = 0; k < pt; k++) pending[k] = q4[k];
        *n_pending = pt;
    }
}

BODY void ntxent_rows(int wide, const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch, double *running) {
    double *pending = scratch + 8 * region(p->b);
    size_t n_pending = 0;
    for (size_t a = a0; a < a1; a += kGroup) {
        const size_t g = a1 - a < kGroup ? a1 - a : kGroup;
        ntxent_group(wide, p, a, g, scratch, running, pending, &n_pending);
    }
    if (running) {
        double total = *running;
        for (size_t k = 0; k < n_pending; k++) total = total + pending[k];
        *running = total;
    }
}

size_t mb_ntxent_scratch_count(size_t b) { return 9 * region(b); }

// ---- SupCon ------------------------------------------------------------------

/// One row of c: Float(e[k]) at the selected columns (k counting them), 0 elsewhere; from column j
/// on, k selected before it.
static inline void supcon_scatter_scalar(const uint8_t *m, size_t n, size_t j, size_t k, const double *e, float *c) {
    for (; j < n; j++) {
        c[j] = m[j] != 0 ? (float)e[k] : 0.0f;
        k += m[j] != 0;
    }
}

#ifdef AVX512_TARGET
AVX512_TARGET static inline void supcon_scatter_avx512(const uint8_t *m, size_t n, const double *e, float *c) {
    size_t j = 0, k = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512i kinds = kinds8(m + j);
        const __mmask8 in = _mm512_test_epi64_mask(kinds, kinds);
        __m512d v = _mm512_loadu_pd(e + k);
        __asm__("" : "+v"(v));  // see ntxent_scatter_avx512
        _mm256_storeu_ps(c + j, _mm512_cvtpd_ps(_mm512_maskz_expand_pd(in, v)));
        k += (size_t)__builtin_popcount(in);
    }
    supcon_scatter_scalar(m, n, j, k, e, c);
}
#endif

/// `e` needs 8 readable slots past its last value.
BODY void supcon_scatter(int wide, const uint8_t *m, size_t n, const double *e, float *c) {
#ifdef AVX512_TARGET
    if (wide >= 2) {
        supcon_scatter_avx512(m, n, e, c);
        return;
    }
#endif
    (void)wide;
    supcon_scatter_scalar(m, n, 0, 0, e, c);
}

/// Rows r0 ..< r0 + g (g ≤ kGroup) of SupConLoss.evaluate's first pass.
BODY void supcon_group(int wide, const mb_supcon_problem *p, size_t r0, size_t g, double *scratch) {
    const size_t b = p->b, stride = region(b);
    double *e = scratch, *zp = e + stride;
    size_t so[kGroup], ns[kGroup], po[kGroup], np[kGroup];
    double top[kGroup], sums[kGroup], positiveSums[kGroup];
    size_t st = 0, pt = 0;
    for (size_t r = 0; r < g; r++) {
        const size_t row = (r0 + r) * b;
        so[r] = st;
        po[r] = pt;
        compact(wide, p->s + row, p->mask + row, b, p->inv_t, 1, e + st, zp + pt, &ns[r], &np[r]);
        st += ns[r];
        pt += np[r];
    }
    row_sums(zp, po, np, g, positiveSums, NULL, NULL, 0);
    for (size_t r = 0; r < g; r++) {
        double *v = e + so[r];
        const double m = lanes_max(v, ns[r]);
        top[r] = m;
        for (size_t k = 0; k < ns[r]; k++) v[k] = v[k] - m;
    }
    const size_t n8 = padded(st, p->exp_isa);
    fill(e, st, n8, 0);
    mb_exp(p->exp_isa, e, e, n8);
    row_sums(e, so, ns, g, sums, NULL, NULL, 0);
    for (size_t r = 0; r < g; r++) {
        const size_t i = r0 + r;
        p->positives[i] = (int64_t)np[r];
        p->positive_sum[i] = positiveSums[r];
        float *c = p->c + i * b;
        if (np[r] == 0) {
            for (size_t j = 0; j < b; j++) c[j] = 0;
            continue;
        }
        p->top[i] = top[r];
        p->sum[i] = sums[r];
        supcon_scatter(wide, p->mask + i * b, b, e + so[r], c);
    }
}

BODY void supcon_rows(int wide, const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch) {
    for (size_t r = r0; r < r1; r += kGroup) {
        const size_t g = r1 - r < kGroup ? r1 - r : kGroup;
        supcon_group(wide, p, r, g, scratch);
    }
}

size_t mb_supcon_scratch_count(size_t b) { return 2 * region(b); }

// ---- The instances -----------------------------------------------------------

static void ntxent_rows_base(const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch, double *running) {
    ntxent_rows(0, p, a0, a1, scratch, running);
}

static void supcon_rows_base(const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch) {
    supcon_rows(0, p, r0, r1, scratch);
}

#ifdef WIDE_TARGET
WIDE_TARGET static void ntxent_rows_avx2(const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch,
                                         double *running) {
    ntxent_rows(1, p, a0, a1, scratch, running);
}

AVX512_TARGET static void ntxent_rows_avx512(const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch,
                                             double *running) {
    ntxent_rows(2, p, a0, a1, scratch, running);
}

WIDE_TARGET static void supcon_rows_avx2(const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch) {
    supcon_rows(1, p, r0, r1, scratch);
}

AVX512_TARGET static void supcon_rows_avx512(const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch) {
    supcon_rows(2, p, r0, r1, scratch);
}
#endif

void mb_ntxent_rows(const mb_ntxent_problem *p, size_t a0, size_t a1, double *scratch, double *running) {
#ifdef WIDE_TARGET
    if (p->wide >= 2) return ntxent_rows_avx512(p, a0, a1, scratch, running);
    if (p->wide == 1) return ntxent_rows_avx2(p, a0, a1, scratch, running);
#endif
    ntxent_rows_base(p, a0, a1, scratch, running);
}

void mb_supcon_rows(const mb_supcon_problem *p, size_t r0, size_t r1, double *scratch) {
#ifdef WIDE_TARGET
    if (p->wide >= 2) return supcon_rows_avx512(p, r0, r1, scratch);
    if (p->wide == 1) return supcon_rows_avx2(p, r0, r1, scratch);
#endif
    supcon_rows_base(p, r0, r1, scratch);
}
