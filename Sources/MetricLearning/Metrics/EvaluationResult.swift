/// Every metric of one evaluation (DESIGN §6), plus the ROC curve for plots.
public struct EvaluationResult: Sendable {
    /// Number of items (queries = gallery).
    public var n: Int
    public var recallAtK: [(k: Int, value: Double)]
    public var precisionAt1: Double
    public var rPrecision: Double
    public var mapAtR: Double
    /// `nil` when clustering was not requested.
    public var nmi: Double?
    public var f1: Double?
    public var valAtFar: [(far: Double, value: Double)]
    /// VAL against FAR, at most ~200 points log-spaced in FAR.
    public var roc: [(far: Double, val: Double)]
    /// Queries with at least one other item of their class (the denominator of
    /// `precision@1`, `r-precision`, `map@r`).
    public var queriesWithPositives: Int
    /// False when VAL@FAR came from the histogram approximation.
    public var verificationIsExact: Bool
    /// Wall time of the whole evaluation.
    public var seconds: Double

    /// Every metric with its value, in report order: `recall@K`…,
    /// `precision@1`, `r-precision`, `map@r`, `nmi`, `f1`, `val@far=F`….
    public var values: [(metric: MetricID, value: Double)] {
        var out: [(metric: MetricID, value: Double)] = recallAtK.map { (.recall($0.k), $0.value) }
        out.append((.precisionAt1, precisionAt1))
        out.append((.rPrecision, rPrecision))
        out.append((.mapAtR, mapAtR))
        if let nmi { out.append((.nmi, nmi)) }
        if let f1 { out.append((.f1, f1)) }
        out += valAtFar.map { (.valAtFAR($0.far), $0.value) }
        return out
    }

    /// ``values`` with each metric's canonical spelling.
    public var named: [(name: String, value: Double)] { values.map { ($0.metric.name, $0.value) } }
}
