import Foundation
import Testing
@testable import Training

@Test func aLongRunKeepsAtMostTheBoundWithEachPointTheMeanOfItsSteps() {
    // 401 steps, ≤ 200 points: stride ⌈401 / 200⌉ = 3, so 133 full points and one of 2 steps.
    var recorder = LossCurveRecorder(totalSteps: 401, maxPoints: 200)
    #expect(recorder.stride == 3)
    for s in 1...401 { recorder.add(loss: Double(s), activeFraction: Double(s % 2)) }
    let points = recorder.finished()
    #expect(points.count == 134)
    #expect(points[0] == LossCurvePoint(step: 3, steps: 3, meanLoss: 2, activeFraction: 2.0 / 3))
    #expect(points[1] == LossCurvePoint(step: 6, steps: 3, meanLoss: 5, activeFraction: 1.0 / 3))
    #expect(points.last == LossCurvePoint(step: 401, steps: 2, meanLoss: 400.5, activeFraction: 0.5))
    // Every step is in exactly one point.
    #expect(points.map(\.steps).reduce(0, +) == 401)
}

@Test func aShortRunKeepsEveryStep() {
    var recorder = LossCurveRecorder(totalSteps: 5, maxPoints: 200)
    #expect(recorder.stride == 1)
    for s in 1...5 { recorder.add(loss: Double(s) / 10, activeFraction: 1) }
    #expect(recorder.finished().map(\.step) == [1, 2, 3, 4, 5])
    #expect(recorder.finished().map(\.meanLoss) == [0.1, 0.2, 0.3, 0.4, 0.5])
    // `finished` closes only a copy: the recorder goes on.
    #expect(recorder.points.count == 5)
}

@Test func theTrainersCurveAveragesToItsEpochMeans() throws {
    let data = try loadDataset(.synthetic(classes: 40, samplesPerClass: 20, inputDim: 32, latentDim: 8, noise: 0.4, seed: 1))
    var loss: any BatchLoss = PairTestLoss()
    // A few dozen steps: under the 200-point bound every step is its own point.
    let outcome = try Trainer.train(model: ModelSpec(kind: .mlp, hidden: [32], normalize: true), embeddingDim: 8,
                                    train: TrainSpec(epochs: 3, batchSize: 40, samplesPerClass: 4),
                                    data: data.train, inputShape: data.inputShape, loss: &loss, seed: 2, context: .serial)
    #expect(outcome.status == .ok)
    let perEpoch = outcome.curve.count / 3
    #expect(perEpoch >= 2 && outcome.curve.count == 3 * perEpoch)
    #expect(outcome.curve.map(\.step) == Array(1...(3 * perEpoch)))
    #expect(outcome.curve.allSatisfy { $0.steps == 1 })
    for (e, epoch) in outcome.epochs.enumerated() {
        let steps = outcome.curve[(e * perEpoch)..<((e + 1) * perEpoch)]
        let mean = steps.map(\.meanLoss).reduce(0, +) / Double(perEpoch)
        let active = steps.map(\.activeFraction).reduce(0, +) / Double(perEpoch)
        #expect(abs(mean - epoch.meanLoss) < 1e-12 * max(1, abs(epoch.meanLoss)))
        #expect(abs(active - epoch.activeFraction) < 1e-12)
    }
}

@Test func aDivergedRunKeepsItsCurveUpToTheLastGoodStep() throws {
    let data = try loadDataset(.synthetic(classes: 40, samplesPerClass: 20, inputDim: 32, latentDim: 8, noise: 0.4, seed: 1))
    var loss: any BatchLoss = NaNLoss(after: 3)
    let outcome = try Trainer.train(model: ModelSpec(kind: .mlp, hidden: [32], normalize: true), embeddingDim: 8,
                                    train: TrainSpec(epochs: 3, batchSize: 40, samplesPerClass: 4, maxStepsPerEpoch: 2),
                                    data: data.train, inputShape: data.inputShape, loss: &loss, seed: 0, context: .serial)
    guard case .diverged = outcome.status else { Issue.record("expected divergence"); return }
    // The third loss is NaN: steps 1 and 2 finished.
    #expect(outcome.curve.map(\.step) == [1, 2])
}
