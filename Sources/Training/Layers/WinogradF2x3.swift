import CKernels

/// The transforms of Winograd F(2×2, 3×3) (Lavin & Gray 2016) for
/// ``ConvReLUPool``: 3×3 kernel, padding 1, so output tile `(i, j)` — output
/// rows `2i, 2i+1`, columns `2j, 2j+1` — is exactly pooling window `(i, j)`,
/// and only the `⌊H/2⌋ × ⌊W/2⌋` tiles the pool reads are computed.
///
/// With `d` the 4×4 input patch of a tile (rows `2i−1 … 2i+2`, zero outside
/// the image) and `g` a 3×3 kernel, the tile's output is
/// `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`:
///
///     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
///     G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///     Aᵀ = [1 1 1 0; 0 1 −1 −1]
///
/// Summed over input channels, each of the 16 positions `(ξ, ν)` of the
/// transformed tiles is a GEMM `M_ξν = U_ξν · V_ξν` (`O × C` · `C × N`, N tiles).
/// Backward, with `∂M = A ∂Y Aᵀ` per tile (the pool routes one value into each
/// 2×2 output tile): `∂U_ξν = ∂M_ξν · V_ξνᵀ`, `∂g = Gᵀ ∂U G`, `∂V_ξν = U_ξνᵀ · ∂M_ξν`,
/// `∂d = B ∂V Bᵀ` added into the overlapping input patches.
///
/// Layouts: `U` is 16 matrices `O × C`; `V`, `∂V` 16 matrices `C × N`; `M`, `∂M` 16
/// matrices `O × N` (`matrixStride` apart), tile `n = sample · T + i · tw + j`.
/// The passes run over four tiles of a row at a time (`SIMD4`, the baseline
/// x86-64 width); a row of at least four tiles whose count is no multiple of
/// four ends with a block that overlaps the previous one (recomputing gives
/// the same values; sums and scatters mask the repeated lanes); rows of fewer
/// than four tiles use one partial block.
///
/// `transformInput`, `forwardOutput`, `backwardOutput` and `inputGradient` (up to the widths its
/// kernels take) run as AVX2 or AVX-512 kernels (`CKernels/Winograd.c`) when `isa`
/// (``WideISA/selected``) is 1 or 2; the loops here are the portable path and define the bits,
/// which the kernels repeat (the passes only add, subtract, negate, compare and select, in the
/// same order per value).
struct _WinogradF2x3 {
    let channels: Int, outChannels: Int, height: Int, width: Int
    /// Tile rows and columns, `⌊H/2⌋ × ⌊W/2⌋` (the pooled size), and tiles per sample.
    let tileRows: Int, tileCols: Int
    var tilesPerSample: Int { tileRows * tileCols }
    /// Row length of a zero-padded input plane, `W + 2`.
    var paddedWidth: Int { width + 2 }
    /// Floats of a zero-padded plane, with slack for the vector loads of partial blocks; at least
    /// the input gradient's ten rows of `W + 2` and the kernels' split planes.
    var paddedFloats: Int { max((height + 2) * paddedWidth + 16, 10 * paddedWidth, mb_winograd_input_scratch(height, width)) }

    typealias V = SIMD4<Float>
    typealias W = SIMD8<Float>

    /// A block of four tiles of a row: its first tile, how many lanes are tiles of the row,
    /// and which lanes no earlier block covered.
    struct Block {
        let start: Int, lanes: Int
        let fresh: SIMDMask<SIMD4<Int32>>
    }
    let blocks: [Block]

    init(channels: Int, outChannels: Int, height: Int, width: Int) {
        self.channels = channels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        tileRows = height / 2
        tileCols = width / 2
        let lane = SIMD4<Int32>(0, 1, 2, 3), tw = tileCols
        if tw < 4 {
            blocks = [Block(start: 0, lanes: tw, fresh: lane .< Int32(tw))]
        } else {
            var b = (0..<(tw / 4)).map { Block(start: 4 * $0, lanes: 4, fresh: lane .>= 0) }
            if tw % 4 != 0 { b.append(Block(start: tw - 4, lanes: 4, fresh: lane .>= Int32(4 * (tw / 4) - (tw - 4)))) }
            blocks = b
        }
    }

    @inline(__always) private static func loadW(_ p: UnsafePointer<Float>) -> W { UnsafeRawPointer(p).loadUnaligned(as: W.self) }
    @inline(__always) private static func loadV(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) private static func store<T: SIMD>(_ v: T, _ p: UnsafeMutablePointer<T.Scalar>, lanes: Int) {
        if lanes == T.scalarCount {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: T.self)
        } else {
            for l in 0..<lanes { p[l] = v[l] }
        }
    }

    /// `Bᵀ` applied to four values: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
    @inline(__always) private static func bt(_ d0: V, _ d1: V, _ d2: V, _ d3: V) -> (V, V, V, V) { (d0 - d2, d1 + d2, d2 - d1, d1 - d3) }
    /// `B` applied to four values: (e0, e1 − e2 + e3, e1 + e2 − e0, −e3).
    @inline(__always) private static func b(_ e0: V, _ e1: V, _ e2: V, _ e3: V) -> (V, V, V, V) { (e0, e1 - e2 + e3, e1 + e2 - e0, -e3) }

    /// `U = G g Gᵀ` of every kernel: `w` is `O × (C·9)`, `u` 16 matrices `O × C`.
    func transformWeights(_ w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let oc = outChannels * channels
        for q in 0..<oc {
            let g = w + 9 * q
            // t = G g as its three columns (vectors over the rows ξ).
            @inline(__always) func column(_ v: Int) -> V {
                let g0 = g[v], g1 = g[3 + v], g2 = g[6 + v]
                return V(g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
            }
            let t0 = column(0), t1 = column(1), t2 = column(2)
            // U[ξ][ν] = (t_ξ Gᵀ)[ν]: the four columns ν.
            let u0 = t0, u1 = 0.5 * (t0 + t1 + t2), u2 = 0.5 * (t0 - t1 + t2), u3 = t2
            for xi in 0..<4 {
                u[(4 * xi + 0) * oc + q] = u0[xi]
                u[(4 * xi + 1) * oc + q] = u1[xi]
                u[(4 * xi + 2) * oc + q] = u2[xi]
                u[(4 * xi + 3) * oc + q] = u3[xi]
            }
        }
    }

    /// `∂g = Gᵀ ∂U G` of every kernel, written to (or, when `accumulate`, added to) `dw` (`O × (C·9)`).
    func weightGradient(_ du: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let oc = outChannels * channels
        for q in 0..<oc {
            // Rows ξ of ∂U as vectors over ν.
            @inline(__always) func row(_ xi: Int) -> V {
                V(du[(4 * xi) * oc + q], du[(4 * xi + 1) * oc + q], du[(4 * xi + 2) * oc + q], du[(4 * xi + 3) * oc + q])
            }
            let e0 = row(0), e1 = row(1), e2 = row(2), e3 = row(3)
            // r = Gᵀ ∂U: three rows u over ν; then ∂g[u] = r_u G.
            let r0 = e0 + 0.5 * (e1 + e2), r1 = 0.5 * (e1 - e2), r2 = 0.5 * (e1 + e2) + e3
            let g = dw + 9 * q
            @inline(__always) func put(_ u: Int, _ r: V) {
                let v0 = r[0] + 0.5 * (r[1] + r[2]), v1 = 0.5 * (r[1] - r[2]), v2 = 0.5 * (r[1] + r[2]) + r[3]
                if accumulate {
                    g[3 * u] += v0; g[3 * u + 1] += v1; g[3 * u + 2] += v2
                } else {
                    g[3 * u] = v0; g[3 * u + 1] = v1; g[3 * u + 2] = v2
                }
            }
            put(0, r0); put(1, r1); put(2, r2)
        }
    }

    /// Copies channel plane `x` (`H × W`) into the interior of the zero-bordered `plane`
    /// (whose border and slack the caller zeroed once).
    @inline(__always) private func pad(_ x: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
        let wp = paddedWidth
        for r in 0..<height { (plane + (r + 1) * wp + 1).update(from: x + r * width, count: width) }
    }

    /// `V = Bᵀ d B` of one sample's tiles: `x` is the sample (`C × H × W`), its tiles start at
    /// column `n0` of the 16 `C × N` matrices at `v` (`matrixStride` apart, rows `n` apart).
    /// `plane` holds `paddedFloats`, zeroed by the caller before the first call of a pass.
    func transformInput(_ x: UnsafePointer<Float>, plane: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                        column n0: Int, n: Int, matrixStride: Int, isa: Int32 = 0) {
        #if arch(x86_64)
        if isa >= 1 {
            mb_winograd_input(isa, x, channels, height, width, v + n0, n, matrixStride, plane)
            return
        }
        #endif
        let wp = paddedWidth, tw = tileCols
        for c in 0..<channels {
            pad(x + c * height * width, into: plane)
            let out = v + c * n + n0
            for i in 0..<tileRows {
                let top = plane + 2 * i * wp
                for block in blocks {
                    let j0 = block.start
                    // Row a of d as its four columns b, lanes the four tiles.
                    @inline(__always) func row(_ a: Int) -> (V, V, V, V) {
                        let p = top + a * wp + 2 * j0
                        let left = Self.loadW(p), right = Self.loadW(p + 2)
                        return (left.evenHalf, left.oddHalf, right.evenHalf, right.oddHalf)
                    }
                    let d0 = row(0), d1 = row(1), d2 = row(2), d3 = row(3)
                    // t = Bᵀ d (over rows), then V = t B (over columns).
                    let t0 = Self.bt(d0.0, d1.0, d2.0, d3.0), t1 = Self.bt(d0.1, d1.1, d2.1, d3.1)
                    let t2 = Self.bt(d0.2, d1.2, d2.2, d3.2), t3 = Self.bt(d0.3, d1.3, d2.3, d3.3)
                    // t_b = column b of t (its four rows ξ); V[ξ][·] = Bᵀ over columns of row ξ.
                    let at = out + i * tw + j0, lanes = block.lanes
                    @inline(__always) func emit(_ xi: Int, _ c0: V, _ c1: V, _ c2: V, _ c3: V) {
                        let r = Self.bt(c0, c1, c2, c3), base = at + 4 * xi * matrixStride
                        Self.store(r.0, base, lanes: lanes)
                        Self.store(r.1, base + matrixStride, lanes: lanes)
                        Self.store(r.2, base + 2 * matrixStride, lanes: lanes)
                        Self.store(r.3, base + 3 * matrixStride, lanes: lanes)
                    }
                    emit(0, t0.0, t1.0, t2.0, t3.0)
                    emit(1, t0.1, t1.1, t2.1, t3.1)
                    emit(2, t0.2, t1.2, t2.2, t3.2)
                    emit(3, t0.3, t1.3, t2.3, t3.3)
                }
            }
        }
    }

    /// Forward output of one sample: `Y = Aᵀ M A` per tile and channel, plus the bias, then
    /// the pool's maximum (first on ties, row-major) and the ReLU, as ``_PoolWindows/forward``:
    /// `y` and `choice` are the sample's `O × tileRows × tileCols` outputs.
    func forwardOutput(_ m: UnsafePointer<Float>, column n0: Int, n: Int, matrixStride: Int, bias: UnsafePointer<Float>,
                       _ y: UnsafeMutablePointer<Float>, _ choice: UnsafeMutablePointer<UInt8>, isa: Int32 = 0) {
        #if arch(x86_64)
        if isa >= 1 {
            mb_winograd_output(isa, m + n0, outChannels, tileRows, tileCols, n, matrixStride, bias, y, choice)
            return
        }
        #endif
        let tw = tileCols, plane = tilesPerSample
        for o in 0..<outChannels {
            let beta = V(repeating: bias[o]), src = m + o * n + n0
            for i in 0..<tileRows {
                for block in blocks {
                    let at = i * tw + block.start, p = src + at
                    @inline(__always) func load(_ k: Int) -> V { Self.loadV(p + k * matrixStride) }
                    // s = Aᵀ M over rows: s0 = M0 + M1 + M2, s1 = M1 − M2 − M3 (each a row of four over ν).
                    let m1 = (load(4), load(5), load(6), load(7)), m2 = (load(8), load(9), load(10), load(11))
                    let m0 = (load(0), load(1), load(2), load(3)), m3 = (load(12), load(13), load(14), load(15))
                    let s0 = (m0.0 + m1.0 + m2.0, m0.1 + m1.1 + m2.1, m0.2 + m1.2 + m2.2, m0.3 + m1.3 + m2.3)
                    let s1 = (m1.0 - m2.0 - m3.0, m1.1 - m2.1 - m3.1, m1.2 - m2.2 - m3.2, m1.3 - m2.3 - m3.3)
                    let y00 = s0.0 + s0.1 + s0.2 + beta, y01 = s0.1 - s0.2 - s0.3 + beta
                    let y10 = s1.0 + s1.1 + s1.2 + beta, y11 = s1.1 - s1.2 - s1.3 + beta
                    var best = y00, pick = SIMD4<Int32>(repeating: 0)
                    var mask = y01 .> best
                    best.replace(with: y01, where: mask); pick.replace(with: 1, where: mask)
                    mask = y10 .> best
                    best.replace(with: y10, where: mask); pick.replace(with: 2, where: mask)
                    mask = y11 .> best
                    best.replace(with: y11, where: mask); pick.replace(with: 3, where: mask)
                    let out = o * plane + at
                    Self.store(V.zero.replacing(with: best, where: best .> 0), y + out, lanes: block.lanes)
                    Self.store(SIMD4<UInt8>(truncatingIfNeeded: pick), choice + out, lanes: block.lanes)
                }
            }
        }
    }

    /// Backward through pool and ReLU of one sample into `∂M = A ∂Y Aᵀ` per tile (`∂Y` the
    /// 2×2 tile holding `dy` at the window's chosen position where `y > 0`); adds each
    /// channel's `Σ ∂Y` to `biasGradient[o]`.
    func backwardOutput(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ choice: UnsafePointer<UInt8>,
                        _ dm: UnsafeMutablePointer<Float>, column n0: Int, n: Int, matrixStride: Int,
                        biasGradient: UnsafeMutablePointer<Float>, isa: Int32 = 0) {
        #if arch(x86_64)
        if isa >= 1 {
            mb_winograd_output_backward(isa, dy, y, choice, outChannels, tileRows, tileCols, dm + n0, n, matrixStride, biasGradient)
            return
        }
        #endif
        let tw = tileCols, plane = tilesPerSample
        for o in 0..<outChannels {
            let dst = dm + o * n + n0
            var sums = V.zero
            for i in 0..<tileRows {
                for block in blocks {
                    let at = i * tw + block.start, src = o * plane + at, lanes = block.lanes
                    let g: V, c: SIMD4<Int32>
                    if lanes == 4 {
                        g = V.zero.replacing(with: Self.loadV(dy + src), where: Self.loadV(y + src) .> 0)
                        c = SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(choice + src).loadUnaligned(as: SIMD4<UInt8>.self))
                    } else {
                        var gg = V.zero, cc = SIMD4<Int32>(repeating: 0)
                        for l in 0..<lanes where y[src + l] > 0 { gg[l] = dy[src + l] }
                        for l in 0..<lanes { cc[l] = Int32(choice[src + l]) }
                        g = gg
                        c = cc
                    }
                    sums += V.zero.replacing(with: g, where: block.fresh)
                    let a00 = V.zero.replacing(with: g, where: c .== 0), a01 = V.zero.replacing(with: g, where: c .== 1)
                    let a10 = V.zero.replacing(with: g, where: c .== 2), a11 = V.zero.replacing(with: g, where: c .== 3)
                    // r = A ∂Y: four rows of two; ∂M[ξ] = r_ξ Aᵀ = (r0, r0 + r1, r0 − r1, −r1).
                    let p = dst + at
                    @inline(__always) func emit(_ xi: Int, _ r0: V, _ r1: V) {
                        let base = p + 4 * xi * matrixStride
                        Self.store(r0, base, lanes: lanes)
                        Self.store(r0 + r1, base + matrixStride, lanes: lanes)
                        Self.store(r0 - r1, base + 2 * matrixStride, lanes: lanes)
                        Self.store(-r1, base + 3 * matrixStride, lanes: lanes)
                    }
                    emit(0, a00, a01)
                    emit(1, a00 + a10, a01 + a11)
                    emit(2, a00 - a10, a01 - a11)
                    emit(3, -a10, -a11)
                }
            }
            biasGradient[o] += sums.sum()
        }
    }

    /// Input gradient of one sample: `∂d = B ∂V Bᵀ` per tile and channel, the overlapping 4×4
    /// patches summed into `dx` (`C × H × W`, overwritten). A padded position `(r, q)` lies in at
    /// most two tile rows and two tile columns: its value is `Z_i + Z_{i−1}`, `i = ⌊r/2⌋`, with
    /// `Z_i = ∂d[i, ⌊q/2⌋][r − 2i][q mod 2] + ∂d[i, ⌊q/2⌋ − 1][r − 2i][q mod 2 + 2]` and every absent
    /// tile +0 — sums of two terms, so that no lane width or tile order changes the bits.
    /// `plane` holds `paddedFloats`.
    func inputGradient(_ dv: UnsafePointer<Float>, column n0: Int, n: Int, matrixStride: Int,
                       plane: UnsafeMutablePointer<Float>, _ dx: UnsafeMutablePointer<Float>, isa: Int32 = 0) {
        #if arch(x86_64)
        if isa >= 1 && mb_winograd_input_gradient(isa, dv + n0, channels, height, width, n, matrixStride, dx) != 0 { return }
        #endif
        let wp = paddedWidth, tw = tileCols
        // Per patch row a of the current tile row, each padded column's term from tile ⌊q/2⌋
        // (`left`) and from tile ⌊q/2⌋ − 1 (`right`); then Z of the previous tile row's patch rows 2, 3.
        let left = plane, right = plane + 4 * wp, previous = plane + 8 * wp
        for c in 0..<channels {
            let src = dv + c * n + n0, out = dx + c * height * width
            previous.update(repeating: 0, count: 2 * wp)
            for i in 0...tileRows {
                left.update(repeating: 0, count: 8 * wp)
                if i < tileRows {
                    for j in 0..<tw {
                        let p = src + i * tw + j
                        // r = B ∂V over rows (column ν of r as a vector over the patch rows a), then
                        // ∂d = B over the columns of r: d.b is column b of ∂d.
                        @inline(__always) func column(_ nu: Int) -> V {
                            let e0 = p[nu * matrixStride], e1 = p[(4 + nu) * matrixStride]
                            let e2 = p[(8 + nu) * matrixStride], e3 = p[(12 + nu) * matrixStride]
                            return V(e0, e1 - e2 + e3, e1 + e2 - e0, -e3)
                        }
                        let d = Self.b(column(0), column(1), column(2), column(3))
                        for a in 0..<4 {
                            left[a * wp + 2 * j] = d.0[a]
                            left[a * wp + 2 * j + 1] = d.1[a]
                            right[a * wp + 2 * j + 2] = d.2[a]
                            right[a * wp + 2 * j + 3] = d.3[a]
                        }
                    }
                }
                for a in 0..<2 where 2 * i + a >= 1 && 2 * i + a <= height {
                    let row = out + (2 * i + a - 1) * width
                    for q in 1...width { row[q - 1] = (left[a * wp + q] + right[a * wp + q]) + previous[a * wp + q] }
                }
                for a in 0..<2 {
                    for q in 0..<wp { previous[a * wp + q] = left[(a + 2) * wp + q] + right[(a + 2) * wp + q] }
                }
            }
        }
    }
}
