import NumericCore

/// A fully connected layer, `y = x Wᵀ + b`.
///
/// Shapes: x `B × in`, W `out × in` (PyTorch layout), b `out`, y `B × out`.
/// Backward: `dW = dyᵀ x` (`out × in`), `db = Σ_rows dy`, `dx = dy W` (`B × in`).
/// All three products are single GEMMs with transpose flags.
///
/// - Complexity: forward 2·B·in·out flops, backward 2·B·in·out (+ the same for dx).
public final class Linear: Layer {
    public let inputWidth: Int
    public let outputWidth: Int
    public var weight: Matrix
    public var bias: [Float]
    public var weightGradient: Matrix
    public var biasGradient: [Float]
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)
    /// The workers of the three products (their tiles, not the results, depend on it).
    public let context: ComputeContext

    /// He-uniform weights (gain √2 when a ReLU follows, else 1), zero bias.
    public init(input: Int, output: Int, reluFollows: Bool, rng: inout SplitMix64, context: ComputeContext = .serial) {
        self.context = context
        precondition(input > 0 && output > 0, "Linear needs positive sizes, got \(input) → \(output)")
        inputWidth = input
        outputWidth = output
        weight = Matrix(rows: output, cols: input)
        _heUniform(&weight.storage, fanIn: input, gain: reluFollows ? 2.0.squareRoot() : 1, rng: &rng)
        bias = [Float](repeating: 0, count: output)
        weightGradient = Matrix(rows: output, cols: input)
        biasGradient = [Float](repeating: 0, count: output)
    }

    public func forward(_ input: Matrix) {
        precondition(input.cols == inputWidth, "Linear expects \(inputWidth) features, got \(input.cols)")
        BLAS.gemm(.none, input, .transposed, weight, into: &output, context: context)
        let n = outputWidth, b = input.rows
        bias.withUnsafeBufferPointer { bias in
            output.storage.withUnsafeMutableBufferPointer { y in
                _Vectorized.addRows(bias.baseAddress!, into: y.baseAddress!, rows: b, count: n)
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        precondition(dy.cols == outputWidth && dy.rows == input.rows, "Linear gradient shape \(dy.rows)×\(dy.cols)")
        BLAS.gemm(.transposed, dy, .none, input, into: &weightGradient, beta: accumulate ? 1 : 0, context: context)
        let n = outputWidth, b = dy.rows
        dy.storage.withUnsafeBufferPointer { g in
            biasGradient.withUnsafeMutableBufferPointer { db in
                _Vectorized.columnSums(g.baseAddress!, into: db.baseAddress!, rows: b, count: n, accumulate: accumulate)
            }
        }
        if needInputGradient {
            BLAS.gemm(.none, dy, .none, weight, into: &inputGradient, context: context)
        }
    }

    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        body(&weight.storage, &weightGradient.storage)
        body(&bias, &biasGradient)
    }
}
