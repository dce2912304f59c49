import Testing
import NumericCore

// The lane-wise helpers against Swift's own scalar operations.

@Test func laneBitsSetOneBitPerTrueLane() {
    let v = SIMD8<Float>(0, 1, 2, .nan, 4, -1, 6, 7)
    #expect(SIMDMath.laneBits(v .> SIMD8(repeating: 1.5)) == 0b1101_0100)
    #expect(SIMDMath.laneBits(v .== v) == 0b1111_0111)  // NaN lane false
    #expect(SIMDMath.laneBits(v .< SIMD8(repeating: -5)) == 0)
    let w = SIMD4<Float>(3, .nan, -2, 3)
    #expect(SIMDMath.laneBits(w .>= SIMD4(repeating: 3)) == 0b1001)
}

@Test func truncatedInt32RoundsTowardZero() {
    let values: [Float] = [0, -0.0, 0.99, 1, 1.5, -1.5, -0.99, 1023.9, 16_777_216, -2_147_483_520]
    for start in stride(from: 0, to: values.count, by: 8) {
        var lanes = SIMD8<Float>.zero
        for t in 0..<8 where start + t < values.count { lanes[t] = values[start + t] }
        let got = SIMDMath.truncatedInt32(lanes)
        for t in 0..<8 { #expect(got[t] == Int32(lanes[t].rounded(.towardZero)), "\(lanes[t])") }
    }
}

@Test func squareRootMatchesScalarSquareRoot() {
    let v = SIMD8<Float>(0, 1, 2, 0.25, 1e-30, 3e38, 7, 1e6)
    let got = SIMDMath.squareRoot(v)
    for t in 0..<8 { #expect(got[t] == v[t].squareRoot()) }
    #expect(SIMDMath.squareRoot(SIMD8(repeating: -1))[0].isNaN)
}
