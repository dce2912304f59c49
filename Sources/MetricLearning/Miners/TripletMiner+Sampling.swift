import NumericCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TripletMiner {
    /// Distances below this are treated as this (Wu et al. 2017).
    static let distanceCutoff = 0.5
    /// Negatives at or beyond this euclidean distance get weight 0 (Wu et al. 2017).
    static let nonzeroLossCutoff = 1.4

    /// Distance-weighted sampling (Wu et al. 2017, "Sampling matters in deep
    /// embedding learning"): for every anchor–positive pair, one negative drawn
    /// with probability ∝ q(d)⁻¹, where
    /// `q(d) ∝ d^{n−2} (1 − d²/4)^{(n−3)/2}` is the density of distances
    /// between uniform points on the unit sphere in Rⁿ, d is the euclidean
    /// distance clamped at ≥ 0.5, and `1 − d²/4` clamped at ≥ 1e-8 so that
    /// antipodal points stay finite. q⁻¹ grows at both ends of [0, 2]; as in
    /// the authors' code (and pytorch-metric-learning's
    /// `DistanceWeightedMiner(cutoff=0.5, nonzero_loss_cutoff=1.4)`), the cap
    /// `min(λ, q⁻¹)` is realised by the clamp at small d and by giving weight
    /// 0 to negatives at d ≥ 1.4, which cannot give a non-zero loss term.
    /// Weights are normalised per anchor in log space (the largest is 1); if
    /// no negative has a positive weight, the draw is uniform.
    mutating func mineDistanceWeighted(
        _ distances: Matrix, _ distanceKind: DistanceKind, _ labels: [Int32], _ dimension: Int,
        _ triplets: inout TripletIndices, _ rng: inout SplitMix64
    ) {
        let b = labels.count
        let n = Double(max(dimension, 2))
        let squared = distanceKind == .squaredEuclidean
        distances.storage.withUnsafeBufferPointer { dist in
            for a in 0..<b {
                negativeScratch.removeAll(keepingCapacity: true)
                weightScratch.removeAll(keepingCapacity: true)
                var largest = -Double.infinity
                for k in 0..<b where labels[k] != labels[a] {
                    var d = Double(dist[a * b + k])
                    if squared { d = d.squareRoot() }
                    let logWeight: Double
                    if d >= Self.nonzeroLossCutoff {
                        logWeight = -.infinity
                    } else {
                        d = max(d, Self.distanceCutoff)
                        logWeight = -((n - 2) * log(d) + (n - 3) / 2 * log(max(1 - d * d / 4, 1e-8)))
                    }
                    negativeScratch.append(Int32(k))
                    weightScratch.append(logWeight)
                    largest = max(largest, logWeight)
                }
                if negativeScratch.isEmpty { continue }
                var total = 0.0
                for i in weightScratch.indices {
                    if largest > -.infinity { total += exp(weightScratch[i] - largest) }
                    weightScratch[i] = total
                }
                for p in 0..<b where p != a && labels[p] == labels[a] {
                    let pick: Int
                    if total > 0 && total.isFinite {
                        let u = rng.nextUniform() * total
                        var lo = 0, hi = weightScratch.count - 1
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if weightScratch[mid] > u { hi = mid } else { lo = mid + 1 }
                        }
                        pick = lo
                    } else {
                        pick = rng.nextInt(below: negativeScratch.count)
                    }
                    triplets.append(a, p, Int(negativeScratch[pick]))
                }
            }
        }
    }
}
