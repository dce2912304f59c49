import CKernels
import Foundation
import NumericCore
import Testing

/// The vector paths of mb_expm1 on this machine (1: AVX2+FMA, 2: AVX-512F), ignoring METRICBENCH_SIMD.
private let expm1VectorSets: [Int32] = {
    let best = mb_expm1_isa()
    return best > 0 ? Array(1...best) : []
}()

/// How many results of `VectorExpm1.expm1` with `isa` differ in bits from the scalar `expm1`, and the first few.
private func expm1Mismatches(_ xs: [Double], isa: Int32) -> (count: Int, examples: [String]) {
    var ys = [Double](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { x in
        ys.withUnsafeMutableBufferPointer { y in
            VectorExpm1.expm1(x.baseAddress!, into: y.baseAddress!, count: xs.count, isa: isa)
        }
    }
    var count = 0
    var examples: [String] = []
    for (x, y) in zip(xs, ys) where Foundation.expm1(x).bitPattern != y.bitPattern {
        count += 1
        if examples.count < 5 { examples.append("expm1(\(x)) = \(y), scalar \(Foundation.expm1(x))") }
    }
    return (count, examples)
}

@Test func vectorExpm1IsOnWhereGlibcUsesItsFMAVersion() throws {
    #if arch(x86_64) && os(Linux)
    let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    // glibc 2.28+ picks __expm1_fma on these CPUs; the self-check must then accept the vector path.
    if flags.contains("avx2") && flags.contains("fma") {
        #expect(mb_expm1_isa() >= 1)
        if flags.contains("avx512f") { #expect(mb_expm1_isa() == 2) }
    }
    #else
    #expect(mb_expm1_isa() == 0)
    #endif
}

@Test func vectorExpm1EqualsScalarExpm1OnTenMillionInputs() {
    var rng = SplitMix64(seed: 31)
    var xs: [Double] = []
    xs.reserveCapacity(10_000_000)
    // NT-Xent's log r ≤ 0 over every reduction branch (k = 0 up to 0.5·ln2, −1 up to 1.5·ln2, k ≤ −2
    // up to 56·ln2) and past it, small magnitudes in every binade, and positive arguments (scalar lanes).
    for _ in 0..<4_000_000 { xs.append(-rng.nextUniform() * 3) }
    for _ in 0..<3_000_000 { xs.append(-rng.nextUniform() * 45) }
    for _ in 0..<2_000_000 { xs.append(-Foundation.exp2(-rng.nextUniform() * 60)) }
    for _ in 0..<1_000_000 { xs.append(rng.nextUniform() * 800 - 100) }
    for isa in expm1VectorSets {
        let (count, examples) = expm1Mismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorExpm1EqualsScalarExpm1OnRawBitPatternsAndEdges() {
    var rng = SplitMix64(seed: 32)
    // Any 64 bits: NaN payloads, infinities, subnormals, huge values of both signs.
    var xs = (0..<1_000_000).map { _ in Double(bitPattern: rng.next()) }
    xs += [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, -.leastNormalMagnitude, .infinity, -.infinity,
           .nan, -.nan, .signalingNaN, -.greatestFiniteMagnitude, .greatestFiniteMagnitude, 709.78, 709.8]
    // The branch edges: 2^-54 and the high words 0x3fd62e42 (0.5·ln2), 0x3ff0a2b1 (1.5·ln2),
    // 0x40436879 (56·ln2), each with neighbours; the multiples of ln2/2 where k changes.
    var edges: [Double] = [0x1p-54, 0.5 * M_LN2, 1.5 * M_LN2, 56 * M_LN2]
    for hx: UInt64 in [0x3fd6_2e42, 0x3fd6_2e43, 0x3ff0_a2b1, 0x3ff0_a2b2, 0x4043_6879, 0x4043_687a] {
        edges.append(Double(bitPattern: hx << 32))
    }
    for j in 1...120 { edges.append((Double(j) + 0.5) * M_LN2 / 2) }
    for edge in edges {
        var x = edge
        for _ in 0..<3 { x = x.nextDown }
        for _ in 0..<7 {
            xs += [-x, x]
            x = x.nextUp
        }
    }
    for isa in expm1VectorSets {
        for start in 0..<9 {
            for n in 0...40 {
                let (count, examples) = expm1Mismatches(Array(xs[(xs.count - 3000 + start)...].prefix(n)), isa: isa)
                #expect(count == 0, "isa \(isa), \(n) from \(start): \(examples)")
            }
        }
        let (count, examples) = expm1Mismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorExpm1WorksInPlace() {
    var rng = SplitMix64(seed: 33)
    // Scalar lanes (positive, tiny, ≤ −56·ln2, NaN) among vector lanes, in place.
    let original = (0..<1003).map { i -> Double in
        switch i % 8 {
        case 1: return rng.nextUniform() * 10
        case 3: return -rng.nextUniform() * 1e-17
        case 5: return -40 - rng.nextUniform() * 100
        case 7 where i % 16 == 7: return .nan
        default: return -rng.nextUniform() * 20
        }
    }
    let want = original.map { Foundation.expm1($0).bitPattern }
    for isa in [Int32(0)] + expm1VectorSets {
        var xs = original
        xs.withUnsafeMutableBufferPointer { x in
            VectorExpm1.expm1(x.baseAddress!, into: x.baseAddress!, count: x.count, isa: isa)
        }
        #expect(xs.map(\.bitPattern) == want, "isa \(isa)")
    }
}
