/// The geometry of a stride-1, zero-padded convolution and its column
/// (im2col) transforms, used by ``ConvReLUPool``'s im2col path.
///
/// Per sample: input `C × H × W`, output `H' × W'` positions with
/// `H' = H + 2p − k + 1`, `W' = W + 2p − k + 1`; the column matrix is
/// `(C·k·k) × (H'·W')`, row `(c, u, v)` holding `x[c, i + u − p, j + v − p]`
/// at column `(i, j)` (zero outside the image).
struct _ConvGeometry {
    let channels: Int, height: Int, width: Int, kernel: Int, padding: Int
    let outHeight: Int, outWidth: Int

    init(channels: Int, height: Int, width: Int, kernel: Int, padding: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.padding = padding
        outHeight = height + 2 * padding - kernel + 1
        outWidth = width + 2 * padding - kernel + 1
    }

    /// Rows of the column matrix, `C·k·k`.
    var patch: Int { channels * kernel * kernel }
    /// Output positions per sample, `H'·W'`.
    var positions: Int { outHeight * outWidth }

    /// Writes one sample's `(C·k·k) × (H'·W')` block of a column matrix (rows `rowStride` apart).
    func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, rowStride: Int) {
        let k = kernel, p = padding, oh = outHeight, ow = outWidth, h = height, w = width
        var row = 0
        for c in 0..<channels {
            for u in 0..<k {
                for v in 0..<k {
                    let dst = col + row * rowStride
                    // Output columns j whose input column j + v − p lies inside the image.
                    let jLow = max(0, p - v), jHigh = min(ow, w + p - v)
                    for i in 0..<oh {
                        let iy = i + u - p
                        let out = dst + i * ow
                        if iy < 0 || iy >= h || jLow >= jHigh {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = x + (c * h + iy) * w + (v - p)
                        out.update(repeating: 0, count: jLow)
                        (out + jLow).update(from: src + jLow, count: jHigh - jLow)
                        (out + jHigh).update(repeating: 0, count: ow - jHigh)
                    }
                    row += 1
                }
            }
        }
    }

    /// Overwrites one sample's input gradient with its column-gradient block folded back.
    func col2im(_ col: UnsafePointer<Float>, rowStride: Int, _ dx: UnsafeMutablePointer<Float>) {
        let k = kernel, p = padding, oh = outHeight, ow = outWidth, h = height, w = width
        dx.update(repeating: 0, count: channels * h * w)
        var row = 0
        for c in 0..<channels {
            for u in 0..<k {
                for v in 0..<k {
                    let src = col + row * rowStride
                    let jLow = max(0, p - v), jHigh = min(ow, w + p - v)
                    for i in 0..<oh {
                        let iy = i + u - p
                        if iy < 0 || iy >= h || jLow >= jHigh { continue }
                        let dst = dx + (c * h + iy) * w + (v - p)
                        _Vectorized.add(src + i * ow + jLow, into: dst + jLow, count: jHigh - jLow)
                    }
                    row += 1
                }
            }
        }
    }
}
