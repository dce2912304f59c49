import NumericCore

extension KMeans {
    /// k-means++ centres and each item's nearest centre.
    ///
    /// After a new centre `c`, item `i` (nearest centre `a(i)` at squared
    /// distance `D(i)`) can only move when `‖c − a(i)‖² < 4·D(i)` (triangle
    /// inequality), so only those items are measured; the items are split
    /// over the worker threads, and the draw uses one sequential `Double` sum,
    /// so the result does not depend on the thread count.
    func seedPlusPlus(_ x: Matrix) -> (Matrix, [Int32]) {
        let n = x.rows, d = x.cols, k = clusters
        var rng = SplitMix64.derived(seed: seed, stream: 0x6B6D_6561_6E73)
        var centroids = Matrix(rows: k, cols: d)
        var nearest = [Int32](repeating: 0, count: n)
        var minD = [Float](repeating: 0, count: n)
        var centreDistance = [Float](repeating: 0, count: k)
        let workers = context.workers
        x.storage.withUnsafeBufferPointer { xs in
            centroids.storage.withUnsafeMutableBufferPointer { cs in
                minD.withUnsafeMutableBufferPointer { md in
                    nearest.withUnsafeMutableBufferPointer { nr in
                        centreDistance.withUnsafeMutableBufferPointer { cd in
                            let xp = xs.baseAddress!, cp = cs.baseAddress!
                            let first = rng.nextInt(below: n)
                            cp.update(from: xp + first * d, count: d)
                            Parallel.forEachRange(n, parts: workers) { items in
                                for i in items { md[i] = _squaredDifference(xp + i * d, UnsafePointer(cp), d) }
                            }
                            for c in 1..<max(k, 1) {
                                var total = 0.0
                                for i in 0..<n { total += Double(md[i]) }
                                var chosen = rng.nextInt(below: n)
                                if total > 0 {
                                    let target = rng.nextUniform() * total
                                    var acc = 0.0
                                    chosen = n - 1
                                    for i in 0..<n {
                                        acc += Double(md[i])
                                        if acc > target && md[i] > 0 { chosen = i; break }
                                    }
                                }
                                let centre = UnsafePointer(cp + c * d)
                                (cp + c * d).update(from: xp + chosen * d, count: d)
                                Parallel.forEachRange(c, parts: workers) { centres in
                                    for a in centres { cd[a] = _squaredDifference(UnsafePointer(cp + a * d), centre, d) }
                                }
                                Parallel.forEachRange(n, parts: workers) { items in
                                    for i in items {
                                        // The 1e-4 slack keeps the skip safe under float rounding of both sides.
                                        guard cd[Int(nr[i])] < 4.0004 * md[i] else { continue }
                                        let dn = _squaredDifference(xp + i * d, centre, d)
                                        if dn < md[i] {
                                            md[i] = dn
                                            nr[i] = Int32(c)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (centroids, nearest)
    }

    /// k-means‖-style seeding: rounds of `batch` centres drawn with
    /// probability ∝ `D(i)²` (with replacement; repeats and items already at a
    /// centre are dropped), then `D²` and the nearest centre updated for all
    /// items with one GEMM against the round's centres.
    ///
    /// - Complexity: N·K·d multiply-adds in GEMM overall, plus O(N·K/batch)
    ///   for the draws and O(N·K) for the minima.
    func seedBatched(_ x: Matrix, batch: Int) -> (Matrix, [Int32]) {
        let n = x.rows, d = x.cols, k = clusters
        var rng = SplitMix64.derived(seed: seed, stream: 0x6B6D_6561_6E73)
        var centroids = Matrix(rows: k, cols: d)
        var nearest = [Int32](repeating: 0, count: n)
        var minD = [Float](repeating: .infinity, count: n)
        var chosen: [Int] = [rng.nextInt(below: n)]
        var isCentre = [Bool](repeating: false, count: n)
        isCentre[chosen[0]] = true
        var prefix = [Double](repeating: 0, count: n + 1)
        var done = 0
        let rows = min(n, blockSize)
        let workers = context.workers
        while true {
            // Update D² with the centres chosen since the last round: chosen[done...].
            let fresh = Array(chosen[done...])
            let batchCentres = x.gatherRows(fresh)
            for (r, i) in fresh.enumerated() {
                centroids.storage.withUnsafeMutableBufferPointer { cs in
                    x.storage.withUnsafeBufferPointer { xs in
                        (cs.baseAddress! + (done + r) * d).update(from: xs.baseAddress! + i * d, count: d)
                    }
                }
            }
            let m = fresh.count
            let centreNorms = (0..<m).map { r in batchCentres.storage.withUnsafeBufferPointer { _squaredNorm($0.baseAddress! + r * d, d) } }
            x.storage.withUnsafeBufferPointer { xs in
                batchCentres.storage.withUnsafeBufferPointer { cs in
                    minD.withUnsafeMutableBufferPointer { md in
                        nearest.withUnsafeMutableBufferPointer { nr in
                            // Each worker updates the rows of the blocks it takes, with its own GEMM.
                            _forEachRowBlock(n, blockRows: rows, workers: workers) { block, _ in
                                var scores = [Float](repeating: 0, count: block.count * m)
                                scores.withUnsafeMutableBufferPointer { sc in
                                    BLAS.gemm(
                                        .none, .transposed, m: block.count, n: m, k: d,
                                        a: xs.baseAddress! + block.lowerBound * d, lda: d, b: cs.baseAddress!, ldb: d,
                                        c: sc.baseAddress!, ldc: m)
                                }
                                for r in 0..<block.count {
                                    let i = block.lowerBound + r
                                    let xi = _squaredNorm(xs.baseAddress! + i * d, d)
                                    for j in 0..<m {
                                        let dn = max(0, xi + centreNorms[j] - 2 * scores[r * m + j])
                                        if dn < md[i] {
                                            md[i] = dn
                                            nr[i] = Int32(done + j)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for i in fresh { minD[i] = 0 }
            done = chosen.count
            if done == k { break }
            // Draw the next round from the D² distribution.
            for i in 0..<n { prefix[i + 1] = prefix[i] + Double(minD[i]) }
            let total = prefix[n]
            let want = min(batch, k - done)
            var attempts = 0
            while chosen.count < done + want && attempts < 8 * want {
                attempts += 1
                var i: Int
                if total > 0 {
                    let target = rng.nextUniform() * total
                    var lo = 0, hi = n - 1
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if prefix[mid + 1] > target { hi = mid } else { lo = mid + 1 }
                    }
                    i = lo
                } else {
                    i = rng.nextInt(below: n)
                }
                if isCentre[i] { continue }
                isCentre[i] = true
                chosen.append(i)
            }
            if chosen.count == done {
                // Every draw hit an existing centre (only duplicates left): take unused items in order.
                var i = 0
                while chosen.count < done + want && i < n {
                    if !isCentre[i] { isCentre[i] = true; chosen.append(i) }
                    i += 1
                }
            }
        }
        return (centroids, nearest)
    }
}
