/// The result of `Trainer.train`.
public struct TrainingOutcome {
    public var status: RunStatus
    /// Completed epochs (a diverged epoch is not included).
    public var epochs: [EpochStats]
    /// The loss and active fraction every few steps (at most `LossCurveRecorder.defaultMaxPoints` points),
    /// up to the last completed step.
    public var curve: [LossCurvePoint]
    public var trainSeconds: Double
    /// Training samples processed per second of `trainSeconds`.
    public var samplesPerSecond: Double
    public var model: EmbeddingModel
}
