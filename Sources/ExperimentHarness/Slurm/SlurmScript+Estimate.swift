extension SlurmScript {
    /// A rough, deliberately pessimistic one-CPU estimate of the longest run of
    /// `plan`, in seconds: 30 s of start-up and evaluation plus 2 ms per
    /// training sample and epoch (this project's MLPs on one core train faster);
    /// 10 minutes for `.npy` data, whose size is unknown until it is read.
    public static func estimatedSecondsPerRun(_ plan: ExperimentPlan) -> Double {
        plan.variants.map { v -> Double in
            guard let n = v.configuration.dataset.facts.trainSamples else { return 600 }
            return 30 + 0.002 * Double(n * max(1, v.configuration.train.epochs))
        }.max() ?? 60
    }
}
