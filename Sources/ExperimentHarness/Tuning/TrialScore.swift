import MetricLearning

/// A trial's validation score at one rung: the metric on each fold and their mean.
public struct TrialScore: Sendable {
    public var trial: Int
    public var rung: Int
    /// nil for a fold not yet run, or that diverged or failed.
    public var folds: [Double?]
    /// The mean over folds; nil unless every fold finished ok (a diverged trial cannot be chosen).
    public var mean: Double? {
        let v = folds.compactMap { $0 }
        return v.count == folds.count && !v.isEmpty ? v.reduce(0, +) / Double(v.count) : nil
    }
}
