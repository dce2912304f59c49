import NumericCore

/// FaceNet's verification rates over all unordered pairs `{i, j}`, `i ≠ j`, with
/// squared euclidean distance `D²` (Schroff et al. 2015, eq. 5–7):
/// `VAL(d) = |{same-class pairs with D² ≤ d}| / |same-class pairs|`,
/// `FAR(d) = |{different-class pairs with D² ≤ d}| / |different-class pairs|`.
///
/// `val@far=F` is `VAL(d)` at the largest `d` with `FAR(d) ≤ F`: with the
/// different-class distances sorted, `δ_0 ≤ δ_1 ≤ …`, and `c` the largest
/// count with `c / |different| ≤ F`, it is the fraction of same-class pairs
/// with `D² < δ_c` (all of them when `c = |different|`); 0 when there is no
/// same-class pair.
///
/// Exact (all pair distances kept and radix-sorted) up to a pair limit; above
/// it, a histogram over the float bit pattern (2¹¹ bins per octave, relative
/// bin width 2⁻¹¹ ≈ 5·10⁻⁴) whose error in VAL is at most the fraction of
/// same-class pairs in the one bin holding `δ_c` — in practice ≪ 10⁻³.
///
/// - Complexity: O(N²) time after the distances; memory O(N²) floats when
///   exact, O(2²⁰) counters per worker otherwise.
public struct VerificationMetrics: Sendable {
    /// `VAL` at each requested `FAR` bound, in the order asked.
    public var valAtFar: [(far: Double, value: Double)]
    /// The ROC curve: points `(FAR, VAL)` at up to `rocPoints` thresholds log-spaced in FAR.
    public var roc: [(far: Double, val: Double)]
    /// False when the histogram approximation was used.
    public var isExact: Bool
    public var samePairs: Int
    public var differentPairs: Int

    /// The metrics in report order: `val@far=F`… as asked.
    public var values: [(metric: MetricID, value: Double)] { valAtFar.map { (.valAtFAR($0.far), $0.value) } }
}

/// Collects the pair distances of a sweep, exactly or as a histogram, and answers VAL@FAR queries.
///
/// Concurrency: ``consume(_:worker:)`` may run for different workers at once;
/// each worker writes only its own ``_PairBins``, merged when the result is asked for.
final class _VerificationAccumulator: @unchecked Sendable {
    let exact: Bool
    let labels: [Int32]
    let samePairs: Int, differentPairs: Int
    /// One per sweep worker.
    private let bins: [_PairBins]

    static let binShift: UInt32 = 12
    static let binCount = Int(Float.infinity.bitPattern >> binShift) + 1

    init(labels: [Int32], exact: Bool, workers: Int) {
        self.labels = labels
        self.exact = exact
        let n = labels.count
        let same = _classSizes(labels).reduce(0) { $0 + ($1 - 1) } / 2
        samePairs = same
        differentPairs = n * (n - 1) / 2 - same
        bins = (0..<max(1, workers)).map { _ in _PairBins(histogram: exact ? 0 : Self.binCount) }
        if exact, let first = bins.first {
            // The sweep's tiles are shared about evenly among the workers.
            first.same.reserveCapacity(samePairs / bins.count + 1)
            first.different.reserveCapacity(differentPairs / bins.count + 1)
        }
    }

    /// Adds the tile's pairs (upper triangle on the diagonal) to `worker`'s bins.
    func consume(_ tile: _DistanceTile, worker: Int) {
        let own = bins[worker]
        labels.withUnsafeBufferPointer { y in
            let yc = y.baseAddress! + tile.cols.lowerBound
            if exact {
                for r in 0..<tile.rows.count {
                    let yi = y[tile.rows.lowerBound + r]
                    for c in (tile.isDiagonal ? r + 1 : 0)..<tile.cols.count {
                        let bits = tile.distance(r, c).bitPattern
                        if yc[c] == yi { own.same.append(bits) } else { own.different.append(bits) }
                    }
                }
                return
            }
            let shift = Self.binShift
            own.sameHistogram.withUnsafeMutableBufferPointer { hs in
                own.differentHistogram.withUnsafeMutableBufferPointer { hd in
                    for r in 0..<tile.rows.count {
                        let yi = y[tile.rows.lowerBound + r]
                        for c in (tile.isDiagonal ? r + 1 : 0)..<tile.cols.count {
                            let bin = Int(tile.distance(r, c).bitPattern >> shift)
                            if yc[c] == yi { hs[bin] &+= 1 } else { hd[bin] &+= 1 }
                        }
                    }
                }
            }
        }
    }

    /// VAL at each FAR bound and the ROC curve.
    func result(fars: [Double], rocPoints: Int = 200) -> VerificationMetrics {
        let counter = makeCounter()
        let nd = differentPairs, ns = samePairs
        func point(allowed c: Int) -> (far: Double, val: Double) {
            let (differentBelow, sameBelow) = c >= nd ? (nd, ns) : counter(c)
            return (nd == 0 ? 0 : Double(differentBelow) / Double(nd), ns == 0 ? 0 : Double(sameBelow) / Double(ns))
        }
        let vals = fars.map { f in (far: f, value: point(allowed: Self.allowedCount(far: f, of: nd)).val) }
        var roc: [(far: Double, val: Double)] = []
        if nd > 0 {
            let steps = max(2, rocPoints)
            let lo = 1 / Double(nd)
            var lastCount = -1
            for s in 0..<steps {
                let f = s == steps - 1 ? 1 : lo * _power(1 / lo, Double(s) / Double(steps - 1))
                let c = Self.allowedCount(far: f, of: nd)
                if c == lastCount { continue }
                lastCount = c
                let p = point(allowed: c)
                if let last = roc.last, last.far == p.far, last.val == p.val { continue }
                roc.append(p)
            }
        }
        return VerificationMetrics(valAtFar: vals, roc: roc, isExact: exact, samePairs: ns, differentPairs: nd)
    }

    /// The largest count `c` of different pairs with `c / total ≤ far`.
    static func allowedCount(far: Double, of total: Int) -> Int {
        var c = Int(min(Double(total), max(0, (far * Double(total)).rounded(.down))))
        while c < total && Double(c + 1) / Double(total) <= far { c += 1 }
        while c > 0 && Double(c) / Double(total) > far { c -= 1 }
        return c
    }

    /// For `c < differentPairs`: (different pairs, same pairs) strictly below the threshold `δ_c`.
    private func makeCounter() -> (Int) -> (Int, Int) {
        if exact {
            var same = bins.flatMap(\.same), different = bins.flatMap(\.different)
            _radixSort(&same)
            _radixSort(&different)
            let s = same, d = different
            return { c in
                let t = d[c]
                return (_lowerBound(d, t), _lowerBound(s, t))
            }
        }
        var sameCum = [Int](repeating: 0, count: Self.binCount + 1)
        var diffCum = sameCum
        for b in 0..<Self.binCount {
            var sc = 0, dc = 0
            for own in bins {
                sc += Int(own.sameHistogram[b])
                dc += Int(own.differentHistogram[b])
            }
            sameCum[b + 1] = sameCum[b] + sc
            diffCum[b + 1] = diffCum[b] + dc
        }
        return { c in
            // The bin holding δ_c: the first whose cumulative count exceeds c.
            var lo = 0, hi = Self.binCount
            while lo < hi {
                let mid = (lo + hi) / 2
                if diffCum[mid + 1] > c { hi = mid } else { lo = mid + 1 }
            }
            return (diffCum[lo], sameCum[lo])
        }
    }
}

/// One worker's share of the pair distances: float bit patterns (exact mode) or bin counts.
final class _PairBins {
    var same: [UInt32] = []
    var different: [UInt32] = []
    var sameHistogram: [UInt32]
    var differentHistogram: [UInt32]

    init(histogram bins: Int) {
        sameHistogram = [UInt32](repeating: 0, count: bins)
        differentHistogram = sameHistogram
    }
}

/// Index of the first element `≥ value` in the ascending array `a`.
func _lowerBound(_ a: [UInt32], _ value: UInt32) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Sorts in place with a three-pass (11-bit) LSD radix sort — for non-negative
/// float bit patterns, the same order as the floats.
///
/// - Complexity: O(n) time, n extra words.
func _radixSort(_ a: inout [UInt32]) {
    let n = a.count
    guard n > 1 else { return }
    var scratch = [UInt32](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { src0 in
        scratch.withUnsafeMutableBufferPointer { dst0 in
            var src = src0.baseAddress!, dst = dst0.baseAddress!
            var counts = [Int](repeating: 0, count: 2048)
            for pass in 0..<3 {
                let shift = UInt32(pass * 11)
                for b in 0..<2048 { counts[b] = 0 }
                for i in 0..<n { counts[Int((src[i] >> shift) & 2047)] += 1 }
                var sum = 0
                for b in 0..<2048 {
                    let c = counts[b]
                    counts[b] = sum
                    sum += c
                }
                for i in 0..<n {
                    let v = src[i]
                    let b = Int((v >> shift) & 2047)
                    dst[counts[b]] = v
                    counts[b] += 1
                }
                swap(&src, &dst)
            }
            // Three passes leave the result in the scratch buffer.
            src0.baseAddress!.update(from: src, count: n)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
