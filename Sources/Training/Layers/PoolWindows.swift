/// The 2×2 stride-2 pooling windows of one `H' × W'` plane of pre-activations
/// (rows `rowStride` apart), fused with the bias and the ReLU for
/// ``ConvReLUPool``: four windows at a time (the SSE width of the baseline
/// x86-64 build) with `SIMD8` loads split into their even and odd lanes (the
/// two columns of each window). A row of at least four windows whose count
/// is not a multiple of four ends with a block that overlaps the previous one
/// (recomputing a window writes the same values; backward's sum skips the
/// repeated lanes), so no window is left to slow, unpredictable scalar
/// branches; rows of fewer than four windows go one by one.
struct _PoolWindows {
    /// Pooled rows and columns, `⌊H'/2⌋ × ⌊W'/2⌋`.
    let rows: Int, cols: Int
    /// Floats between two pre-activation rows, `W'`.
    let rowStride: Int

    typealias V = SIMD4<Float>
    typealias W = SIMD8<Float>

    @inline(__always) private static func loadW(_ p: UnsafePointer<Float>) -> W { UnsafeRawPointer(p).loadUnaligned(as: W.self) }
    @inline(__always) private static func loadV(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    /// The first window of each block of a row: 0, 4, 8, … and, when the row's count is not a
    /// multiple of four, `cols − 4` last; empty when the row has fewer than four windows.
    @inline(__always) private func blockStarts() -> (full: Int, last: Int?) {
        guard cols >= 4 else { return (0, nil) }
        return (cols / 4, cols % 4 == 0 ? nil : cols - 4)
    }

    /// `y = max(a + β over the window, 0)` and the window position (0–3, row-major, first on ties) of
    /// `a + β`'s maximum into `choice`; both `rows · cols`, row-major.
    func forward(_ a: UnsafePointer<Float>, bias beta: Float, _ y: UnsafeMutablePointer<Float>, _ choice: UnsafeMutablePointer<UInt8>) {
        let ow = rowStride, b = V(repeating: beta)
        let (full, last) = blockStarts()
        for i in 0..<rows {
            let top = a + 2 * i * ow, bottom = top + ow, row = i * cols
            @inline(__always) func block(_ j: Int) {
                let t = Self.loadW(top + 2 * j), u = Self.loadW(bottom + 2 * j)
                let v1 = t.oddHalf + b, v2 = u.evenHalf + b, v3 = u.oddHalf + b
                var best = t.evenHalf + b, at = SIMD4<Int32>(repeating: 0)
                var m = v1 .> best
                best.replace(with: v1, where: m); at.replace(with: 1, where: m)
                m = v2 .> best
                best.replace(with: v2, where: m); at.replace(with: 2, where: m)
                m = v3 .> best
                best.replace(with: v3, where: m); at.replace(with: 3, where: m)
                UnsafeMutableRawPointer(y + row + j).storeBytes(of: V.zero.replacing(with: best, where: best .> 0), as: V.self)
                UnsafeMutableRawPointer(choice + row + j).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: at), as: SIMD4<UInt8>.self)
            }
            for q in 0..<full { block(4 * q) }
            if let last { block(last) }
            if full > 0 { continue }
            var j = 0, out = row
            while j < cols {
                let corner = top + 2 * j
                var best = corner[0] + beta, at: UInt8 = 0
                let v1 = corner[1] + beta, v2 = corner[ow] + beta, v3 = corner[ow + 1] + beta
                if v1 > best { best = v1; at = 1 }
                if v2 > best { best = v2; at = 2 }
                if v3 > best { best = v3; at = 3 }
                y[out] = best > 0 ? best : 0
                choice[out] = at
                j += 1
                out += 1
            }
        }
    }

    /// Writes every window of `da`: `dy` at the chosen position where `y > 0`, zeros elsewhere
    /// (a trailing odd row or column of the plane is left alone); returns `Σ da`.
    func backward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ choice: UnsafePointer<UInt8>, _ da: UnsafeMutablePointer<Float>) -> Float {
        let ow = rowStride
        var sums = V.zero, tail: Float = 0
        let (full, last) = blockStarts()
        // The lanes of the overlapping last block that an earlier block already summed.
        let repeated = SIMD4<Int32>(0, 1, 2, 3) .< SIMD4<Int32>(repeating: Int32(full * 4 - (last ?? 0)))
        for i in 0..<rows {
            let top = da + 2 * i * ow, bottom = top + ow, row = i * cols
            @inline(__always) func block(_ j: Int) -> V {
                let at = row + j
                let g = V.zero.replacing(with: Self.loadV(dy + at), where: Self.loadV(y + at) .> 0)
                let c = SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(choice + at).loadUnaligned(as: SIMD4<UInt8>.self))
                var upper = W(), lower = W()
                upper.evenHalf = V.zero.replacing(with: g, where: c .== 0)
                upper.oddHalf = V.zero.replacing(with: g, where: c .== 1)
                lower.evenHalf = V.zero.replacing(with: g, where: c .== 2)
                lower.oddHalf = V.zero.replacing(with: g, where: c .== 3)
                UnsafeMutableRawPointer(top + 2 * j).storeBytes(of: upper, as: W.self)
                UnsafeMutableRawPointer(bottom + 2 * j).storeBytes(of: lower, as: W.self)
                return g
            }
            for q in 0..<full { sums += block(4 * q) }
            if let last { sums += block(last).replacing(with: 0, where: repeated) }
            if full > 0 { continue }
            var j = 0, at = row
            while j < cols {
                let g = y[at] > 0 ? dy[at] : 0, c = choice[at]
                top[2 * j] = c == 0 ? g : 0
                top[2 * j + 1] = c == 1 ? g : 0
                bottom[2 * j] = c == 2 ? g : 0
                bottom[2 * j + 1] = c == 3 ? g : 0
                tail += g
                j += 1
                at += 1
            }
        }
        return sums.sum() + tail
    }
}
