#ifndef METRICBENCH_CKERNELS_TRIPLET_H
#define METRICBENCH_CKERNELS_TRIPLET_H

// Row passes of the triplet miner (MetricLearning's TripletMiner semi-hard
// selection). Portable C on every platform; each function makes exactly the
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

#ifdef __cplusplus
}
#endif

#endif
