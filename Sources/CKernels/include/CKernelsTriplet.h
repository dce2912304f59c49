#ifndef METRICBENCH_CKERNELS_TRIPLET_H
#define METRICBENCH_CKERNELS_TRIPLET_H

// Row passes of the triplet miner (MetricLearning's TripletMiner semi-hard
// selection). mb_semihard_choose is portable C; mb_semihard_direct has AVX2 and
// AVX-512 versions only (chosen by `isa`, WideISA). Each function makes exactly the
// choices of the Swift loop it replaced (integer keys compared with <, one
// float addition and one comparison per positive, no FMA contraction).
// MetricLearningTests/TripletRowPassTests compares them with those loops.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One anchor's semi-hard choices from its ranked candidate negatives.
///
/// `keys[0..<k]` (k ≥ 1) are the anchor's positives as (value, index) sort keys
/// in ascending order (NumericCore's SortKey: the float's ordered bits above,
/// the index below); candidate j < c is negative `indices[j]` at distance
/// `values[j]` (not NaN) with strict rank `ranks[j]` ≤ k among the positives'
/// values. For every positive t, the smallest candidate key of rank > t (the
/// nearest negative beyond it, lowest index on ties) is chosen for positive
/// p = keys[t]'s index when row[n] < row[p] + margin: chosen[p] = n; other
/// entries of `chosen` are left as they are. `best` is scratch for 4 (k + 1)
/// keys.
void mb_semihard_choose(const float *row, const uint64_t *keys, size_t k, const float *values,
                        const int32_t *indices, const int32_t *ranks, size_t c, float margin, uint64_t *best,
                        int32_t *chosen);

/// One anchor's whole semi-hard choice, without a sort or a rank table, in AVX2 (`isa` 1) or
/// AVX-512F (`isa` ≥ 2) code: the choices of the miner's ranked path (the lowest-index nearest
/// candidate beyond each positive, kept when row[n] < row[p] + margin), in O(count · c / lanes)
/// for c candidates, so meant for small classes. `positives[0..<count]` are the anchor's
/// positives (any order; NaN distances allowed), `label` its label, `y` the B labels. Sets
/// chosen[p] to the negative or −1 for every positive. `values` is scratch for B + 16 floats,
/// `indices` for B + 8 indices. Returns 0 without touching anything when `isa` is 0 or the CPU
/// is not x86-64 (the caller's ranked path then runs), else 1.
int mb_semihard_direct(int isa, const float *row, const int32_t *y, size_t b, int32_t label, const int32_t *positives,
                       size_t count, float margin, float *values, int32_t *indices, int32_t *chosen);

/// ranks[j] = #{t < k : sorted[t] < values[j]} (`strict` ≠ 0) or #{t < k : sorted[t] ≤ values[j]}
/// for j < c, by k comparisons per 8 (AVX2, `isa` 1) or 16 (AVX-512F, `isa` ≥ 2) candidates: the
/// counts of _RankTable.ranks, for small k. Values not NaN. Reads and writes whole groups of 32:
/// `values` and `ranks` need room for c rounded up to 32 (the extra ranks are garbage). Returns 0
/// without touching anything when `isa` is 0 or the CPU is not x86-64, else 1.
int mb_rank_direct(int isa, const float *sorted, size_t k, const float *values, size_t c, int32_t *ranks, int strict);

#ifdef __cplusplus
}
#endif

#endif
