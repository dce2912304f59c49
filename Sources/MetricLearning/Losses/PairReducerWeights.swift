/// A pair reducer's weights, as ``ContrastiveLoss``'s reducer produces
/// them: every same-label pair weighs `same`, every other pair `different`
/// (`mean`: both `1 / pairs`; `nonzero-mean`: `1 / active positive pairs`
/// and `1 / active negative pairs`). The distance's backward applies them
/// as given: `S_ij = (C_ij + C_ji) · w_ij`.
struct _PairReducerWeights: _PairCombination {
    /// The batch's labels (B values), alive for the backward call.
    let labels: UnsafePointer<Int32>
    let same: Float
    let different: Float

    var readsLower: Bool { true }

    @inline(__always) func columns(_ j0: Int) -> SIMD8<Int32> {
        UnsafeRawPointer(labels + j0).loadUnaligned(as: SIMD8<Int32>.self)
    }

    @inline(__always)
    func combine(_ upper: SIMD8<Float>, _ lower: SIMD8<Float>, row i: Int, _ columnLabels: SIMD8<Int32>) -> SIMD8<Float> {
        let sameLabel = columnLabels .== SIMD8<Int32>(repeating: labels[i])
        let w = SIMD8<Float>(repeating: different).replacing(with: same, where: sameLabel)
        return (upper + lower) * w
    }

    @inline(__always) func combine(_ upper: Float, _ lower: Float, _ i: Int, _ j: Int) -> Float {
        var s = upper + lower
        s *= labels[i] == labels[j] ? same : different
        return s
    }
}
