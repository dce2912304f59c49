/// Every metric of one evaluation (DESIGN §6), plus the ROC curve for plots.
///
/// The metrics are ``MetricID``s with values, as the metric families
/// (``RetrievalMetrics``, ``ClusteringMetrics``, ``VerificationMetrics``)
/// report them: a new metric is a `MetricID` case and its computation in its
/// family, and appears here, in the records and in the reports without
/// touching this type.
public struct EvaluationResult: Sendable {
    /// Number of items (queries = gallery).
    public var n: Int
    /// Every metric with its value, in report order: `recall@K`…,
    /// `precision@1`, `r-precision`, `map@r`, `nmi`, `f1` (when clustering
    /// was requested), `val@far=F`….
    public var values: [(metric: MetricID, value: Double)]
    /// VAL against FAR, at most ~200 points log-spaced in FAR.
    public var roc: [(far: Double, val: Double)]
    /// Queries with at least one other item of their class (the denominator of
    /// `precision@1`, `r-precision`, `map@r`).
    public var queriesWithPositives: Int
    /// False when VAL@FAR came from the histogram approximation.
    public var verificationIsExact: Bool
    /// Wall time of the whole evaluation.
    public var seconds: Double

    /// The value of `metric`, or nil when it was not computed.
    public subscript(metric: MetricID) -> Double? { values.first { $0.metric == metric }?.value }

    /// ``values`` with each metric's canonical spelling.
    public var named: [(name: String, value: Double)] { values.map { ($0.metric.name, $0.value) } }
}
