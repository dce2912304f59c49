import CKernels
import Foundation
import NumericCore
import Testing

/// The vector paths the C target offers on this machine (1: AVX2+FMA, 2: AVX-512F), ignoring METRICBENCH_SIMD.
private let vectorSets: [Int32] = {
    let best = mb_exp_isa()
    return best > 0 ? Array(1...best) : []
}()

/// Indices where `VectorExp.exp` with `isa` differs in bits from the scalar `exp`, and the first few messages.
private func mismatches(_ xs: [Double], isa: Int32) -> (count: Int, examples: [String]) {
    var ys = [Double](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { x in
        ys.withUnsafeMutableBufferPointer { y in
            VectorExp.exp(x.baseAddress!, into: y.baseAddress!, count: xs.count, isa: isa)
        }
    }
    var count = 0
    var examples: [String] = []
    for (x, y) in zip(xs, ys) where Foundation.exp(x).bitPattern != y.bitPattern {
        count += 1
        if examples.count < 5 { examples.append("exp(\(x)) = \(y), scalar \(Foundation.exp(x))") }
    }
    return (count, examples)
}

@Test func vectorExpIsOnWhereGlibcUsesItsFMAVersion() throws {
    #if arch(x86_64) && os(Linux)
    let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    // glibc 2.28+ picks __exp_fma on these CPUs; the self-check must then accept the vector path.
    if flags.contains("avx2") && flags.contains("fma") {
        #expect(mb_exp_isa() >= 1)
        if flags.contains("avx512f") { #expect(mb_exp_isa() == 2) }
    }
    #else
    #expect(mb_exp_isa() == 0)
    #endif
}

@Test func vectorExpEqualsScalarExpOnTenMillionRandomInputs() {
    var rng = SplitMix64(seed: 17)
    // The losses' range and beyond both ends: overflow above 709.78, subnormal results below −708.4, 0 below −745.13.
    let xs = (0..<10_000_000).map { _ in rng.nextUniform() * 1460 - 750 }
    for isa in vectorSets {
        let (count, examples) = mismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorExpEqualsScalarExpOnSmallArgumentsAndRawBitPatterns() {
    var rng = SplitMix64(seed: 18)
    var xs: [Double] = []
    // Arguments near 0 in every binade down to the fast range's end (2^-54) and past it.
    for _ in 0..<1_000_000 {
        let magnitude = Foundation.exp2(-rng.nextUniform() * 70)
        xs.append(rng.nextUniform() < 0.5 ? magnitude : -magnitude)
    }
    // Any 64 bits: NaN payloads, infinities, subnormals, huge values.
    for _ in 0..<1_000_000 { xs.append(Double(bitPattern: rng.next())) }
    for isa in vectorSets {
        let (count, examples) = mismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorExpEqualsScalarExpAtTheEdges() {
    var xs: [Double] = [
        0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .infinity, -.infinity, .nan, -.nan, .signalingNaN, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        // The largest finite result, the first overflow, the first subnormal and zero results.
        709.782712893384, 709.7827128933841, -708.3964185322641, -708.3964185322642,
        -745.1332191019411, -745.1332191019412, -744.4400719213812,
    ]
    // glibc's fast range is 2^-54 ≤ |x| < 512: its two ends and their neighbours, both signs.
    for edge in [0x1p-54, 512.0, 1024.0] {
        var x = edge
        for _ in 0..<3 { x = x.nextDown }
        for _ in 0..<7 {
            xs += [x, -x]
            x = x.nextUp
        }
    }
    // Arguments whose k/128 sits on a rounding boundary of the table index (x ≈ (j + ½)·ln2/128).
    for j in -1000...1000 {
        let x = (Double(j) + 0.5) * M_LN2 / 128
        xs += [x.nextDown, x, x.nextUp]
    }
    for isa in vectorSets {
        // Every length 0…40 (the 4- and 8-lane bodies and the scalar tails) from every offset.
        for start in 0..<9 {
            for n in 0...40 where start + n <= xs.count {
                let (count, examples) = mismatches(Array(xs[start..<(start + n)]), isa: isa)
                #expect(count == 0, "isa \(isa), \(n) from \(start): \(examples)")
            }
        }
        let (count, examples) = mismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorExpWorksInPlace() {
    var rng = SplitMix64(seed: 19)
    // Every fourth argument outside the fast range (|x| ≥ 512 or tiny), so slow lanes meet fast ones in place.
    let original = (0..<1003).map { i -> Double in
        switch i % 8 {
        case 3: return rng.nextUniform() * 400 - 1000
        case 6: return (rng.nextUniform() - 0.5) * 1e-17
        default: return rng.nextUniform() * 60 - 40
        }
    }
    let want = original.map { Foundation.exp($0).bitPattern }
    for isa in [Int32(0)] + vectorSets {
        var xs = original
        xs.withUnsafeMutableBufferPointer { x in
            VectorExp.exp(x.baseAddress!, into: x.baseAddress!, count: x.count, isa: isa)
        }
        #expect(xs.map(\.bitPattern) == want, "isa \(isa)")
    }
}
