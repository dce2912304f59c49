import NumericCore

/// The pairwise distances of a batch and their backward pass (DESIGN §2).
///
/// Forward, for embeddings `X` (B × d):
/// `D²_ij = max(‖x_i‖² + ‖x_j‖² − 2 x_i·x_j, 0)` from the upper triangle of
/// `X Xᵀ` (one `ssyrk`), and for `euclidean` `D_ij = sqrt(D²_ij)`. The matrix
/// is exactly symmetric with an exactly zero diagonal.
///
/// Backward, for coefficients `C = dL/dD` (B × B, not necessarily symmetric;
/// entry `(i, j)` is the derivative with respect to the distance between rows
/// i and j as used by the loss): with `S = C̃ + C̃ᵀ`, where `C̃ = dL/dD²`,
/// `dL/dX = 2 (diag(rowsum S) X − S X) = −2 (S − diag(rowsum S)) X`, by one
/// GEMM once the row sums are written (negated) onto the zero diagonal of
/// `S`. For `euclidean`, `C̃_ij = C_ij / (2 D_ij)`, and 0 where `D_ij = 0`
/// (the gradient of the distance at 0 is defined as 0).
///
/// The O(B²) passes run in 8 × 8 tiles (the transposed accesses of a larger
/// tile collide in the L1 cache at power-of-two strides), split by rows over
/// the context's workers for large batches; every entry is computed by the
/// same arithmetic whatever the worker count.
///
/// The distance keeps its B × B matrix between calls and reuses it.
public struct PairwiseDistance: Sendable {
    /// Which distance is computed.
    public let kind: DistanceKind
    /// The workers of the O(B²) passes and the backward GEMM.
    public let context: ComputeContext
    /// The distances of the last `compute` call (B × B).
    public private(set) var values = Matrix(rows: 0, cols: 0)
    /// ‖x_i‖² of the last `compute` call's rows (the first B entries).
    private(set) var squaredNorms: [Float] = []

    public init(kind: DistanceKind, context: ComputeContext = .serial) {
        self.kind = kind
        self.context = context
    }

    /// Computes the B × B distances of the rows of `embeddings` into `values`.
    ///
    /// - Complexity: O(B² · d), in one `ssyrk`, plus O(B²) split over the workers.
    public mutating func compute(_ embeddings: Matrix) {
        let b = embeddings.rows
        BLAS.gramUpper(embeddings, into: &values, context: context)
        if squaredNorms.count < b { squaredNorms = [Float](repeating: 0, count: b) }
        let euclidean = kind == .euclidean
        values.storage.withUnsafeMutableBufferPointer { dBuffer in
            squaredNorms.withUnsafeMutableBufferPointer { nBuffer in
                let d = dBuffer.baseAddress!, n = nBuffer.baseAddress!
                for i in 0..<b {
                    n[i] = d[i * b + i]
                    d[i * b + i] = 0
                }
                _forEachUpperTileRows(b, context) { rows in
                    _visitUpperTiles(b, rows, tile: { i0, j0 in
                        let upper = d + i0 * b + j0
                        let nj = SIMDMath.load(n + j0)
                        let t = _Tile8(upper, stride: b).map { k, g in
                            let raw = n[i0 + k] + nj - 2 * g
                            let v = raw.replacing(with: 0, where: .!(raw .> SIMD8<Float>.zero))  // as max(raw, 0), −0 → 0
                            return euclidean ? SIMDMath.squareRoot(v) : v
                        }
                        t.store(upper, stride: b)
                        t.transposed().store(d + j0 * b + i0, stride: b)
                    }, pair: { i, j in
                        let v = max(n[i] + n[j] - 2 * d[i * b + j], 0)
                        let e = euclidean ? v.squareRoot() : v
                        d[i * b + j] = e
                        d[j * b + i] = e
                    })
                }
            }
        }
    }

    /// Turns `coefficients` (dL/dD for the last `compute`, B × B, overwritten
    /// as workspace) into dL/dX, written into `gradient` (reshaped to B × d).
    ///
    /// `scale` multiplies every coefficient (a reducer's `1 / count`), inside
    /// the GEMM rather than in a pass of its own.
    ///
    /// - Complexity: O(B² · d), in one GEMM, plus O(B²) split over the workers.
    public func backward(embeddings: Matrix, coefficients: inout Matrix, gradient: inout Matrix, scale: Float = 1) {
        backward(embeddings: embeddings, coefficients: &coefficients, gradient: &gradient, combining: _SymmetricSum(), scale: scale)
    }

    /// `backward` with each pair's two coefficients combined by `combination`
    /// (a reducer's per-pair weights, or a loss's per-row scales) in the
    /// symmetrising pass, instead of the plain sum `C_ij + C_ji`.
    func backward<P: _PairCombination>(embeddings: Matrix, coefficients: inout Matrix, gradient: inout Matrix,
                                       combining combination: P, scale: Float = 1) {
        let b = embeddings.rows
        precondition(coefficients.rows == b && coefficients.cols == b, "coefficients must be \(b)×\(b)")
        precondition(values.rows == b, "backward needs the distances of the same batch")
        let euclidean = kind == .euclidean
        values.storage.withUnsafeBufferPointer { dBuffer in
            coefficients.storage.withUnsafeMutableBufferPointer { cBuffer in
                let d = dBuffer.baseAddress!, c = cBuffer.baseAddress!
                // S_ij = combination(C_ij, C_ji), then divided by 2 D_ij for euclidean (0 where D_ij = 0).
                _forEachUpperTileRows(b, context) { rows in
                    _visitUpperTiles(b, rows, tile: { i0, j0 in
                        let upper = c + i0 * b + j0, lower = c + j0 * b + i0
                        let above = _Tile8(upper, stride: b)
                        let below = combination.readsLower ? _Tile8(lower, stride: b).transposed() : above
                        let columns = combination.columns(j0)
                        let sums = above.map(below) { k, u, l in combination.combine(u, l, row: i0 + k, columns) }
                        let t = euclidean
                            ? sums.map(_Tile8(d + i0 * b + j0, stride: b)) { _, s, dij in
                                (s / (2 * dij)).replacing(with: 0, where: .!(dij .> SIMD8<Float>.zero))
                            }
                            : sums
                        t.store(upper, stride: b)
                        t.transposed().store(lower, stride: b)
                    }, pair: { i, j in
                        let cij = c[i * b + j]
                        var s = combination.combine(cij, combination.readsLower ? c[j * b + i] : cij, i, j)
                        if euclidean {
                            let dij = d[i * b + j]
                            s = dij > 0 ? s / (2 * dij) : 0
                        }
                        c[i * b + j] = s
                        c[j * b + i] = s
                    })
                }
                Parallel.forEachRange(b, parts: context.parts(forWork: b * b)) { rows in
                    for i in rows {
                        let row = c + i * b
                        row[i] = 0
                        row[i] = -_sum(row, b)
                    }
                }
            }
        }
        BLAS.gemm(.none, coefficients, .none, embeddings, into: &gradient, alpha: -2 * scale, context: context)
    }
}

