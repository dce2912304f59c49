import Foundation
import Testing
@testable import MetricLearning

/// Five unit vectors in the plane at 0°, 30°, 90°, 120°, 180°, labels
/// [0, 0, 1, 1, 2]. Chord lengths `D = 2 sin(Δθ/2)`:
///
/// | Δθ  | pairs          | D                  | D²          |
/// |-----|----------------|--------------------|-------------|
/// | 30° | 0–1, 2–3       | 0.5176381          | 2 − √3 = 0.2679492 |
/// | 60° | 1–2, 3–4       | 1                  | 1           |
/// | 90° | 0–2, 1–3, 2–4  | √2 = 1.4142136     | 2           |
/// | 120°| 0–3            | √3 = 1.7320508     | 3           |
/// | 150°| 1–4            | 1.9318517          | 2 + √3      |
/// | 180°| 0–4            | 2                  | 4           |
let handPoints: Matrix = {
    let degrees: [Double] = [0, 30, 90, 120, 180]
    return Matrix(degrees.map { d in [Float(cos(d * .pi / 180)), Float(sin(d * .pi / 180))] })
}()
let handLabels: [Int32] = [0, 0, 1, 1, 2]
let d2At30 = 2 - 3.0.squareRoot()

func handLoss(_ c: LossConfiguration) throws -> LossResult {
    var loss = try makeBatchLoss(c)
    var g = Matrix(rows: 0, cols: 0)
    let r = try loss.evaluate(embeddings: handPoints, labels: handLabels, gradient: &g)
    #expect(g.isFinite)
    return r
}

func relativelyClose(_ a: Double, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

@Test func contrastiveOnFivePlanePoints() throws {
    // 20 ordered pairs. Positive: 0–1, 1–0, 2–3, 3–2, each D² = 2 − √3.
    // Negative: every D ≥ 1, so relu(1 − D)² = 0.
    // mean: 4 (2 − √3) / 20 = 0.0535898; nonzero-mean: (2 − √3) + 0.
    let mean = try handLoss(LossConfiguration(loss: .contrastive))
    #expect(relativelyClose(mean.loss, 4 * d2At30 / 20))
    #expect(mean.tuples == 20)
    #expect(relativelyClose(mean.activeFraction, 4.0 / 20))
    let nonzero = try handLoss(LossConfiguration(loss: .contrastive, reducer: .nonzeroMean))
    #expect(relativelyClose(nonzero.loss, d2At30))
    // p = 1, neg margin 1.5: positives 4 × 0.5176381; negatives below 1.5:
    // D = 1 (1–2, 2–1, 3–4, 4–3) give 0.5, D = √2 (0–2, 2–0, 1–3, 3–1, 2–4, 4–2) give 0.0857864.
    // mean over 20: (4 · 0.5176381 + 4 · 0.5 + 6 · 0.0857864) / 20 = 0.2292635.
    let p1 = try handLoss(LossConfiguration(loss: .contrastive, negMargin: 1.5, power: 1))
    let expected = (4 * 0.5176381 + 4 * 0.5 + 6 * (1.5 - 2.0.squareRoot())) / 20
    #expect(relativelyClose(p1.loss, expected))
}

@Test func tripletOnFivePlanePoints() throws {
    // Squared distances, margin 1. Each of anchors 0–3 has one positive at
    // D² = 2 − √3 and 3 negatives: 12 triplets. Non-zero terms are
    // (2 − √3) + 1 − 1 for (1, 0, 2), (2, 3, 1), (3, 2, 4); others negative.
    // mean = 3 (2 − √3) / 12 = 0.0669873; nonzero-mean = 2 − √3.
    let all = try handLoss(LossConfiguration(loss: .triplet, margin: 1))
    #expect(relativelyClose(all.loss, 3 * d2At30 / 12))
    #expect(all.tuples == 12)
    #expect(relativelyClose(all.activeFraction, 0.25))
    let nonzero = try handLoss(LossConfiguration(loss: .triplet, margin: 1, reducer: .nonzeroMean))
    #expect(relativelyClose(nonzero.loss, d2At30))
    // semihard (window (D²_ap, D²_ap + 1)): anchor 0 has no negative with D² < 1.268 and is
    // dropped; anchors 1, 2, 3 pick their D² = 1 negative: 3 triplets, mean 2 − √3.
    let semihard = try handLoss(LossConfiguration(loss: .triplet, mining: .semihard, margin: 1))
    #expect(semihard.tuples == 3)
    #expect(relativelyClose(semihard.loss, d2At30))
    // hard = batch-hard here (one positive each): 4 triplets, anchor 0's (D² = 2) is inactive.
    for mining in [MiningKind.hard, .batchHard] {
        let r = try handLoss(LossConfiguration(loss: .triplet, mining: mining, margin: 1))
        #expect(r.tuples == 4)
        #expect(relativelyClose(r.loss, 3 * d2At30 / 4))
    }
}

@Test func liftedOnFivePlanePoints() throws {
    // α = 1, euclidean. α − D over the negatives:
    // row 0: −0.4142136, −0.7320508, −1;  row 1: 0, −0.4142136, −0.9318517;
    // row 2: −0.4142136, 0, −0.4142136;   row 3: −0.7320508, −0.4142136, 0.
    // Pair 0–1: log(e^−.4142 + e^−.7321 + e^−1 + 1 + e^−.4142 + e^−.9319) + 0.5176381
    //         = log 3.564427 + 0.5176381 = 1.7886183.
    // Pair 2–3: log(3 e^−.4142 + 2 + e^−.7321) + 0.5176381 = log 4.463566 + 0.5176381 = 2.0135715.
    // J = (1.7886183² + 2.0135715²) / (2 · 2) = 1.8134064.
    let smooth = try handLoss(LossConfiguration(loss: .lifted))
    #expect(relativelyClose(smooth.loss, 1.8134064))
    #expect(smooth.tuples == 2)
    #expect(smooth.activeFraction == 1)
    // Exact eq. (3): both maxima are 0, J̃ = 0.5176381 for each pair, J = 2 (2 − √3) / 4.
    let exact = try handLoss(LossConfiguration(loss: .lifted, mining: .hard))
    #expect(relativelyClose(exact.loss, 2 * d2At30 / 4))
}
