/// Every training hyper-parameter, with every default in one place.
///
/// `samplesPerClass` (K) defaults to 4: P = batchSize / K = 32 classes per
/// batch at the default batch size, the usual P×K setting for many-class
/// data. A split with fewer classes than P (class-disjoint Fashion-MNIST
/// trains on 5) needs a larger K; `PKSampler.suggestedSamplesPerClass`
/// picks one.
///
/// Codable keys: `optimizer`, `learning_rate`, `momentum`, `weight_decay`,
/// `epochs`, `batch_size`, `samples_per_class`, `schedule`, `step_size`,
/// `gamma`, `max_steps_per_epoch` (all optional).
public struct TrainSpec: Codable, Hashable, Sendable {
    public var optimizer: OptimizerKind
    public var learningRate: Double
    /// SGD momentum μ (ignored by Adam/AdamW, whose β₁ is 0.9).
    public var momentum: Double
    /// L2 (sgd, adam) or decoupled (adamw) weight decay λ.
    public var weightDecay: Double
    public var epochs: Int
    /// P × K.
    public var batchSize: Int
    /// K, samples of each class in a batch.
    public var samplesPerClass: Int
    public var schedule: ScheduleKind
    /// Epochs between decays of the `step` schedule.
    public var stepSize: Int
    /// Decay factor of the `step` schedule.
    public var gamma: Double
    /// Caps the batches of an epoch (for quick runs and tests); `nil` = ceil(N / batchSize).
    public var maxStepsPerEpoch: Int?
    /// The learning rate of the loss's own parameters (proxies, class
    /// weights); `nil` = 100 × `learningRate`, as the Proxy-Anchor and
    /// ProxyNCA++ code trains its proxies (their gradients are spread over
    /// C rows, each seen by few samples of a batch). Left out of the id when nil.
    public var lossLearningRate: Double?

    /// ``lossLearningRate`` resolved.
    public var resolvedLossLearningRate: Double { lossLearningRate ?? 100 * learningRate }

    public init(
        optimizer: OptimizerKind = .adam, learningRate: Double = 1e-3, momentum: Double = 0.9,
        weightDecay: Double = 0, epochs: Int = 2, batchSize: Int = 128, samplesPerClass: Int = 4,
        schedule: ScheduleKind = .constant, stepSize: Int = 1, gamma: Double = 0.1, maxStepsPerEpoch: Int? = nil
    ) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.epochs = epochs
        self.batchSize = batchSize
        self.samplesPerClass = samplesPerClass
        self.schedule = schedule
        self.stepSize = stepSize
        self.gamma = gamma
        self.maxStepsPerEpoch = maxStepsPerEpoch
    }

    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "learning_rate", momentum, weightDecay = "weight_decay", epochs
        case batchSize = "batch_size", samplesPerClass = "samples_per_class", schedule
        case stepSize = "step_size", gamma, maxStepsPerEpoch = "max_steps_per_epoch"
        case lossLearningRate = "loss_learning_rate"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainSpec()
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? d.momentum
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        samplesPerClass = try c.decodeIfPresent(Int.self, forKey: .samplesPerClass) ?? d.samplesPerClass
        schedule = try c.decodeIfPresent(ScheduleKind.self, forKey: .schedule) ?? d.schedule
        stepSize = try c.decodeIfPresent(Int.self, forKey: .stepSize) ?? d.stepSize
        gamma = try c.decodeIfPresent(Double.self, forKey: .gamma) ?? d.gamma
        maxStepsPerEpoch = try c.decodeIfPresent(Int.self, forKey: .maxStepsPerEpoch)
        lossLearningRate = try c.decodeIfPresent(Double.self, forKey: .lossLearningRate)
    }

    /// Throws `TrainSpecError` naming the first invalid key.
    public func validate() throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TrainSpecError(message()) }
        }
        try check(learningRate > 0 && learningRate.isFinite, "train.learning_rate must be a positive number, got \(learningRate)")
        try check(momentum >= 0 && momentum < 1, "train.momentum must be in [0, 1), got \(momentum)")
        try check(weightDecay >= 0 && weightDecay.isFinite, "train.weight_decay must be ≥ 0, got \(weightDecay)")
        try check(epochs >= 1, "train.epochs must be at least 1, got \(epochs)")
        try check(batchSize >= 2, "train.batch_size must be at least 2, got \(batchSize)")
        try check(samplesPerClass >= 1, "train.samples_per_class must be at least 1, got \(samplesPerClass)")
        try check(stepSize >= 1, "train.step_size must be at least 1, got \(stepSize)")
        try check(gamma > 0 && gamma.isFinite, "train.gamma must be positive, got \(gamma)")
        try check((maxStepsPerEpoch ?? 1) >= 1, "train.max_steps_per_epoch must be at least 1")
        try check(resolvedLossLearningRate > 0 && resolvedLossLearningRate.isFinite,
                  "train.loss_learning_rate must be a positive number, got \(resolvedLossLearningRate)")
    }
}
