import Testing
import NumericCore

@Test func matrixIsFiniteFindsEveryNonFiniteValueAtEveryPosition() {
    // Sizes around the 64-element blocks and their 16-lane loads; the one special value at each
    // position (in a block, in the scalar tail); the largest finite and subnormal values stay finite.
    var g = SplitMix64(seed: 71)
    for count in [0, 1, 15, 16, 63, 64, 65, 130, 200] {
        var m = Matrix(rows: 1, cols: count)
        for k in 0..<count { m.storage[k] = [Float.greatestFiniteMagnitude, -.leastNonzeroMagnitude, 0, -0.0, 1][g.nextInt(below: 5)] }
        #expect(m.isFinite, "count \(count)")
        for position in 0..<count {
            for special in [Float.nan, .infinity, -.infinity, -Float.nan, Float(bitPattern: 0x7FC0_0001)] {
                var n = m
                n.storage[position] = special
                #expect(!n.isFinite, "count \(count), \(special) at \(position)")
            }
        }
    }
}
