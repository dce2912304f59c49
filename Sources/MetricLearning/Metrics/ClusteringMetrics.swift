/// Agreement between a clustering `Ω` (cluster ids) and the classes `C` (labels),
/// from their contingency table `n_kc` (items in cluster k with class c).
///
/// * `nmi = 2 I(Ω; C) / (H(Ω) + H(C))`, natural log, with
///   `I = Σ_kc (n_kc/N) log(N n_kc / (n_k n_c))` and `H(Ω) = −Σ_k (n_k/N) log(n_k/N)`
///   — scikit-learn's `normalized_mutual_info_score` (arithmetic mean); 1 when
///   both partitions have a single part.
/// * `f1`: the pairwise clustering F-measure (Manning et al., *Introduction to
///   Information Retrieval*, §16.3): over unordered item pairs, `TP = Σ_kc C(n_kc, 2)`,
///   `TP + FP = Σ_k C(n_k, 2)`, `TP + FN = Σ_c C(n_c, 2)`; `P = TP/(TP+FP)`,
///   `R = TP/(TP+FN)`, `F1 = 2PR/(P+R)` (0 when `TP = 0`).
///
/// - Complexity: O(N) expected (hashing), never O(N²).
public struct ClusteringMetrics: Sendable, Equatable {
    public var nmi: Double
    public var f1: Double
    /// The pair counts behind `f1`.
    public var truePositives: Int, falsePositives: Int, falseNegatives: Int

    /// The metrics in report order: `nmi`, `f1`.
    public var values: [(metric: MetricID, value: Double)] { [(.nmi, nmi), (.f1, f1)] }

    public init(assignments: [Int32], labels: [Int32]) {
        precondition(assignments.count == labels.count, "\(assignments.count) assignments for \(labels.count) labels")
        let n = labels.count
        var cell: [Int64: Int] = [:]
        var clusterSize: [Int32: Int] = [:]
        var classSize: [Int32: Int] = [:]
        for i in 0..<n {
            let a = assignments[i], y = labels[i]
            cell[Int64(a) << 32 | Int64(UInt32(bitPattern: y)), default: 0] += 1
            clusterSize[a, default: 0] += 1
            classSize[y, default: 0] += 1
        }
        func pairs(_ m: Int) -> Int { m * (m - 1) / 2 }
        // Sum in a fixed key order so the floating-point result does not depend on hashing.
        let cells = cell.sorted { $0.key < $1.key }
        let clusters = clusterSize.sorted { $0.key < $1.key }.map(\.value)
        let classes = classSize.sorted { $0.key < $1.key }.map(\.value)

        let tp = cells.reduce(0) { $0 + pairs($1.value) }
        let sameCluster = clusters.reduce(0) { $0 + pairs($1) }
        let sameClass = classes.reduce(0) { $0 + pairs($1) }
        truePositives = tp
        falsePositives = sameCluster - tp
        falseNegatives = sameClass - tp
        let precision = sameCluster == 0 ? 0 : Double(tp) / Double(sameCluster)
        let recall = sameClass == 0 ? 0 : Double(tp) / Double(sameClass)
        f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)

        let total = Double(n)
        func entropy(_ sizes: [Int]) -> Double {
            sizes.reduce(0.0) { h, m in
                let p = Double(m) / total
                return h - p * _naturalLog(p)
            }
        }
        let hOmega = entropy(clusters), hC = entropy(classes)
        if clusters.count == classes.count && clusters.count <= 1 {
            nmi = 1
        } else {
            var mutual = 0.0
            for (key, m) in cells {
                let a = Int32(truncatingIfNeeded: key >> 32)
                let y = Int32(bitPattern: UInt32(truncatingIfNeeded: key))
                let nk = Double(clusterSize[a]!), nc = Double(classSize[y]!)
                mutual += Double(m) / total * _naturalLog(total * Double(m) / (nk * nc))
            }
            let denominator = hOmega + hC
            nmi = denominator == 0 ? 0 : max(0, 2 * mutual / denominator)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _naturalLog(_ x: Double) -> Double { log(x) }
