import Foundation
import NumericCore
import Testing

/// Distance in units in the last place between two finite floats or two
/// equal infinities (consecutive floats, subnormals and ±0 included, are 1 apart).
private func ulps(_ a: Float, _ b: Float) -> Int64 {
    func ordered(_ x: Float) -> Int64 {
        x.sign == .minus ? -Int64(x.magnitude.bitPattern) : Int64(x.bitPattern)
    }
    return abs(ordered(a) - ordered(b))
}

/// `f` of `xs`, eight lanes at a time (the last vector padded with 1).
private func lanes(_ xs: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
    var out: [Float] = []
    for start in stride(from: 0, to: xs.count, by: 8) {
        var v = SIMD8<Float>(repeating: 1)
        for k in 0..<min(8, xs.count - start) { v[k] = xs[start + k] }
        let r = f(v)
        for k in 0..<min(8, xs.count - start) { out.append(r[k]) }
    }
    return out
}

@Test func vectorExpIsWithinTwoUlpsOfCorrectlyRoundedExp() {
    var xs: [Float] = [0, -0.0, 1, -1, 0.5, -0.5, .ulpOfOne, -.ulpOfOne, 1e-30, -1e-30,
                       .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 0.34657359, -0.34657359,
                       -87.33654, -87.336548, -87.3, -90, -100, -103.9, -103.97, 88.3762626, 88.72, 88.7228]
    var rng = SplitMix64(seed: 3)
    for _ in 0..<20_000 { xs.append(Float(rng.nextUniform() * 193 - 104)) }
    var x: Float = -104
    while x < 88.72 {
        xs.append(x)
        x += 0.0137
    }
    for (x, e) in zip(xs, lanes(xs, SIMDMath.exp)) {
        let want = Float(Foundation.exp(Double(x)))
        #expect(ulps(e, want) <= 2, "exp(\(x)) = \(e), want \(want)")
    }
}

@Test func vectorExpHandlesTheEdgesOfTheRange() {
    let xs: [Float] = [-104, -110, -1000, -.greatestFiniteMagnitude, -.infinity,
                       88.73, 89, 100, .greatestFiniteMagnitude, .infinity, .nan, -.nan]
    let e = lanes(xs, SIMDMath.exp)
    for k in 0..<5 { #expect(e[k] == 0, "exp(\(xs[k])) = \(e[k])") }
    for k in 5..<10 { #expect(e[k] == .infinity, "exp(\(xs[k])) = \(e[k])") }
    #expect(e[10].isNaN && e[11].isNaN)
}

@Test func vectorLogIsWithinTwoUlpsOfCorrectlyRoundedLog() {
    var xs: [Float] = [1, 2, 0.5, 0.70710677, 0.70710683, 1.4142135, 1.0000001, 0.99999994, .ulpOfOne,
                       .leastNonzeroMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown,
                       1e-40, 3e-39, .greatestFiniteMagnitude, Float(M_E), 10, 1e30]
    var rng = SplitMix64(seed: 4)
    // Every binade from the subnormals to the largest floats, and a fine sweep around 1.
    for _ in 0..<20_000 { xs.append(Float(Foundation.exp(rng.nextUniform() * 192 - 104))) }
    for _ in 0..<5_000 { xs.append(Float(1 + (rng.nextUniform() - 0.5) * 1e-3)) }
    var x: Float = 0.25
    while x < 4 {
        xs.append(x)
        x += 0.000_37
    }
    for (x, l) in zip(xs, lanes(xs, SIMDMath.log)) {
        let want = Float(Foundation.log(Double(x)))
        #expect(ulps(l, want) <= 2, "log(\(x)) = \(l), want \(want)")
    }
}

@Test func vectorLogHandlesZeroInfinityAndNegatives() {
    let xs: [Float] = [0, -0.0, .infinity, -1, -.leastNonzeroMagnitude, -.infinity, .nan]
    let l = lanes(xs, SIMDMath.log)
    #expect(l[0] == -.infinity && l[1] == -.infinity)
    #expect(l[2] == .infinity)
    for k in 3..<7 { #expect(l[k].isNaN, "log(\(xs[k])) = \(l[k])") }
}
