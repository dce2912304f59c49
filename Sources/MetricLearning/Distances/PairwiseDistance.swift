import NumericCore

/// The pairwise distances of a batch and their backward pass (DESIGN §2).
///
/// Forward, for embeddings `X` (B × d):
/// `D²_ij = max(‖x_i‖² + ‖x_j‖² − 2 x_i·x_j, 0)` from one GEMM `X Xᵀ`, and for
/// `euclidean` `D_ij = sqrt(D²_ij)`. The matrix is exactly symmetric with an
/// exactly zero diagonal.
///
/// Backward, for coefficients `C = dL/dD` (B × B, not necessarily symmetric;
/// entry `(i, j)` is the derivative with respect to the distance between rows
/// i and j as used by the loss): with `S = C̃ + C̃ᵀ`, where `C̃ = dL/dD²`,
/// `dL/dX = 2 (diag(rowsum S) X − S X)` by one GEMM. For `euclidean`,
/// `C̃_ij = C_ij / (2 D_ij)`, and 0 where `D_ij = 0` (the gradient of the
/// distance at 0 is defined as 0).
///
/// The distance keeps its B × B matrix between calls and reuses it.
public struct PairwiseDistance: Sendable {
    /// Which distance is computed.
    public let kind: DistanceKind
    /// The distances of the last `compute` call (B × B).
    public private(set) var values = Matrix(rows: 0, cols: 0)
    private var squaredNorms: [Float] = []
    private var rowSums: [Float] = []

    public init(kind: DistanceKind) {
        self.kind = kind
    }

    /// Computes the B × B distances of the rows of `embeddings` into `values`.
    ///
    /// - Complexity: O(B² · d), in one GEMM.
    public mutating func compute(_ embeddings: Matrix) {
        let b = embeddings.rows
        BLAS.gemm(.none, embeddings, .transposed, embeddings, into: &values)
        if squaredNorms.count < b { squaredNorms = [Float](repeating: 0, count: b) }
        let euclidean = kind == .euclidean
        values.storage.withUnsafeMutableBufferPointer { d in
            squaredNorms.withUnsafeMutableBufferPointer { n in
                for i in 0..<b { n[i] = d[i * b + i] }
                // Upper triangle row by row, then mirrored tile by tile (exact symmetry, cache-friendly).
                for i in 0..<b {
                    d[i * b + i] = 0
                    let ni = n[i]
                    let row = d.baseAddress! + i * b
                    for j in (i + 1)..<b {
                        let v = max(ni + n[j] - 2 * row[j], 0)
                        row[j] = euclidean ? v.squareRoot() : v
                    }
                }
                _forEachUpperTile(b) { i, j in d[j * b + i] = d[i * b + j] }
            }
        }
    }

    /// Turns `coefficients` (dL/dD for the last `compute`, B × B, overwritten
    /// as workspace) into dL/dX, written into `gradient` (reshaped to B × d).
    ///
    /// - Complexity: O(B² · d), in one GEMM.
    public mutating func backward(embeddings: Matrix, coefficients: inout Matrix, gradient: inout Matrix) {
        let b = embeddings.rows, dim = embeddings.cols
        precondition(coefficients.rows == b && coefficients.cols == b, "coefficients must be \(b)×\(b)")
        precondition(values.rows == b, "backward needs the distances of the same batch")
        if rowSums.count < b { rowSums = [Float](repeating: 0, count: b) }
        let euclidean = kind == .euclidean
        values.storage.withUnsafeBufferPointer { d in
            coefficients.storage.withUnsafeMutableBufferPointer { c in
                rowSums.withUnsafeMutableBufferPointer { r in
                    for i in 0..<b { c[i * b + i] = 0 }
                    _forEachUpperTile(b) { i, j in
                        var s = c[i * b + j] + c[j * b + i]
                        if euclidean {
                            let dij = d[i * b + j]
                            s = dij > 0 ? s / (2 * dij) : 0
                        }
                        c[i * b + j] = s
                        c[j * b + i] = s
                    }
                    for i in 0..<b {
                        var sum: Float = 0
                        let row = c.baseAddress! + i * b
                        for j in 0..<b { sum += row[j] }
                        r[i] = sum
                    }
                }
            }
        }
        BLAS.gemm(.none, coefficients, .none, embeddings, into: &gradient, alpha: -2)
        embeddings.storage.withUnsafeBufferPointer { x in
            gradient.storage.withUnsafeMutableBufferPointer { g in
                rowSums.withUnsafeBufferPointer { r in
                    for i in 0..<b {
                        let ri = 2 * r[i]
                        if ri == 0 { continue }
                        for k in 0..<dim { g[i * dim + k] += ri * x[i * dim + k] }
                    }
                }
            }
        }
    }
}

/// Calls `body(i, j)` for every `i < j < b`, in 64 × 64 tiles so that both
/// `(i, j)` and `(j, i)` accesses stay in cache.
@inline(__always)
func _forEachUpperTile(_ b: Int, _ body: (Int, Int) -> Void) {
    let tile = 64
    var i0 = 0
    while i0 < b {
        let i1 = min(i0 + tile, b)
        var j0 = i0
        while j0 < b {
            let j1 = min(j0 + tile, b)
            for i in i0..<i1 {
                for j in max(j0, i + 1)..<max(j1, i + 1) { body(i, j) }
            }
            j0 = j1
        }
        i0 = i1
    }
}
