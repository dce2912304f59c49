import Foundation
import Testing
@testable import MetricLearning

// The sorted/merged fast paths of the triplet miner and of the fused hinge
// `all` triplet loss against O(B³) brute-force references written here, on
// batches with large classes and with exact ties (duplicated rows).

/// Two or three classes of `perClass` unit vectors; with `duplicates`, every
/// third row repeats the previous one (same label), so distances tie exactly.
func fastPathBatch(seed: UInt64, classes: Int, perClass: Int, duplicates: Bool) -> (Matrix, [Int32]) {
    let (x, y) = randomBatch(seed: seed, classes: classes, perClass: perClass, dim: 6)
    guard duplicates else { return (x, y) }
    var rows: [[Float]] = (0..<x.rows).map { i in (0..<x.cols).map { x[i, $0] } }
    var labels = y
    for i in stride(from: 2, to: rows.count, by: 3) {
        rows[i] = rows[i - 1]
        labels[i] = labels[i - 1]
    }
    return (Matrix(rows), labels)
}

private let fastPathBatches: [(UInt64, Int, Int, Bool)] = [
    (1, 2, 32, false), (2, 2, 32, true), (3, 3, 21, true), (4, 4, 16, false),
]

/// Brute-force selections, scanning negatives in index order (first index on ties).
func referenceTriplets(_ kind: MiningKind, _ d: Matrix, _ y: [Int32], margin: Float) -> TripletIndices {
    let b = y.count
    var t = TripletIndices()
    for a in 0..<b {
        var nearest = -1
        for n in 0..<b where y[n] != y[a] && (nearest < 0 || d[a, n] < d[a, nearest]) { nearest = n }
        switch kind {
        case .semihard:
            for p in 0..<b where p != a && y[p] == y[a] {
                var best = -1
                for n in 0..<b where y[n] != y[a] {
                    let dan = d[a, n], dap = d[a, p]
                    if dan > dap && dan < dap + margin && (best < 0 || dan < d[a, best]) { best = n }
                }
                if best >= 0 { t.append(a, p, best) }
            }
        case .hard:
            guard nearest >= 0 else { continue }
            for p in 0..<b where p != a && y[p] == y[a] { t.append(a, p, nearest) }
        case .batchHard:
            guard nearest >= 0 else { continue }
            var hardest = -1
            for p in 0..<b where p != a && y[p] == y[a] && (hardest < 0 || d[a, p] > d[a, hardest]) { hardest = p }
            if hardest >= 0 { t.append(a, hardest, nearest) }
        default:
            Issue.record("no reference for \(kind)")
        }
    }
    return t
}

@Test(arguments: [MiningKind.semihard, .hard, .batchHard])
func minerFastPathsMatchBruteForce(_ kind: MiningKind) {
    for (seed, classes, perClass, duplicates) in fastPathBatches {
        let (x, y) = fastPathBatch(seed: seed, classes: classes, perClass: perClass, duplicates: duplicates)
        for distanceKind in DistanceKind.allCases {
            var distance = PairwiseDistance(kind: distanceKind)
            distance.compute(x)
            for margin: Float in [0.05, 0.2, 1, 10] {
                var miner = TripletMiner(kind: kind, margin: margin)
                let got = mined(&miner, x, y, distanceKind)
                let again = mined(&miner, x, y, distanceKind)  // workspaces already sized
                let want = referenceTriplets(kind, distance.values, y, margin: margin)
                #expect(got == want, "\(kind) seed \(seed) \(distanceKind) margin \(margin)")
                #expect(again == want)
                if kind == .semihard && margin == 10 { #expect(want.count > 0) }
            }
        }
    }
}

@Test func semihardTiesPickTheLowestIndexNegative() {
    // Anchor 0 at 0, positive 1 at 0.5; negatives 2, 3, 4 all at 0.6 (3 and 4 duplicates of 2).
    let x = Matrix([[0], [0.5], [0.6], [0.6], [0.6], [0.5]])
    let y: [Int32] = [0, 0, 1, 1, 1, 0]
    var miner = TripletMiner(kind: .semihard, margin: 0.2)
    let t = mined(&miner, x, y)
    for i in 0..<t.count where t.anchors[i] == 0 { #expect(t.negatives[i] == 2) }
    #expect(t == referenceTriplets(.semihard, { var d = PairwiseDistance(kind: .euclidean); d.compute(x); return d.values }(), y, margin: 0.2))
}

@Test(arguments: [ReducerKind.mean, .nonzeroMean])
func fusedHingeTripletAllMatchesBruteForce(_ reducer: ReducerKind) throws {
    for (seed, classes, perClass, duplicates) in fastPathBatches {
        let (x, y) = fastPathBatch(seed: seed, classes: classes, perClass: perClass, duplicates: duplicates)
        let b = y.count
        for distanceKind in DistanceKind.allCases {
            for margin in [0.05, 0.2, 1.0, 10.0] {
                let configuration = LossConfiguration(
                    loss: .triplet, mining: .all, margin: margin, distance: distanceKind, reducer: reducer)
                var loss = try makeBatchLoss(configuration)
                var gradient = Matrix(rows: 0, cols: 0)
                _ = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
                let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)

                // Brute force: every (a, p, n), relu(D_ap − D_an + m) in Float as the loss computes it.
                var distance = PairwiseDistance(kind: distanceKind)
                distance.compute(x)
                let d = distance.values
                let m = Float(margin)
                var coefficients = Matrix(rows: b, cols: b)
                var total = 0.0, count = 0, active = 0
                for a in 0..<b {
                    for p in 0..<b where p != a && y[p] == y[a] {
                        for n in 0..<b where y[n] != y[a] {
                            count += 1
                            let h = (d[a, p] + m) - d[a, n]
                            if h > 0 {
                                total += Double(h)
                                active += 1
                                coefficients[a, p] += 1
                                coefficients[a, n] -= 1
                            }
                        }
                    }
                }
                let denominator = reducer == .mean ? count : active
                let want = denominator > 0 ? total / Double(denominator) : 0
                let scale = denominator > 0 ? Float(1 / Double(denominator)) : 0
                var wantGradient = Matrix(rows: 0, cols: 0)
                distance.backward(embeddings: x, coefficients: &coefficients, gradient: &wantGradient, scale: scale)

                let label = "seed \(seed) \(distanceKind) margin \(margin) \(reducer)"
                #expect(result.tuples == count, "\(label)")
                #expect(result.activeFraction == (count > 0 ? Double(active) / Double(count) : 0), "\(label)")
                #expect(abs(result.loss - want) <= 1e-5 * max(1, abs(want)), "\(label): \(result.loss) vs \(want)")
                #expect(gradient == wantGradient, "\(label): the same integer coefficients and reducer scale")
                if margin == 0.2 { #expect(active > 0 && active < count, "\(label): the hinge must be partly active") }
            }
        }
    }
}
