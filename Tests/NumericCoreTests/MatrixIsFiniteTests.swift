import Testing
import NumericCore

/// `Matrix.isFinite` (eight lanes at a time, then a tail) is false exactly when
/// some element is ±∞ or NaN, wherever it sits: in the vector body, in the tail,
/// first or last; subnormals, ±0 and the largest floats are finite.
@Test func matrixIsFiniteFindsEveryNonFiniteElement() {
    for count in [0, 1, 7, 8, 9, 16, 23, 64, 133] {
        var m = Matrix(rows: 1, cols: count)
        for k in 0..<count {
            m.storage[k] = [Float.leastNonzeroMagnitude, -0.0, .greatestFiniteMagnitude, -1.5, 3][k % 5]
        }
        #expect(m.isFinite, "count \(count)")
        for position in Set([0, count / 2, count - 1]) where count > 0 {
            for bad in [Float.infinity, -.infinity, .nan, -.nan, .signalingNaN] {
                var copy = m
                copy.storage[position] = bad
                #expect(!copy.isFinite, "count \(count), \(bad) at \(position)")
            }
        }
    }
}
