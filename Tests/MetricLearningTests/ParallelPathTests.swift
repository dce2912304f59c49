import Foundation
import Testing
@testable import MetricLearning
import NumericCore

// Batches large enough (B² ≥ 65,536) that the O(B²) passes split their rows
// over the workers, against brute force and across thread counts; and the
// rank table of the triplet fast paths against linear counts.

@Test func rankCountsMatchLinearCounts() {
    var rng = SplitMix64(seed: 7)
    for k in [1, 2, 7, 9, 16, 17, 31, 128, 300, 1600] {
        // Ties (few distinct values), spread values, and one far outlier that
        // puts every other value into the first bucket (the radix-sort fallback).
        let tied = (0..<k).map { _ in Float(rng.nextInt(below: 12)) * 0.25 }
        let spread = (0..<k).map { _ in Float(rng.nextUniform() * 3) }
        let outlier = (0..<k).map { $0 == 0 ? Float(1e6) : Float(rng.nextUniform()) }
        for values in [tied, spread, outlier] {
            // Keys written in index order of the unsorted values, as the losses write them.
            var keys = values.enumerated().map { SortKey.make($0.element, $0.offset) }
            let wantKeys = keys.sorted(), sortedValues = values.sorted()
            var temp = [UInt64](repeating: 0, count: k), histogram = [Int](repeating: 0, count: RadixSort.histogramSize)
            var sorted = [Float](repeating: 0, count: k + 8), starts = [Int32](repeating: 0, count: k + 1)
            var queries = sortedValues + [-1, -.infinity, .infinity, 2e6, 0.3, 1.7]
            queries += sortedValues.map { $0.nextUp } + sortedValues.map { $0.nextDown }
            var batch = queries + [Float](repeating: 0, count: 8)
            var ranks = [Int32](repeating: -1, count: batch.count)
            keys.withUnsafeMutableBufferPointer { keyBuffer in
            temp.withUnsafeMutableBufferPointer { tempBuffer in
            histogram.withUnsafeMutableBufferPointer { h in
            sorted.withUnsafeMutableBufferPointer { v in
            starts.withUnsafeMutableBufferPointer { s in
            batch.withUnsafeMutableBufferPointer { q in
            ranks.withUnsafeMutableBufferPointer { r in
                let table = _RankTable(sorting: keyBuffer.baseAddress!, k, temp: tempBuffer.baseAddress!,
                                       histogram: h.baseAddress!, sorted: v.baseAddress!, starts: s.baseAddress!)
                #expect(Array(keyBuffer) == wantKeys, "k \(k): keys in (value, index) order")
                #expect(Array(v[0..<k]) == sortedValues, "k \(k)")
                for query in queries {
                    let below = sortedValues.filter { $0 < query }.count, atMost = sortedValues.filter { $0 <= query }.count
                    #expect(table.count(query, bucket: table.bucket(query), strict: true) == below, "k \(k) q \(query)")
                    #expect(table.count(query, bucket: table.bucket(query), strict: false) == atMost, "k \(k) q \(query)")
                }
                // The batched form, eight bucket computations at a time (a count that is no multiple of 8).
                for strict in [true, false] {
                    table.ranks(q.baseAddress!, queries.count, into: r.baseAddress!, strict: strict)
                    let want = queries.map { query in Int32(sortedValues.filter { strict ? $0 < query : $0 <= query }.count) }
                    #expect(Array(r[0..<queries.count]) == want, "k \(k) strict \(strict)")
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
}

@Test func labelGroupsNegativeCompactionAndNearestNegativeMatchLinearScans() {
    var rng = SplitMix64(seed: 9)
    for b in [1, 7, 8, 9, 64, 203, 517] {
        // Negative, large and repeated labels in no order; distances with ties, NaN and infinities.
        let y = (0..<b).map { _ in [Int32.min, -3, 0, 5, 5, Int32.max][rng.nextInt(below: 6)] }
        let row = (0..<b).map { _ in [Float.nan, -.infinity, .infinity, 0, -0.0, 0.5, 1][rng.nextInt(below: 7)] + Float(rng.nextInt(below: 3)) }
        var members = [Int32](repeating: -1, count: b), runs = [Int32](repeating: -1, count: 2 * b)
        var keys = [UInt64](repeating: 0, count: 2 * b), histogram = [Int](repeating: 0, count: RadixSort.histogramSize)
        _groupByLabel(y, b, members: &members, runs: &runs, keys: &keys, histogram: &histogram)
        let byLabel = (0..<b).sorted { (y[$0], $0) < (y[$1], $1) }.map(Int32.init)
        #expect(members == byLabel, "b \(b)")
        for i in 0..<b {
            let run = members[Int(runs[2 * i])..<Int(runs[2 * i + 1])].map { Int($0) }
            #expect(run == (0..<b).filter { y[$0] == y[i] }, "b \(b) i \(i)")
        }
        // The nearest negative (vectorised) against a scan from the first negative.
        for anchor in 0..<b {
            var want = -1
            for n in 0..<b where y[n] != y[anchor] && (want < 0 || row[n] < row[want]) { want = n }
            let got = row.withUnsafeBufferPointer { r in
                y.withUnsafeBufferPointer { TripletMiner.nearestNegative(r.baseAddress!, $0, anchor) }
            }
            #expect((got ?? -1) == want, "b \(b) anchor \(anchor)")
        }
        for (lowest, limit) in [(-Float.infinity, Float.infinity), (0, 1), (Float(0).nextUp, 1.5), (-.infinity, 0)] {
            let label = y[b / 2]
            var indices = [Int32](repeating: -1, count: b), values = [Float](repeating: 0, count: b)
            let c = _compactNegatives(row, y, b, label: label, lowest: lowest, limit: limit, indices: &indices, values: &values)
            let want = (0..<b).filter { y[$0] != label && row[$0] >= lowest && row[$0] < limit }
            #expect(indices[0..<c].map { Int($0) } == want, "b \(b) [\(lowest), \(limit))")
            #expect(values[0..<c].map(\.bitPattern) == want.map { row[$0].bitPattern })
        }
    }
}

@Test func largeBatchSemihardMatchesBruteForce() {
    let (x, y) = fastPathBatch(seed: 11, classes: 3, perClass: 100, duplicates: true)
    #expect(y.count * y.count >= 65_536, "the batch must take the parallel path")
    for distanceKind in DistanceKind.allCases {
        var distance = PairwiseDistance(kind: distanceKind)
        distance.compute(x)
        for margin: Float in [0.05, 0.5] {
            var miner = TripletMiner(kind: .semihard, margin: margin)
            let want = referenceTriplets(.semihard, distance.values, y, margin: margin)
            #expect(mined(&miner, x, y, distanceKind) == want, "\(distanceKind) margin \(margin)")
            #expect(want.count > 0)
        }
    }
}

@Test func largeBatchHingeTripletAllMatchesBruteForce() throws {
    let (x, y) = fastPathBatch(seed: 12, classes: 3, perClass: 100, duplicates: true)
    let b = y.count
    var loss = try makeBatchLoss(LossConfiguration(loss: .triplet, mining: .all, margin: 0.2, distance: .euclidean))
    var gradient = Matrix(rows: 0, cols: 0)
    let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)

    var distance = PairwiseDistance(kind: .euclidean)
    distance.compute(x)
    var coefficients = Matrix(rows: b, cols: b)
    var total = 0.0, count = 0
    distance.values.storage.withUnsafeBufferPointer { d in
        coefficients.storage.withUnsafeMutableBufferPointer { c in
            for a in 0..<b {
                for p in 0..<b where p != a && y[p] == y[a] {
                    for n in 0..<b where y[n] != y[a] {
                        count += 1
                        let h = (d[a * b + p] + 0.2) - d[a * b + n]
                        if h > 0 {
                            total += Double(h)
                            c[a * b + p] += 1
                            c[a * b + n] -= 1
                        }
                    }
                }
            }
        }
    }
    var wantGradient = Matrix(rows: 0, cols: 0)
    distance.backward(embeddings: x, coefficients: &coefficients, gradient: &wantGradient, scale: Float(1 / Double(count)))
    #expect(result.tuples == count)
    #expect(abs(result.loss - total / Double(count)) <= 1e-5 * max(1, total / Double(count)))
    #expect(gradient == wantGradient)
}

@Test(arguments: [MiningKind.semihard, .hard])
func largeBatchHingeTripletMinedMatchesBruteForce(_ mining: MiningKind) throws {
    // The hinge with semi-hard or hard mining is fused with the miner: no triplet list.
    let (x, y) = fastPathBatch(seed: 14, classes: 3, perClass: 100, duplicates: true)
    let b = y.count
    for distanceKind in DistanceKind.allCases {
        for margin in [0.05, 0.5] {
            for reducer in [ReducerKind.mean, .nonzeroMean] {
                var loss = try makeBatchLoss(LossConfiguration(
                    loss: .triplet, mining: mining, margin: margin, distance: distanceKind, reducer: reducer))
                var gradient = Matrix(rows: 0, cols: 0)
                let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)

                var distance = PairwiseDistance(kind: distanceKind)
                distance.compute(x)
                let triplets = referenceTriplets(mining, distance.values, y, margin: Float(margin))
                var coefficients = Matrix(rows: b, cols: b)
                var total = 0.0, active = 0
                for t in 0..<triplets.count {
                    let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), n = Int(triplets.negatives[t])
                    let h = (distance.values[a, p] - distance.values[a, n]) + Float(margin)
                    if h > 0 {
                        total += Double(h)
                        active += 1
                        coefficients[a, p] += 1
                        coefficients[a, n] -= 1
                    }
                }
                let denominator = reducer == .mean ? triplets.count : active
                var wantGradient = Matrix(rows: 0, cols: 0)
                distance.backward(embeddings: x, coefficients: &coefficients, gradient: &wantGradient,
                                  scale: Float(1 / Double(denominator)))
                let label = "\(mining) \(distanceKind) margin \(margin) \(reducer)"
                #expect(triplets.count > 0 && active > 0, "\(label)")
                #expect(result.tuples == triplets.count, "\(label)")
                #expect(result.activeFraction == Double(active) / Double(triplets.count), "\(label)")
                let want = total / Double(denominator)
                #expect(abs(result.loss - want) <= 1e-5 * max(1, want), "\(label)")
                #expect(gradient == wantGradient, "\(label)")
            }
        }
    }
}

@Test func lossesAreBitwiseIdenticalWithOneAndTwoThreads() throws {
    let (x, y) = fastPathBatch(seed: 13, classes: 5, perClass: 64, duplicates: true)
    let configurations = [
        LossConfiguration(loss: .contrastive, mining: .all),
        LossConfiguration(loss: .contrastive, mining: .semihard),
        LossConfiguration(loss: .triplet, mining: .all),
        LossConfiguration(loss: .triplet, mining: .semihard),
        LossConfiguration(loss: .triplet, mining: .semihard, soft: true),
        LossConfiguration(loss: .triplet, mining: .hard),
        LossConfiguration(loss: .triplet, mining: .all, distance: .euclidean, reducer: .nonzeroMean),
        LossConfiguration(loss: .lifted, mining: .all),
        LossConfiguration(loss: .lifted, mining: .hard),
    ]
    for configuration in configurations {
        var results: [(LossResult, Matrix)] = []
        for n in [1, 2] {
            var loss = try makeBatchLoss(configuration, context: ComputeContext(workers: n))
            var gradient = Matrix(rows: 0, cols: 0)
            let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
            results.append((result, gradient))
        }
        let label = "\(configuration.loss) \(configuration.mining)"
        #expect(results[0].0.loss.bitPattern == results[1].0.loss.bitPattern, "\(label)")
        #expect(results[0].0.tuples == results[1].0.tuples, "\(label)")
        #expect(results[0].1.storage.map(\.bitPattern) == results[1].1.storage.map(\.bitPattern), "\(label)")
    }
}

/// The margin loss's parallel, vectorised passes and the distance-weighted
/// miner's parallel weights: the same bits with 1, 2 and 3 workers, at a
/// batch (133 rows: vector loops with tails) large enough to split, with
/// duplicate rows (D = 0), β learned, and α > β (the diagonal would pass
/// the positive hinge test and must not count).
@Test func marginLossAndDistanceWeightedMinerAreBitwiseIdenticalForEveryWorkerCount() throws {
    let (x, y) = fastPathBatch(seed: 17, classes: 7, perClass: 19, duplicates: true)
    let parameters: [MarginLoss.Parameters] = [.init(), .init(margin: 1.5, beta: 1.2, learnBeta: true, nu: 0.1)]
    for p in parameters {
        for mining in [MiningKind.all, .distanceWeighted, .semihard] {
            var results: [(LossResult, Matrix)] = []
            for n in [1, 2, 3] {
                var loss = MarginLoss.make(p, mining: mining, seed: 5, context: ComputeContext(workers: n))
                var gradient = Matrix(rows: 0, cols: 0)
                results.append((try loss.evaluate(embeddings: x, labels: y, gradient: &gradient), gradient))
            }
            for r in results.dropFirst() {
                #expect(r.0.loss.bitPattern == results[0].0.loss.bitPattern, "margin \(p) \(mining)")
                #expect(r.0.tuples == results[0].0.tuples && r.0.activeFraction == results[0].0.activeFraction, "margin \(p) \(mining)")
                #expect(r.1.storage.map(\.bitPattern) == results[0].1.storage.map(\.bitPattern), "margin \(p) \(mining)")
            }
        }
    }
    // Triplet and contrastive losses on distance-weighted triplets: the same draws for every worker count.
    for loss in [LossKind.triplet, .contrastive] {
        var results: [(LossResult, Matrix)] = []
        for n in [1, 2, 3] {
            var batchLoss = try makeBatchLoss(LossConfiguration(loss: loss, mining: .distanceWeighted), context: ComputeContext(workers: n))
            var gradient = Matrix(rows: 0, cols: 0)
            results.append((try batchLoss.evaluate(embeddings: x, labels: y, gradient: &gradient), gradient))
        }
        for r in results.dropFirst() {
            #expect(r.0.loss.bitPattern == results[0].0.loss.bitPattern, "\(loss) distance-weighted")
            #expect(r.1.storage.map(\.bitPattern) == results[0].1.storage.map(\.bitPattern), "\(loss) distance-weighted")
        }
    }
}

/// The margin loss over all triplets against a brute-force enumeration of
/// every triplet (float64 distances of the L2-normalised rows), at a batch
/// whose passes split over two workers, for α < β and α > β (where a
/// self-pair would pass the positive hinge test).
@Test(arguments: [0.2, 1.5])
func largeBatchMarginLossMatchesBruteForce(margin: Double) throws {
    let (x, y) = fastPathBatch(seed: 19, classes: 5, perClass: 27, duplicates: false)
    let b = y.count, beta = 1.2
    var loss = MarginLoss(.init(margin: margin, beta: beta), context: ComputeContext(workers: 2))
    var gradient = Matrix(rows: 0, cols: 0)
    let result = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &gradient)
    let u: [[Double]] = (0..<b).map { i in
        let r = x.row(i).map(Double.init)
        let n = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return r.map { $0 / n }
    }
    func distance(_ i: Int, _ j: Int) -> Double { zip(u[i], u[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
    var sum = 0.0, active = 0, triplets = 0
    for a in 0..<b {
        for p in 0..<b where p != a && y[p] == y[a] {
            for n in 0..<b where y[n] != y[a] {
                triplets += 1
                let pos = distance(a, p) - beta + margin, neg = beta - distance(a, n) + margin
                if pos > 0 { sum += pos; active += 1 }
                if neg > 0 { sum += neg; active += 1 }
            }
        }
    }
    #expect(triplets > 0 && active > 0)
    #expect(result.tuples == triplets)
    #expect(abs(result.loss - sum / Double(active)) <= 1e-5 * sum / Double(active), "loss \(result.loss), brute force \(sum / Double(active))")
    #expect(abs(result.activeFraction - Double(active) / Double(2 * triplets)) <= 1e-3, "active fraction")
    #expect(gradient.storage.allSatisfy(\.isFinite) && gradient.storage.contains { $0 != 0 })
}
