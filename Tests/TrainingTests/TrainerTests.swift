import Foundation
import NumericCore
import Benchmarks
import Testing
@testable import Training

private let smallData = DatasetSpec.synthetic(classes: 40, samplesPerClass: 20, inputDim: 32, latentDim: 8, noise: 0.4, seed: 1)
private let smallModel = ModelSpec(kind: .mlp, hidden: [64], normalize: true)

@Test func sameSeedGivesBitwiseIdenticalEmbeddings() throws {
    let data = try loadDataset(smallData)
    let spec = TrainSpec(epochs: 2, batchSize: 40, samplesPerClass: 4)
    func run(_ seed: UInt64) throws -> Matrix {
        var loss: any BatchLoss = PairTestLoss()
        let outcome = try Trainer.train(model: smallModel, embeddingDim: 16, train: spec, data: data.train,
                                        inputShape: data.inputShape, loss: &loss, seed: seed, context: .serial)
        #expect(outcome.status == .ok)
        return outcome.model.embed(data.test.features, batchSize: 64)
    }
    let a = try run(3), b = try run(3), c = try run(4)
    #expect(a.storage.map(\.bitPattern) == b.storage.map(\.bitPattern))
    #expect(a != c)
}

@Test func shortTrainingLowersTheTestLoss() throws {
    let data = try loadDataset(smallData)
    func testLoss(_ model: EmbeddingModel) throws -> Double {
        var loss = PairTestLoss()
        var g = Matrix(rows: 0, cols: 0)
        return try loss.evaluate(embeddings: model.embed(data.test.features), labels: data.test.labels, gradient: &g).loss
    }
    let untrained = try EmbeddingModel(spec: smallModel, inputShape: data.inputShape, embeddingDim: 16, seed: 0, context: .serial)
    var loss: any BatchLoss = PairTestLoss()
    var seen: [EpochStats] = []
    let outcome = try Trainer.train(model: smallModel, embeddingDim: 16,
                                    train: TrainSpec(learningRate: 3e-3, epochs: 6, batchSize: 40, samplesPerClass: 4),
                                    data: data.train, inputShape: data.inputShape, loss: &loss, seed: 0, context: .serial) { seen.append($0) }
    #expect(outcome.status == .ok)
    #expect(seen.map(\.epoch) == [1, 2, 3, 4, 5, 6])
    #expect(outcome.epochs.last!.meanLoss < outcome.epochs.first!.meanLoss)
    let before = try testLoss(untrained), after = try testLoss(outcome.model)
    #expect(after < 0.8 * before, "test loss \(before) → \(after)")
}

@Test func nonFiniteLossStopsTheRunAsDiverged() throws {
    let data = try loadDataset(smallData)
    var loss: any BatchLoss = NaNLoss(after: 3)
    let outcome = try Trainer.train(model: smallModel, embeddingDim: 8, train: TrainSpec(epochs: 3, batchSize: 40, samplesPerClass: 4, maxStepsPerEpoch: 2),
                                    data: data.train, inputShape: data.inputShape, loss: &loss, seed: 0, context: .serial)
    guard case .diverged(let epoch, let reason) = outcome.status else { Issue.record("expected divergence"); return }
    #expect(epoch == 2)
    #expect(reason.contains("nan"))
    #expect(outcome.epochs.count == 1)
}

@Test func everyModelKindTrainsAndEmbeds() throws {
    let images = LabeledData(features: randomMatrix(rows: 32, cols: 64, seed: 1), labels: (0..<32).map { Int32($0 % 8) })
    let shape = InputShape(channels: 1, height: 8, width: 8)
    for spec in [ModelSpec(kind: .linear), ModelSpec(kind: .mlp, hidden: [16, 8]), ModelSpec(kind: .convnet, channels: [4, 4], normalize: false)] {
        var loss: any BatchLoss = PairTestLoss()
        let outcome = try Trainer.train(model: spec, embeddingDim: 5, train: TrainSpec(optimizer: .sgd, learningRate: 0.01, epochs: 1, batchSize: 16),
                                        data: images, inputShape: shape, loss: &loss, seed: 1, context: .serial)
        #expect(outcome.status == .ok)
        let e = outcome.model.embed(images.features, batchSize: 7)
        #expect(e.rows == 32 && e.cols == 5 && e.isFinite)
        if spec.normalize {
            for i in 0..<e.rows { #expect(abs(e.row(i).reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
        }
    }
}

@Test func convnetOnFlatFeaturesIsAClearError() {
    #expect { try EmbeddingModel(spec: ModelSpec(kind: .convnet), inputShape: InputShape(flat: 10), embeddingDim: 2, seed: 0, context: .serial) } throws: {
        "\($0)".contains("convnet needs image inputs")
    }
}

@Test func invalidTrainSpecNamesTheKey() {
    #expect { try TrainSpec(learningRate: -1).validate() } throws: { "\($0)".contains("train.learning_rate") }
}

@Test func specsDecodeWithDefaultsAndSnakeCaseKeys() throws {
    let json = #"{"optimizer": "adamw", "learning_rate": 0.01, "samples_per_class": 16, "max_steps_per_epoch": 3}"#
    let train = try JSONDecoder().decode(TrainSpec.self, from: Data(json.utf8))
    #expect(train.optimizer == .adamw && train.learningRate == 0.01 && train.samplesPerClass == 16)
    #expect(train.batchSize == 128 && train.epochs == 2 && train.maxStepsPerEpoch == 3)
    let dataset = try JSONDecoder().decode(DatasetSpec.self, from: Data(#"{"name": "synthetic", "classes": 1000, "train_classes": 500}"#.utf8))
    #expect(dataset.kind == .synthetic && dataset.options(as: SyntheticData.self)?.classes == 1000
            && dataset.options(as: SyntheticData.self)?.trainClasses == 500)
    let model = try JSONDecoder().decode(ModelSpec.self, from: Data(#"{"kind": "mlp"}"#.utf8))
    #expect(model == ModelSpec())
    let roundTrip = try JSONDecoder().decode(DatasetSpec.self, from: JSONEncoder().encode(dataset))
    #expect(roundTrip == dataset)
}

@Test func benchmarkReportsAPositiveThroughput() throws {
    let data = try loadDataset(smallData)
    var loss: any BatchLoss = BenchmarkLoss(samplesPerClass: 4)
    let r = try TrainingBenchmark.measure(model: smallModel, embeddingDim: 16, batchSize: 40, samplesPerClass: 4,
                                          loss: &loss, data: data.train, inputShape: data.inputShape, steps: 5, warmup: 1,
                                          context: .serial)
    #expect(r.samplesPerSecond > 0 && r.samplesPerSecondWithLoss > 0 && r.samplesPerSecond >= r.samplesPerSecondWithLoss)
}

@Test func benchmarkLossGradientMatchesFiniteDifferences() throws {
    var loss = BenchmarkLoss(samplesPerClass: 3)
    var x = randomMatrix(rows: 6, cols: 2, seed: 3)
    var g = Matrix(rows: 0, cols: 0), scratch = Matrix(rows: 0, cols: 0)
    let labels: [Int32] = [0, 0, 0, 1, 1, 1]
    _ = try loss.evaluate(embeddings: x, labels: labels, gradient: &g)
    for i in x.storage.indices {
        let v = x.storage[i]
        x.storage[i] = v + 1e-2; let up = try loss.evaluate(embeddings: x, labels: labels, gradient: &scratch).loss
        x.storage[i] = v - 1e-2; let down = try loss.evaluate(embeddings: x, labels: labels, gradient: &scratch).loss
        x.storage[i] = v
        #expect(isClose(Double(g.storage[i]), (up - down) / 2e-2))
    }
}

/// A real loss whose first gradient is enormous: plain SGD overflows the weights,
/// the next embeddings are not finite, and the run must end as diverged, not fail.
struct ExplodingOnce: BatchLoss {
    var inner: any BatchLoss = try! makeBatchLoss(LossConfiguration(loss: .contrastive))
    var calls = 0

    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        calls += 1
        let result = try inner.evaluate(embeddings: embeddings, labels: labels, gradient: &gradient)
        if calls == 1 { gradient.fill(1e30) }
        return result
    }
}

@Test func overflowingWeightsEndTheRunAsDivergedNotFailed() throws {
    let data = try loadDataset(smallData)
    var loss: any BatchLoss = ExplodingOnce()
    let outcome = try Trainer.train(
        model: smallModel, embeddingDim: 8,
        train: TrainSpec(optimizer: .sgd, learningRate: 1e30, momentum: 0, epochs: 2, batchSize: 40, samplesPerClass: 4, maxStepsPerEpoch: 3),
        data: data.train, inputShape: data.inputShape, loss: &loss, seed: 0, context: .serial)
    guard case .diverged(let epoch, let reason) = outcome.status else { Issue.record("expected divergence, got \(outcome.status)"); return }
    #expect(epoch == 1)
    #expect(reason.contains("embeddings are not finite at step 2"))
}
