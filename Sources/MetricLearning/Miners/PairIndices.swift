/// Ordered pairs selected for a pair loss: positive pairs
/// `(positiveAnchors[t], positives[t])` (same label, different rows) and
/// negative pairs `(negativeAnchors[t], negatives[t])` (different labels).
public struct PairIndices: Equatable, Sendable {
    public var positiveAnchors: [Int32] = []
    public var positives: [Int32] = []
    public var negativeAnchors: [Int32] = []
    public var negatives: [Int32] = []

    public init() {}

    /// The number of pairs, positive and negative.
    public var count: Int { positiveAnchors.count + negativeAnchors.count }

    /// Empties the arrays, keeping their capacity.
    public mutating func removeAll() {
        positiveAnchors.removeAll(keepingCapacity: true)
        positives.removeAll(keepingCapacity: true)
        negativeAnchors.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
    }

    /// Replaces the contents with the ordered pairs `(a, p)` and `(a, n)` of
    /// `triplets`, each pair once, in row-major order of `(first, second)`
    /// (DESIGN §4: the pairs a contrastive loss sees under a triplet miner).
    ///
    /// `mask` is a caller-kept workspace of at least `batchSize²` bytes.
    ///
    /// - Complexity: O(B² + number of triplets).
    public mutating func assignDeduplicated(_ triplets: TripletIndices, batchSize b: Int, mask: inout [UInt8]) {
        removeAll()
        if mask.count < b * b { mask = [UInt8](repeating: 0, count: b * b) }
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<(b * b) { m[i] = 0 }
            for t in 0..<triplets.count {
                let a = Int(triplets.anchors[t])
                m[a * b + Int(triplets.positives[t])] = 1
                m[a * b + Int(triplets.negatives[t])] = 2
            }
            for i in 0..<b {
                for j in 0..<b {
                    switch m[i * b + j] {
                    case 1:
                        positiveAnchors.append(Int32(i))
                        positives.append(Int32(j))
                    case 2:
                        negativeAnchors.append(Int32(i))
                        negatives.append(Int32(j))
                    default:
                        break
                    }
                }
            }
        }
    }
}
