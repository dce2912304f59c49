import NumericCore

/// The tile edge of the symmetric B × B passes.
let _tile = 8

/// Eight rows of eight floats: one 8 × 8 tile of a row-major matrix, held in
/// registers so that a tile and its mirror image are each read and written
/// once, row by row (a column walk at a power-of-two stride misses the L1
/// cache on every access).
struct _Tile8 {
    typealias Row = SIMD8<Float>
    var r0, r1, r2, r3, r4, r5, r6, r7: Row

    @inline(__always)
    init(_ r0: Row, _ r1: Row, _ r2: Row, _ r3: Row, _ r4: Row, _ r5: Row, _ r6: Row, _ r7: Row) {
        (self.r0, self.r1, self.r2, self.r3, self.r4, self.r5, self.r6, self.r7) = (r0, r1, r2, r3, r4, r5, r6, r7)
    }

    /// The tile whose top-left element is `p[0]`, rows `stride` floats apart.
    @inline(__always)
    init(_ p: UnsafePointer<Float>, stride s: Int) {
        self.init(SIMDMath.load(p), SIMDMath.load(p + s), SIMDMath.load(p + 2 * s), SIMDMath.load(p + 3 * s),
                  SIMDMath.load(p + 4 * s), SIMDMath.load(p + 5 * s), SIMDMath.load(p + 6 * s), SIMDMath.load(p + 7 * s))
    }

    @inline(__always)
    func store(_ p: UnsafeMutablePointer<Float>, stride s: Int) {
        SIMDMath.store(r0, p); SIMDMath.store(r1, p + s); SIMDMath.store(r2, p + 2 * s); SIMDMath.store(r3, p + 3 * s)
        SIMDMath.store(r4, p + 4 * s); SIMDMath.store(r5, p + 5 * s); SIMDMath.store(r6, p + 6 * s); SIMDMath.store(r7, p + 7 * s)
    }

    /// `f(k, row k)` for every row.
    @inline(__always)
    func map(_ f: (Int, Row) -> Row) -> _Tile8 {
        _Tile8(f(0, r0), f(1, r1), f(2, r2), f(3, r3), f(4, r4), f(5, r5), f(6, r6), f(7, r7))
    }

    /// `f(k, row k of self, row k of other)` for every row.
    @inline(__always)
    func map(_ other: _Tile8, _ f: (Int, Row, Row) -> Row) -> _Tile8 {
        _Tile8(f(0, r0, other.r0), f(1, r1, other.r1), f(2, r2, other.r2), f(3, r3, other.r3),
               f(4, r4, other.r4), f(5, r5, other.r5), f(6, r6, other.r6), f(7, r7, other.r7))
    }

    @inline(__always)
    func transposed() -> _Tile8 {
        @inline(__always) func column(_ j: Int) -> Row { Row(r0[j], r1[j], r2[j], r3[j], r4[j], r5[j], r6[j], r7[j]) }
        return _Tile8(column(0), column(1), column(2), column(3), column(4), column(5), column(6), column(7))
    }
}

/// Calls `body(tileRows)` for ranges of the 8-row tile rows of a `b × b`
/// matrix's upper triangle, balanced by their lengths, on `context`'s
/// workers (one for small `b`). Each range is then walked by `_visitUpperTiles`.
@inline(__always)
func _forEachUpperTileRows(_ b: Int, _ context: ComputeContext, _ body: (Range<Int>) -> Void) {
    let tileRows = (b + _tile - 1) / _tile
    Parallel.forEachRange(tileRows, parts: context.parts(forWork: b * b / 2), cost: { Double(tileRows - $0) }, body)
}

/// Visits every pair `i < j < b` with `i` in the tile rows `tileRows`: a
/// full 8 × 8 tile strictly above the diagonal as `tile(i0, j0)` (its
/// top-left corner), every other pair (diagonal and edge tiles) as
/// `pair(i, j)`. Either may write `(i, j)` and `(j, i)`: no other tile row
/// touches them.
@inline(__always)
func _visitUpperTiles(_ b: Int, _ tileRows: Range<Int>, tile: (Int, Int) -> Void, pair: (Int, Int) -> Void) {
    for block in tileRows {
        let i0 = block * _tile, i1 = min(i0 + _tile, b)
        var j0 = i0
        while j0 < b {
            let j1 = min(j0 + _tile, b)
            if j0 > i0 && i1 - i0 == _tile && j1 - j0 == _tile {
                tile(i0, j0)
            } else {
                for i in i0..<i1 {
                    var j = max(j0, i + 1)
                    while j < j1 {
                        pair(i, j)
                        j += 1
                    }
                }
            }
            j0 = j1
        }
    }
}

/// `Σ_{k<n} p[k]` in eight lanes, then the tail; the same order for a given `n`.
@inline(__always)
func _sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>.zero
    var k = 0
    while k + 8 <= n {
        lanes += SIMDMath.load(p + k)
        k += 8
    }
    var total = lanes.sum()
    while k < n {
        total += p[k]
        k += 1
    }
    return total
}
