import NumericCore

/// A 2-D convolution (cross-correlation), stride 1, zero padding, by im2col + GEMM.
///
/// Shapes (per sample, channel-major rows): x `C × H × W`, W `O × (C·k·k)`,
/// b `O`, y `O × H' × W'` with `H' = H + 2p − k + 1`, `W' = W + 2p − k + 1`.
/// `y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, i + u − p, j + v − p]`.
/// With `X_s` the `(C·k·k) × (H'·W')` column matrix of sample s:
/// forward `Y_s = W X_s`; backward `dW = Σ_s dY_s X_sᵀ`, `db[o] = Σ dY[o, ·]`,
/// `dX_s = Wᵀ dY_s` folded back (col2im) into dx.
///
/// - Complexity: 2·B·O·C·k²·H'·W' flops each way; the columns of the whole
///   batch are kept for backward (B·C·k²·H'·W' floats).
public final class Conv2D: Layer {
    public let inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, padding: Int
    public let outHeight: Int, outWidth: Int
    public var weight: Matrix
    public var bias: [Float]
    public var weightGradient: Matrix
    public var biasGradient: [Float]
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)
    private var columns: [Float] = []
    private var columnGradient: [Float] = []

    public var outputWidth: Int { outChannels * outHeight * outWidth }
    var patch: Int { inChannels * kernel * kernel }
    var positions: Int { outHeight * outWidth }

    /// He-uniform weights (gain √2: a ReLU follows in every model here), zero bias.
    public init(inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int = 3, padding: Int = 1, rng: inout SplitMix64) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && padding >= 0, "bad Conv2D configuration")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.padding = padding
        outHeight = height + 2 * padding - kernel + 1
        outWidth = width + 2 * padding - kernel + 1
        precondition(outHeight > 0 && outWidth > 0, "Conv2D kernel \(kernel) larger than padded input \(height)×\(width)")
        weight = Matrix(rows: outChannels, cols: inChannels * kernel * kernel)
        _heUniform(&weight.storage, fanIn: inChannels * kernel * kernel, gain: 2.0.squareRoot(), rng: &rng)
        bias = [Float](repeating: 0, count: outChannels)
        weightGradient = Matrix(rows: outChannels, cols: inChannels * kernel * kernel)
        biasGradient = [Float](repeating: 0, count: outChannels)
    }

    public func forward(_ input: Matrix) {
        precondition(input.cols == inChannels * height * width, "Conv2D expects \(inChannels)×\(height)×\(width) inputs, got \(input.cols) values")
        let b = input.rows, patch = self.patch, positions = self.positions, o = outChannels
        output.reshape(rows: b, cols: outputWidth)
        let need = b * patch * positions
        if columns.count < need { columns.append(contentsOf: repeatElement(0, count: need - columns.count)) }
        input.storage.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { cols in
                weight.storage.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { bias in
                        output.storage.withUnsafeMutableBufferPointer { y in
                            for s in 0..<b {
                                let col = cols.baseAddress! + s * patch * positions
                                _im2col(x.baseAddress! + s * input.cols, col)
                                let ys = y.baseAddress! + s * o * positions
                                BLAS.gemm(.none, .none, m: o, n: positions, k: patch, a: w.baseAddress!, lda: patch,
                                          b: col, ldb: positions, beta: 0, c: ys, ldc: positions)
                                for c in 0..<o {
                                    let row = ys + c * positions
                                    for j in 0..<positions { row[j] += bias[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        let b = dy.rows, patch = self.patch, positions = self.positions, o = outChannels
        precondition(dy.cols == outputWidth, "Conv2D gradient has \(dy.cols) values per sample, expected \(outputWidth)")
        if needInputGradient {
            inputGradient.reshape(rows: b, cols: inChannels * height * width)
            if columnGradient.count < patch * positions {
                columnGradient = [Float](repeating: 0, count: patch * positions)
            }
        }
        dy.storage.withUnsafeBufferPointer { g in
            columns.withUnsafeBufferPointer { cols in
                weight.storage.withUnsafeBufferPointer { w in
                    weightGradient.storage.withUnsafeMutableBufferPointer { dw in
                        biasGradient.withUnsafeMutableBufferPointer { db in
                            if !accumulate { for c in 0..<o { db[c] = 0 } }
                            for s in 0..<b {
                                let gs = g.baseAddress! + s * o * positions
                                let col = cols.baseAddress! + s * patch * positions
                                BLAS.gemm(.none, .transposed, m: o, n: patch, k: positions, a: gs, lda: positions,
                                          b: col, ldb: positions, beta: (s == 0 && !accumulate) ? 0 : 1,
                                          c: dw.baseAddress!, ldc: patch)
                                for c in 0..<o {
                                    let row = gs + c * positions
                                    var t: Float = 0
                                    for j in 0..<positions { t += row[j] }
                                    db[c] += t
                                }
                                if needInputGradient {
                                    columnGradient.withUnsafeMutableBufferPointer { dcol in
                                        inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                                            BLAS.gemm(.transposed, .none, m: patch, n: positions, k: o, a: w.baseAddress!, lda: patch,
                                                      b: gs, ldb: positions, beta: 0, c: dcol.baseAddress!, ldc: positions)
                                            _col2im(dcol.baseAddress!, dx.baseAddress! + s * inChannels * height * width)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        body(&weight.storage, &weightGradient.storage)
        body(&bias, &biasGradient)
    }

    /// Writes the `(C·k·k) × (H'·W')` column matrix of one sample.
    private func _im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        let k = kernel, p = padding, oh = outHeight, ow = outWidth, h = height, w = width
        var row = 0
        for c in 0..<inChannels {
            for u in 0..<k {
                for v in 0..<k {
                    let dst = col + row * oh * ow
                    for i in 0..<oh {
                        let iy = i + u - p
                        if iy < 0 || iy >= h {
                            for j in 0..<ow { dst[i * ow + j] = 0 }
                            continue
                        }
                        let src = x + (c * h + iy) * w
                        for j in 0..<ow {
                            let ix = j + v - p
                            dst[i * ow + j] = (ix >= 0 && ix < w) ? src[ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Overwrites one sample's input gradient with the column gradient folded back.
    private func _col2im(_ col: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let k = kernel, p = padding, oh = outHeight, ow = outWidth, h = height, w = width
        dx.update(repeating: 0, count: inChannels * h * w)
        var row = 0
        for c in 0..<inChannels {
            for u in 0..<k {
                for v in 0..<k {
                    let src = col + row * oh * ow
                    for i in 0..<oh {
                        let iy = i + u - p
                        if iy < 0 || iy >= h { continue }
                        let dst = dx + (c * h + iy) * w
                        for j in 0..<ow {
                            let ix = j + v - p
                            if ix >= 0 && ix < w { dst[ix] += src[i * ow + j] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
