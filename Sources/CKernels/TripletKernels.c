// Row passes of the triplet miner; see include/CKernelsTriplet.h.
//
// Bits: the semi-hard choice is a minimum over integer keys (exact, so any
// grouping of the candidates gives the same key) followed by the Swift loop's
// one float addition and comparison per positive, without FMA contraction.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CKernelsTriplet.h"

#include <string.h>

// SortKey.make(value, index): the float's bits ordered as unsigned integers
// (−0 as +0), then the index.
static inline uint64_t sort_key(float v, int32_t index) {
    uint32_t bits;
    const float w = v == 0 ? 0.0f : v;
    memcpy(&bits, &w, sizeof bits);
    const uint32_t ordered = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return (uint64_t)ordered << 32 | (uint32_t)index;
}

static inline uint64_t min_key(uint64_t a, uint64_t b) { return b < a ? b : a; }

void mb_semihard_choose(const float *row, const uint64_t *keys, size_t k, const float *values,
                        const int32_t *indices, const int32_t *ranks, size_t c, float margin, uint64_t *best,
                        int32_t *chosen) {
    // Four independent per-rank minima: consecutive candidates often share a rank (all beyond
    // the farthest positive, say), and one table would chain every update through memory.
    const size_t stride = k + 1;
    uint64_t *b0 = best, *b1 = best + stride, *b2 = best + 2 * stride, *b3 = best + 3 * stride;
    for (size_t r = 0; r < 4 * stride; r++) best[r] = UINT64_MAX;
    size_t j = 0;
    for (; j + 4 <= c; j += 4) {
        const uint64_t k0 = sort_key(values[j], indices[j]), k1 = sort_key(values[j + 1], indices[j + 1]);
        const uint64_t k2 = sort_key(values[j + 2], indices[j + 2]), k3 = sort_key(values[j + 3], indices[j + 3]);
        uint64_t *s0 = b0 + ranks[j], *s1 = b1 + ranks[j + 1], *s2 = b2 + ranks[j + 2], *s3 = b3 + ranks[j + 3];
        *s0 = min_key(*s0, k0);
        *s1 = min_key(*s1, k1);
        *s2 = min_key(*s2, k2);
        *s3 = min_key(*s3, k3);
    }
    for (; j < c; j++) {
        uint64_t *s = b0 + ranks[j];
        *s = min_key(*s, sort_key(values[j], indices[j]));
    }
    // Positive t's nearest candidate beyond it: the minimum over the ranks above t.
    uint64_t nearest = UINT64_MAX;
    for (size_t t = k; t-- > 0;) {
        const size_t r = t + 1;
        nearest = min_key(nearest, min_key(min_key(b0[r], b1[r]), min_key(b2[r], b3[r])));
        if (nearest == UINT64_MAX) continue;
        const size_t p = (size_t)(uint32_t)keys[t], n = (size_t)(uint32_t)nearest;
        if (row[n] < row[p] + margin) chosen[p] = (int32_t)n;
    }
}
