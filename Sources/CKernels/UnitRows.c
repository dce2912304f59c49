// _UnitRows' row loops; see include/CKernelsUnitRows.h. The Swift loops were
// bound by one dependent chain of d additions per row; here four rows' chains
// are interleaved, each still summed in column order, so every value keeps its
// bits (no FMA contraction: the pragmas).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsUnitRows.h"

#include <math.h>

static inline void finish_forward(const float *x, size_t d, double s, double eps, float *unit, float *norm_out) {
    const double root = sqrt(s);
    const double norm = eps >= root ? eps : root;  // Swift.max(root, eps)
    *norm_out = (float)norm;
    const double inv = 1 / norm;
    for (size_t k = 0; k < d; k++) unit[k] = (float)((double)x[k] * inv);
}

void mb_unit_rows_forward(const float *x, size_t d, size_t i0, size_t i1, double eps, float *unit, float *norms) {
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        const float *x0 = x + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (size_t k = 0; k < d; k++) {
            const double v0 = (double)x0[k], v1 = (double)x1[k], v2 = (double)x2[k], v3 = (double)x3[k];
            s0 = s0 + v0 * v0;
            s1 = s1 + v1 * v1;
            s2 = s2 + v2 * v2;
            s3 = s3 + v3 * v3;
        }
        finish_forward(x0, d, s0, eps, unit + i * d, norms + i);
        finish_forward(x1, d, s1, eps, unit + (i + 1) * d, norms + i + 1);
        finish_forward(x2, d, s2, eps, unit + (i + 2) * d, norms + i + 2);
        finish_forward(x3, d, s3, eps, unit + (i + 3) * d, norms + i + 3);
    }
    for (; i < i1; i++) {
        const float *xi = x + i * d;
        double s = 0.0;
        for (size_t k = 0; k < d; k++) {
            const double v = (double)xi[k];
            s = s + v * v;
        }
        finish_forward(xi, d, s, eps, unit + i * d, norms + i);
    }
}

static inline void finish_backward(const float *u, size_t d, double norm, int clamped, double dot, float *g) {
    const double inv = 1 / norm;
    for (size_t k = 0; k < d; k++) {
        const double r = (double)g[k] - (clamped ? 0 : (double)u[k] * dot);
        g[k] = (float)(r * inv);
    }
}

void mb_unit_rows_backward(const float *unit, const float *norms, size_t d, size_t i0, size_t i1, double eps, float *g) {
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        const float *u0 = unit + i * d, *u1 = u0 + d, *u2 = u1 + d, *u3 = u2 + d;
        float *g0 = g + i * d, *g1 = g0 + d, *g2 = g1 + d, *g3 = g2 + d;
        const double n0 = (double)norms[i], n1 = (double)norms[i + 1], n2 = (double)norms[i + 2], n3 = (double)norms[i + 3];
        const int c0 = n0 <= eps, c1 = n1 <= eps, c2 = n2 <= eps, c3 = n3 <= eps;
        // A clamped row's dot stays 0 and is not used; computing it anyway keeps the loop branch-free.
        double t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
        for (size_t k = 0; k < d; k++) {
            t0 = t0 + (double)u0[k] * (double)g0[k];
            t1 = t1 + (double)u1[k] * (double)g1[k];
            t2 = t2 + (double)u2[k] * (double)g2[k];
            t3 = t3 + (double)u3[k] * (double)g3[k];
        }
        finish_backward(u0, d, n0, c0, c0 ? 0.0 : t0, g0);
        finish_backward(u1, d, n1, c1, c1 ? 0.0 : t1, g1);
        finish_backward(u2, d, n2, c2, c2 ? 0.0 : t2, g2);
        finish_backward(u3, d, n3, c3, c3 ? 0.0 : t3, g3);
    }
    for (; i < i1; i++) {
        const float *ui = unit + i * d;
        float *gi = g + i * d;
        const double norm = (double)norms[i];
        const int clamped = norm <= eps;
        double dot = 0.0;
        if (!clamped)
            for (size_t k = 0; k < d; k++) dot = dot + (double)ui[k] * (double)gi[k];
        finish_backward(ui, d, norm, clamped, dot, gi);
    }
}
