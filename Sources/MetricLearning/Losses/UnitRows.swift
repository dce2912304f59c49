import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rows scaled to unit L2 norm exactly as `torch.nn.functional.normalize`
/// (`x / max(‖x‖, 1e-12)`), with the backward pass through the scaling.
///
/// pytorch-metric-learning's distances normalise inside the loss, so the
/// gradient reaching the network is projected: `dL/dx = (g − x̂ (x̂·g)) / ‖x‖`
/// with `g = dL/dx̂` (and `g / 1e-12` for a row shorter than 1e-12).
///
/// Shapes: input and `unit` n × d; `norms` n values (the clamped norms).
struct _UnitRows {
    private(set) var unit = Matrix(rows: 0, cols: 0)
    private(set) var norms: [Float] = []

    /// The smallest norm torch divides by.
    static let epsilon: Double = 1e-12

    /// Fills `unit` and `norms` from `x`.
    mutating func forward(_ x: Matrix) {
        let n = x.rows, d = x.cols
        unit.reshape(rows: n, cols: d)
        if norms.count != n { norms = [Float](repeating: 0, count: n) }
        x.storage.withUnsafeBufferPointer { src in
            unit.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    var s = 0.0
                    for k in 0..<d { let v = Double(src[i * d + k]); s += v * v }
                    let norm = max(s.squareRoot(), Self.epsilon)
                    norms[i] = Float(norm)
                    let inv = 1 / norm
                    for k in 0..<d { dst[i * d + k] = Float(Double(src[i * d + k]) * inv) }
                }
            }
        }
    }

    /// Replaces `g` (dL/dx̂, n × d) by dL/dx in place.
    func backward(_ g: inout Matrix) {
        let n = unit.rows, d = unit.cols
        precondition(g.rows == n && g.cols == d, "normalisation backward: gradient \(g.rows)×\(g.cols), expected \(n)×\(d)")
        unit.storage.withUnsafeBufferPointer { u in
            g.storage.withUnsafeMutableBufferPointer { gp in
                for i in 0..<n {
                    let norm = Double(norms[i])
                    // A clamped row is scaled by a constant, so its Jacobian has no radial term.
                    let clamped = norm <= Self.epsilon
                    var dot = 0.0
                    if !clamped { for k in 0..<d { dot += Double(u[i * d + k]) * Double(gp[i * d + k]) } }
                    let inv = 1 / norm
                    for k in 0..<d {
                        let r = Double(gp[i * d + k]) - (clamped ? 0 : Double(u[i * d + k]) * dot)
                        gp[i * d + k] = Float(r * inv)
                    }
                }
            }
        }
    }
}

/// The cosine-similarity plumbing shared by the losses that follow
/// pytorch-metric-learning's `CosineSimilarity` (or a normalising
/// `DotProductSimilarity`): `S = X̂ Ŷᵀ` and its backward.
enum _Cosine {
    /// `s ← a bᵀ` (a n × d, b m × d, s n × m), through GEMM.
    static func similarities(_ a: Matrix, _ b: Matrix, into s: inout Matrix, context: ComputeContext) {
        BLAS.gemm(.none, a, .transposed, b, into: &s, context: context)
    }

    /// For `S = A Bᵀ` and `C = dL/dS`: `gA ← C B` and `gB ← Cᵀ A`.
    static func backward(
        coefficients c: Matrix, _ a: Matrix, _ b: Matrix, gradientA: inout Matrix, gradientB: inout Matrix, context: ComputeContext
    ) {
        BLAS.gemm(.none, c, .none, b, into: &gradientA, context: context)
        BLAS.gemm(.transposed, c, .none, a, into: &gradientB, context: context)
    }

    /// For a batch's own `S = X̂ X̂ᵀ` and `C = dL/dS` (not necessarily
    /// symmetric): `g ← (C + Cᵀ) X̂`. `C` is symmetrised in place (O(B²)),
    /// so the product is one GEMM.
    static func backwardSymmetric(coefficients c: inout Matrix, _ x: Matrix, gradient: inout Matrix, context: ComputeContext) {
        let n = c.rows
        precondition(c.cols == n, "coefficients must be square")
        // In 32 × 32 tiles, each pair of mirrored tiles copied row by row into two
        // contiguous buffers, added there and copied back row by row: read in place,
        // a tile's column at a power-of-two row stride (B = 1024: 4 KiB) maps every
        // line to one L1 set and missed on every element. Each element is still
        // p_ij + p_ji (and the diagonal's x + x equals the 2x it was), so the bits
        // are those of an in-place pass.
        let block = 32
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block * block) { buffer in
            let upper = buffer.baseAddress!, lower = upper + block * block
            c.storage.withUnsafeMutableBufferPointer { p in
                let p = p.baseAddress!
                for bi in stride(from: 0, to: n, by: block) {
                    let h = min(block, n - bi)
                    for bj in stride(from: bi, to: n, by: block) {
                        let w = min(block, n - bj)
                        // upper[i][j] = p[bi + i][bj + j], lower[j][i] = p[bj + j][bi + i].
                        for i in 0..<h { (upper + i * block).update(from: p + (bi + i) * n + bj, count: w) }
                        for j in 0..<w { (lower + j * block).update(from: p + (bj + j) * n + bi, count: h) }
                        for i in 0..<h {
                            for j in 0..<w {
                                let t = upper[i * block + j] + lower[j * block + i]
                                upper[i * block + j] = t
                                lower[j * block + i] = t
                            }
                        }
                        // On the diagonal both buffers hold the same tile, now equal: one copy back.
                        for i in 0..<h { (p + (bi + i) * n + bj).update(from: upper + i * block, count: w) }
                        if bi != bj {
                            for j in 0..<w { (p + (bj + j) * n + bi).update(from: lower + j * block, count: h) }
                        }
                    }
                }
            }
        }
        BLAS.gemm(.none, c, .none, x, into: &gradient, context: context)
    }
}

/// Numerically stable pieces of the softmax-style losses.
enum _Stable {
    /// `log(1 + exp(x))` without overflow.
    @inline(__always) static func softplus(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }

    /// `1 / (1 + exp(-x))` without overflow.
    @inline(__always) static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    /// float32's smallest normal number, torch's `finfo(float32).tiny`
    /// (pytorch-metric-learning's `small_val`).
    static let tiny = Double(Float.leastNormalMagnitude)

    /// Whether a float32 loss term computed by PyTorch would be strictly
    /// positive: below half an ulp of 1, `log(1 + ε)` rounds to 0 in float32,
    /// and pytorch-metric-learning's `AvgNonZeroReducer` then drops the term.
    @inline(__always) static func roundsPositive(_ logOnePlus: Double) -> Bool {
        logOnePlus > Double(Float.ulpOfOne) / 2
    }
}

/// Checks the shape and values of a batch for the losses of issue 15
/// (a batch without a positive pair is allowed: the loss is then 0).
func _validateModernBatch(embeddings: Matrix, labels: [Int32]) throws {
    guard labels.count == embeddings.rows else {
        throw LossError.invalidParameter(
            "the batch has \(embeddings.rows) embeddings but \(labels.count) labels; give one label per embedding row")
    }
    guard embeddings.isFinite else {
        throw LossError.invalidParameter("the embeddings contain NaN or infinite values")
    }
}

/// Checks the arguments of a proxy / class-weight loss.
func _validateProxyBatch(embeddings: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix) throws {
    try _validateModernBatch(embeddings: embeddings, labels: labels)
    guard classIndex.count == embeddings.rows else {
        throw LossError.invalidParameter(
            "the batch has \(embeddings.rows) embeddings but \(classIndex.count) class indices; give one per embedding row")
    }
    guard weights.cols == embeddings.cols, weights.rows > 0 else {
        throw LossError.invalidParameter(
            "the proxies / class weights are \(weights.rows)×\(weights.cols); they must be C×\(embeddings.cols) (one row per class, rows in the order of the sorted distinct training labels)")
    }
    guard weights.isFinite else {
        throw LossError.invalidParameter("the proxies / class weights contain NaN or infinite values")
    }
    for (i, c) in classIndex.enumerated() where c < 0 || Int(c) >= weights.rows {
        throw LossError.invalidParameter(
            "sample \(i) has class index \(c), outside 0..<\(weights.rows) (the number of proxy rows); pass a proxy matrix with one row per training class")
    }
}

/// A seeded standard-normal C × d matrix times `standardDeviation`
/// (Box–Muller on `SplitMix64`, so the values do not depend on the
/// platform's generator).
func _normalMatrix(rows: Int, cols: Int, standardDeviation: Double, generator: inout SplitMix64) -> Matrix {
    var m = Matrix(rows: rows, cols: cols)
    for k in 0..<m.count { m.storage[k] = Float(generator.nextNormal() * standardDeviation) }
    return m
}
