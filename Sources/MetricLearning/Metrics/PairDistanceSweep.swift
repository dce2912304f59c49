import NumericCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// The workers that take tiles.
    let context: ComputeContext
    /// `‖x_i‖²`, summed in the same float order for every row.
    let norms: [Float]

    init(_ embeddings: Matrix, blockSize: Int, context: ComputeContext) {
        precondition(blockSize > 0, "block size must be positive")
        self.embeddings = embeddings
        self.blockSize = blockSize
        self.context = context
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
        let tile = ScratchBuffer<Float>()
        let buf = tile.reserve(b * b)
        defer { withExtendedLifetime(tile) {} }  // `buf` points into it
        embeddings.storage.withUnsafeBufferPointer { x in
            norms.withUnsafeBufferPointer { nrm in
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
                                c: buf, ldc: cols.count)
                        } else {
                            buf.update(repeating: 0, count: rows.count * cols.count)
                        }
                        consume(_DistanceTile(
                            rows: rows, cols: cols, dots: UnsafePointer(buf), ld: cols.count, norms: nrm.baseAddress!))
                        j0 += b
                    }
                    i0 += b
                }
            }
        }
    }
}

extension PairDistanceSweep {
    /// Calls `consume(tile, worker)` once per tile, from `workers` threads at
    /// once, each computing its own tiles with a single-threaded GEMM
    /// into its own buffer.
    ///
    /// No two tiles in flight share a block of rows: a worker takes the first
    /// pending tile (in `forEachTile` order) whose row blocks `I` and `J` no
    /// other worker holds, so `consume` may update per-item state of both
    /// `tile.rows` and `tile.cols` without locks. The order in which tiles are
    /// consumed depends on timing; consumers must not depend on it (the top-k
    /// lists and histograms fed by this sweep do not). With one worker this is
    /// `forEachTile`.
    ///
    /// - Complexity: as `forEachTile`; memory `workers · block²` floats.
    func forEachTileConcurrently(workers: Int, _ consume: (_DistanceTile, _ worker: Int) -> Void) {
        let n = embeddings.rows, d = embeddings.cols
        guard n > 0 else { return }
        let b = min(blockSize, n)
        let blocks = (n + b - 1) / b
        let schedule = _TileSchedule(blocks: blocks)
        let w = max(1, min(workers, blocks * (blocks + 1) / 2))
        // One tile of dot products per worker.
        let tiles = ScratchBuffer<Float>()
        tiles.reserve(w * b * b)
        embeddings.storage.withUnsafeBufferPointer { xBuffer in
            norms.withUnsafeBufferPointer { normBuffer in
                let x = xBuffer.baseAddress!, nrm = normBuffer.baseAddress!
                Parallel.forEachWorker(w) { worker in
                    let buffer = tiles.part(worker, stride: b * b)
                    while let (bi, bj) = schedule.take() {
                        let rows = (bi * b)..<min(n, bi * b + b), cols = (bj * b)..<min(n, bj * b + b)
                        if d > 0 {
                            BLAS.gemm(
                                .none, .transposed, m: rows.count, n: cols.count, k: d,
                                a: x + rows.lowerBound * d, lda: d, b: x + cols.lowerBound * d, ldb: d,
                                c: buffer, ldc: cols.count)
                        } else {
                            buffer.update(repeating: 0, count: rows.count * cols.count)
                        }
                        consume(_DistanceTile(
                            rows: rows, cols: cols, dots: UnsafePointer(buffer), ld: cols.count, norms: nrm), worker)
                        schedule.release(bi, bj)
                    }
                }
            }
        }
    }
}

/// The pending tiles `(I, J ≥ I)` of a sweep over `blocks` row blocks and
/// the blocks held by workers; see ``PairDistanceSweep/forEachTileConcurrently(workers:_:)``.
final class _TileSchedule: Sendable {
    private struct State {
        var pending: [(Int, Int)]
        var held: [Bool]
    }
    private let state: Mutex<State>

    init(blocks: Int) {
        var pending: [(Int, Int)] = []
        pending.reserveCapacity(blocks * (blocks + 1) / 2)
        for i in 0..<blocks { for j in i..<blocks { pending.append((i, j)) } }
        state = Mutex(State(pending: pending, held: [Bool](repeating: false, count: blocks)))
    }

    /// The first pending tile none of whose blocks is held, now held by the
    /// caller; waits while every pending tile conflicts; nil when none is left.
    func take() -> (Int, Int)? {
        while true {
            let outcome: (Int, Int)?? = state.withLock { s in
                if s.pending.isEmpty { return .some(nil) }
                guard let t = s.pending.firstIndex(where: { !s.held[$0.0] && !s.held[$0.1] }) else { return nil }
                let tile = s.pending.remove(at: t)
                s.held[tile.0] = true
                s.held[tile.1] = true
                return .some(tile)
            }
            if let outcome { return outcome }
            // Only near the end can every pending tile touch a held block; the wait is one tile at most.
            usleep(50)
        }
    }

    /// Frees the blocks of a finished tile.
    func release(_ i: Int, _ j: Int) {
        state.withLock { s in
            s.held[i] = false
            s.held[j] = false
        }
    }
}

/// Runs `body(rows, worker)` for the consecutive blocks of `blockRows` rows
/// covering `0..<n`, on `workers` threads with single-threaded BLAS
/// (each a single-threaded GEMM): each worker takes the next
/// untaken block, so a core slowed by other processes simply does fewer.
/// Blocks are disjoint; which worker gets which block depends on timing,
/// so `body` must give each row a result that does not depend on it.
func _forEachRowBlock(_ n: Int, blockRows: Int, workers: Int, _ body: (Range<Int>, _ worker: Int) -> Void) {
    precondition(blockRows > 0, "row blocks must be non-empty")
    let blocks = (n + blockRows - 1) / blockRows
    guard blocks > 0 else { return }
    let next = Atomic<Int>(0)
    Parallel.forEachWorker(max(1, min(workers, blocks))) { worker in
        while true {
            let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if b >= blocks { return }
            body((b * blockRows)..<min(n, b * blockRows + blockRows), worker)
        }
    }
}
