import Testing
@testable import NumericCore

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

/// A matrix above the huge-page threshold (allocated uninitialised, advised, then filled) holds
/// its value everywhere, like a small one; so does the advice on buffers of every alignment.
@Test func aDatasetSizedMatrixIsFilledLikeASmallOne() {
    let cols = 1031, rows = Matrix.hugePageThreshold / (4 * cols) + 3
    for value in [Float(0), 1.5, -Float.infinity] {
        let m = Matrix(rows: rows, cols: cols, value: value)
        #expect(m.storage.count == rows * cols && rows * cols * 4 >= Matrix.hugePageThreshold)
        #expect(m.storage.allSatisfy { $0 == value })
        #expect(Matrix(rows: 3, cols: 5, value: value).storage == [Float](repeating: value, count: 15))
    }
    var bytes = [UInt8](repeating: 7, count: 5 << 20)
    for offset in [0, 1, 4096, (2 << 20) - 1] {
        bytes.withUnsafeMutableBytes { Matrix.adviseHugePages(UnsafeMutableRawBufferPointer(rebasing: $0[offset...])) }
    }
    Matrix.adviseHugePages(UnsafeMutableRawBufferPointer(start: nil, count: 0))
    #expect(bytes.allSatisfy { $0 == 7 })
}
