import NumericCore

/// Row-wise L2 normalisation, `y = x / max(‖x‖, ε)` with ε = 1e-12.
///
/// Shapes: x, y `B × d`. Backward (for ‖x‖ > ε):
/// `dx = (dy − y (y · dy)) / ‖x‖`; below ε the map is `x / ε`, so `dx = dy / ε`.
/// A zero row therefore maps to zero with a finite gradient (no NaN).
public final class L2Normalize: Layer {
    public static let epsilon: Float = 1e-12
    public let outputWidth: Int
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)
    /// `max(‖x_r‖, ε)` per row, kept for backward.
    private var norms: [Float] = []

    public init(width: Int) { outputWidth = width }

    public func forward(_ input: Matrix) {
        let b = input.rows, d = input.cols
        output.reshape(rows: b, cols: d)
        if norms.count < b { norms.append(contentsOf: repeatElement(0, count: b - norms.count)) }
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                norms.withUnsafeMutableBufferPointer { norms in
                    for r in 0..<b {
                        let xr = x.baseAddress! + r * d, yr = y.baseAddress! + r * d
                        var s: Float = 0
                        for j in 0..<d { s += xr[j] * xr[j] }
                        let n = max(s.squareRoot(), L2Normalize.epsilon)
                        norms[r] = n
                        let inv = 1 / n
                        for j in 0..<d { yr[j] = xr[j] * inv }
                    }
                }
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        guard needInputGradient else { return }
        let b = dy.rows, d = dy.cols
        inputGradient.reshape(rows: b, cols: d)
        output.storage.withUnsafeBufferPointer { y in
            dy.storage.withUnsafeBufferPointer { g in
                inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                    norms.withUnsafeBufferPointer { norms in
                        for r in 0..<b {
                            let yr = y.baseAddress! + r * d, gr = g.baseAddress! + r * d, dr = dx.baseAddress! + r * d
                            let inv = 1 / norms[r]
                            if norms[r] > L2Normalize.epsilon {
                                var dot: Float = 0
                                for j in 0..<d { dot += yr[j] * gr[j] }
                                for j in 0..<d { dr[j] = (gr[j] - yr[j] * dot) * inv }
                            } else {
                                for j in 0..<d { dr[j] = gr[j] * inv }
                            }
                        }
                    }
                }
            }
        }
    }
}
