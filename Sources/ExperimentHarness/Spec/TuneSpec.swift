import MetricLearning

/// How the trials of a variant's search are chosen.
public enum SearchKind: String, CaseIterable, Sendable, Codable {
    /// Every trial draws its parameters independently from the space.
    case random
    /// Successive halving over epochs: all trials train a few epochs, the best
    /// third train three times longer, and so on up to the spec's epochs.
    case halving
    /// Tree-structured Parzen estimator: the first trials are `random`'s, then each wave of
    /// trials is drawn where the best quarter of the finished trials are denser than the rest.
    case tpe
}

/// Where one tuned setting is drawn from.
public enum TuneDistribution: Hashable, Sendable {
    /// exp(uniform(log lo, log hi)); lo > 0.
    case logUniform(Double, Double)
    case uniform(Double, Double)
    /// A whole number uniform in lo...hi.
    case intUniform(Int, Int)
    /// One of the listed values, each equally likely.
    case choice([AxisValue])

    /// `v` as a value of this distribution (a record reads a real 1.0 back as the whole number 1),
    /// or nil when it is not one.
    public func value(_ v: AxisValue) -> AxisValue? {
        switch self {
        case .logUniform, .uniform: return v.number.map { .double($0) }
        case .intUniform: return v.number.flatMap { Int(exactly: $0) }.map { .int($0) }
        case .choice(let values): return values.first { $0 == v } ?? v.number.flatMap { n in values.first { $0.number == n } }
        }
    }

    /// Whether plots of this setting use a log scale.
    public var isLogarithmic: Bool {
        if case .logUniform = self { return true }
        return false
    }
}

/// One tuned setting: the axis it sets and where its values come from.
public struct TuneParameter: Hashable, Sendable {
    public var axis: Axis
    public var distribution: TuneDistribution
    public var line: Int?
}

/// The `tune:` section of a spec: the search each sweep variant gets before
/// its chosen configuration is trained on all training classes and tested once.
public struct TuneSpec: Sendable {
    /// Chosen on validation folds only.
    public var metric: MetricID
    /// Class-disjoint folds of the training classes.
    public var folds: Int
    /// Trials per variant (the same for every variant).
    public var trials: Int
    public var search: SearchKind
    /// `tpe` only: one joint density over all settings (each finished trial a product kernel, as
    /// optuna's `multivariate=True`) instead of one independent density per setting.
    public var multivariate = false
    public var space: [TuneParameter]
    public var line: Int?

    /// The folds when the spec does not say (as MLRC).
    public static let defaultFolds = 4
    /// Halving's reduction factor: a third of the trials go on to each next rung.
    public static let halvingFactor = 3
    /// `tpe`'s wave: trials drawn together from the same finished trials (a constant, so the draws
    /// do not depend on how many jobs or shards run them; a wave is `tpeWave` × folds runs to share).
    public static let tpeWave = 2
    /// `tpe`'s random start-up trials before the estimator takes over: a third of the budget, at
    /// least 4 (the estimator needs a good and a bad trial to compare), at most the budget.
    public static func tpeStartup(trials: Int) -> Int { min(trials, max(4, trials / 3)) }
    /// The axes a search may set: not the ones that define a variant (loss, mining,
    /// model), the batch composition (checked per variant at plan time), nor the epochs (the budget).
    static func isTunable(_ axis: Axis) -> Bool {
        switch axis {
        case .loss, .mining, .model, .epochs, .batchSize, .samplesPerClass, .classesPerBatch: return false
        case .embeddingDim, .learningRate, .optimizer, .schedule, .weightDecay, .normalize, .parameter: return true
        }
    }
}
