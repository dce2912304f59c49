#ifndef METRICBENCH_CKERNELS_WINOGRAD_H
#define METRICBENCH_CKERNELS_WINOGRAD_H

// The per-tile passes of Winograd F(2×2, 3×3) for ConvReLUPool
// (Training/Layers/WinogradF2x3.swift, whose portable Swift loops define the
// results), AVX2 and AVX-512F, x86-64 only (`isa` 1 or 2, WideISA.selected).
//
// Bits: these passes only add, subtract, negate, compare and select; every
// value is computed by the Swift path's operations in the Swift path's order,
// only the grouping of tiles into vector lanes differs (whole rows of tiles,
// two rows per AVX-512 vector when a row holds at most 8 tiles). The bias
// gradient's lane sums follow the Swift path's blocks of four tiles.
// TrainingTests/ConvReLUPoolTests checks every available set bitwise.
//
// Layouts as in WinogradF2x3.swift: tile n = i·tileCols + j of a sample starts
// at column n0 of the 16 matrices (`matrix_stride` apart, rows `n` floats
// long); callers pass the matrices already offset by n0.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of scratch mb_winograd_input needs for `height × width` planes.
size_t mb_winograd_input_scratch(size_t height, size_t width);

/// V = Bᵀ d B of one sample's tiles: `x` is `channels × height × width`; tile n of
/// channel c goes to v[k·matrix_stride + c·n + tile], k = 4ξ + ν.
void mb_winograd_input(int isa, const float *x, size_t channels, size_t height, size_t width,
                       float *v, size_t n, size_t matrix_stride, float *scratch);

/// Y = Aᵀ M A + bias per tile and output channel, then the 2×2 pool's first maximum
/// (`choice` 0–3) and the ReLU: `m` as `v` above (`out_channels` rows), `y` and
/// `choice` the sample's `out_channels × tile_rows × tile_cols` outputs.
void mb_winograd_output(int isa, const float *m, size_t out_channels, size_t tile_rows, size_t tile_cols,
                        size_t n, size_t matrix_stride, const float *bias, float *y, uint8_t *choice);

/// ∂M = A ∂Y Aᵀ per tile from the pooled gradient `dy` (routed to the chosen
/// position where y > 0), and bias_gradient[o] += Σ ∂Y of channel o.
void mb_winograd_output_backward(int isa, const float *dy, const float *y, const uint8_t *choice,
                                 size_t out_channels, size_t tile_rows, size_t tile_cols,
                                 float *dm, size_t n, size_t matrix_stride, float *bias_gradient);

/// ∂x of one sample from ∂V (as `v` above, `channels` rows): ∂d = B ∂V Bᵀ per tile, the
/// overlapping patches summed as WinogradF2x3.inputGradient defines; `dx` (`channels × height ×
/// width`) overwritten. Returns 0 without writing when `isa` has no kernel for this width
/// (AVX-512: width ≤ 32, AVX2: ≤ 16; none off x86-64), 1 otherwise.
int mb_winograd_input_gradient(int isa, const float *dv, size_t channels, size_t height, size_t width,
                               size_t n, size_t matrix_stride, float *dx);

#ifdef __cplusplus
}
#endif

#endif
