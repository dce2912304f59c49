/// Bad input to an evaluation: each case says what is wrong and how to fix it.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case countMismatch(embeddings: Int, labels: Int)
    case assignmentCountMismatch(assignments: Int, items: Int)
    case tooFewItems(Int)
    case noFeatures
    case nonFinite(row: Int, column: Int)
    case tooFewClasses(Int)
    case invalidRecallK(Int, items: Int)
    case invalidFar(Double)
    case unknownMetric(String, hint: String)

    public var description: String {
        switch self {
        case .countMismatch(let e, let l):
            return "embeddings have \(e) rows but there are \(l) labels; give one label per row"
        case .assignmentCountMismatch(let a, let n):
            return "\(a) cluster assignments for \(n) items; give one assignment per row"
        case .tooFewItems(let n):
            return "evaluation needs at least 2 items, have \(n)"
        case .noFeatures:
            return "embeddings have 0 columns"
        case .nonFinite(let r, let c):
            return "embedding value at row \(r), column \(c) is not finite (NaN or infinity)"
        case .tooFewClasses(let c):
            return "evaluation needs at least 2 distinct labels, have \(c)"
        case .invalidRecallK(let k, let n):
            return "recall@\(k) is undefined for \(n) items: K must satisfy 1 ≤ K < \(n) (each query has \(n - 1) neighbours)"
        case .invalidFar(let f):
            return "FAR bound \(f) must satisfy 0 < F ≤ 1 (e.g. 1e-3)"
        case .unknownMetric(let s, let hint):
            return "unknown metric '\(s)': \(hint)"
        }
    }
}
