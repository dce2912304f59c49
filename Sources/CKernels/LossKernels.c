// Row passes of the pair losses; see include/CKernelsLoss.h.
//
// Bits: each value is the Swift loop's expression with the same operations in
// the same order, and no FMA contraction (the pragmas).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsLoss.h"

// The mask and SupCon's dL/dS pass are one always-inlined body each, compiled for the baseline and,
// on x86-64, in AVX2 and AVX-512F functions (clang vectorises them wider; the same IEEE operations per
// element, so the same bits), chosen by `wide` (WideISA.selected).
#define BODY static inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__clang__)
#define INSTANCES(ret, name, params, args)                                                 \
    static ret name##_base params { return name args; }                                  \
    static __attribute__((target("avx2"))) ret name##_avx2 params { return name args; }  \
    static __attribute__((target("avx512f"))) ret name##_avx512 params { return name args; }
#define CHOOSE(wide, name, args) ((wide) >= 2 ? name##_avx512 args : (wide) == 1 ? name##_avx2 args : name##_base args)
#else
#define INSTANCES(ret, name, params, args) static ret name##_base params { return name args; }
#define CHOOSE(wide, name, args) ((void)(wide), name##_base args)
#endif

BODY int64_t pair_mask_rows(const int32_t *labels, size_t b, size_t i0, size_t i1, uint8_t *mask) {
    int64_t positives = 0;
    for (size_t i = i0; i < i1; i++) {
        const int32_t own = labels[i];
        uint8_t *row = mask + i * b;
        int64_t same = 0;
        for (size_t j = 0; j < b; j++) {
            const int s = labels[j] == own;
            row[j] = (uint8_t)(2 - s);
            same += s;
        }
        row[i] = 0;
        positives += same - 1;  // labels[i] == labels[i]
    }
    return positives;
}

INSTANCES(int64_t, pair_mask_rows, (const int32_t *labels, size_t b, size_t i0, size_t i1, uint8_t *mask),
          (labels, b, i0, i1, mask))

int64_t mb_pair_mask_rows(int wide, const int32_t *labels, size_t b, size_t i0, size_t i1, uint8_t *mask) {
    return CHOOSE(wide, pair_mask_rows, (labels, b, i0, i1, mask));
}

BODY void supcon_coefficients(float *c, const uint8_t *mask, size_t n, double softmax_scale, double share,
                              double inv_t, double scale) {
    for (size_t j = 0; j < n; j++) {
        const double softmax = (double)c[j] * softmax_scale;
        const double v = (softmax - (mask[j] == 1 ? share : 0.0)) * inv_t * scale;
        c[j] = mask[j] != 0 ? (float)v : 0.0f;
    }
}

INSTANCES(void, supcon_coefficients,
          (float *c, const uint8_t *mask, size_t n, double softmax_scale, double share, double inv_t, double scale),
          (c, mask, n, softmax_scale, share, inv_t, scale))

void mb_supcon_coefficients(int wide, float *c, const uint8_t *mask, size_t n, double softmax_scale, double share,
                            double inv_t, double scale) {
    CHOOSE(wide, supcon_coefficients, (c, mask, n, softmax_scale, share, inv_t, scale));
}
