import Dispatch
import NumericCore

/// One square-ish tile of the pairwise squared-distance matrix, as produced by
/// ``PairDistanceSweep``: the dot products of rows `rows` with rows `cols`.
///
/// Only tiles with `cols.lowerBound >= rows.lowerBound` are produced. In a
/// diagonal tile (`isDiagonal`) only the strict upper triangle (`j > i`) is
/// meaningful, so every unordered pair `{i, j}`, `i ≠ j`, is seen exactly once
/// over the whole sweep and its distance is always computed from the same
/// operands — both sides of a pair get bit-identical distances.
struct _DistanceTile {
    /// Global indices of the tile's rows and columns.
    let rows: Range<Int>
    let cols: Range<Int>
    /// `dots[r * ld + c] = x_{rows[r]} · x_{cols[c]}`.
    let dots: UnsafePointer<Float>
    let ld: Int
    /// `‖x_i‖²` for every item (global indexing).
    let norms: UnsafePointer<Float>

    var isDiagonal: Bool { rows.lowerBound == cols.lowerBound }

    /// `D²_ij = max(0, (‖x_i‖² + ‖x_j‖²) − 2 x_i·x_j)` for tile-local `r`, `c`.
    ///
    /// Every consumer must evaluate exactly this expression so that ties are
    /// resolved identically on both sides of a pair.
    @inline(__always)
    func distance(_ r: Int, _ c: Int) -> Float {
        _squaredDistance(norms[rows.lowerBound + r] + norms[cols.lowerBound + c], dots[r * ld + c])
    }
}

/// `max(0, normSum − 2·dot)`: the one formula for a squared euclidean distance from a GEMM dot product.
@inline(__always)
func _squaredDistance(_ normSum: Float, _ dot: Float) -> Float {
    max(0, normSum - 2 * dot)
}

/// The vector form of ``_squaredDistance(_:_:)``, lane by lane the same operations.
@inline(__always)
func _squaredDistance(_ normSum: SIMD8<Float>, _ dot: SIMD8<Float>) -> SIMD8<Float> {
    let d = normSum - 2 * dot
    return d.replacing(with: SIMD8<Float>(repeating: 0), where: d .< 0)
}

/// A symmetric blocked sweep over all unordered pairs of rows of a matrix:
/// tiles `(I, J)` with `J ≥ I`, each computed with one GEMM.
///
/// - Complexity: N²·d/2 multiply-adds (in OpenBLAS) plus whatever the
///   consumer does; memory O(block²) beyond the input, never N × N.
struct PairDistanceSweep {
    let embeddings: Matrix
    let blockSize: Int
    /// `‖x_i‖²`, summed in the same float order for every row.
    let norms: [Float]

    init(_ embeddings: Matrix, blockSize: Int) {
        precondition(blockSize > 0, "block size must be positive")
        self.embeddings = embeddings
        self.blockSize = blockSize
        let d = embeddings.cols
        var norms = [Float](repeating: 0, count: embeddings.rows)
        embeddings.storage.withUnsafeBufferPointer { x in
            norms.withUnsafeMutableBufferPointer { out in
                for i in 0..<embeddings.rows {
                    var s: Float = 0
                    let row = x.baseAddress! + i * d
                    for t in 0..<d { s += row[t] * row[t] }
                    out[i] = s
                }
            }
        }
        self.norms = norms
    }

    /// Calls `consume` once per tile, in a fixed order (I ascending, then J ascending).
    func forEachTile(_ consume: (_DistanceTile) -> Void) {
        let n = embeddings.rows, d = embeddings.cols
        guard n > 0 else { return }
        let b = min(blockSize, n)
        var buffer = [Float](repeating: 0, count: b * b)
        embeddings.storage.withUnsafeBufferPointer { x in
            norms.withUnsafeBufferPointer { nrm in
                buffer.withUnsafeMutableBufferPointer { buf in
                    var i0 = 0
                    while i0 < n {
                        let rows = i0..<min(n, i0 + b)
                        var j0 = i0
                        while j0 < n {
                            let cols = j0..<min(n, j0 + b)
                            if d > 0 {
                                BLAS.gemm(
                                    .none, .transposed, m: rows.count, n: cols.count, k: d,
                                    a: x.baseAddress! + i0 * d, lda: d, b: x.baseAddress! + j0 * d, ldb: d,
                                    c: buf.baseAddress!, ldc: cols.count)
                            } else {
                                buf.update(repeating: 0)
                            }
                            consume(_DistanceTile(
                                rows: rows, cols: cols, dots: UnsafePointer(buf.baseAddress!), ld: cols.count,
                                norms: nrm.baseAddress!))
                            j0 += b
                        }
                        i0 += b
                    }
                }
            }
        }
    }
}

/// Runs `body(t)` for `t` in `0..<count`, concurrently when `count > 1`.
@inline(__always)
func _parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        body(0)
    } else {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}

/// The number of worker threads for selection work: OpenBLAS's thread count.
var _workerCount: Int { max(1, min(BLAS.threads, 64)) }
