import NumericCore

/// The shared plumbing of the proxy and class-weight losses: cosine
/// similarities `S = X̂ Ŵᵀ` (B × C) between the L2-normalised embeddings
/// (B × d) and the L2-normalised class rows (C × d), and the backward of a
/// coefficient matrix `coefficients = dL/dS` into both inputs through their
/// normalisations.
///
/// - Complexity: O(B · C · d) in three GEMMs.
struct _ProxyCosine {
    /// The workers of the GEMMs (the results do not depend on them).
    var context = ComputeContext.serial
    private(set) var embeddings = _UnitRows()
    private(set) var weights = _UnitRows()
    /// S, B × C.
    private(set) var similarities = Matrix(rows: 0, cols: 0)
    /// dL/dS, B × C; the loss writes every entry.
    var coefficients = Matrix(rows: 0, cols: 0)

    /// Normalises both inputs and computes S; sizes `coefficients`.
    mutating func forward(embeddings x: Matrix, weights w: Matrix) {
        embeddings.forward(x)
        weights.forward(w)
        _Cosine.similarities(embeddings.unit, weights.unit, into: &similarities, context: context)
        coefficients.reshape(rows: x.rows, cols: w.rows)
    }

    /// dL/dX (B × d) and dL/dW (C × d) from `coefficients`, both overwritten.
    func backward(gradient: inout Matrix, weightGradient: inout Matrix) {
        _Cosine.backward(coefficients: coefficients, embeddings.unit, weights.unit, gradientA: &gradient, gradientB: &weightGradient, context: context)
        embeddings.backward(&gradient)
        weights.backward(&weightGradient)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension _ProxyCosine {
    /// Mean softmax cross-entropy over the B rows of the logits
    /// `z_ic = logit(S_ic, c == classIndex[i]).value` (torch's
    /// `CrossEntropyLoss` + `MeanReducer`), with a stable log-sum-exp; writes
    /// `coefficients = dL/dS = (softmax_ic − [c = y_i]) · slope_ic / B`.
    ///
    /// - Returns: the loss and the number of rows whose target is not
    ///   already the strict arg-max by more than float32 can see (the
    ///   "active" rows, loss > 0 in float32).
    mutating func meanCrossEntropy(
        classIndex: [Int32], logit: (_ s: Double, _ target: Bool) -> (value: Double, slope: Double)
    ) -> (loss: Double, active: Int) {
        let b = similarities.rows, c = similarities.cols
        let scale = 1 / Double(b)
        var total = 0.0
        var active = 0
        similarities.storage.withUnsafeBufferPointer { s in
            coefficients.storage.withUnsafeMutableBufferPointer { g in
                for i in 0..<b {
                    let row = i * c, y = Int(classIndex[i])
                    var top = -Double.infinity
                    for k in 0..<c { top = max(top, logit(Double(s[row + k]), k == y).value) }
                    var sum = 0.0
                    for k in 0..<c { sum += exp(logit(Double(s[row + k]), k == y).value - top) }
                    let lse = top + log(sum)
                    let loss = lse - logit(Double(s[row + y]), true).value
                    total += loss
                    if _Stable.roundsPositive(loss) { active += 1 }
                    for k in 0..<c {
                        let (z, slope) = logit(Double(s[row + k]), k == y)
                        let p = exp(z - lse)
                        g[row + k] = Float((p - (k == y ? 1 : 0)) * slope * scale)
                    }
                }
            }
        }
        return (total * scale, active)
    }
}
