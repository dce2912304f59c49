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
        // Each anchor's weights do not depend on the draws: rows of the workspaces, on the
        // context's workers, each anchor whole on one (the same arithmetic in the same order);
        // then the draws, serially in (anchor, positive) order as one loop would take them.
        Workspace.reserve(&negativeScratch, b * b)
        Workspace.reserve(&weightScratch, b * b)
        Workspace.reserve(&anchorNegatives, b)
        Workspace.reserve(&anchorTotals, b)
        distances.storage.withUnsafeBufferPointer { dist in
        labels.withUnsafeBufferPointer { y in
        negativeScratch.withUnsafeMutableBufferPointer { negatives in
        weightScratch.withUnsafeMutableBufferPointer { weights in
        anchorNegatives.withUnsafeMutableBufferPointer { counts in
        anchorTotals.withUnsafeMutableBufferPointer { totals in
            let d = dist.baseAddress!, yp = y.baseAddress!
            let negativesBase = negatives.baseAddress!, weightsBase = weights.baseAddress!
            Parallel.forEachChunk(b, chunk: 16, workers: context.parts(forWork: b * b * 16)) { _, anchors in
                for a in anchors {
                    let row = d + a * b, negative = negativesBase + a * b, weight = weightsBase + a * b
                    var count = 0
                    var largest = -Double.infinity
                    for k in 0..<b where yp[k] != yp[a] {
                        var dk = Double(row[k])
                        if squared { dk = dk.squareRoot() }
                        let logWeight: Double
                        if dk >= Self.nonzeroLossCutoff {
                            logWeight = -.infinity
                        } else {
                            dk = max(dk, Self.distanceCutoff)
                            logWeight = -((n - 2) * log(dk) + (n - 3) / 2 * log(max(1 - dk * dk / 4, 1e-8)))
                        }
                        negative[count] = Int32(k)
                        weight[count] = logWeight
                        largest = max(largest, logWeight)
                        count += 1
                    }
                    // The running sums of exp(log w − largest): the draws' cumulative weights.
                    var total = 0.0
                    for i in 0..<count {
                        if largest > -.infinity { total += exp(weight[i] - largest) }
                        weight[i] = total
                    }
                    counts[a] = count
                    totals[a] = total
                }
            }
            for a in 0..<b {
                let count = counts[a], total = totals[a]
                if count == 0 { continue }
                let negative = negativesBase + a * b, weight = weightsBase + a * b
                for p in 0..<b where p != a && yp[p] == yp[a] {
                    let pick: Int
                    if total > 0 && total.isFinite {
                        let u = rng.nextUniform() * total
                        var lo = 0, hi = count - 1
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if weight[mid] > u { hi = mid } else { lo = mid + 1 }
                        }
                        pick = lo
                    } else {
                        pick = rng.nextInt(below: count)
                    }
                    triplets.append(a, p, Int(negative[pick]))
                }
            }
        }
        }
        }
        }
        }
        }
    }
}
