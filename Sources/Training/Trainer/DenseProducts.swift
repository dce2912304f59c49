import NumericCore

/// The dense products of one training step of a model's `Linear` layers and
/// the GEMM equivalents of its convolutions, on scratch buffers.
///
/// A convolution (``ConvReLUPool``) counts as its three
/// whole-batch im2col products: forward `W · X` (`O × C·k² · C·k² × B·H'·W'`),
/// weight gradient `dA · Xᵀ` and, unless it is the first layer, input
/// gradient `Wᵀ · dA`, timed like the `Linear` products (the same tiling and
/// workers); im2col, bias, ReLU and pooling are not part of the limit. A
/// ``ConvReLUPool`` on ``ConvAlgorithm/winograd`` still counts as im2col: its
/// 16 GEMMs per tile do 2.25× fewer multiplications, so a model with Winograd
/// layers can run above its limit (a fraction > 1 means fewer flops, not a
/// faster GEMM).
@_spi(Benchmarks) public struct _DenseProducts {
    private var shapes: [(input: Int, output: Int, needInputGradient: Bool)] = []
    private var weights: [Matrix] = []
    private var activations: [Matrix] = []
    private var outputs: [Matrix] = []
    // One scratch pair per layer: a shared one would shrink and regrow every step.
    private var weightGradients: [Matrix] = []
    private var inputGradients: [Matrix] = []
    private let batchSize: Int
    private let context: ComputeContext
    /// Per convolution: `O`, `C·k²`, `B·H'·W'`, whether its input gradient is needed.
    private var convolutions: [(out: Int, patch: Int, columns: Int, needInputGradient: Bool)] = []
    /// Scratch of the convolutions' products, sized for the largest: weights, columns, outputs and the two
    /// gradients (apart from the operands, so that repeated runs do not grow the values towards overflow).
    private let convWeights = ScratchBuffer<Float>(), convColumns = ScratchBuffer<Float>(), convOutputs = ScratchBuffer<Float>()
    private let convWeightGradient = ScratchBuffer<Float>(), convColumnGradient = ScratchBuffer<Float>()
    public var count: Int { shapes.count + convolutions.count }

    public init(model: EmbeddingModel, batchSize: Int, context: ComputeContext) {
        self.batchSize = batchSize
        self.context = context
        for (i, layer) in model.layers.enumerated() {
            if let conv = layer as? ConvReLUPool {
                convolutions.append((conv.outChannels, conv.patch, batchSize * conv.positions, i > 0))
            }
            guard let linear = layer as? Linear else { continue }
            shapes.append((linear.inputWidth, linear.outputWidth, i > 0))
            weights.append(Matrix(rows: linear.outputWidth, cols: linear.inputWidth, value: 0.01))
            activations.append(Matrix(rows: batchSize, cols: linear.inputWidth, value: 0.5))
            outputs.append(Matrix(rows: batchSize, cols: linear.outputWidth, value: 0.25))
            weightGradients.append(Matrix(rows: linear.outputWidth, cols: linear.inputWidth))
            inputGradients.append(Matrix(rows: batchSize, cols: linear.inputWidth))
        }
        let weights = convolutions.map { $0.out * $0.patch }.max() ?? 0, columns = convolutions.map { $0.patch * $0.columns }.max() ?? 0
        convWeights.reserve(weights).update(repeating: 0.01, count: weights)
        convColumns.reserve(columns).update(repeating: 0.5, count: columns)
        let outputs = convolutions.map { $0.out * $0.columns }.max() ?? 0
        convOutputs.reserve(outputs).update(repeating: 0.25, count: outputs)
        convWeightGradient.reserve(weights)
        convColumnGradient.reserve(columns)
    }

    /// Forward `y = x Wᵀ`, weight gradient `dyᵀ x`, input gradient `dy W` (not for the first layer).
    public mutating func run() {
        for i in shapes.indices {
            BLAS.gemm(.none, activations[i], .transposed, weights[i], into: &outputs[i], context: context)
            BLAS.gemm(.transposed, outputs[i], .none, activations[i], into: &weightGradients[i], context: context)
            if shapes[i].needInputGradient { BLAS.gemm(.none, outputs[i], .none, weights[i], into: &inputGradients[i], context: context) }
        }
        guard !convolutions.isEmpty else { return }
        let context = self.context
        let (w, x, y) = (convWeights.base, convColumns.base, convOutputs.base)
        let (dw, dx) = (convWeightGradient.base, convColumnGradient.base)
        for c in convolutions {
            let (o, p, n) = (c.out, c.patch, c.columns)
            BLAS.gemm(.none, .none, m: o, n: n, k: p, a: w, lda: p, b: x, ldb: n, c: y, ldc: n, context: context)
            BLAS.gemm(.none, .transposed, m: o, n: p, k: n, a: y, lda: n, b: x, ldb: n, c: dw, ldc: p, context: context)
            if c.needInputGradient {
                BLAS.gemm(.transposed, .none, m: p, n: n, k: o, a: w, lda: p, b: y, ldb: n, c: dx, ldc: n, context: context)
            }
        }
    }
}
