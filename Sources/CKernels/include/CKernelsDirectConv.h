#ifndef METRICBENCH_CKERNELS_DIRECT_CONV_H
#define METRICBENCH_CKERNELS_DIRECT_CONV_H

// A 3×3, padding-1 convolution with few input channels fused with bias, ReLU
// and 2×2 max pooling, computed directly (Training/Layers/DirectConv3x3.swift,
// ConvAlgorithm.direct), one sample at a time; AVX2 and AVX-512F.
//
// Bits: forward, each pre-activation is the chain acc = acc + w_k·x_k (the
// product rounded, then the sum: no FMA, which baseline x86-64 lacks) over
// k = c·9 + u·3 + v in order from acc = 0 (zero padding included), then
// `+ bias`, the first maximum of the window (row-major, ordered `>`) and
// `max(·, 0)`; backward as DirectConv.c describes. The Swift portable path
// computes the same operations; TrainingTests/ConvReLUPoolTests checks every
// available instruction set against it bitwise.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of scratch the two functions below need for `channels` planes of `height × width`.
size_t mb_conv3x3_pool_scratch(size_t channels, size_t height, size_t width);

/// One sample: `x` is `channels × height × width`, `w` is `out_channels × (channels·9)`,
/// `bias` `out_channels`; writes the pooled `out_channels × ⌊height/2⌋ × ⌊width/2⌋`
/// outputs `y` and window choices (0–3) `choice`. `isa`: 1 AVX2, 2 AVX-512F (x86-64 only).
void mb_conv3x3_pool_forward(int isa, const float *x, size_t channels, size_t height, size_t width,
                             const float *w, const float *bias, size_t out_channels,
                             float *y, uint8_t *choice, float *scratch);

/// One sample's weight and bias gradient: `dy` is the gradient of the pooled outputs `y`
/// (with `choice`, from `mb_conv3x3_pool_forward`), all `out_channels × ⌊height/2⌋ × ⌊width/2⌋`;
/// writes `dw` (`out_channels × (channels·9)`) and `db` (`out_channels`), this sample's share only.
/// Bits: see DirectConv.c (lane sums and their tree, as Training/Layers/DirectConv3x3.swift).
void mb_conv3x3_pool_weight_gradient(int isa, const float *x, size_t channels, size_t height, size_t width,
                                     const float *dy, const float *y, const uint8_t *choice, size_t out_channels,
                                     float *dw, float *db, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
