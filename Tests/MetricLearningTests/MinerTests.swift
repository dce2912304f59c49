import Foundation
import Testing
@testable import MetricLearning

func mined(_ miner: inout TripletMiner, _ x: Matrix, _ y: [Int32], _ kind: DistanceKind = .euclidean) -> TripletIndices {
    var distance = PairwiseDistance(kind: kind)
    distance.compute(x)
    var t = TripletIndices()
    miner.mine(distances: distance.values, distanceKind: kind, labels: y, dimension: x.cols, into: &t)
    return t
}

@Test(arguments: [MiningKind.random, .distanceWeighted])
func randomMinersAreDeterministicForASeed(_ kind: MiningKind) {
    let (x, y) = randomBatch(seed: 11, classes: 4, perClass: 4, dim: 8)
    var a = TripletMiner(kind: kind, margin: 0.2, seed: 42)
    var b = TripletMiner(kind: kind, margin: 0.2, seed: 42)
    var other = TripletMiner(kind: kind, margin: 0.2, seed: 43)
    let a1 = mined(&a, x, y), a2 = mined(&a, x, y)
    #expect(a1 == mined(&b, x, y))
    #expect(a2 == mined(&b, x, y))
    #expect(a1 != a2, "repeated calls draw new negatives")
    #expect(a1 != mined(&other, x, y), "another seed draws other negatives")
    #expect(a1.count == 16 * 3, "one triplet per ordered anchor–positive pair")
}

@Test(arguments: [MiningKind.random, .distanceWeighted])
func randomMinersDrawValidTriplets(_ kind: MiningKind) {
    let (x, y) = randomBatch(seed: 5, classes: 3, perClass: 5, dim: 6)
    var miner = TripletMiner(kind: kind, margin: 0.2, seed: 1)
    let t = mined(&miner, x, y)
    for i in 0..<t.count {
        let a = Int(t.anchors[i]), p = Int(t.positives[i]), n = Int(t.negatives[i])
        #expect(a != p && y[a] == y[p] && y[a] != y[n])
    }
}

@Test func randomLossesRepeatForTheSameSeed() throws {
    let (x, y) = randomBatch(seed: 2, classes: 4, perClass: 3, dim: 8)
    for loss in [LossKind.contrastive, .triplet] {
        for mining in [MiningKind.random, .distanceWeighted] {
            let c = LossConfiguration(loss: loss, mining: mining, seed: 9)
            var first = try makeBatchLoss(c), second = try makeBatchLoss(c)
            var g1 = Matrix(rows: 0, cols: 0), g2 = Matrix(rows: 0, cols: 0)
            for _ in 0..<3 {
                let r1 = try first.evaluate(embeddings: x, labels: y, gradient: &g1)
                let r2 = try second.evaluate(embeddings: x, labels: y, gradient: &g2)
                #expect(r1 == r2 && g1 == g2)
            }
        }
    }
}

@Test func distanceWeightedPrefersCloseNegativesOverFarOnes() {
    // Anchor 0 has a negative at distance 0.6 and one at 1.98 (almost antipodal);
    // q(d)⁻¹ in 16 dimensions makes the near one far more likely.
    let dim = 16
    func unit(_ angle: Double) -> [Float] {
        var v = [Float](repeating: 0, count: dim)
        v[0] = Float(cos(angle))
        v[1] = Float(sin(angle))
        return v
    }
    let x = Matrix([unit(0), unit(0.1), unit(2 * asin(0.3)), unit(2 * asin(0.99))])
    let y: [Int32] = [0, 0, 1, 2]
    var miner = TripletMiner(kind: .distanceWeighted, margin: 0.2, seed: 0)
    var near = 0
    for _ in 0..<200 {
        let t = mined(&miner, x, y)
        near += t.negatives[0] == 2 ? 1 : 0
    }
    #expect(near > 150)
}

@Test func semihardPicksTheClosestNegativeInsideTheWindow() {
    // On a line: anchor 0 at 0, positive 1 at 0.5; negatives at 0.4, 0.55, 0.6, 2.
    // Window (0.5, 0.7): 0.55 is the smallest inside it.
    let x = Matrix([[0], [0.5], [0.4], [0.55], [0.6], [2]])
    let y: [Int32] = [0, 0, 1, 1, 1, 1]
    var miner = TripletMiner(kind: .semihard, margin: 0.2)
    let t = mined(&miner, x, y)
    let fromZero = (0..<t.count).filter { t.anchors[$0] == 0 }
    #expect(fromZero.count == 1)
    #expect(fromZero.first.map { t.negatives[$0] } == 3)
}

@Test func hardAndBatchHardPickExtremes() {
    let x = Matrix([[0], [0.5], [0.9], [0.4], [0.7], [2]])
    let y: [Int32] = [0, 0, 0, 1, 1, 1]
    var hard = TripletMiner(kind: .hard, margin: 0.2)
    let h = mined(&hard, x, y)
    let hardFromZero = (0..<h.count).filter { h.anchors[$0] == 0 }
    #expect(hardFromZero.map { h.negatives[$0] } == [3, 3])
    #expect(hardFromZero.map { h.positives[$0] } == [1, 2])
    var batchHard = TripletMiner(kind: .batchHard, margin: 0.2)
    let bh = mined(&batchHard, x, y)
    #expect(bh.count == 6)
    #expect(bh.anchors[0] == 0 && bh.positives[0] == 2 && bh.negatives[0] == 3)
}

@Test func contrastivePairsAreDeduplicated() {
    var t = TripletIndices()
    t.append(0, 1, 2)
    t.append(0, 1, 3)
    t.append(1, 0, 2)
    t.append(0, 1, 2)
    var pairs = PairIndices()
    var mask: [UInt8] = []
    pairs.assignDeduplicated(t, batchSize: 4, mask: &mask)
    #expect(pairs.positiveAnchors == [0, 1] && pairs.positives == [1, 0])
    #expect(pairs.negativeAnchors == [0, 0, 1] && pairs.negatives == [2, 3, 2])
    #expect(pairs.count == 5)
}
