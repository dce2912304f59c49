import NumericCore

/// A fully connected layer, `y = x Wᵀ + b`, or a hidden layer with its ReLU,
/// `y = relu(x Wᵀ + b)` (activation `.relu`).
///
/// Shapes: x `B × in`, W `out × in` (PyTorch layout), b `out`, y `B × out`.
/// Backward: `dW = gᵀ x` (`out × in`), `db = Σ_rows g`, `dx = g W` (`B × in`),
/// with `g = dy`, or with the ReLU `g = dy · 1[y > 0]`. All three products are
/// single GEMMs with transpose flags. The ReLU is applied in the pass that adds
/// the bias, and its backward in the pass that sums the bias gradient, so the
/// layer computes the bits of `Linear` followed by a ``ReLU`` layer with two
/// fewer passes over the activations (`_Vectorized.addRowsReLU`,
/// `_Vectorized.reluBackwardColumnSums`).
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
    /// What follows `x Wᵀ + b`: it sets the He gain, and `.relu` applies the ReLU here.
    public enum Activation: Sendable {
        /// Nothing: `y = x Wᵀ + b`, He gain 1 (the embedding layer).
        case none
        /// The ReLU in this layer's bias passes: `y = relu(x Wᵀ + b)`, He gain √2 (the MLP's hidden layers).
        case relu
        /// Nothing here, but a separate ``ReLU`` layer follows: `y = x Wᵀ + b`, He gain √2 — the
        /// bits of `.relu` in two more passes (the reference `.relu` is tested against).
        case reluInNextLayer
    }
    /// What follows `x Wᵀ + b` (see ``Activation``).
    public let activation: Activation
    /// Whether the layer applies a ReLU to its output.
    public var appliesReLU: Bool { activation == .relu }
    /// dLoss/d(x Wᵀ + b) of the last backward with the ReLU: dy where the output is positive.
    private var preActivationGradient = Matrix(rows: 0, cols: 0)
    /// The workers of the three products (their tiles, not the results, depend on it).
    public let context: ComputeContext

    /// He-uniform weights (gain √2 when a ReLU is applied here or follows, else 1), zero bias.
    public init(input: Int, output: Int, activation: Activation, rng: inout SplitMix64,
                context: ComputeContext = .serial) {
        self.context = context
        self.activation = activation
        precondition(input > 0 && output > 0, "Linear needs positive sizes, got \(input) → \(output)")
        inputWidth = input
        outputWidth = output
        weight = Matrix(rows: output, cols: input)
        _heUniform(&weight.storage, fanIn: input, gain: activation == .none ? 1 : 2.0.squareRoot(), rng: &rng)
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
                if appliesReLU {
                    _Vectorized.addRowsReLU(bias.baseAddress!, into: y.baseAddress!, rows: b, count: n)
                } else {
                    _Vectorized.addRows(bias.baseAddress!, into: y.baseAddress!, rows: b, count: n)
                }
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        precondition(dy.cols == outputWidth && dy.rows == input.rows, "Linear gradient shape \(dy.rows)×\(dy.cols)")
        let n = outputWidth, b = dy.rows
        if appliesReLU {
            preActivationGradient.reshape(rows: b, cols: n)
            output.storage.withUnsafeBufferPointer { y in
                dy.storage.withUnsafeBufferPointer { g in
                    preActivationGradient.storage.withUnsafeMutableBufferPointer { dx in
                        biasGradient.withUnsafeMutableBufferPointer { db in
                            _Vectorized.reluBackwardColumnSums(
                                y.baseAddress!, g.baseAddress!, dx.baseAddress!, into: db.baseAddress!,
                                rows: b, count: n, accumulate: accumulate)
                        }
                    }
                }
            }
            products(input: input, gradient: preActivationGradient, needInputGradient: needInputGradient, accumulate: accumulate)
        } else {
            dy.storage.withUnsafeBufferPointer { g in
                biasGradient.withUnsafeMutableBufferPointer { db in
                    _Vectorized.columnSums(g.baseAddress!, into: db.baseAddress!, rows: b, count: n, accumulate: accumulate)
                }
            }
            products(input: input, gradient: dy, needInputGradient: needInputGradient, accumulate: accumulate)
        }
    }

    /// `dW (+)= gᵀ x` and, if needed, `dx = g W`, for g = dLoss/d(x Wᵀ + b).
    private func products(input: Matrix, gradient g: Matrix, needInputGradient: Bool, accumulate: Bool) {
        BLAS.gemm(.transposed, g, .none, input, into: &weightGradient, beta: accumulate ? 1 : 0, context: context)
        if needInputGradient {
            BLAS.gemm(.none, g, .none, weight, into: &inputGradient, context: context)
        }
    }

    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        body(&weight.storage, &weightGradient.storage)
        body(&bias, &biasGradient)
    }
}
