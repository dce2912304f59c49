import Testing
import NumericCore

/// `Matrix.isFinite` (sixteen lanes of exponent maxima, then a scalar tail)
/// against the element-by-element definition: every size around the lane
/// width, one non-finite value at every position, and the finite extremes.
@Test func matrixIsFiniteIsTheElementwiseTest() {
    let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7FA0_0001)]
    let extremes: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0,
                             Float.leastNormalMagnitude, 1]
    var checked = 0
    for n in [0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 100] {
        let finite = (0..<n).map { extremes[$0 % extremes.count] }
        #expect(Matrix(rows: 1, cols: n, storage: finite).isFinite, "n \(n)")
        for position in 0..<n {
            for special in specials {
                var values = finite
                values[position] = special
                let m = Matrix(rows: 1, cols: n, storage: values)
                #expect(!m.isFinite, "n \(n), \(special) at \(position)")
                #expect(m.isFinite == values.allSatisfy(\.isFinite))
                checked += 1
            }
        }
    }
    #expect(checked == 5 * (1 + 2 + 15 + 16 + 17 + 31 + 32 + 33 + 47 + 100))
}
