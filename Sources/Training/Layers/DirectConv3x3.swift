import CKernels

/// ``ConvReLUPool``'s ``ConvAlgorithm/direct`` computation, one sample at a time: a 3×3 convolution
/// with padding 1 on few input channels, fused with bias, ReLU and 2×2 max pooling, straight from the
/// input (no column matrix). The convnet's first block (one input channel) spends most of its im2col
/// time in a GEMM with an inner dimension of 9, far below OpenBLAS's speed.
///
/// The bits, which the AVX2 and AVX-512 kernels (`CKernels/DirectConv.c`) repeat and these portable
/// loops define:
/// - forward: each pre-activation is the chain `acc = acc + w_k·x_k` over `k = c·9 + u·3 + v` in
///   order from `acc = 0`, padding zeros included; then `+ bias`, the window's first maximum
///   (row-major, `>`) and the ReLU, as ``_PoolWindows/forward(_:bias:_:_:)``;
/// - weight gradient: with `g = (y > 0 ? dy : 0)` the pooled gradient in blocks of 16 windows of a
///   pooled row (lanes `l`, window `j = 16b + l`, zero past the row) and `g_st` its part whose window
///   chose position `(s, t)`, each `∂w[o, c, u, v]` is sixteen lane sums of
///   `g_st · xpad[c, 2i + s + u, 2j + t + v]`, chains `acc + g·x` in the order (row `i`, block `b`,
///   `st` = 00, 01, 10, 11) from 0, reduced by the tree `l + 8 → l`, `l + 4 → l`, `l + 2 → l`,
///   `l + 1 → l`; `∂b[o]` the same lane sums of `g` with plain additions. (Each window sends its
///   gradient to one position, so this is the chain rule through the pool, ReLU and convolution
///   with a quarter of the dense products.)
///
/// Every product is rounded before its addition (no FMA): x86-64 without FMA — this portable path's
/// CPU — has no fused instruction, and a libm `fmaf` per product made it 3.8× slower.
struct _DirectConv3x3 {
    let channels: Int, height: Int, width: Int, outChannels: Int

    typealias L = SIMD16<Float>

    /// Pooled rows and columns.
    var pooledHeight: Int { height / 2 }
    var pooledWidth: Int { width / 2 }
    /// Blocks of 16 windows in a pooled row (backward's lanes).
    var windowBlocks: Int { (pooledWidth + 15) / 16 }
    /// Row stride of the portable path's zero-padded input planes: every block's reach, `32·blocks + 2 ≥ W + 2`.
    var paddedStride: Int { 32 * windowBlocks + 2 }

    /// Floats of scratch a sample needs (either direction, any instruction set).
    var scratchFloats: Int {
        max(mb_conv3x3_pool_scratch(channels, height, width), channels * (height + 2) * paddedStride)
    }

    /// One sample: `x` (`C × H × W`), weights `w` (`O × C·9`), `bias`; writes the pooled `y` and `choice`.
    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                 _ y: UnsafeMutablePointer<Float>, _ choice: UnsafeMutablePointer<UInt8>,
                 scratch: UnsafeMutablePointer<Float>, isa: Int32) {
        #if arch(x86_64)
        if isa >= 1 {
            mb_conv3x3_pool_forward(isa, x, channels, height, width, w, bias, outChannels, y, choice, scratch)
            return
        }
        #endif
        let planes = pad(x, into: scratch), stride = paddedStride, patch = channels * 9
        let ph = pooledHeight, pw = pooledWidth
        for o in 0..<outChannels {
            let beta = bias[o]
            for i in 0..<ph {
                for j in 0..<pw {
                    var a00: Float = 0, a01: Float = 0, a10: Float = 0, a11: Float = 0
                    for c in 0..<channels {
                        let k = w + o * patch + c * 9
                        for u in 0..<3 {
                            let top = planes + (c * (height + 2) + 2 * i + u) * stride + 2 * j, bottom = top + stride
                            for v in 0..<3 {
                                let kv = k[3 * u + v]
                                a00 += kv * top[v]
                                a01 += kv * top[v + 1]
                                a10 += kv * bottom[v]
                                a11 += kv * bottom[v + 1]
                            }
                        }
                    }
                    var best = a00 + beta, at: UInt8 = 0
                    let v1 = a01 + beta, v2 = a10 + beta, v3 = a11 + beta
                    if v1 > best { best = v1; at = 1 }
                    if v2 > best { best = v2; at = 2 }
                    if v3 > best { best = v3; at = 3 }
                    let out = (o * ph + i) * pw + j
                    y[out] = best > 0 ? best : 0
                    choice[out] = at
                }
            }
        }
    }

    /// One sample's share of the weight and bias gradients (`O × C·9` into `dw`, `O` into `db`,
    /// overwritten) from the pooled gradient `dy` and the forward's `y` and `choice`.
    func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                        _ choice: UnsafePointer<UInt8>, _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, isa: Int32) {
        #if arch(x86_64)
        if isa >= 1 {
            mb_conv3x3_pool_weight_gradient(isa, x, channels, height, width, dy, y, choice, outChannels, dw, db, scratch)
            return
        }
        #endif
        let planes = pad(x, into: scratch), stride = paddedStride
        let ph = pooledHeight, pw = pooledWidth, nb = windowBlocks
        // Reused across the loops (no allocation per block).
        var acc = [L](repeating: .zero, count: 9), g = [L](repeating: .zero, count: 4)
        for o in 0..<outChannels {
            var bias = L.zero
            for c in 0..<channels {
                for k in 0..<9 { acc[k] = .zero }
                for i in 0..<ph {
                    for b in 0..<nb {
                        // The block's pooled gradient by window position st (zero past the row).
                        for st in 0..<4 { g[st] = .zero }
                        var all = L.zero
                        for l in 0..<16 where 16 * b + l < pw {
                            let at = (o * ph + i) * pw + 16 * b + l
                            let value: Float = y[at] > 0 ? dy[at] : 0
                            all[l] = value
                            g[Int(choice[at])][l] = value
                        }
                        if c == 0 { bias += all }
                        // Input xpad[c][2i + r][2j + t] over the lanes j = 16b + l.
                        func input(_ r: Int, _ t: Int) -> L {
                            var v = L.zero
                            let row = planes + (c * (height + 2) + 2 * i + r) * stride + 32 * b + t
                            for l in 0..<16 { v[l] = row[2 * l] }
                            return v
                        }
                        for u in 0..<3 {
                            for v in 0..<3 {
                                acc[3 * u + v] += g[0] * input(u, v)
                                acc[3 * u + v] += g[1] * input(u, v + 1)
                                acc[3 * u + v] += g[2] * input(u + 1, v)
                                acc[3 * u + v] += g[3] * input(u + 1, v + 1)
                            }
                        }
                    }
                }
                for k in 0..<9 { dw[(o * channels + c) * 9 + k] = Self.tree(acc[k]) }
            }
            db[o] = Self.tree(bias)
        }
    }

    /// Copies the sample's planes into zero-padded ones (the backward layout, which the portable
    /// forward reads as well) at `scratch`; returns it.
    private func pad(_ x: UnsafePointer<Float>, into planes: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let stride = paddedStride
        planes.update(repeating: 0, count: channels * (height + 2) * stride)
        for c in 0..<channels {
            for r in 0..<height {
                (planes + (c * (height + 2) + r + 1) * stride + 1).update(from: x + (c * height + r) * width, count: width)
            }
        }
        return planes
    }

    /// `((l0 + l8) + (l4 + l12)) …`: the fixed reduction of sixteen lane sums.
    @inline(__always) static func tree(_ l: L) -> Float {
        let t8 = l.lowHalf + l.highHalf, t4 = t8.lowHalf + t8.highHalf
        return (t4[0] + t4[2]) + (t4[1] + t4[3])
    }
}
