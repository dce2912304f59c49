/// How a training run ended.
public enum RunStatus: Equatable, Sendable {
    case ok
    /// The loss or its gradient stopped being finite during `epoch` (from 1).
    case diverged(epoch: Int, reason: String)
}

/// The statistics of one training epoch.
public struct EpochStats: Codable, Equatable, Sendable {
    /// From 1.
    public var epoch: Int
    public var meanLoss: Double
    /// Mean over the epoch's batches of the loss's active fraction.
    public var activeFraction: Double
    public var seconds: Double
    public var samplesPerSecond: Double
    public var learningRate: Double
}

/// The result of `Trainer.train`.
public struct TrainingOutcome {
    public var status: RunStatus
    /// Completed epochs (a diverged epoch is not included).
    public var epochs: [EpochStats]
    public var trainSeconds: Double
    /// Training samples processed per second of `trainSeconds`.
    public var samplesPerSecond: Double
    public var model: EmbeddingModel
}
