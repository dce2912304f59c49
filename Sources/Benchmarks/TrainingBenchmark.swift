import MetricLearning
import NumericCore
@_spi(Benchmarks) import Training

/// Training throughput of the shared loop, for `metricbench bench`.
public enum TrainingBenchmark {
    /// What a benchmark measured.
    public struct Result: Sendable {
        /// Samples per second of the step excluding the loss's own time
        /// (sampling, gather, forward, backward, optimizer).
        public var samplesPerSecond: Double
        /// Samples per second including the loss.
        public var samplesPerSecondWithLoss: Double
        /// Mean seconds per step spent inside the loss.
        public var lossSecondsPerStep: Double
        /// Samples per second of the model's dense products alone (the
        /// forward, weight-gradient and input-gradient GEMMs of its `Linear`
        /// layers and, for a convnet, of its convolutions as whole-batch
        /// im2col GEMMs of the same shapes, timed interleaved with the steps):
        /// the ceiling the step approaches. See `_DenseProducts`.
        public var gemmLimitSamplesPerSecond: Double
        /// `samplesPerSecond / gemmLimitSamplesPerSecond`.
        public var fractionOfGEMMLimit: Double { gemmLimitSamplesPerSecond > 0 ? samplesPerSecond / gemmLimitSamplesPerSecond : 0 }
        public var steps: Int
        public var batchSize: Int
        /// Mean milliseconds per step of each phase, and of the GEMM-limit products: where a row's time goes.
        public var phases: Phases
    }

    /// Mean milliseconds per step of a step's phases (`TrainingStep`'s calls, timed one by one;
    /// the clock reads cost ~0.1 µs a step) and of the model's dense products alone.
    public struct Phases: Sendable, Codable {
        /// P×K sampling and the batch gather.
        public var sample = 0.0
        /// The model's forward pass.
        public var forward = 0.0
        /// The loss (with its miner) and its gradient with respect to the embeddings.
        public var loss = 0.0
        /// The model's backward pass.
        public var backward = 0.0
        /// The optimizer steps (the model's, and the loss's own parameters').
        public var update = 0.0
        /// The GEMM-limit products (`_DenseProducts`) of one step.
        public var gemm_limit = 0.0
    }

    /// The learning rate of the cold rows: it keeps long benchmarks away from
    /// numerical trouble and leaves the model at its initialisation.
    public static let coldLearningRate = 1e-6

    /// Runs `warmup` untimed steps, then `steps` timed steps of the real
    /// training step on `data`, and reports the throughput.
    ///
    /// A cold row (`trainedSteps` 0) times a model at its initialisation,
    /// stepping at ``coldLearningRate``. A warm row first takes `trainedSteps`
    /// real steps at `learningRate` (a spec's rate, e.g. Adam's 1e-3) and keeps
    /// that rate while timed: what a user's run costs once the embeddings have
    /// spread out, when the miners find other numbers of pairs and triplets.
    ///
    /// - Throws: as `Trainer.train` (bad sizes, too few classes for P×K).
    public static func measure(
        model spec: ModelSpec = ModelSpec(), embeddingDim: Int = 128, batchSize: Int = 128, samplesPerClass: Int = 4,
        optimizer: OptimizerKind = .adam, loss: inout any BatchLoss, data: LabeledData, inputShape: InputShape,
        steps: Int = 200, warmup: Int = 20, trainedSteps: Int = 0, learningRate: Double = 1e-3,
        seed: UInt64 = 0, context: ComputeContext
    ) throws -> Result {
        precondition(steps >= 1 && warmup >= 0 && trainedSteps >= 0, "steps must be positive")
        let train = TrainSpec(optimizer: optimizer, batchSize: batchSize, samplesPerClass: samplesPerClass)
        try train.validate()
        let model = try EmbeddingModel(spec: spec, inputShape: inputShape, embeddingDim: embeddingDim, seed: seed, context: context)
        var step = try TrainingStep(model: model, data: data, train: train, seed: seed, context: context)
        try step.prepare(&loss, seed: seed)
        let rate = trainedSteps > 0 ? learningRate : coldLearningRate
        for _ in 0..<(trainedSteps + warmup) {
            step.sampleBatch(); step.forward()
            _ = try step.evaluate(&loss)
            step.backwardAndUpdate(learningRate: rate)
            step.updateLoss(&loss, learningRate: rate)
        }
        // Rounds alternate between the real step and the GEMMs alone, so that
        // load from other processes affects both numbers alike.
        let rounds = min(steps, 5)
        var stepNanos: UInt64 = 0, lossNanos: UInt64 = 0, gemmNanos: UInt64 = 0
        var sampleNanos: UInt64 = 0, forwardNanos: UInt64 = 0, backwardNanos: UInt64 = 0, updateNanos: UInt64 = 0
        var gemms = _DenseProducts(model: model, batchSize: batchSize, context: context)
        var done = 0
        for round in 0..<rounds {
            let n = (steps * (round + 1)) / rounds - done
            done += n
            let start = MonotonicClock.now()
            for _ in 0..<n {
                let t0 = MonotonicClock.now()
                step.sampleBatch()
                let t1 = MonotonicClock.now()
                step.forward()
                let t2 = MonotonicClock.now()
                _ = try step.evaluate(&loss)
                let t3 = MonotonicClock.now()
                step.backward()
                let t4 = MonotonicClock.now()
                step.update(learningRate: rate)
                step.updateLoss(&loss, learningRate: rate)
                let t5 = MonotonicClock.now()
                sampleNanos += t1 &- t0; forwardNanos += t2 &- t1; lossNanos += t3 &- t2
                backwardNanos += t4 &- t3; updateNanos += t5 &- t4
            }
            stepNanos += MonotonicClock.now() &- start
            let g = MonotonicClock.now()
            for _ in 0..<n { gemms.run() }
            gemmNanos += MonotonicClock.now() &- g
        }
        func ms(_ nanos: UInt64) -> Double { Double(nanos) / 1e6 / Double(steps) }
        let total = Double(stepNanos) / 1e9
        let lossSeconds = Double(lossNanos) / 1e9
        let samples = Double(steps * batchSize)
        return Result(samplesPerSecond: samples / max(total - lossSeconds, 1e-9),
                      samplesPerSecondWithLoss: samples / total,
                      lossSecondsPerStep: lossSeconds / Double(steps),
                      gemmLimitSamplesPerSecond: gemms.count > 0 ? samples / (Double(gemmNanos) / 1e9) : 0,
                      steps: steps, batchSize: batchSize,
                      phases: Phases(sample: ms(sampleNanos), forward: ms(forwardNanos), loss: ms(lossNanos),
                                     backward: ms(backwardNanos), update: ms(updateNanos), gemm_limit: ms(gemmNanos)))
    }
}
