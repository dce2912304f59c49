import NumericCore

/// Retrieval metrics of a query = gallery evaluation, from exact neighbour lists.
///
/// For query `q` with class `y_q`, `R_q` = number of *other* items of class `y_q`:
/// * `recall@K` (Song et al. 2016): fraction of **all** queries with at least one
///   same-class item among their `K` nearest neighbours (a query whose class has
///   one member can never hit, and counts as a miss);
/// * `precision@1`: fraction of queries with `R_q > 0` whose nearest neighbour has class `y_q`;
/// * `r-precision` (Musgrave et al. 2020): mean over queries with `R_q > 0` of
///   `|same-class items in the top R_q| / R_q`;
/// * `map@r`: mean over queries with `R_q > 0` of
///   `(1/R_q) Σ_{i ≤ R_q} P@i · 1[i-th neighbour has class y_q]`.
///
/// Queries with `R_q = 0` are left out of the last three (as in
/// pytorch-metric-learning's `AccuracyCalculator`).
public struct RetrievalMetrics: Sendable {
    public var recallAtK: [(k: Int, value: Double)]
    public var precisionAt1: Double
    public var rPrecision: Double
    public var mapAtR: Double
    /// Number of queries with `R_q > 0` (the denominator of the last three).
    public var queriesWithPositives: Int

    /// The metrics in report order: `recall@K`…, `precision@1`, `r-precision`, `map@r`.
    public var values: [(metric: MetricID, value: Double)] {
        recallAtK.map { (.recall($0.k), $0.value) } + [(.precisionAt1, precisionAt1), (.rPrecision, rPrecision), (.mapAtR, mapAtR)]
    }

    /// The metrics of `neighbors` (which must hold at least `max(recallK)` and
    /// `max R_q` neighbours per query) for items labelled `labels`.
    ///
    /// - Complexity: O(N · (max K + max R)).
    public init(neighbors: NearestNeighbors, labels: [Int32], recallK: [Int]) {
        let n = neighbors.count, k = neighbors.k
        precondition(labels.count == n, "\(labels.count) labels for \(n) queries")
        let classSize = _classSizes(labels)
        let maxK = recallK.max() ?? 0
        precondition(maxK <= k, "recall@\(maxK) needs \(maxK) neighbours, have \(k)")
        var firstHitCount = [Int](repeating: 0, count: maxK + 1)
        var hitsAt1 = 0, withPositives = 0
        var rPrecisionSum = 0.0, mapSum = 0.0
        labels.withUnsafeBufferPointer { y in
            classSize.withUnsafeBufferPointer { size in
                neighbors.keys.withUnsafeBufferPointer { nb in
                    for q in 0..<n {
                        let row = nb.baseAddress! + q * k
                        let label = y[q]
                        var first = 0
                        while first < maxK && y[_index(row[first])] != label { first += 1 }
                        firstHitCount[first] += 1
                        let r = size[q] - 1
                        guard r > 0 else { continue }
                        precondition(r <= k, "R = \(r) needs \(r) neighbours, have \(k)")
                        withPositives += 1
                        if y[_index(row[0])] == label { hitsAt1 += 1 }
                        var hits = 0
                        var precisionSum = 0.0
                        for i in 0..<r where y[_index(row[i])] == label {
                            hits += 1
                            precisionSum += Double(hits) / Double(i + 1)
                        }
                        rPrecisionSum += Double(hits) / Double(r)
                        mapSum += precisionSum / Double(r)
                    }
                }
            }
        }
        var cumulative = [Int](repeating: 0, count: maxK + 1)
        var running = 0
        for i in 0..<maxK {
            running += firstHitCount[i]
            cumulative[i + 1] = running
        }
        recallAtK = recallK.map { kk in (k: kk, value: n == 0 ? 0 : Double(cumulative[kk]) / Double(n)) }
        let m = Double(max(withPositives, 1))
        precisionAt1 = Double(hitsAt1) / m
        rPrecision = rPrecisionSum / m
        mapAtR = mapSum / m
        queriesWithPositives = withPositives
    }
}

/// For every item, the number of items (itself included) with its label.
func _classSizes(_ labels: [Int32]) -> [Int] {
    var counts: [Int32: Int] = [:]
    for y in labels { counts[y, default: 0] += 1 }
    return labels.map { counts[$0]! }
}

/// The neighbour index stored in the low half of a neighbour key.
@inline(__always)
func _index(_ key: UInt64) -> Int { Int(key & 0xFFFF_FFFF) }
