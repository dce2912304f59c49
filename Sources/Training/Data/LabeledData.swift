import NumericCore

/// Feature rows and their class labels.
public struct LabeledData: Sendable {
    /// `n × inputShape.count`, one sample per row.
    public var features: Matrix
    public var labels: [Int32]

    public init(features: Matrix, labels: [Int32]) {
        precondition(features.rows == labels.count, "\(features.rows) feature rows but \(labels.count) labels")
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The distinct labels, ascending.
    public var classes: [Int32] { Array(Set(labels)).sorted() }

    /// The samples whose label satisfies `keep`, in their original order.
    public func filter(_ keep: (Int32) -> Bool) -> LabeledData {
        let rows = labels.indices.filter { keep(labels[$0]) }
        return LabeledData(features: features.gatherRows(rows), labels: rows.map { labels[$0] })
    }
}
