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

    /// Appends the triplets `body` writes, at most `maximum`, through
    /// pointers to the new slots (anchors, positives, negatives); `body`
    /// returns how many it wrote. Avoids a capacity and uniqueness check per
    /// triplet; allocates only when the capacity must grow.
    mutating func appendUnsafe(
        maximum: Int,
        _ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int
    ) {
        let start = count
        anchors.append(contentsOf: repeatElement(0, count: maximum))
        positives.append(contentsOf: repeatElement(0, count: maximum))
        negatives.append(contentsOf: repeatElement(0, count: maximum))
        let written = anchors.withUnsafeMutableBufferPointer { a in
            positives.withUnsafeMutableBufferPointer { p in
                negatives.withUnsafeMutableBufferPointer { n in
                    body(a.baseAddress! + start, p.baseAddress! + start, n.baseAddress! + start)
                }
            }
        }
        precondition(written >= 0 && written <= maximum, "appendUnsafe: wrote \(written) of at most \(maximum)")
        anchors.removeLast(maximum - written)
        positives.removeLast(maximum - written)
        negatives.removeLast(maximum - written)
    }
}
