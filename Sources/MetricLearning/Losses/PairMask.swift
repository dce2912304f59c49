import CKernels
import NumericCore

/// The pairs a pair loss sees, as a B × B mask: `positive` for a selected
/// positive pair (i, j), `negative` for a selected negative pair, `none`
/// otherwise (the diagonal is always `none`).
///
/// Built from the labels when no miner ran (pytorch-metric-learning's
/// `get_all_pairs_indices`: every ordered pair i ≠ j) or from mined
/// `PairIndices` (a pair listed twice counts once).
struct _PairMask {
    static let none: UInt8 = 0, positive: UInt8 = 1, negative: UInt8 = 2

    private(set) var values: [UInt8] = []
    private(set) var size = 0
    /// The number of positive and negative pairs in the selection, as listed.
    private(set) var positivePairs = 0, negativePairs = 0

    /// Fills the mask for a batch of `labels` and an optional selection; the
    /// rows of an unmined batch on `context`'s workers (integer work: the
    /// mask and counts do not depend on them).
    mutating func assign(labels: [Int32], pairs: PairIndices?, context: ComputeContext = .serial) {
        let b = labels.count
        size = b
        if values.count != b * b { values = [UInt8](repeating: 0, count: b * b) }
        values.withUnsafeMutableBufferPointer { m in
            guard let pairs else {
                let parts = context.parts(forWork: b * b)
                let p = withUnsafeTemporaryAllocation(of: Int64.self, capacity: parts) { counts in
                    counts.initialize(repeating: 0)  // a part that gets no rows is not called
                    labels.withUnsafeBufferPointer { y in
                        guard let y = y.baseAddress, let m = m.baseAddress else { return }
                        Parallel.forEachPart(b, parts: parts) { part, rows in
                            counts[part] = mb_pair_mask_rows(WideISA.selected, y, b, rows.lowerBound, rows.upperBound, m)
                        }
                    }
                    return Int(counts.reduce(0, +))
                }
                positivePairs = p
                negativePairs = b * b - b - p
                return
            }
            for k in m.indices { m[k] = Self.none }
            precondition(pairs.positiveAnchors.count == pairs.positives.count
                && pairs.negativeAnchors.count == pairs.negatives.count, "ragged PairIndices")
            for t in 0..<pairs.positiveAnchors.count {
                let i = Int(pairs.positiveAnchors[t]), j = Int(pairs.positives[t])
                precondition(i != j && labels[i] == labels[j], "positive pair (\(i), \(j)) is not a positive pair")
                m[i * b + j] = Self.positive
            }
            for t in 0..<pairs.negativeAnchors.count {
                let i = Int(pairs.negativeAnchors[t]), j = Int(pairs.negatives[t])
                precondition(labels[i] != labels[j], "negative pair (\(i), \(j)) shares a label")
                m[i * b + j] = Self.negative
            }
            positivePairs = pairs.positiveAnchors.count
            negativePairs = pairs.negativeAnchors.count
        }
    }

    /// pytorch-metric-learning's `GenericPairLoss` returns a zero loss when
    /// every index tensor has at most one entry (at most one positive and
    /// one negative pair), however those pairs score.
    var isTrivial: Bool { positivePairs <= 1 && negativePairs <= 1 }
}
