import Foundation
import Testing
@testable import MetricLearning

/// Every configuration of the classic losses (contrastive, triplet, lifted)
/// the factory accepts, random miners included; the other registered losses
/// have their own fixtures and the registry-wide test below.
func everyConfiguration() -> [LossConfiguration] {
    var out: [LossConfiguration] = []
    for loss in [LossKind.contrastive, .triplet, .lifted] {
        for mining in MiningKind.allCases where supports(loss, mining) {
            for distance in DistanceKind.allCases {
                // Lifted takes only the euclidean distance and its own normalisation.
                for reducer in ReducerKind.allCases where loss != .lifted || (distance == .euclidean && reducer == .mean) {
                    out.append(LossConfiguration(loss: loss, mining: mining, distance: distance, reducer: reducer, seed: 3))
                }
            }
        }
    }
    return out
}

@Test func supportsFollowsTheDesignTable() throws {
    for mining in MiningKind.allCases {
        // The triplet miners of DESIGN §4; multi-similarity mines pairs for its own loss.
        #expect(supports(.contrastive, mining) == (mining != .multiSimilarity))
        #expect(supports(.triplet, mining) == (mining != .multiSimilarity))
        #expect(supports(.lifted, mining) == (mining == .all || mining == .hard))
    }
    let modern: [(String, [MiningKind])] = [
        ("multi-similarity", [.all, .multiSimilarity]), ("margin", [.all, .semihard, .distanceWeighted]),
        ("ntxent", [.all]), ("supcon", [.all]), ("proxy-nca", [.all]), ("proxy-anchor", [.all]),
        ("normalized-softmax", [.all]), ("arcface", [.all]), ("cosface", [.all]), ("circle", [.all]),
    ]
    for (name, takes) in modern {
        let loss = try #require(LossKind(rawValue: name))
        #expect(MiningKind.allCases.filter { supports(loss, $0) } == takes, "\(name)")
    }
    for mining in [MiningKind.semihard, .batchHard, .random, .distanceWeighted] {
        #expect(throws: LossError.unsupported(.lifted, mining)) {
            _ = try makeBatchLoss(LossConfiguration(loss: .lifted, mining: mining))
        }
    }
}

@Test func invalidParametersAreRejected() {
    #expect(throws: LossError.self) { _ = try makeBatchLoss(LossConfiguration(loss: .contrastive, power: 3)) }
    #expect(throws: LossError.self) { _ = try makeBatchLoss(LossConfiguration(loss: .triplet, margin: .nan)) }
    #expect(throws: LossError.self) { _ = try makeBatchLoss(LossConfiguration(loss: .contrastive, negMargin: -1)) }
    // Lifted is defined on the euclidean distance with its own normalisation (DESIGN §3).
    #expect(throws: LossError.self) { _ = try makeBatchLoss(LossConfiguration(loss: .lifted, distance: .squaredEuclidean)) }
    #expect(throws: LossError.self) { _ = try makeBatchLoss(LossConfiguration(loss: .lifted, reducer: .nonzeroMean)) }
    #expect(throws: Never.self) { _ = try makeBatchLoss(LossConfiguration(loss: .lifted, mining: .hard, distance: .euclidean, reducer: .mean)) }
}

@Test(arguments: everyConfiguration())
func batchWithoutPositivesThrows(_ c: LossConfiguration) throws {
    var loss = try makeBatchLoss(c)
    var g = Matrix(rows: 0, cols: 0)
    let x = Matrix([[1, 0], [0, 1], [-1, 0]])
    #expect(throws: LossError.noPositivePairs) { _ = try loss.evaluate(embeddings: x, labels: [0, 1, 2], gradient: &g) }
}

@Test func badBatchesAreRejected() throws {
    var loss = try makeBatchLoss(LossConfiguration(loss: .triplet))
    var g = Matrix(rows: 0, cols: 0)
    #expect(throws: LossError.self) {
        _ = try loss.evaluate(embeddings: Matrix([[1, 0], [0, 1]]), labels: [0, 0, 1], gradient: &g)
    }
    #expect(throws: LossError.self) {
        _ = try loss.evaluate(embeddings: Matrix([[1, 0], [.nan, 1], [0, 0]]), labels: [0, 0, 1], gradient: &g)
    }
}

@Test(arguments: everyConfiguration())
func tiesAndDuplicateRowsStayFinite(_ c: LossConfiguration) throws {
    // Rows 0, 1, 4 coincide (zero distances inside and across classes),
    // rows 2 and 3 are equidistant from everything else (ties).
    let x = Matrix([[1, 0], [1, 0], [0, 1], [0, -1], [1, 0], [-1, 0]])
    let y: [Int32] = [0, 0, 1, 1, 2, 2]
    var loss = try makeBatchLoss(c)
    var g = Matrix(rows: 0, cols: 0)
    let r = try loss.evaluate(embeddings: x, labels: y, gradient: &g)
    #expect(r.loss.isFinite && r.activeFraction.isFinite, "\(c)")
    #expect(g.isFinite && g.rows == 6 && g.cols == 2, "\(c)")
}

@Test(arguments: everyConfiguration())
func allRowsIdenticalGivesFiniteZeroGradient(_ c: LossConfiguration) throws {
    let x = Matrix(rows: 4, cols: 3, value: 0.5)
    var loss = try makeBatchLoss(c)
    var g = Matrix(rows: 0, cols: 0)
    let r = try loss.evaluate(embeddings: x, labels: [0, 0, 1, 1], gradient: &g)
    #expect(r.loss.isFinite, "\(c)")
    #expect(g.storage.allSatisfy { $0 == 0 }, "\(c)")
}

@Test func emptySelectionGivesZeroLossAndGradient() throws {
    // Well separated classes: no negative falls in any semi-hard window.
    let x = Matrix([[1, 0], [0.99, 0.01], [-1, 0], [-0.99, -0.01]])
    var loss = try makeBatchLoss(LossConfiguration(loss: .triplet, mining: .semihard))
    var g = Matrix(rows: 0, cols: 0)
    let r = try loss.evaluate(embeddings: x, labels: [0, 0, 1, 1], gradient: &g)
    #expect(r == LossResult(loss: 0, tuples: 0, activeFraction: 0))
    #expect(g.rows == 4 && g.storage.allSatisfy { $0 == 0 })
}

@Test func singleClassBatchHasNoNegatives() throws {
    let x = Matrix([[1, 0], [0, 1], [0.6, 0.8]])
    for c in everyConfiguration() {
        var loss = try makeBatchLoss(c)
        var g = Matrix(rows: 0, cols: 0)
        let r = try loss.evaluate(embeddings: x, labels: [4, 4, 4], gradient: &g)
        #expect(r.loss.isFinite && g.isFinite, "\(c)")
    }
}

@Test func gradientShapeFollowsTheBatch() throws {
    var loss = try makeBatchLoss(LossConfiguration(loss: .lifted))
    var g = Matrix(rows: 0, cols: 0)
    for (classes, perClass, dim) in [(3, 4, 8), (2, 2, 3), (5, 3, 16)] {
        let (x, y) = randomBatch(seed: 1, classes: classes, perClass: perClass, dim: dim)
        _ = try loss.evaluate(embeddings: x, labels: y, gradient: &g)
        #expect(g.rows == x.rows && g.cols == x.cols)
    }
}

/// Lifted leaves scratch values in its B × B workspace (below the diagonal):
/// a batch's result must not depend on the batch evaluated before it, from
/// either of its paths (far-apart rows are shifted by their nearest negative).
@Test func liftedResultDoesNotDependOnThePreviousBatch() throws {
    let (near, y) = randomBatch(seed: 3, classes: 4, perClass: 9, dim: 5)
    var far = near
    for k in 0..<far.count { far.storage[k] *= 40 }
    let (other, z) = randomBatch(seed: 4, classes: 3, perClass: 12, dim: 5)
    for mining in [MiningKind.all, .hard] {
        for (previous, labels) in [(far, y), (near, y), (other, z)] {
            for x in [near, far] {
                var fresh = try makeBatchLoss(LossConfiguration(loss: .lifted, mining: mining))
                var reused = try makeBatchLoss(LossConfiguration(loss: .lifted, mining: mining))
                var g = Matrix(rows: 0, cols: 0), h = Matrix(rows: 0, cols: 0)
                _ = try reused.evaluate(embeddings: previous, labels: labels, gradient: &h)
                let want = try fresh.evaluate(embeddings: x, labels: y, gradient: &g)
                let got = try reused.evaluate(embeddings: x, labels: y, gradient: &h)
                #expect(got.loss.bitPattern == want.loss.bitPattern, "\(mining)")
                let sameGradient = h.storage.map(\.bitPattern) == g.storage.map(\.bitPattern)
                #expect(sameGradient, "\(mining): the gradient changed with the previous batch")
            }
        }
    }
}

/// Every registered loss, with every miner it takes, builds from its
/// defaults, sizes its own parameters and gives a finite loss and gradient
/// through the one ``BatchLoss`` contract the trainer uses.
@Test func everyRegisteredLossRunsThroughTheContract() throws {
    var rng = SplitMix64(seed: 17)
    let b = 24, d = 6
    var x = Matrix(rows: b, cols: d, storage: (0..<(b * d)).map { _ in Float(rng.nextNormal()) })
    for i in 0..<b {
        let norm = (0..<d).map { x.storage[i * d + $0] * x.storage[i * d + $0] }.reduce(0, +).squareRoot()
        for t in 0..<d { x.storage[i * d + t] /= norm }
    }
    let y = (0..<b).map { Int32(10 + $0 % 4) }
    #expect(LossKind.allCases.count == 13)
    for registered in LossRegistry.losses {
        let minings = MiningKind.allCases.filter(registered.supports)
        #expect(minings.contains(.all), "\(registered.kind) takes all")
        for mining in minings {
            var loss = try registered.make(mining: mining, seed: 1)
            try loss.prepare(classes: [10, 11, 12, 13], dimension: d, seed: 5)
            var gradient = Matrix(rows: 0, cols: 0)
            let result = try loss.evaluate(embeddings: x, labels: y, gradient: &gradient)
            #expect(result.loss.isFinite && result.loss >= 0, "\(registered.kind)/\(mining): \(result.loss)")
            #expect(gradient.rows == b && gradient.cols == d && gradient.isFinite, "\(registered.kind)/\(mining)")
            var tensors = 0
            loss.visitParameters { values, gradients in
                tensors += 1
                #expect(values.count == gradients.count && gradients.allSatisfy(\.isFinite), "\(registered.kind)")
            }
            let ownsWeights = ["proxy-nca", "proxy-anchor", "normalized-softmax", "arcface", "cosface"].contains(registered.kind.rawValue)
            #expect(tensors == (ownsWeights ? 1 : 0), "\(registered.kind): \(tensors) parameter tensors")
        }
    }
}
