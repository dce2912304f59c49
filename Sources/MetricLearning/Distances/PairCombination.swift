/// How ``PairwiseDistance``'s backward pass turns the two coefficients of a
/// pair, `C_ij` and `C_ji`, into its symmetric coefficient `S_ij` (before
/// the euclidean division by `2 D_ij`): the plain sum, or the sum as a
/// loss's reducer weights it. The reducer owns the weights; the distance
/// only applies what it is given, eight pairs of one row at a time.
protocol _PairCombination {
    /// What the combination reads once per block of eight columns.
    associatedtype Columns
    /// Whether `C_ji` is read; when false the upper triangle alone is (and
    /// `lower` is passed the upper entries).
    var readsLower: Bool { get }
    /// The per-column state of columns `j0..<j0 + 8`.
    func columns(_ j0: Int) -> Columns
    /// `S` for the pairs (i, j0 + l), l < 8: `upper` = `C_{i, j0+l}`, `lower` = `C_{j0+l, i}`.
    func combine(_ upper: SIMD8<Float>, _ lower: SIMD8<Float>, row i: Int, _ columns: Columns) -> SIMD8<Float>
    /// `S` for one pair (i, j).
    func combine(_ upper: Float, _ lower: Float, _ i: Int, _ j: Int) -> Float
}

/// `S_ij = C_ij + C_ji`: every pair weighs one (a uniform reducer weight goes into the GEMM's scale).
struct _SymmetricSum: _PairCombination {
    var readsLower: Bool { true }
    @inline(__always) func columns(_ j0: Int) {}
    @inline(__always) func combine(_ upper: SIMD8<Float>, _ lower: SIMD8<Float>, row i: Int, _ columns: Void) -> SIMD8<Float> {
        upper + lower
    }
    @inline(__always) func combine(_ upper: Float, _ lower: Float, _ i: Int, _ j: Int) -> Float { upper + lower }
}
