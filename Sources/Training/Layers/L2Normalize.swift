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
    /// `y_r · dy_r` per row, a backward workspace.
    private var dots: [Float] = []

    public init(width: Int) { outputWidth = width }

    public func forward(_ input: Matrix) {
        let b = input.rows, d = input.cols
        output.reshape(rows: b, cols: d)
        if norms.count < b { norms.append(contentsOf: repeatElement(0, count: b - norms.count)) }
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                norms.withUnsafeMutableBufferPointer { norms in
                    let x = x.baseAddress!, y = y.baseAddress!, norms = norms.baseAddress!
                    // Squared norms first (stored in `norms`), each in its own sequential order.
                    L2Normalize._rowDots(x, x, into: norms, rows: b, count: d)
                    for r in 0..<b {
                        let xr = x + r * d, yr = y + r * d
                        let n = max(norms[r].squareRoot(), L2Normalize.epsilon)
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
        if dots.count < b { dots.append(contentsOf: repeatElement(0, count: b - dots.count)) }
        output.storage.withUnsafeBufferPointer { y in
            dy.storage.withUnsafeBufferPointer { g in
                inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                    norms.withUnsafeBufferPointer { norms in
                        dots.withUnsafeMutableBufferPointer { dots in
                            let y = y.baseAddress!, g = g.baseAddress!, dx = dx.baseAddress!, dots = dots.baseAddress!
                            L2Normalize._rowDots(y, g, into: dots, rows: b, count: d)
                            for r in 0..<b {
                                let yr = y + r * d, gr = g + r * d, dr = dx + r * d
                                let inv = 1 / norms[r]
                                if norms[r] > L2Normalize.epsilon {
                                    let dot = dots[r]
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

    /// `out[r] = Σ_j a[r·d + j] · b[r·d + j]`, each row summed in order
    /// j = 0, 1, …: four rows at a time, so that four independent chains of
    /// additions overlap instead of one row's chain waiting on its latency.
    static func _rowDots(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                         rows: Int, count d: Int) {
        var r = 0
        while r + 4 <= rows {
            let a0 = a + r * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d
            let b0 = b + r * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            for j in 0..<d {
                s0 += a0[j] * b0[j]
                s1 += a1[j] * b1[j]
                s2 += a2[j] * b2[j]
                s3 += a3[j] * b3[j]
            }
            out[r] = s0; out[r + 1] = s1; out[r + 2] = s2; out[r + 3] = s3
            r += 4
        }
        while r < rows {
            let ar = a + r * d, br = b + r * d
            var s: Float = 0
            for j in 0..<d { s += ar[j] * br[j] }
            out[r] = s
            r += 1
        }
    }
}
