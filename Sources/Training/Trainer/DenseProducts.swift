import NumericCore

/// The dense products of one training step of a model's `Linear` layers, on scratch buffers.
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
    public var count: Int { shapes.count }

    public init(model: EmbeddingModel, batchSize: Int, context: ComputeContext) {
        self.batchSize = batchSize
        self.context = context
        for (i, layer) in model.layers.enumerated() {
            guard let linear = layer as? Linear else { continue }
            shapes.append((linear.inputWidth, linear.outputWidth, i > 0))
            weights.append(Matrix(rows: linear.outputWidth, cols: linear.inputWidth, value: 0.01))
            activations.append(Matrix(rows: batchSize, cols: linear.inputWidth, value: 0.5))
            outputs.append(Matrix(rows: batchSize, cols: linear.outputWidth, value: 0.25))
            weightGradients.append(Matrix(rows: linear.outputWidth, cols: linear.inputWidth))
            inputGradients.append(Matrix(rows: batchSize, cols: linear.inputWidth))
        }
    }

    /// Forward `y = x Wᵀ`, weight gradient `dyᵀ x`, input gradient `dy W` (not for the first layer).
    public mutating func run() {
        for i in shapes.indices {
            BLAS.gemm(.none, activations[i], .transposed, weights[i], into: &outputs[i], context: context)
            BLAS.gemm(.transposed, outputs[i], .none, activations[i], into: &weightGradients[i], context: context)
            if shapes[i].needInputGradient { BLAS.gemm(.none, outputs[i], .none, weights[i], into: &inputGradients[i], context: context) }
        }
    }
}
