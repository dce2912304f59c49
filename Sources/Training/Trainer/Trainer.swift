import NumericCore

/// The one training loop every experiment shares (DESIGN §1).
public enum Trainer {
    /// Trains an embedding network with a metric-learning loss on P×K batches.
    ///
    /// Per step: sample a batch, embed it, evaluate the loss and its gradient,
    /// backpropagate, update. A non-finite loss or gradient stops the run with
    /// `.diverged` (not an error). With the same seed the resulting model is
    /// bitwise identical, whatever `context`'s worker count.
    ///
    /// - Parameters:
    ///   - seed: seeds the initialisation (`seed`) and the sampler (a derived stream).
    ///   - progress: called after each completed epoch.
    /// - Throws: invalid specs (`TrainSpecError`, `ModelError`, `SamplerError`) and loss errors.
    public static func train(
        model spec: ModelSpec, embeddingDim: Int, train: TrainSpec, data: LabeledData, inputShape: InputShape,
        loss: inout any BatchLoss, seed: UInt64, context: ComputeContext, progress: ((EpochStats) -> Void)? = nil
    ) throws -> TrainingOutcome {
        try train.validate()
        guard data.features.cols == inputShape.count else {
            throw ModelError("training features have \(data.features.cols) values per row, input shape \(inputShape) needs \(inputShape.count)")
        }
        let model = try EmbeddingModel(spec: spec, inputShape: inputShape, embeddingDim: embeddingDim, seed: seed, context: context)
        var step = try TrainingStep(model: model, data: data, train: train, seed: SplitMix64.derived(seed: seed, stream: 7).state,
                                    context: context)
        try step.prepare(&loss, seed: SplitMix64.derived(seed: seed, stream: 0x4C4F_5353).state)
        let lossRate = train.resolvedLossLearningRate / train.learningRate
        let stepsPerEpoch = min(step.sampler.batchesPerEpoch, train.maxStepsPerEpoch ?? Int.max)
        let schedule = LearningRateSchedule(kind: train.schedule, baseRate: train.learningRate, stepSize: train.stepSize,
                                            gamma: train.gamma, totalSteps: stepsPerEpoch * train.epochs)
        var history: [EpochStats] = []
        var curve = LossCurveRecorder(totalSteps: stepsPerEpoch * train.epochs)
        var globalStep = 0
        let start = MonotonicClock.now()

        func outcome(_ status: RunStatus) -> TrainingOutcome {
            let seconds = MonotonicClock.seconds(since: start)
            let samples = Double(globalStep * train.batchSize)
            return TrainingOutcome(status: status, epochs: history, curve: curve.finished(), trainSeconds: seconds,
                                   samplesPerSecond: seconds > 0 ? samples / seconds : 0, model: model)
        }

        for epoch in 1...train.epochs {
            let epochStart = MonotonicClock.now()
            let learningRate = schedule.rate(epoch: epoch - 1, step: globalStep)
            var lossSum = 0.0, activeSum = 0.0
            for _ in 0..<stepsPerEpoch {
                step.sampleBatch()
                step.forward()
                // Weights that overflowed give non-finite embeddings: that is a divergence of
                // the run, not a user error (the losses reject such input with an error).
                guard step.model.output.isFinite else {
                    return outcome(.diverged(epoch: epoch, reason: "embeddings are not finite at step \(globalStep + 1)"))
                }
                let result = try step.evaluate(&loss)
                guard result.loss.isFinite else {
                    return outcome(.diverged(epoch: epoch, reason: "loss is \(result.loss) at step \(globalStep + 1)"))
                }
                guard step.gradient.isFinite else {
                    return outcome(.diverged(epoch: epoch, reason: "loss gradient is not finite at step \(globalStep + 1)"))
                }
                let rate = schedule.rate(epoch: epoch - 1, step: globalStep)
                step.backwardAndUpdate(learningRate: rate)
                step.updateLoss(&loss, learningRate: rate * lossRate)
                lossSum += result.loss
                activeSum += result.activeFraction
                curve.add(loss: result.loss, activeFraction: result.activeFraction)
                globalStep += 1
            }
            let seconds = MonotonicClock.seconds(since: epochStart)
            let stats = EpochStats(epoch: epoch, meanLoss: lossSum / Double(stepsPerEpoch),
                                   activeFraction: activeSum / Double(stepsPerEpoch), seconds: seconds,
                                   samplesPerSecond: Double(stepsPerEpoch * train.batchSize) / max(seconds, 1e-9),
                                   learningRate: learningRate)
            history.append(stats)
            progress?(stats)
        }
        return outcome(.ok)
    }
}
