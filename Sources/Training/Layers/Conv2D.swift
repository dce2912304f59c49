import NumericCore

/// A 2-D convolution (cross-correlation), stride 1, zero padding, by im2col + GEMM.
///
/// Shapes (per sample, channel-major rows): x `C × H × W`, W `O × (C·k·k)`,
/// b `O`, y `O × H' × W'` with `H' = H + 2p − k + 1`, `W' = W + 2p − k + 1`.
/// `y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, i + u − p, j + v − p]`.
/// With `X_s` the `(C·k·k) × (H'·W')` column matrix of sample s:
/// forward `Y_s = W X_s`; backward `dW = Σ_s dY_s X_sᵀ`, `db[o] = Σ dY[o, ·]`,
/// `dX_s = Wᵀ dY_s` folded back (col2im) into dx. The columns of all samples
/// sit side by side, so each product is one GEMM over the batch.
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
    /// The column matrix of the whole batch, `(C·k·k) × (B·H'·W')`: one GEMM per
    /// product instead of one per sample (small per-sample GEMMs left OpenBLAS's
    /// threads mostly synchronising).
    private var columns: [Float] = []
    private var columnGradient: [Float] = []
    /// The output (forward) or its gradient (backward) in `O × (B·H'·W')` layout.
    private var channelMajor: [Float] = []

    public var outputWidth: Int { outChannels * outHeight * outWidth }
    var patch: Int { geometry.patch }
    var positions: Int { geometry.positions }
    private let geometry: _ConvGeometry

    /// He-uniform weights (gain √2: a ReLU follows in every model here), zero bias.
    /// The workers of the products (their tiles, not the results, depend on it).
    public let context: ComputeContext

    public init(
        inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int = 3, padding: Int = 1,
        rng: inout SplitMix64, context: ComputeContext = .serial
    ) {
        self.context = context
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && padding >= 0, "bad Conv2D configuration")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.padding = padding
        geometry = _ConvGeometry(channels: inChannels, height: height, width: width, kernel: kernel, padding: padding)
        outHeight = geometry.outHeight
        outWidth = geometry.outWidth
        precondition(outHeight > 0 && outWidth > 0, "Conv2D kernel \(kernel) larger than padded input \(height)×\(width)")
        weight = Matrix(rows: outChannels, cols: inChannels * kernel * kernel)
        _heUniform(&weight.storage, fanIn: inChannels * kernel * kernel, gain: 2.0.squareRoot(), rng: &rng)
        bias = [Float](repeating: 0, count: outChannels)
        weightGradient = Matrix(rows: outChannels, cols: inChannels * kernel * kernel)
        biasGradient = [Float](repeating: 0, count: outChannels)
    }

    public func forward(_ input: Matrix) {
        precondition(input.cols == inChannels * height * width, "Conv2D expects \(inChannels)×\(height)×\(width) inputs, got \(input.cols) values")
        let b = input.rows, patch = self.patch, positions = self.positions, o = outChannels, n = b * positions
        output.reshape(rows: b, cols: outputWidth)
        Workspace.reserve(&columns, patch * n)
        Workspace.reserve(&channelMajor, o * n)
        input.storage.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { cols in
                for s in 0..<b { geometry.im2col(x.baseAddress! + s * input.cols, cols.baseAddress! + s * positions, rowStride: n) }
                weight.storage.withUnsafeBufferPointer { w in
                    channelMajor.withUnsafeMutableBufferPointer { yt in
                        BLAS.gemm(.none, .none, m: o, n: n, k: patch, a: w.baseAddress!, lda: patch,
                                  b: cols.baseAddress!, ldb: n, beta: 0, c: yt.baseAddress!, ldc: n, context: context)
                        bias.withUnsafeBufferPointer { bias in
                            output.storage.withUnsafeMutableBufferPointer { y in
                                for s in 0..<b {
                                    for c in 0..<o {
                                        let src = yt.baseAddress! + c * n + s * positions
                                        let dst = y.baseAddress! + (s * o + c) * positions
                                        let beta = bias[c]
                                        for j in 0..<positions { dst[j] = src[j] + beta }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        let b = dy.rows, patch = self.patch, positions = self.positions, o = outChannels, n = b * positions
        precondition(dy.cols == outputWidth, "Conv2D gradient has \(dy.cols) values per sample, expected \(outputWidth)")
        Workspace.reserve(&channelMajor, o * n)
        dy.storage.withUnsafeBufferPointer { g in
            channelMajor.withUnsafeMutableBufferPointer { gt in
                biasGradient.withUnsafeMutableBufferPointer { db in
                    if !accumulate { for c in 0..<o { db[c] = 0 } }
                    for s in 0..<b {
                        for c in 0..<o {
                            let src = g.baseAddress! + (s * o + c) * positions
                            let dst = gt.baseAddress! + c * n + s * positions
                            var t: Float = 0
                            for j in 0..<positions { dst[j] = src[j]; t += src[j] }
                            db[c] += t
                        }
                    }
                }
            }
        }
        channelMajor.withUnsafeBufferPointer { gt in
            columns.withUnsafeBufferPointer { cols in
                weightGradient.storage.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(.none, .transposed, m: o, n: patch, k: n, a: gt.baseAddress!, lda: n,
                              b: cols.baseAddress!, ldb: n, beta: accumulate ? 1 : 0, c: dw.baseAddress!, ldc: patch, context: context)
                }
            }
        }
        guard needInputGradient else { return }
        inputGradient.reshape(rows: b, cols: inChannels * height * width)
        Workspace.reserve(&columnGradient, patch * n)
        channelMajor.withUnsafeBufferPointer { gt in
            weight.storage.withUnsafeBufferPointer { w in
                columnGradient.withUnsafeMutableBufferPointer { dcol in
                    BLAS.gemm(.transposed, .none, m: patch, n: n, k: o, a: w.baseAddress!, lda: patch,
                              b: gt.baseAddress!, ldb: n, beta: 0, c: dcol.baseAddress!, ldc: n, context: context)
                    inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                        for s in 0..<b {
                            geometry.col2im(dcol.baseAddress! + s * positions, rowStride: n, dx.baseAddress! + s * inChannels * height * width)
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
}
