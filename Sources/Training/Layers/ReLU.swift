import NumericCore

/// The rectifier, `y = max(x, 0)` elementwise; `dx = dy · 1[x > 0]`.
///
/// Shapes: x, y, dx, dy all `B × width`.
public final class ReLU: Layer {
    public let outputWidth: Int
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)

    public init(width: Int) { outputWidth = width }

    public func forward(_ input: Matrix) {
        output.reshape(rows: input.rows, cols: input.cols)
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                _Vectorized.relu(x.baseAddress!, y.baseAddress!, count: x.count)
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        guard needInputGradient else { return }
        inputGradient.reshape(rows: dy.rows, cols: dy.cols)
        input.storage.withUnsafeBufferPointer { x in
            dy.storage.withUnsafeBufferPointer { g in
                inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                    _Vectorized.reluBackward(x.baseAddress!, g.baseAddress!, dx.baseAddress!, count: x.count)
                }
            }
        }
    }
}
