import Foundation
import Testing
@testable import MetricLearning

/// An independent float64 implementation of DESIGN §3–4 written from the
/// formulas with naive loops, used as the finite-difference reference.
enum ReferenceLoss {
    static func distances(_ x: [[Double]], _ kind: DistanceKind) -> [[Double]] {
        x.map { xi in
            x.map { xj in
                let s = zip(xi, xj).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                return kind == .euclidean ? s.squareRoot() : s
            }
        }
    }

    /// The triplets a deterministic miner selects on `d`.
    static func triplets(_ c: LossConfiguration, _ d: [[Double]], _ y: [Int32]) -> [(Int, Int, Int)] {
        let b = y.count, m = c.resolvedMargin
        let positives = { (a: Int) in (0..<b).filter { $0 != a && y[$0] == y[a] } }
        let negatives = { (a: Int) in (0..<b).filter { y[$0] != y[a] } }
        var out: [(Int, Int, Int)] = []
        for a in 0..<b {
            let ns = negatives(a)
            switch c.mining {
            case .all:
                for p in positives(a) { for n in ns { out.append((a, p, n)) } }
            case .semihard:
                for p in positives(a) {
                    let window = ns.filter { d[a][$0] > d[a][p] && d[a][$0] < d[a][p] + m }
                    if let n = window.min(by: { d[a][$0] < d[a][$1] }) { out.append((a, p, n)) }
                }
            case .hard:
                if let n = ns.min(by: { d[a][$0] < d[a][$1] }) { for p in positives(a) { out.append((a, p, n)) } }
            case .batchHard:
                if let n = ns.min(by: { d[a][$0] < d[a][$1] }), let p = positives(a).max(by: { d[a][$0] < d[a][$1] }) {
                    out.append((a, p, n))
                }
            case .random, .distanceWeighted:
                preconditionFailure("random miners have no fixed reference")
            case .multiSimilarity:
                preconditionFailure("multi-similarity mines pairs, not triplets")
            }
        }
        return out
    }

    static func loss(_ c: LossConfiguration, _ x: [[Double]], _ y: [Int32], selection d0: [[Double]]? = nil) -> Double {
        let d = distances(x, c.resolvedDistance)
        let sel = d0 ?? d
        switch c.loss {
        case .contrastive:
            var pairs = Set<[Int]>()
            if c.mining == .all {
                for i in y.indices { for j in y.indices where i != j { pairs.insert([i, j]) } }
            } else {
                for (a, p, n) in triplets(c, sel, y) {
                    pairs.insert([a, p])
                    pairs.insert([a, n])
                }
            }
            var pos: [Double] = [], neg: [Double] = []
            for pair in pairs {
                let (i, j) = (pair[0], pair[1])
                if y[i] == y[j] {
                    pos.append(pow(max(d[i][j] - c.resolvedPosMargin, 0), Double(c.resolvedPower)))
                } else {
                    neg.append(pow(max(c.resolvedNegMargin - d[i][j], 0), Double(c.resolvedPower)))
                }
            }
            return reduce(pos + neg, c.resolvedReducer, groups: [pos, neg])
        case .triplet:
            let terms = triplets(c, sel, y).map { (a, p, n) -> Double in
                let x = d[a][p] - d[a][n]
                return c.resolvedSoft ? log1p(exp(x)) : max(x + c.resolvedMargin, 0)
            }
            return reduce(terms, c.resolvedReducer, groups: [terms])
        case .lifted:
            let alpha = c.resolvedMargin
            var total = 0.0, count = 0
            for i in y.indices {
                for j in y.indices where j > i && y[j] == y[i] {
                    count += 1
                    let terms = y.indices.filter { y[$0] != y[i] }.map { alpha - d[i][$0] }
                        + y.indices.filter { y[$0] != y[j] }.map { alpha - d[j][$0] }
                    // Shifted by the largest term so that far-apart batches do not underflow to log 0.
                    let top = terms.max()!
                    let m = c.mining == .hard ? top : top + log(terms.map { exp($0 - top) }.reduce(0, +))
                    let jt = max(m + d[i][j], 0)
                    total += jt * jt
                }
            }
            return total / Double(2 * count)
        default:
            preconditionFailure("no float64 reference for loss '\(c.loss)'")
        }
    }

    private static func reduce(_ terms: [Double], _ r: ReducerKind, groups: [[Double]]) -> Double {
        switch r {
        case .mean:
            return terms.isEmpty ? 0 : terms.reduce(0, +) / Double(terms.count)
        case .nonzeroMean:
            return groups.reduce(0.0) { acc, g in
                let nz = g.filter { $0 > 0 }
                return acc + (nz.isEmpty ? 0 : nz.reduce(0, +) / Double(nz.count))
            }
        }
    }

    /// Central differences of `loss` with the selection frozen at `x`.
    static func gradient(_ c: LossConfiguration, _ x: [[Double]], _ y: [Int32], h: Double = 1e-6) -> [[Double]] {
        let frozen = distances(x, c.resolvedDistance)
        var g = x
        for i in x.indices {
            for k in x[i].indices {
                var plus = x, minus = x
                plus[i][k] += h
                minus[i][k] -= h
                g[i][k] = (loss(c, plus, y, selection: frozen) - loss(c, minus, y, selection: frozen)) / (2 * h)
            }
        }
        return g
    }
}

/// A seeded batch of `classes × perClass` unit vectors in `dim` dimensions,
/// loosely clustered so that every miner finds something.
func randomBatch(seed: UInt64, classes: Int, perClass: Int, dim: Int) -> (Matrix, [Int32]) {
    var rng = SplitMix64(seed: seed)
    let centres = (0..<classes).map { _ in (0..<dim).map { _ in rng.nextNormal() } }
    var rows: [[Float]] = [], labels: [Int32] = []
    for i in 0..<(classes * perClass) {
        let c = i % classes
        let v = centres[c].map { $0 + 1.2 * rng.nextNormal() }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        rows.append(v.map { Float($0 / n) })
        labels.append(Int32(c))
    }
    return (Matrix(rows), labels)
}

/// Every loss × deterministic miner × reducer × distance (and soft triplet,
/// contrastive power 1 and 2) that the tests run through the references.
func deterministicConfigurations() -> [LossConfiguration] {
    var out: [LossConfiguration] = []
    for mining in [MiningKind.all, .semihard, .hard, .batchHard] {
        for distance in DistanceKind.allCases {
            for reducer in ReducerKind.allCases {
                for power in [1, 2] {
                    out.append(LossConfiguration(loss: .contrastive, mining: mining, margin: 0.3, posMargin: 0.1,
                                                 negMargin: 1.0, power: power, distance: distance, reducer: reducer))
                }
                for soft in [false, true] {
                    out.append(LossConfiguration(loss: .triplet, mining: mining, margin: 0.3, distance: distance,
                                                 reducer: reducer, soft: soft))
                }
                if supports(.lifted, mining) && distance == .euclidean && reducer == .mean {
                    out.append(LossConfiguration(loss: .lifted, mining: mining, distance: distance, reducer: reducer))
                }
            }
        }
    }
    return out
}

@Test(arguments: deterministicConfigurations())
func analyticGradientMatchesFiniteDifferences(_ c: LossConfiguration) throws {
    let (x, y) = randomBatch(seed: 7, classes: 3, perClass: 3, dim: 4)
    let xd = (0..<x.rows).map { i in x.row(i).map(Double.init) }
    var loss = try makeBatchLoss(c)
    var gradient = Matrix(rows: 0, cols: 0)
    let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
    let expectedLoss = ReferenceLoss.loss(c, xd, y)
    #expect(abs(result.loss - expectedLoss) <= 1e-4 * max(1, abs(expectedLoss)), "\(c): loss \(result.loss) vs \(expectedLoss)")
    let reference = ReferenceLoss.gradient(c, xd, y)
    let worst = largestGradientDifference(gradient, reference)
    #expect(worst <= 1e-4, "\(c): largest gradient difference \(worst)")
    #expect(result.tuples > 0 && result.loss > 0, "\(c): the test batch should select something with a loss")
}

/// Lifted against the reference on batches that take its other paths: rows
/// spread over classes (partners gathered, not contiguous) and B = 37, not a
/// multiple of 8; and integer points up to 97 apart (exact distances), where
/// exp(−D) would underflow (each row is shifted by its nearest negative) and
/// two rows of one class have scores 90 apart (their pairs use the log1p form);
/// the exact form only on the first, as the integer points tie its maxima.
@Test func liftedMatchesTheReferenceOnSpreadAndFarApartBatches() throws {
    let interleaved = randomBatch(seed: 21, classes: 3, perClass: 13, dim: 4)
    let spread = (Matrix(rows: 37, cols: 4, storage: Array(interleaved.0.storage[0..<(37 * 4)])), Array(interleaved.1[0..<37]))
    let points: [[Float]] = [[0, 0], [1, 1], [95, 0], [97, 4], [2, 0], [0, 2], [-1, -1], [-2, 1]]
    let far = (Matrix(points), [Int32](arrayLiteral: 0, 0, 0, 0, 1, 1, 2, 2))
    for ((x, y), minings) in [(spread, [MiningKind.all, .hard]), (far, [.all])] {
        let xd = (0..<x.rows).map { i in x.row(i).map(Double.init) }
        for mining in minings {
            let c = LossConfiguration(loss: .lifted, mining: mining)
            var loss = try makeBatchLoss(c)
            var gradient = Matrix(rows: 0, cols: 0)
            let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
            let expectedLoss = ReferenceLoss.loss(c, xd, y)
            #expect(abs(result.loss - expectedLoss) <= 1e-5 * abs(expectedLoss), "B \(x.rows) \(mining): loss \(result.loss) vs \(expectedLoss)")
            let reference = ReferenceLoss.gradient(c, xd, y)
            let worst = largestGradientDifference(gradient, reference)
            #expect(worst <= 1e-4, "B \(x.rows) \(mining): largest gradient difference \(worst)")
        }
    }
}

/// The largest difference between a gradient and its float64 reference,
/// relative to the reference entry where that exceeds 1.
func largestGradientDifference(_ gradient: Matrix, _ reference: [[Double]]) -> Double {
    var worst = 0.0
    for i in 0..<gradient.rows {
        for k in 0..<gradient.cols {
            worst = max(worst, abs(Double(gradient[i, k]) - reference[i][k]) / max(1, abs(reference[i][k])))
        }
    }
    return worst
}
