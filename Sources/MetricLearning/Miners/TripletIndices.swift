/// Triplets selected by a miner: `(anchors[t], positives[t], negatives[t])`
/// are batch row indices with `labels[a] == labels[p]`, `a ≠ p` and
/// `labels[a] ≠ labels[n]`.
public struct TripletIndices: Equatable, Sendable {
    public var anchors: [Int32] = []
    public var positives: [Int32] = []
    public var negatives: [Int32] = []

    public init() {}

    /// The number of triplets.
    public var count: Int { anchors.count }

    /// Empties the arrays, keeping their capacity.
    public mutating func removeAll() {
        anchors.removeAll(keepingCapacity: true)
        positives.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
    }

    /// Appends the triplet `(a, p, n)`.
    @inlinable
    public mutating func append(_ a: Int, _ p: Int, _ n: Int) {
        anchors.append(Int32(truncatingIfNeeded: a))
        positives.append(Int32(truncatingIfNeeded: p))
        negatives.append(Int32(truncatingIfNeeded: n))
    }
}
