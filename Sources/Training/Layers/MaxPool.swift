import NumericCore

/// 2×2 max pooling with stride 2 (odd trailing rows/columns are dropped).
///
/// Shapes (per sample): x `C × H × W`, y `C × ⌊H/2⌋ × ⌊W/2⌋`,
/// `y[c, i, j] = max_{u,v ∈ {0,1}} x[c, 2i + u, 2j + v]`. The position of each
/// maximum (the first on ties) is kept; backward routes `dy` to it:
/// `dx[argmax] = dy`, zero elsewhere.
public final class MaxPool: Layer {
    public let channels: Int, height: Int, width: Int
    public var outHeight: Int { height / 2 }
    public var outWidth: Int { width / 2 }
    public var outputWidth: Int { channels * outHeight * outWidth }
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)
    private var argmax: [Int32] = []

    public init(channels: Int, height: Int, width: Int) {
        precondition(height >= 2 && width >= 2, "MaxPool needs at least 2×2 inputs, got \(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
    }

    public func forward(_ input: Matrix) {
        precondition(input.cols == channels * height * width, "MaxPool expects \(channels)×\(height)×\(width) inputs")
        let b = input.rows, n = outputWidth, oh = outHeight, ow = outWidth, h = height, w = width
        output.reshape(rows: b, cols: n)
        if argmax.count < b * n { argmax.append(contentsOf: repeatElement(0, count: b * n - argmax.count)) }
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                argmax.withUnsafeMutableBufferPointer { am in
                    for s in 0..<b {
                        let xs = x.baseAddress! + s * input.cols
                        var o = s * n
                        for c in 0..<channels {
                            for i in 0..<oh {
                                for j in 0..<ow {
                                    let corner = (c * h + 2 * i) * w + 2 * j
                                    var best = corner
                                    if xs[corner + 1] > xs[best] { best = corner + 1 }
                                    if xs[corner + w] > xs[best] { best = corner + w }
                                    if xs[corner + w + 1] > xs[best] { best = corner + w + 1 }
                                    y[o] = xs[best]
                                    am[o] = Int32(best)
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        guard needInputGradient else { return }
        let b = dy.rows, n = outputWidth, inWidth = channels * height * width
        inputGradient.reshape(rows: b, cols: inWidth)
        dy.storage.withUnsafeBufferPointer { g in
            argmax.withUnsafeBufferPointer { am in
                inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                    for i in 0..<dx.count { dx[i] = 0 }
                    for s in 0..<b {
                        for o in 0..<n { dx[s * inWidth + Int(am[s * n + o])] += g[s * n + o] }
                    }
                }
            }
        }
    }
}
