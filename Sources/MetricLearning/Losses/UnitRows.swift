import CKernels
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
    /// The instruction set of the C passes (`CKernelsUnitRows.h`: the same bits); 0 keeps the
    /// Swift loops below. Tests lower it to compare the sets.
    var isa: Int32 = WideISA.selected

    /// The smallest norm torch divides by.
    static let epsilon: Double = 1e-12

    /// Fills `unit` and `norms` from `x`, rows split over `context`'s workers
    /// (each row is computed whole by one worker, so the bits do not depend on them).
    mutating func forward(_ x: Matrix, context: ComputeContext = .serial) {
        let n = x.rows, d = x.cols
        unit.reshape(rows: n, cols: d)
        if norms.count != n { norms = [Float](repeating: 0, count: n) }
        guard n > 0, d > 0 else { return }
        x.storage.withUnsafeBufferPointer { src in
            unit.storage.withUnsafeMutableBufferPointer { dst in
                norms.withUnsafeMutableBufferPointer { norms in
                    let src = src.baseAddress!, dst = dst.baseAddress!, norms = norms.baseAddress!, isa = isa
                    Parallel.forEachRange(n, parts: context.parts(forWork: n * d)) { rows in
                        #if arch(x86_64)
                        if isa > 0 {
                            let i = rows.lowerBound
                            mb_unit_rows_forward(isa, src + i * d, dst + i * d, norms + i, rows.count, d, Self.epsilon)
                            return
                        }
                        #endif
                        func finish(_ i: Int, _ s: Double) {
                            let norm = max(s.squareRoot(), Self.epsilon)
                            norms[i] = Float(norm)
                            let inv = 1 / norm
                            for k in 0..<d { dst[i * d + k] = Float(Double(src[i * d + k]) * inv) }
                        }
                        var i = rows.lowerBound
                        // Four rows' sums of squares at once, one lane each: every lane adds its row's
                        // squares in column order, as the one-row loop (a single chain of dependent
                        // additions would wait on each one).
                        while i + 4 <= rows.upperBound {
                            let a = src + i * d
                            var s = SIMD4<Double>.zero
                            for k in 0..<d {
                                let v = SIMD4<Double>(Double(a[k]), Double(a[d + k]), Double(a[2 * d + k]), Double(a[3 * d + k]))
                                s += v * v
                            }
                            for l in 0..<4 { finish(i + l, s[l]) }
                            i += 4
                        }
                        while i < rows.upperBound {
                            var s = 0.0
                            for k in 0..<d { let v = Double(src[i * d + k]); s += v * v }
                            finish(i, s)
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// Replaces `g` (dL/dx̂, n × d) by dL/dx in place, rows split over `context`'s workers.
    func backward(_ g: inout Matrix, context: ComputeContext = .serial) {
        backward(&g, addingRowMultiples: nil, context: context)
    }

    /// `backward` of `g + diag(Float(r)) · unit` (each row i of `g` plus `Float(r[i])` times
    /// `unit`'s row i, in float, element by element) in the same pass over the rows.
    func backward(_ g: inout Matrix, addingRowMultiples r: [Double]?, context: ComputeContext = .serial) {
        let n = unit.rows, d = unit.cols
        precondition(g.rows == n && g.cols == d, "normalisation backward: gradient \(g.rows)×\(g.cols), expected \(n)×\(d)")
        precondition(r.map { $0.count >= n } ?? true, "normalisation backward: \(r?.count ?? 0) row multiples for \(n) rows")
        guard n > 0, d > 0 else { return }
        unit.storage.withUnsafeBufferPointer { u in
            g.storage.withUnsafeMutableBufferPointer { gp in
                norms.withUnsafeBufferPointer { norms in
                    let u = u.baseAddress!, gp = gp.baseAddress!, norms = norms.baseAddress!, isa = isa
                    Parallel.forEachRange(n, parts: context.parts(forWork: n * d)) { rows in
                        #if arch(x86_64)
                        if isa > 0 {
                            let i = rows.lowerBound
                            if let r {
                                r.withUnsafeBufferPointer { r in
                                    mb_unit_rows_backward(isa, u + i * d, norms + i, gp + i * d, r.baseAddress! + i, rows.count, d,
                                                          Self.epsilon)
                                }
                            } else {
                                mb_unit_rows_backward(isa, u + i * d, norms + i, gp + i * d, nil, rows.count, d, Self.epsilon)
                            }
                            return
                        }
                        #endif
                        func add(_ i: Int) {
                            guard let r else { return }
                            let s = Float(r[i])
                            for k in 0..<d { gp[i * d + k] += s * u[i * d + k] }
                        }
                        // A clamped row is scaled by a constant, so its Jacobian has no radial term
                        // (its dot product, if computed, is not used).
                        func finish(_ i: Int, _ dot: Double) {
                            let norm = Double(norms[i])
                            let clamped = norm <= Self.epsilon
                            let inv = 1 / norm
                            for k in 0..<d {
                                let r = Double(gp[i * d + k]) - (clamped ? 0 : Double(u[i * d + k]) * dot)
                                gp[i * d + k] = Float(r * inv)
                            }
                        }
                        var i = rows.lowerBound
                        // Four rows' dot products at once, one lane each, in column order (see `forward`).
                        while i + 4 <= rows.upperBound {
                            for l in 0..<4 { add(i + l) }
                            let a = u + i * d, g = gp + i * d
                            var dot = SIMD4<Double>.zero
                            for k in 0..<d {
                                let x = SIMD4<Double>(Double(a[k]), Double(a[d + k]), Double(a[2 * d + k]), Double(a[3 * d + k]))
                                let y = SIMD4<Double>(Double(g[k]), Double(g[d + k]), Double(g[2 * d + k]), Double(g[3 * d + k]))
                                dot += x * y
                            }
                            for l in 0..<4 { finish(i + l, dot[l]) }
                            i += 4
                        }
                        while i < rows.upperBound {
                            add(i)
                            var dot = 0.0
                            if Double(norms[i]) > Self.epsilon {
                                for k in 0..<d { dot += Double(u[i * d + k]) * Double(gp[i * d + k]) }
                            }
                            finish(i, dot)
                            i += 1
                        }
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
        // In 8 × 8 register tiles, each tile and its mirror read and written row by row (a
        // column walk at a power-of-two stride misses the L1 cache), split by tile rows over
        // the workers; each pair's sum C_ij + C_ji is one float addition whoever computes it.
        c.storage.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            _forEachUpperTileRows(n, context) { rows in
                _visitUpperTiles(n, rows, tile: { i0, j0 in
                    let upper = p + i0 * n + j0, lower = p + j0 * n + i0
                    let t = _Tile8(upper, stride: n).map(_Tile8(lower, stride: n).transposed()) { _, u, l in u + l }
                    t.store(upper, stride: n)
                    t.transposed().store(lower, stride: n)
                }, pair: { i, j in
                    let t = p[i * n + j] + p[j * n + i]
                    p[i * n + j] = t
                    p[j * n + i] = t
                })
            }
            for i in 0..<n { p[i * n + i] *= 2 }
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
