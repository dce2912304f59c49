import Foundation
import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// The semi-hard miner's C choice pass and the margin loss's fused row passes
// against their former serial loops, bit for bit, for several worker counts.

/// Batches of the shapes the training rows use (4 classes × 32 or 64), one
/// with a tail (not a multiple of 8) and duplicate rows (exact ties, D = 0).
private func rowPassBatches() -> [(String, Matrix, [Int32])] {
    let (x128, y128) = randomBatch(seed: 31, classes: 4, perClass: 32, dim: 16)
    let (x256, y256) = randomBatch(seed: 32, classes: 4, perClass: 64, dim: 16)
    let (x133, y133) = fastPathBatch(seed: 33, classes: 7, perClass: 19, duplicates: true)
    return [("B128", x128, y128), ("B256", x256, y256), ("B133 duplicates", x133, y133)]
}

/// The former Swift loop after the ranking: one table of the smallest key per
/// rank, then the suffix minimum and the window test per positive.
private func serialSemihardChoose(
    _ row: [Float], _ keys: [UInt64], _ values: [Float], _ indices: [Int32], _ ranks: [Int32], margin: Float,
    chosen: inout [Int32]
) {
    let k = keys.count
    var best = [UInt64](repeating: .max, count: k + 1)
    for j in 0..<values.count {
        let r = Int(ranks[j])
        best[r] = min(best[r], SortKey.make(values[j], Int(indices[j])))
    }
    var nearest = UInt64.max
    for t in stride(from: k - 1, through: 0, by: -1) {
        nearest = min(nearest, best[t + 1])
        if nearest == .max { continue }
        let p = Int(truncatingIfNeeded: keys[t] & 0xFFFF_FFFF)
        let n = Int(truncatingIfNeeded: nearest & 0xFFFF_FFFF)
        if row[n] < row[p] + margin { chosen[p] = Int32(truncatingIfNeeded: n) }
    }
}

@Test func semihardChooseKernelMatchesTheSwiftLoop() {
    var rng = SplitMix64(seed: 41)
    var cases = 0, choices = 0
    for trial in 0..<400 {
        let b = 2 + Int(rng.next() % 300)
        // Values on a coarse grid (many exact ties), ±0 among them.
        let row: [Float] = (0..<b).map { _ in
            let v = Float(Int(rng.next() % 40)) / 16
            return v == 0 && rng.next() % 2 == 0 ? -0.0 : v
        }
        var order = Array(0..<b)
        for i in stride(from: b - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let k = 1 + Int(rng.next() % UInt64(max(1, b / 2)))
        let positives = order.prefix(k), negatives = order.dropFirst(k)
        let keys = positives.map { SortKey.make(row[$0], $0) }.sorted()
        let sorted = keys.map { SortKey.value($0) }
        // Candidates in index order; strict ranks as the miner computes them, or (every
        // other trial) any rank in 0...k, which the kernel must treat alike.
        let candidates = negatives.sorted().filter { _ in rng.next() % 4 != 0 }
        let values = candidates.map { row[$0] }
        let ranks: [Int32] = values.map { v in
            trial % 2 == 0 ? Int32(sorted.filter { $0 < v }.count) : Int32(rng.next() % UInt64(k + 1))
        }
        let indices = candidates.map { Int32($0) }
        let margin: Float = [0.05, 0.2, 1.0][trial % 3]
        var want = [Int32](repeating: -1, count: b), got = want
        serialSemihardChoose(row, keys, values, indices, ranks, margin: margin, chosen: &want)
        var best = [UInt64](repeating: 0, count: 4 * (k + 1))
        mb_semihard_choose(row, keys, k, values, indices, ranks, values.count, margin, &best, &got)
        #expect(got == want, "trial \(trial): b \(b), k \(k), \(values.count) candidates")
        cases += 1
        choices += want.filter { $0 >= 0 }.count
    }
    #expect(cases == 400 && choices > 1_000)  // the windows do choose negatives
}

/// Semi-hard triplet loss, fused with the miner, against the brute-force
/// selection evaluated in the fused path's order (per anchor, positives in
/// index order, each anchor's term sum in double, the sums added in anchor
/// order): the loss, counts and gradient bit for bit, with 1, 2 and 3
/// workers, two calls each (stale scratch would show in the second).
@Test func tripletSemihardIsBitwiseItsSerialPathForEveryWorkerCount() throws {
    for (name, x, y) in rowPassBatches() {
        let b = y.count
        for distanceKind in DistanceKind.allCases {
            for margin in [0.05, 0.2] {
                for reducer in [ReducerKind.mean, .nonzeroMean] {
                    var distance = PairwiseDistance(kind: distanceKind)
                    distance.compute(x)
                    let triplets = referenceTriplets(.semihard, distance.values, y, margin: Float(margin))
                    var coefficients = Matrix(rows: b, cols: b)
                    var anchorTotals = [Double](repeating: 0, count: b), active = 0
                    for t in 0..<triplets.count {
                        let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), n = Int(triplets.negatives[t])
                        if _hinge(distance.values[a, p], distance.values[a, n], Float(margin), total: &anchorTotals[a], active: &active) {
                            coefficients[a, p] += 1
                            coefficients[a, n] -= 1
                        }
                    }
                    var total = 0.0
                    for a in 0..<b { total += anchorTotals[a] }
                    let denominator = reducer == .mean ? triplets.count : active
                    var wantGradient = Matrix(rows: 0, cols: 0)
                    distance.backward(embeddings: x, coefficients: &coefficients, gradient: &wantGradient,
                                      scale: Float(1 / Double(denominator)))
                    let wantLoss = total / Double(denominator)
                    for workers in 1...3 {
                        var loss = try makeBatchLoss(
                            LossConfiguration(loss: .triplet, mining: .semihard, margin: margin, distance: distanceKind, reducer: reducer),
                            context: ComputeContext(workers: workers))
                        for call in 0..<2 {
                            var gradient = Matrix(rows: 0, cols: 0)
                            let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
                            let label = "\(name) \(distanceKind) margin \(margin) \(reducer) workers \(workers) call \(call)"
                            #expect(triplets.count > 0 && active > 0, "\(label)")
                            #expect(result.tuples == triplets.count, "\(label)")
                            #expect(result.activeFraction == Double(active) / Double(triplets.count), "\(label)")
                            #expect(result.loss.bitPattern == wantLoss.bitPattern, "\(label)")
                            #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "\(label)")
                        }
                    }
                }
            }
        }
    }
}

/// The margin loss over all triplets as its former passes computed it, one
/// serial loop each: multiplicities, distances in double from the Gram matrix,
/// per-pair hinge terms summed in row-major order (+0 for inactive pairs),
/// W = C · scale / D, each row's weight sum by the loop `r_i += W_ij; r_j += W_ij`,
/// then the symmetric backward, `g_i += Float(r_i) u_i` and the normalisation's
/// backward in separate passes.
private func serialMarginAll(_ x: Matrix, _ y: [Int32], _ p: MarginLoss.Parameters) -> (LossResult, Double, Matrix) {
    let b = y.count, context = ComputeContext.serial
    var pc = [Int](repeating: 0, count: b), nc = pc, tripletCount = 0
    for a in 0..<b {
        for j in 0..<b where y[j] == y[a] && j != a { pc[a] += 1 }
        nc[a] = b - 1 - pc[a]
        tripletCount += pc[a] * nc[a]
    }
    var unit = _UnitRows()
    unit.forward(x, context: context)
    var gram = Matrix(rows: 0, cols: 0)
    _Cosine.similarities(unit.unit, unit.unit, into: &gram, context: context)
    let sq = (0..<b).map { Double(gram[$0, $0]) }
    var distances = Matrix(rows: b, cols: b)
    for i in 0..<b {
        for j in 0..<b { distances[i, j] = i == j ? 0 : Float(max(sq[i] + sq[j] - 2 * Double(gram[i, j]), 0).squareRoot()) }
    }
    let beta = Float(p.beta), margin = Float(p.margin)
    var c = Matrix(rows: b, cols: b), terms = [Double](repeating: 0, count: b * b)
    var activePositive = 0, activeNegative = 0
    for i in 0..<b {
        for j in 0..<b where j != i {
            if y[j] == y[i] {
                let h = distances[i, j] - beta + margin
                if h > 0 { terms[i * b + j] = Double(h) * Double(nc[i]); activePositive += nc[i]; c[i, j] = Float(nc[i]) }
            } else {
                let h = beta - distances[i, j] + margin
                if h > 0 { terms[i * b + j] = Double(h) * Double(pc[i]); activeNegative += pc[i]; c[i, j] = 0 - Float(pc[i]) }
            }
        }
    }
    var sum = 0.0
    for k in 0..<(b * b) { sum += terms[k] }
    let divisor = activePositive + activeNegative
    let regulariser = p.learnBeta ? p.nu * p.beta : 0
    var betaGradient = p.learnBeta ? p.nu : 0
    let scale = 1 / Double(divisor)
    betaGradient += Double(activeNegative - activePositive) * scale
    var r = [Double](repeating: 0, count: b)
    for i in 0..<b {
        for j in 0..<b {
            let dist = distances[i, j]
            let w = dist > 0 ? Double(c[i, j]) * scale / Double(dist) : 0
            c[i, j] = Float(-w)
            r[i] += w
            r[j] += w
        }
    }
    var gradient = Matrix(rows: b, cols: x.cols)
    _Cosine.backwardSymmetric(coefficients: &c, unit.unit, gradient: &gradient, context: context)
    for i in 0..<b {
        for k in 0..<x.cols { gradient[i, k] += Float(r[i]) * unit.unit[i, k] }
    }
    unit.backward(&gradient, context: context)
    let result = LossResult(loss: sum * scale + regulariser, tuples: tripletCount,
                            activeFraction: Double(divisor) / Double(2 * tripletCount))
    return (result, betaGradient, gradient)
}

/// Margin loss, all triplets: the fused row pass (multiplicities counted per
/// row, active terms compacted) and the fused `g + r u` / normalisation
/// backward give the former serial loops' loss, β gradient and embedding
/// gradient bit for bit, with 1, 2 and 3 workers, two calls each.
@Test func marginAllIsBitwiseItsFormerSerialPassForEveryWorkerCount() throws {
    let parameters: [MarginLoss.Parameters] = [.init(), .init(margin: 1.5, beta: 1.2, learnBeta: true, nu: 0.1),
                                               .init(margin: 0.05, beta: 0.9)]
    for (name, x, y) in rowPassBatches() {
        for p in parameters {
            let (want, wantBeta, wantGradient) = serialMarginAll(x, y, p)
            for workers in 1...3 {
                var loss = MarginLoss(p, context: ComputeContext(workers: workers))
                for call in 0..<2 {
                    var gradient = Matrix(rows: 0, cols: 0)
                    let result = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &gradient)
                    let label = "\(name) \(p) workers \(workers) call \(call)"
                    #expect(want.activeFraction > 0, "\(label)")
                    #expect(result.loss.bitPattern == want.loss.bitPattern, "\(label)")
                    #expect(result.tuples == want.tuples && result.activeFraction == want.activeFraction, "\(label)")
                    #expect(loss.betaGradient.bitPattern == wantBeta.bitPattern, "\(label)")
                    #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "\(label)")
                }
            }
        }
    }
}

/// A batch of one class has no triplet: loss 0, zero gradient, whatever the
/// order in which the multiplicities are now counted (inside the row pass).
@Test func marginAllWithoutTripletsIsZero() throws {
    let (x, _) = randomBatch(seed: 35, classes: 1, perClass: 40, dim: 8)
    let y = [Int32](repeating: 3, count: 40)
    for workers in 1...2 {
        var loss = MarginLoss(.init(), context: ComputeContext(workers: workers))
        var gradient = Matrix(rows: 0, cols: 0)
        let result = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &gradient)
        #expect(result.loss == 0 && result.tuples == 0 && result.activeFraction == 0)
        #expect(gradient.rows == 40 && gradient.storage.allSatisfy { $0 == 0 })
    }
}
